"""Secret redaction applied to every text of a run before anything is stored.

Two kinds of rules: token shapes (a provider's key looks the same wherever it appears: detect-secrets' patterns,
vendored unchanged in `secret_patterns.json`, plus prefixes detect-secrets lacks), and context rules (a value after
a secret's name, a password flag, credentials in a URL or a shell command), where a weak name (`key`, `token`)
masks only values shaped like generated keys (`_looks_random`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick_rs
import orjson

from tracegraph.schema import Observation, RunTrace, Step

MASK = "[REDACTED]"
VENDORED = Path(__file__).with_name("secret_patterns.json")


class Rule(NamedTuple):
    """Group 1 keeps what says what the secret is; the rest of the match is the value, masked."""

    name: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]
    """Substrings (of the lower-cased text for IGNORECASE patterns), one of which must be present for the rule to run:
    most texts hold none, and a substring test costs far less than a regex call on short texts."""
    keep: Callable[[re.Match[str]], bool] | None = None
    """True when the match is code or a placeholder, not a secret (the text is left as it is)."""
    span: Callable[[re.Match[str]], tuple[int, int]] | None = None
    """The part to mask when it is not everything after group 1."""


# A value never starts with a shell/template variable, a placeholder or an earlier mask.
_NOT_A_VARIABLE = r"(?!\[REDACTED\])(?![$<{\[%*])"
_CODE_WORDS = {
    "none", "null", "nil", "true", "false", "str", "string", "bytes", "int", "bool", "any", "optional", "required",
    "undefined", "password", "passwd", "passphrase", "secret", "api_key", "apikey", "token", "access_token",
    "auth_token", "client_secret", "getpass", "input", "prompt", "env", "environ", "pass", "pwd", "user",
    "username", "value", "changeme", "xxx", "foo", "bar", "baz", "lambda", "self", "cls", "await", "async",
    "return", "yield", "not", "object", "dict", "list", "float", "secretstr", "secretbytes",
}
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w{0,60}(?:\.[A-Za-z_]\w{0,60})+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*[,;)]?")
_WORD_VALUE = re.compile(r"[A-Za-z_]+[,;)]?")
"""A value without digits: under a weak name (`..._TOKEN_CLASSIFICATION = AutoModelForTokenClassification,`), a
name; a token has digits."""
_YAML_KEY_PREFIX = re.compile(r"[ \t]*(?:-[ \t]+)?\w*")
_WEAK_NAMES = ("TOKEN", "CREDENTIALS")
_SECRET_KEY = (r"(?:password|passwd|passphrase|secret|client_?secret|api_?key|access_?token|auth_?token"
               r"|refresh_?token|session_?token|secret_?access_?key|private_?key)")
# Values stop at white space, quotes, separators and backslashes (JSON escapes: `KEY=a\nOTHER_KEY=b`).
_VALUE_CHARS = r"[^\s\"'&;\\]"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DIGEST = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}")
_WORD_RUN = re.compile(r"[a-z]{7}")
_CAMEL_TAIL = re.compile(r"[A-Z]?[a-z]+\Z")
_QUALIFIERS = frozenset({"api", "access", "secret", "session", "auth", "client", "private", "refresh", "bearer",
                         "app", "master", "account", "signing", "encryption", "aws", "admin", "deploy", "service",
                         "user", "db", "bot", "webhook", "consumer", "oauth", "id"})
"""Words that make a secret's name when glued before `key`/`token`/... (`apiKey`, `sessionToken`); any other
(`SystemEntropyOriginTrialToken`, `monkey`) makes a name of something else."""
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-]*")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(value: str) -> bool:
    """Shaped like a generated key: long, varied, and letters and digits interleaved (or base64 in mixed case).

    Names (`AutoModelForTokenClassification`, `my-release-v2-build`) have few letter/digit switches.
    """
    value = value.strip("\"'")
    if len(value) < 16 or len(set(value)) < 8:
        return False
    if sum(value.count(c) for c in "-_.=") > 2 and not _UUID.fullmatch(value):
        return False  # `28795904000_rho1_d40a9cf2_0.6_0.8.json`, `5000-lr=0p003-wd=0p033`: names made of parts
    if _DIGEST.fullmatch(value) or _WORD_RUN.search(value):
        return False  # a digest (`key_sha256: <64 hex>`) or words (`sha256WithRSAEncryption`)
    switches = sum(1 for a, b in zip(value, value[1:]) if a.isalnum() and b.isalnum() and a.isdigit() != b.isdigit())
    mixed = (any(c.isupper() for c in value) and any(c.islower() for c in value)
             and any(c.isdigit() or c in "+/" for c in value))
    return switches >= 4 or (mixed and _entropy(value) >= 4.0)


def _value(match: re.Match[str]) -> str:
    return match.group(0)[len(match.group(1)):]


def _code_like(match: re.Match[str]) -> bool:
    """`password=self.password`, `API_KEY = os.environ[...]`, `password: Optional[str]`, `a, b = user, password`,
    `user = passwd = acct = ''`: code, not a secret."""
    value = _value(match).rstrip(",;):")
    text = match.string
    after = text[match.end():match.end() + 1]
    following = text[match.end():match.end() + 3].lstrip(" \t")[:1]
    if _placeholder_value(value) or after in ("(", "[") or "(" in value:
        return True
    if _DOTTED_NAME.fullmatch(value) is not None and not value.startswith("eyJ"):  # eyJ: a JWT
        return True
    if _IDENTIFIER.fullmatch(value) is None:
        return False
    if following in (",", "="):
        return True  # `a, b = user, password`, `f(aws_session_token=s3_aws_session_token,`
    if any(c.isdigit() for c in value):
        return False
    # A name without digits after an `=` with spaces around it is code (`api_key = value`); env files and shell
    # put none (`PASSWORD=letmein`).
    head = match.group(1)
    return head.rstrip(" \t\"'").endswith((" =", " :", "\t=")) and head[-1:] in " \t"


_PLACEHOLDER_WORDS = frozenset({
    "key", "keys", "token", "secret", "password", "passwd", "pass", "credential", "credentials", "creds", "your",
    "example", "placeholder", "dummy", "changeme", "sample", "fake", "here", "redacted", "session", "cookie", "auth"})
"""A value of words without digits, one of them one of these, names itself (`your-api-key`, `challengePassword`,
`GX_CLOUD_ACCESS_TOKEN`); `sk-localkey` does not."""
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_WORDS_ONLY = re.compile(r"[A-Za-z_\-: ]+")
_SELF_NAMED = re.compile(r"(?:key|token|secret|passw|your|my|example|test)[\w-]*\Z")


def _placeholder_value(value: str) -> bool:
    """Not a secret whatever name it stands under: a code word, `...`/`xxxx`/`****`, `PASSWORD`, `<token>`,
    `[&password=password]`, or a value that names itself (`your-api-key`, `challengePassword`,
    `GX_CLOUD_ACCESS_TOKEN`, `os.environ/AZURE_API_KEY`)."""
    bare = value.strip("\"'`").rstrip("])}>,.;:")
    lower = bare.lower()
    if not bare or lower in _CODE_WORDS or len(bare) > 1 and len(set(bare)) == 1 or any(c in bare for c in "<>[]{}"):
        return True
    if any(elided in value for elided in ("..", "…", "**")) or lower.startswith(("http://", "https://", "urn:", "/")):
        return True  # an elided or masked example (`sk-...`, `sk-1****cdef`), an address, a path
    if _SELF_NAMED.match(lower):
        return True  # `token123`, `api_key_456`, `my-secret`
    if bare.isupper() and bare.replace("_", "").isalpha():
        return True
    if "environ" in lower:
        return True  # `os.environ/AZURE_API_KEY`: a reference to where the key is
    return (not any(c.isdigit() for c in bare) and _WORDS_ONLY.fullmatch(bare) is not None
            and any(w.lower() in _PLACEHOLDER_WORDS for w in _WORD_PARTS.findall(bare)))


def _name_start(match: re.Match[str]) -> int:
    """Where the secret's name begins (`aws_` of `aws_secret_access_key` stands before the match)."""
    text, i = match.string, match.start()
    while i and (text[i - 1].isalnum() or text[i - 1] in "_.-"):
        i -= 1
    return i


