"""Secret redaction applied to every text of a run before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from tracegraph.schema import RunTrace

MASK = "[REDACTED]"


class Rule(NamedTuple):
    """Group 1 keeps what says what the secret is; the rest of the match is the value, masked."""

    name: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]
    """Substrings (of the lower-cased text for IGNORECASE patterns), one of which must be present for the rule to run:
    most texts hold none, and a substring test costs far less than a regex call on short texts."""
    keep: Callable[[re.Match[str]], bool] | None = None
    """True when the match is code or a placeholder, not a secret (the text is left as it is)."""


# A value never starts with a shell/template variable, a placeholder or an earlier mask.
_NOT_A_VARIABLE = r"(?!\[REDACTED\])(?![$<{\[%*])"
_CODE_WORDS = {
    "none", "null", "nil", "true", "false", "str", "string", "bytes", "int", "bool", "any", "optional", "required",
    "undefined", "password", "passwd", "passphrase", "secret", "api_key", "apikey", "token", "access_token",
    "auth_token", "client_secret", "getpass", "input", "prompt", "env", "environ",
}
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w{0,30}(?:\.[A-Za-z_]\w{0,30})+")
_YAML_KEY_PREFIX = re.compile(r"[ \t]*(?:-[ \t]+)?\w*")
_SECRET_NAME = r"(?:API_KEY|APIKEY|SECRET|TOKEN|PASSWORD|PASSWD|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS)"
_SECRET_KEY = r"(?:password|passwd|passphrase|secret|client_?secret|api_?key|access_?token|auth_?token)"
_SECRET_HINTS = ("passw", "passphrase", "secret", "api_key", "apikey", "access_token", "accesstoken", "auth_token",
                 "authtoken")
# Values stop at white space, quotes, separators and backslashes (JSON escapes: `KEY=a\nOTHER_KEY=b`).
_VALUE_CHARS = r"[^\s\"'&;\\]"


def _code_like(match: re.Match[str]) -> bool:
    """`password=self.password`, `API_KEY = os.environ[...]`, `password: Optional[str]`: code, not a secret."""
    value = match.group(0)[len(match.group(1)):]
    after = match.string[match.end():match.end() + 1]
    return (value.lower() in _CODE_WORDS or after in ("(", "[") or "(" in value or "[" in value
            or (_DOTTED_NAME.fullmatch(value) is not None and not value.startswith("eyJ")))  # eyJ: a JWT


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
    return _inside_word(match) or _code_like(match)


def _placeholder(match: re.Match[str]) -> bool:
    """`--password PASSWORD` in a usage line."""
    value = match.group(0)[len(match.group(1)):].rstrip("])}>,.")
    return value.isupper() and value.replace("_", "").isalpha() or value.lower() in _CODE_WORDS


def _glued(match: re.Match[str]) -> bool:
    """The token continues a longer word (`task-...` holds no `sk-` key): the word boundary, see RULES."""
    i = match.start()
    return i > 0 and match.string[i - 1].isalnum()


# Every pattern starts with a literal (no `\b`, no look-behind) so the regex engine skips straight to candidate
# positions; a leading `\b` made the token rules ~40x slower on long tool output. Word boundaries are checked
# by `keep` instead. Rules with hints run only when one of them is in the text (shared, cheap substring tests).
RULES: list[Rule] = [
    Rule("private-key", re.compile(
        r"(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]+?(?=-----END [A-Z ]*PRIVATE KEY-----)"), ("PRIVATE KEY",)),
    Rule("anthropic-key", re.compile(r"()sk-ant-[A-Za-z0-9_\-]{20,}"), ("sk-ant-",), keep=_glued),
    # A key has digits; `sk-learn-...`-style names do not.
    Rule("openai-key", re.compile(r"()sk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}"),
         ("sk-",), keep=_glued),
    Rule("github-token", re.compile(r"()gh[pousr]_[A-Za-z0-9]{30,}"), ("gh",), keep=_glued),
    Rule("github-pat", re.compile(r"()github_pat_[A-Za-z0-9_]{40,}"), ("github_pat_",), keep=_glued),
    Rule("aws-access-key", re.compile(r"()(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"), ("AKIA", "ASIA"), keep=_glued),
    Rule("slack-token", re.compile(r"()xox[abprs]-[A-Za-z0-9\-]{10,}"), ("xox",), keep=_glued),
    Rule("google-api-key", re.compile(r"()AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])"), ("AIza",), keep=_glued),
    Rule("huggingface-token", re.compile(r"()hf_[A-Za-z0-9]{30,}(?![A-Za-z0-9])"), ("hf_",), keep=_glued),
    Rule("bearer", re.compile(
        r"(authorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?(?:bearer|basic|token)[ \t]+)" + _NOT_A_VARIABLE
        + r"[a-z0-9._~+/=\-]{8,}", re.IGNORECASE), ("authorization",)),
    Rule("api-key-header", re.compile(
        r"((?:x-api-key|api-key|x-goog-api-key|x-auth-token|private-token)\\?[\"']?[ \t]*:[ \t]*\\?[\"']?)"
        + _NOT_A_VARIABLE + r"[^\s\"',;}\\]{8,}", re.IGNORECASE),
         ("api-key", "auth-token", "private-token")),
    Rule("url-credentials", re.compile(r"(://[^\s:/@]+:)" + _NOT_A_VARIABLE + r"[^\s@/]{3,}(?=@)"), ("://",)),
    # Upper-case names as in env dumps and .env files; `MAX_TOKENS`, `TOKENIZERS_...` are not secrets (the
    # keyword may only be followed by `_PART`s), nor are paths (`GOOGLE_APPLICATION_CREDENTIALS=/path`).
    Rule("env-secret", re.compile(
        r"(" + _SECRET_NAME + r"(?:_[A-Z0-9]+)*[ \t]*[=:][ \t]*(?:\\?([\"']))?)" + _NOT_A_VARIABLE + r"(?![/~])"
        + r"(?(2)[^\"'\n\\]{3,}(?=\\?\2)|" + _VALUE_CHARS + "{6,})"),
         ("KEY", "SECRET", "TOKEN", "PASSW", "CREDENTIALS"), keep=_code_like),
    Rule("password-flag", re.compile(
        r"(-(?<![\w-]-)-?(?:password|passwd|pass|passin|passout)(?:[ \t]+|=)\\?[\"']?(?:pass:)?)" + _NOT_A_VARIABLE
        + r"(?!-)" + _VALUE_CHARS + "+", re.IGNORECASE), ("-pass",), keep=_placeholder),
    # `password = "x"`, `"api_key": "x"`: a quoted value after a secret's name, anywhere.
    Rule("secret-quoted", re.compile(
        r"(" + _SECRET_KEY + r"\\?[\"']?[ \t]*[=:][ \t]*\\?([\"']))" + _NOT_A_VARIABLE + r"[^\"'\n\\]+(?=\\?\2)",
        re.IGNORECASE), _SECRET_HINTS, keep=_not_a_secret),
    # Unquoted: `password=x` anywhere, `password: x` only where a line starts (YAML), not in prose (`secret: no`).
    Rule("secret-assigned", re.compile(
        r"(" + _SECRET_KEY + r"[ \t]*=[ \t]*)" + _NOT_A_VARIABLE + r"(?![\"'])[^\s\"',;&)\\]{3,}", re.IGNORECASE),
         _SECRET_HINTS, keep=_not_a_secret),
    Rule("secret-yaml", re.compile(
        r"(" + _SECRET_KEY + r"[ \t]*:[ \t]*)" + _NOT_A_VARIABLE + r"(?![\"'])[^\s\"',;&)\\]{3,}", re.IGNORECASE),
         _SECRET_HINTS, keep=lambda m: not _starts_yaml_line(m) or _code_like(m)),
]


# IGNORECASE defeats the regex engine's quick scan for a pattern's first characters, so those patterns (all
# written in lower case) look for candidates in the lower-cased text, then match the original there.
_LOWER = {r.name: re.compile(r.pattern.pattern, r.pattern.flags & ~re.IGNORECASE)
          for r in RULES if r.pattern.flags & re.IGNORECASE}
# Neighbouring rules with the same hints share one test.
_GROUPS: list[tuple[tuple[str, ...], bool, list[Rule]]] = []
for _rule in RULES:
    _fold = _rule.name in _LOWER
    if _GROUPS and _GROUPS[-1][:2] == (_rule.hints, _fold):
        _GROUPS[-1][2].append(_rule)
    else:
        _GROUPS.append((_rule.hints, _fold, [_rule]))


def redact_text(text: str | None) -> tuple[str | None, int]:
    """Text with secrets masked, and how many were masked."""
    if not text:
        return text, 0
    total = 0
    lowered: str | None = None
    for hints, fold, rules in _GROUPS:
        if fold and lowered is None:
            lowered = text.lower()
        haystack = lowered if fold else text
        for hint in hints:
            if hint in haystack:
                break
        else:
            continue
        for rule in rules:
            text, masked = _apply(rule, text, lowered if fold else None)
            if masked:
                total += masked
                lowered = None if lowered is None else text.lower()
    return text, total


def _apply(rule: Rule, text: str, lowered: str | None) -> tuple[str, int]:
    if lowered is not None and len(lowered) == len(text):
        matches = (rule.pattern.match(text, m.start()) for m in _LOWER[rule.name].finditer(lowered))
    else:
        matches = rule.pattern.finditer(text)
    pieces, end = [], 0
    for match in matches:
        if match is None or match.start() < end or rule.keep is not None and rule.keep(match):
            continue
        pieces += [text[end:match.start()], match.group(1), MASK]
        end = match.end()
    if not pieces:
        return text, 0
    return "".join(pieces) + text[end:], len(pieces) // 3


def redact_trace(trace: RunTrace) -> int:
    """Mask secrets in every stored text of the run, in place; returns the number of redactions."""
    total = 0
    # The same text is often stored twice (a short observation on its step and its Observation, a command as the
    # step's action and command): each copy counts, but is scanned once.
    redacted: dict[str, tuple[str | None, int]] = {}

    def fix(obj, field: str) -> None:
        nonlocal total
        value = getattr(obj, field)
        if isinstance(value, str) and value:
            if value not in redacted:
                redacted[value] = redact_text(value)
            new, n = redacted[value]
            if n:
                setattr(obj, field, new)
                total += n

    for field in ("task_text", "final_message", "verifier_output", "source", "outcome_reason", "triage_reason"):
        fix(trace.run, field)
    for step in trace.steps:
        for field in ("action", "command", "thought", "observation"):
            fix(step, field)
    for call in trace.tool_calls:
        fix(call, "arguments_json")
    for obs in trace.observations:
        fix(obs, "content")
    for test in trace.tests:
        fix(test, "message")
    return total  # observation_full stays in memory for analysis and is never stored