def _in_expansion(match: re.Match[str]) -> bool:
    """`${GITHUB_TOKEN:-default}`: a shell parameter expansion names a variable, it holds no value."""
    i = _name_start(match)
    return match.string[max(0, i - 2):i] == "${"


def _quote_closes(match: re.Match[str]) -> bool:
    """`grep -rn "password=" .`: the quote after `=` closes a string that opened before the name (a quoted key,
    `"password": "x"`, closes its own quote before the `:`)."""
    i = _name_start(match)
    opener = match.string[i - 1:i]
    head = match.group(1)
    return opener in ("'", '"') and head.endswith(opener) and head.count(opener) == 1


def _inside_word(match: re.Match[str]) -> bool:
    """The secret's name is the tail of a longer word (`mypassword`), not a name of its own (`db_password`).

    Checked here rather than as a look-behind so each pattern starts with its keyword, which the regex engine
    scans for quickly. A JSON escape (`\\npassword=`) counts as a separator.
    """
    text, i = match.string, match.start()
    before = text[i - 1] if i else ""
    return before.isalnum() and not (i >= 2 and text[i - 2] == "\\" and before in "nrt")


def _starts_yaml_line(match: re.Match[str]) -> bool:
    """Only indentation, a list dash and the rest of the key's name stand before it on its line."""
    text, i = match.string, match.start()
    return _YAML_KEY_PREFIX.fullmatch(text, text.rfind("\n", 0, i) + 1, i) is not None


def _not_a_secret(match: re.Match[str]) -> bool:
    """Code, a closing quote (`"password=" .`: a value never starts with a space), a `${VAR:-default}`, an
    attribute given a name (`self.passwd = password_mgr`)."""
    return (_inside_word(match) or _code_like(match) or _quote_closes(match) or _in_expansion(match)
            or _value(match)[:1].isspace() or _attribute_set_to_name(match))


def _attribute_set_to_name(match: re.Match[str]) -> bool:
    i = match.start()
    return i > 0 and match.string[i - 1] == "." and _IDENTIFIER.fullmatch(_value(match)) is not None


def _not_a_yaml_value(match: re.Match[str]) -> bool:
    """Not `key: value` alone on its line (`- password:  The password for the login.` is prose), or code."""
    text, end = match.string, match.end()
    line_end = text.find("\n", end)
    rest = text[end:line_end if line_end >= 0 else len(text)].strip()
    return not _starts_yaml_line(match) or _code_like(match) or bool(rest and not rest.startswith("#"))


def _env_not_a_secret(match: re.Match[str]) -> bool:
    """Code, a `${VAR:-default}`, prose (`VANTAGE_API_KEY: Vantage API key for ...`), or a weak name
    (`..._TOKEN_CLASSIFICATION`) holding an identifier."""
    if _code_like(match) or _in_expansion(match) or _quote_closes(match) or _prose_follows(match):
        return True
    name = match.group(1).split("=")[0].split(":")[0]
    if not any(w in name for w in _WEAK_NAMES):
        return False
    # A token is one word with letters: not prose (`TOKEN_EOF: "end of template"`), a number (`_TOKEN_TTL =
    # '21600'`), a path, or a name (`..._TOKEN_CLASSIFICATION = AutoModelForTokenClassification,`).
    value = _value(match)
    return (_WORD_VALUE.fullmatch(value) is not None or any(c.isspace() or c == "/" for c in value)
            or value.isdigit())


def _prose_follows(match: re.Match[str]) -> bool:
    """`NAME: value more words` on one line: a description, not a setting (settings hold one value)."""
    if ":" not in match.group(1) or match.group(2):
        return False
    text, end = match.string, match.end()
    line_end = text.find("\n", end)
    rest = text[end:line_end if line_end >= 0 else len(text)].strip()
    return bool(rest) and not rest.startswith("#") and rest[:1].isalpha()


def _placeholder(match: re.Match[str]) -> bool:
    """`--password PASSWORD` in a usage line."""
    return _placeholder_value(_value(match))


def _not_random(match: re.Match[str]) -> bool:
    """A value not shaped like a key; or one after a name and a space that is no `--flag` (prose: `the key ...`)."""
    if not _looks_random(_value(match)) or _in_expansion(match) or _code_like(match):
        return True
    text, i = match.string, match.start()
    glued = _CAMEL_TAIL.search(text, max(0, i - 20), i)
    if glued and glued.group(0).lower() not in _QUALIFIERS:
        return True
    head = match.group(1)
    return not any(c in head for c in ":=") and match.string[_name_start(match)] != "-"


def _glued(match: re.Match[str]) -> bool:
    """The token continues a longer word (`task-...` holds no `sk-` key): the word boundary, see RULES."""
    i = match.start()
    return i > 0 and match.string[i - 1].isalnum()


def _ssh_name_or_glued(match: re.Match[str]) -> bool:
    """`sk-ssh-ed25519@openssh.com` is an SSH key algorithm's name, not an API key."""
    return _glued(match) or match.string[match.end():match.end() + 1] == "@"


def _token_span(match: re.Match[str]) -> tuple[int, int]:
    """The whole token: a pattern that stops at a fixed length (`sk_live_` + 24) would leave the rest of a longer
    key in the text."""
    start, end = match.start(), match.end()
    text = match.string
    while start < end and text[start] in " \t\r\n=:\"'":
        start += 1  # patterns that match their separators (`(?:\s|=|:|"|^)AKC...`)
    while end > start and text[end - 1] in " \t\r\n\"'":
        end -= 1
    return start, _TOKEN_TAIL.match(text, end).end()


def _group_span(group: int) -> Callable[[re.Match[str]], tuple[int, int]]:
    return lambda match: match.span(group)


def _jwt_span(match: re.Match[str]) -> tuple[int, int]:
    return match.start(), _JWT_TAIL.match(match.string, match.end()).end()


def _not_a_jwt(match: re.Match[str]) -> bool:
    """detect-secrets' check: the header and payload decode to JSON."""
    if _glued(match):
        return True
    parts = match.string[slice(*_jwt_span(match))].split(".")
    try:
        for part in parts[:2]:
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return True
    return len(parts) < 2


# detect-secrets plugin → (hints, keep, span) for each pattern of its denylist in secret_patterns.json, in order;
# None leaves a pattern out. PrivateKeyDetector lists BEGIN lines only: the private-key rule masks the whole block.
_PLUGIN_USE: dict[str, list[tuple[tuple[str, ...], Any, Any] | None]] = {
    "AWSKeyDetector": [(("A3T", "ABIA", "ACCA", "AKIA", "ASIA"), _glued, _token_span),
                       (("aws",), None, _group_span(2))],
    # The password pattern (`AP[\dA-F]...`) also matches upper-case words (` APACHE2HANDLER `).
    "ArtifactoryDetector": [(("AKC",), None, _token_span), None],
    "AzureStorageKeyDetector": [(("AccountKey=",), None, _token_span)],
    "DiscordBotTokenDetector": [(("discord", "Discord", "DISCORD"), _glued, _token_span)],
    "GitHubTokenDetector": [(("gh",), _glued, _token_span)],
    "GitLabTokenDetector": [(("gl",), _glued, _token_span), (("GR1348941",), _glued, _token_span),
                            (("glcbt-",), _glued, _token_span), (("glimt-",), _glued, _token_span),
                            (("glptt-",), _glued, _token_span), (("glagent-",), _glued, _token_span),
                            (("gloas-",), _glued, _token_span)],
    "JwtTokenDetector": [(("eyJ",), _not_a_jwt, _jwt_span)],
    "MailchimpDetector": [(("-us",), _glued, _token_span)],
    "NpmDetector": [(("_authToken",), None, _group_span(2))],
    "OpenAIDetector": [(("T3BlbkFJ",), _glued, _token_span)],
    "PrivateKeyDetector": [None] * 8,
    "PypiTokenDetector": [(("pypi-",), _glued, _token_span), (("pypi-",), _glued, _token_span)],
    "SendGridDetector": [(("SG.",), _glued, _token_span)],
    "SlackDetector": [(("xox",), _glued, _token_span), (("hooks.slack.com",), None, _token_span)],
    "SquareOAuthDetector": [(("sq0csp-",), _glued, _token_span)],
    "StripeDetector": [(("k_live_",), _glued, _token_span)],
    "TelegramBotTokenDetector": [(("telegram", "Telegram", "TELEGRAM", "/bot"), None, _token_span)],
    "TwilioKeyDetector": [(("AC",), _glued, _token_span), (("SK",), _glued, _token_span)],
}


def _vendored_rules() -> list[Rule]:
    data = json.loads(VENDORED.read_text())
    rules = []
    for plugin, uses in _PLUGIN_USE.items():
        patterns = data["plugins"][plugin]
        if len(patterns) != len(uses):
            raise RuntimeError(f"{VENDORED.name}: {plugin} has {len(patterns)} patterns, redact.py expects {len(uses)}")
        for i, (entry, use) in enumerate(zip(patterns, uses)):
            if use is None:
                continue
            hints, keep, span = use
            flags = re.IGNORECASE if entry["ignorecase"] else 0
            # `()` first: the empty group 1 every rule has; the plugin's own groups shift by one.
            pattern = re.compile("()(?:" + entry["pattern"] + ")", flags)
            if flags:
                hints = tuple(h.lower() for h in hints)
            rules.append(Rule(f"{plugin}[{i}]", pattern, hints, keep, span))
    return rules


_PEM_BODY = r"(?:\\[rn]|[A-Za-z0-9+/=\s:,]|(?:Proc|DEK)-)+"
"""Base64 lines and PEM headers, up to the END line or, when the text was cut before it, the end of the text."""
# Prefixes of keys detect-secrets has no plugin for (each provider's documented format).
_PREFIXED = ("npm_", "dop_v1_", "shpat_", "shpss_", "glsa_", "lin_api_", "PMAK-", "hvs.", "dapi", "sk_test_",
             "rk_test_", "xapp-", "gsk_", "AGE-SECRET-KEY-1")
_SHELL_VALUE = _NOT_A_VARIABLE + r"(?!-)(?:'[^'\n]+|\"[^\"\n]+|" + _VALUE_CHARS + "+)"
_REST_OF_COMMAND = r"\b[^\n|;&]*?[ \t]"
"""Up to a flag of the same command: not past a line end, a pipe or a command separator."""
_SHELL_PASSWORDS = [  # command → how its password follows it
    ("mysql", r"\w*" + _REST_OF_COMMAND + r"-p(?=\S)"),  # mysql, mysqldump, mysqladmin: `-pX`; `-p X` prompts
    ("mariadb", r"[\w-]*" + _REST_OF_COMMAND + r"-p(?=\S)"),
    ("mongo", r"\w*" + _REST_OF_COMMAND + r"-p[ \t]+"),
    ("sshpass", _REST_OF_COMMAND + r"-p[ \t]*\\?[\"']?"),
    ("docker", r"(?:[ \t]+\S+)*?[ \t]+login" + _REST_OF_COMMAND + r"-p[ \t]+"),
    ("redis-cli", _REST_OF_COMMAND + r"-a[ \t]+"),
    ("curl", _REST_OF_COMMAND + r"(?:-u|--user)(?:[ \t]+|=)\\?[\"']?[^\s:\"']+:"),
    ("wget", _REST_OF_COMMAND + r"(?:-u|--user)(?:[ \t]+|=)\\?[\"']?[^\s:\"']+:"),
]
# Not `session` (`--session-id <uuid>`), `signature` or `salt` (public by design), `auth` (`auth: "SAMLAuth"`;
# `auth_token` holds `token`).
_WEAK_WORDS = ("token", "secret", "key", "passw", "pwd", "cred", "cookie")
_STRONG_WORDS = ("password", "passwd", "passphrase", "secret", "clientsecret", "api_key", "apikey", "access_token",
                 "accesstoken", "auth_token", "authtoken", "refresh_token", "refreshtoken", "session_token",
                 "sessiontoken", "secret_access_key", "secretaccesskey", "private_key", "privatekey")
_ENV_WORDS = ("API_KEY", "APIKEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "ACCESS_KEY", "PRIVATE_KEY",
              "CREDENTIALS")


def _per_word(name: str, words: tuple[str, ...], template: str, flags: int = 0,
              keep: Callable[[re.Match[str]], bool] | None = None) -> list[Rule]:
    """One rule per leading word of `template` (`{word}`): a pattern that starts with an alternation of words
    scans ~50x slower than one that starts with a literal."""
    return [Rule(f"{name}:{w}", re.compile(template.replace("{word}", re.escape(w)), flags),
                 (w.lower() if flags & re.IGNORECASE else w,), keep) for w in words]


def _strong_word_rules(word: str) -> list[Rule]:
    return [
        # `password = "x"`, `"api_key": "x"`: a quoted value after a secret's name, anywhere.
        *_per_word("secret-quoted", (word,), r"({word}\\?[\"']?[ \t]*[=:][ \t]*\\?([\"']))" + _NOT_A_VARIABLE
                   + r"[^\"'\n\\]{3,}(?=\\?\2)", re.IGNORECASE, keep=_not_a_secret),
        # Unquoted: `password=x` anywhere, `password: x` only where a line starts (YAML), not in prose
        # (`secret: no`).
        *_per_word("secret-assigned", (word,), r"({word}[ \t]*=[ \t]*)" + _NOT_A_VARIABLE
                   + r"(?![\"'])[^\s\"',;&)\\]{3,}", re.IGNORECASE, keep=_not_a_secret),
        *_per_word("secret-yaml", (word,), r"({word}[ \t]*:[ \t]*)" + _NOT_A_VARIABLE
                   + r"(?![\"'])[^\s\"',;&)\\]{3,}", re.IGNORECASE,
                   keep=_not_a_yaml_value),
    ]


# Every pattern starts with a literal (no `\b`, no look-behind, no alternation) so the regex engine skips straight
# to candidate positions; a leading `\b` made the token rules ~40x slower on long tool output. Word boundaries are
# checked by `keep` instead. Rules with hints run only when one of them is in the text (shared, cheap substring
# tests).
RULES: list[Rule] = [
    Rule("private-key", re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)" + _PEM_BODY),
         ("PRIVATE KEY",)),
    Rule("putty-key", re.compile(r"(Private-Lines:[ \t]*\d+)" + _PEM_BODY), ("Private-Lines",)),
    *_vendored_rules(),
    Rule("anthropic-key", re.compile(r"()sk-ant-[A-Za-z0-9_\-]{20,}"), ("sk-ant-",), keep=_glued),
    # A key has digits; `sk-learn-...`-style names do not.
    Rule("openai-key", re.compile(r"()sk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}"),
         ("sk-",), keep=_ssh_name_or_glued),
    Rule("github-pat", re.compile(r"()github_pat_[A-Za-z0-9_]{40,}"), ("github_pat_",), keep=_glued),
    Rule("github-token", re.compile(r"()gh[pousr]_[A-Za-z0-9]{30,}"), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
         keep=_glued),
    Rule("slack-token", re.compile(r"()xox[abeoprs]-[A-Za-z0-9\-]{10,}"), ("xox",), keep=_glued),
    Rule("google-api-key", re.compile(r"()AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])"), ("AIza",), keep=_glued),
    Rule("huggingface-token", re.compile(r"()hf_[A-Za-z0-9]{30,}(?![A-Za-z0-9])"), ("hf_",), keep=_glued),
    Rule("prefixed-token", re.compile(r"()(?:" + "|".join(map(re.escape, _PREFIXED)) + r")[A-Za-z0-9_\-]{20,}"),
         _PREFIXED, keep=_glued),
    Rule("azure-connection", re.compile(
        r"((?:AccountKey|SharedAccessKey|SharedAccessSignature|[?&]sig)=)" + _NOT_A_VARIABLE + r"[^;&\s\"'\\]{8,}"),
         ("AccountKey=", "SharedAccess", "sig=")),
    Rule("bearer", re.compile(
        r"(authorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?(?:bearer|basic|token)[ \t]+)" + _NOT_A_VARIABLE
        + r"[a-z0-9._~+/=\-]{8,}", re.IGNORECASE), ("authorization",), keep=_code_like),
    Rule("api-key-header", re.compile(
        r"((?:x-api-key|api-key|x-goog-api-key|x-auth-token|private-token|x-amz-security-token)\\?[\"']?[ \t]*:"
        r"[ \t]*\\?[\"']?)" + _NOT_A_VARIABLE + r"[^\s\"',;}\\]{8,}", re.IGNORECASE),
         ("api-key", "auth-token", "private-token", "security-token"), keep=_code_like),
    Rule("url-credentials", re.compile(r"(://[^\s:/@]+:)" + _NOT_A_VARIABLE + r"[^\s@/]{3,}(?=@)"), ("://",),
         keep=lambda m: _placeholder_value(_value(m)) or "[" in m.group(1)),
    *(Rule(f"shell-password:{command}", re.compile(f"({re.escape(command)}{flag})" + _SHELL_VALUE), (command,))
      for command, flag in _SHELL_PASSWORDS),
    # Upper-case names as in env dumps and .env files; `MAX_TOKENS`, `TOKENIZERS_...` are not secrets (the
    # keyword may only be followed by `_PART`s), nor are paths (`GOOGLE_APPLICATION_CREDENTIALS=/path`).
    *_per_word("env-secret", _ENV_WORDS, r"({word}(?:_[A-Z0-9]+)*[ \t]*[=:][ \t]*(?:\\?([\"']))?)"
               + _NOT_A_VARIABLE + r"(?![/~])(?(2)[^\"'\n\\]{3,}(?=\\?\2)|" + _VALUE_CHARS + "{6,})",
               keep=_env_not_a_secret),
    Rule("password-flag", re.compile(
        r"(-(?<![\w-]-)-?(?:password|passwd|pass|passin|passout)(?:[ \t]+|=)\\?[\"']?(?:pass:)?)" + _NOT_A_VARIABLE
        + r"(?!-)" + _VALUE_CHARS + "+", re.IGNORECASE), ("-pass",), keep=_placeholder),
    *(rule for word in _STRONG_WORDS for rule in _strong_word_rules(word)),
    # Any name holding a weak secret word (`aws_session_token = ...`, `"SessionToken": "..."`, `--api-key ...`),
    # when its value is shaped like a generated key.
    *_per_word("secret-entropy", _WEAK_WORDS, r"({word}[\w.-]*\\?[\"']?(?:[ \t]*(?:[:=]|=>)[ \t]*|[ \t]+)\\?[\"']?)"
               r"[A-Za-z0-9+/=_\-.~]{16,}", re.IGNORECASE, keep=_not_random),
]


# IGNORECASE defeats the regex engine's quick scan for a pattern's first characters, so those patterns (all
# written in lower case) look for candidates in the lower-cased text, then match the original there.
# detect-secrets' patterns are not all lower case, so they run with IGNORECASE on the original text.
_VENDORED_NAMES = {r.name for r in _vendored_rules()}
_LOWER = {r.name: re.compile(r.pattern.pattern, r.pattern.flags & ~re.IGNORECASE)
          for r in RULES if r.pattern.flags & re.IGNORECASE and r.name not in _VENDORED_NAMES}
# Neighbouring rules with the same hints share one test.
_GROUPS: list[tuple[tuple[str, ...], bool, list[Rule]]] = []
for _rule in RULES:
    _fold = bool(_rule.pattern.flags & re.IGNORECASE)
    if _GROUPS and _GROUPS[-1][:2] == (_rule.hints, _fold):
        _GROUPS[-1][2].append(_rule)
    else:
        _GROUPS.append((_rule.hints, _fold, [_rule]))
# Every hint, lower-cased, in one automaton: one pass over a text finds which groups can match (a substring test
# per hint costs ~2 ns per character each, and there are ~100 hints).
_HINTS = sorted({h.lower() for hints, _, _ in _GROUPS for h in hints})
# A DFA: the same matches, a third less time than the default automaton over the fixtures' texts (~100 short hints).
_HINT_FINDER = ahocorasick_rs.AhoCorasick(_HINTS, implementation=ahocorasick_rs.Implementation.DFA)
_GROUPS_OF_HINT: list[list[int]] = [[] for _ in _HINTS]
"""For each hint (by its index in _HINTS), the groups (by index, in order) it lets run."""
for _number, (_hints, _, _) in enumerate(_GROUPS):
    for _hint in {h.lower() for h in _hints}:
        _GROUPS_OF_HINT[_HINTS.index(_hint)].append(_number)
SHORTEST = 8
"""Texts shorter than this hold no secret a rule can tell (`mysql -pX` is 9 characters)."""


def redact_text(text: str | None, found: list[tuple[str, str]] | None = None) -> tuple[str | None, int]:
    """Text with secrets masked, and how many were masked; `found` collects (rule name, text masked)."""
    if not text or len(text) < SHORTEST:
        return text, 0
    lowered: str | None = text.lower()
    present = {i for i, _, _ in _HINT_FINDER.find_matches_as_indexes(lowered, overlapping=True)}
    if not present:
        return text, 0
    total = 0
    # Only the groups a present hint lets run, in rule order (most texts hold a hint of a few of the 84 groups).
    for number in sorted({g for i in present for g in _GROUPS_OF_HINT[i]}):
        hints, fold, rules = _GROUPS[number]
        if not fold and not any(h in text for h in hints):
            continue  # the automaton saw the lower-cased text; case-sensitive hints are checked on the text
        for rule in rules:
            if fold and lowered is None:
                lowered = text.lower()
            text, masked = _apply(rule, text, lowered if fold else None, found)
            if masked:
                total += masked
                lowered = None
    return text, total


def _apply(rule: Rule, text: str, lowered: str | None, found: list[tuple[str, str]] | None) -> tuple[str, int]:
    if lowered is not None and len(lowered) == len(text) and rule.name in _LOWER:
        matches = (rule.pattern.match(text, m.start()) for m in _LOWER[rule.name].finditer(lowered))
    else:
        matches = rule.pattern.finditer(text)
    pieces, end = [], 0
    for match in matches:
        if match is None or match.start() < end or rule.keep is not None and rule.keep(match):
            continue
        start, stop = rule.span(match) if rule.span else (match.end(1), match.end())
        if start < end or stop <= start or stop - start >= 8 and len(set(text[start:stop])) <= 3:
            continue  # `ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `AccountKey=xxxxxxxxx`: placeholders
        pieces += [text[end:start], MASK]
        end = stop
        if found is not None:
            found.append((rule.name, text[start:stop]))
    if not pieces:
        return text, 0
    return "".join(pieces) + text[end:], len(pieces) // 2


_STRONG_KEY = re.compile(r"(?:\A|_)" + _SECRET_KEY + r"s?\Z")
"""A JSON key that names a secret (lower-cased, `-` as `_`): `password`, `DB_PASSWORD`, `apiKey`, `SessionToken`."""


def redact_json(text: str | None) -> tuple[str | None, int]:
    """A JSON document with secrets masked in its values (a value under a secret's name masked whole); text that
    is not JSON (cut, or never was) is redacted as text."""
    if not text:
        return text, 0
    try:
        # orjson reads the same strings and structure, so it tells whether anything is masked; what is written back
        # comes from json's reading (orjson makes floats of integers over 64 bits).
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = _NOT_READ
    counter = [0]
    if value is not _NOT_READ:
        _redact_value(value, None, counter)
        if not counter[0]:
            return text, 0
    try:
        value = json.loads(text)
    except ValueError:
        return redact_text(text)
    counter = [0]
    new = _redact_value(value, None, counter)
    if not counter[0]:
        return text, 0
    return json.dumps(new, ensure_ascii=False), counter[0]


_NOT_READ = object()


def _redact_value(value: Any, key: str | None, counter: list[int]) -> Any:
    if isinstance(value, str):
        if key is not None and _STRONG_KEY.search(key.lower().replace("-", "_")) and value and MASK not in value \
                and value.lower() not in _CODE_WORDS and not value.startswith(("$", "<", "{", "%")):
            counter[0] += 1
            return MASK
        new, n = redact_text(value)
        counter[0] += n
        return new
    if isinstance(value, dict):
        return {k: _redact_value(v, k, counter) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, key, counter) for v in value]
    return value


_CUT = re.compile(r"… \[(\d+) more chars\]\Z")


WINDOW_MARGIN = 2000
"""Characters of a tool result redacted past what is stored of it."""


def _recut(stored: str, full: str, redacted: str) -> str | None:
    """`stored` cut again from `redacted` (the redacted start of `full`) when it is `full` or a cut of it made by
    builder.clip_text; else None."""
    if stored == full:
        return redacted
    cut = _CUT.search(stored)
    if cut is None:
        return None
    kept = len(full) - int(cut.group(1))
    if kept != cut.start() or not full.startswith(stored[:kept]):
        return None
    return redacted[:kept] + stored[kept:]


def redact_trace(trace: RunTrace) -> int:
    """Mask secrets in every stored string of the run, in place; returns the number of redactions.

    A string the builder cut to its limit (a tool result, a thought, a command, arguments JSON, the final message)
    is redacted over its whole text and then cut again, so a secret the cut would split (a PEM block whose END line
    falls past the limit, a token cut in half) is masked before it is cut.
    """
    total = 0
    # The same text is often stored twice (a short observation on its step and its Observation, a command as the
    # step's action and command): each copy counts, but is scanned once.
    redacted: dict[str, tuple[str, int]] = {}

    def clean(value: str, as_json: bool = False) -> tuple[str, int]:
        if value not in redacted:
            redacted[value] = (redact_json if as_json else redact_text)(value)  # type: ignore[assignment]
        return redacted[value]

    # A cut text is redacted over what is stored of it plus a margin (a secret the cut would split ends inside it;
    # a PEM block longer than that is masked to the end of the window), not over the whole text: long tool output
    # is most of a run's text, and none of it past the window is stored.
    stored: dict[int, int] = {}
    for step in trace.steps:
        stored[step.k] = max(stored.get(step.k, 0), len(step.observation or ""))
    for obs in trace.observations:
        stored[obs.k] = max(stored.get(obs.k, 0), len(obs.content))
    windows: dict[int, tuple[str, str]] = {}
    for k, full in trace.observation_full.items():
        if full:
            windows[k] = (full, clean(full[:stored.get(k, 0) + WINDOW_MARGIN])[0])
            trace.observation_full[k] = windows[k][1]

    def whole_text(node: Any, field: str) -> tuple[str, str] | None:
        """The whole text `node.field` was cut from, and its redacted window."""
        if field in ("observation", "content") and getattr(node, "k", None) in windows \
                and isinstance(node, (Step, Observation)):
            return windows[node.k]
        full = trace.clipped_full.get((node.id, field))
        if full is None:
            return None
        if field.endswith("_json"):  # JSON is redacted by its keys, which a window would cut off
            return full, clean(full, as_json=True)[0]
        return full, clean(full[:len(getattr(node, field)) + WINDOW_MARGIN])[0]

    old_run_id = trace.run.id
    old_names = [(node, node.name) for node in [*trace.tests, *([trace.task] if trace.task else [])]]
    for node in [trace.run, *([trace.task] if trace.task else []), *trace.steps, *trace.tool_calls,
                 *trace.observations, *trace.deltas, *trace.tests]:
        for field, value in list(vars(node).items()):
            if type(value) is not str or not value or field in ("id", "run_id"):
                continue
            new = None
            whole = whole_text(node, field)
            if whole is not None:
                new = _recut(value, *whole)
                # a mask the second cut split in two still counts
                masked = max(int(new != value), new.count(MASK) - value.count(MASK)) if new is not None else 0
            if new is None:
                new, masked = clean(value, as_json=field.endswith("_json"))
            if masked:
                setattr(node, field, new)
                total += masked
    # Keys made from redacted text: a test's id holds its name, a task's its name, a run's its name.
    new_run_id, n = redact_text(old_run_id)
    if n:
        total += n
        for node in trace.nodes():
            node.id = new_run_id + node.id[len(old_run_id):] if node.id.startswith(old_run_id) else node.id
            if getattr(node, "run_id", None) == old_run_id:
                node.run_id = new_run_id  # type: ignore[attr-defined]
    for node, old_name in old_names:
        if node.name != old_name and node.id.endswith(old_name):
            node.id = node.id[:len(node.id) - len(old_name)] + node.name  # ids are left as the parser made them
    trace.test_files = {clean(name)[0]: [clean(p)[0] for p in paths] for name, paths in trace.test_files.items()}
    trace.clipped_full = {}  # read; the whole texts are not redacted past the window and must not travel on
    return total
