"""What a shell command does to files and the environment, read from its text (no execution)."""

from __future__ import annotations

import re
from typing import NamedTuple

from tracegraph.schema.nodes import DeltaOp


class CommandEffect(NamedTuple):
    op: DeltaOp
    path: str | None
    effect: str | None = None


_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_SEPARATORS = {";", "&&", "||", "|", "&", "\n", "(", ")"}
_READERS = {"cat", "head", "tail", "less", "more", "wc", "grep", "egrep", "fgrep", "rg", "diff", "file", "stat",
            "md5sum", "sha256sum", "xxd", "hexdump", "od", "strings", "jq", "awk", "sort", "uniq", "cut", "nl", "bat",
            "ls", "tree", "readlink", "realpath", "du", "source", "."}
# Readers whose first operand is a pattern or program, not a file, unless an option gave it (`grep -e PAT FILE`).
_PATTERN_FIRST = {"grep", "egrep", "fgrep", "rg", "awk", "jq"}
_PATTERN_OPTIONS = {"-e", "-f", "--regexp", "--file", "--from-file"}
_RUNNERS = {"python", "python3", "python2", "bash", "sh", "zsh", "node", "ruby", "perl", "php", "Rscript", "julia",
            "pypy3", "uv"}
_INSTALLERS = {"pip", "pip3", "apt", "apt-get", "yum", "dnf", "apk", "npm", "yarn", "pnpm", "conda", "mamba",
               "gem", "cargo", "go", "brew", "pipx", "poetry", "opam", "cpan", "R"}
_INSTALL_VERBS = {"install", "add", "update", "upgrade", "sync", "build", "get"}
_SERVICE = {"systemctl", "service", "nginx", "supervisord", "redis-server", "sshd", "dockerd", "mysqld",
            "postgres", "pg_ctl", "apachectl", "uvicorn", "gunicorn", "flask", "jupyter"}
_TEST_RUNNERS = {"pytest", "py.test", "tox", "nosetests", "unittest", "jest", "mocha", "ctest"}
_NOOPS = {":", "true"}


def strip_heredocs(command: str) -> tuple[str, list[str]]:
    """Remove heredoc bodies from a command; return the command and the bodies."""
    if "<<" not in command:
        return command, []  # every heredoc starts with <<; a long script without one is returned as it is
    lines = command.split("\n")
    out: list[str] = []
    bodies: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        ends = [m.group(2) for m in _HEREDOC.finditer(line)]
        i += 1
        for end in ends:
            body: list[str] = []
            while i < len(lines) and lines[i].strip() != end:
                body.append(lines[i])
                i += 1
            i += 1
            bodies.append("\n".join(body))
    return "\n".join(out), bodies


def _token_pattern(whitespace: str) -> re.Pattern[str]:
    ws = re.escape(whitespace)
    return re.compile(
        rf"(?P<ws>[{ws}]+)|(?P<punct>[;&|()<>]+)|(?P<comment>#[^\n]*\n?)|(?P<word>[^{ws};&|()<>'\"\\#]+)"
        rf"|'(?P<sq>[^']*)'|\"(?P<dq>(?:[^\"\\]|\\.)*)\"|\\(?P<esc>.)",
        re.DOTALL,
    )


_TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {}
_DQ_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _dq_unescape(m: re.Match[str]) -> str:
    return m.group(1) if m.group(1) in "\"\\" else m.group(0)


def shell_tokens(text: str, whitespace: str = " \t\r\n") -> list[str]:
    """The tokens of `shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")` with `whitespace_split` on.

    The same words, quotes removed, escapes applied, runs of ;&|()<> as one token, `#` to the end of the line a
    comment, and ValueError on an unclosed quote or a trailing backslash, but by regular expression (shlex reads
    a character at a time in Python, which made it most of the parse time of a step).
    """
    pattern = _TOKEN_PATTERNS.get(whitespace)
    if pattern is None:
        pattern = _TOKEN_PATTERNS[whitespace] = _token_pattern(whitespace)
    tokens: list[str] = []
    word: list[str] = []
    in_word = False
    pos, end = 0, len(text)
    while pos < end:
        m = pattern.match(text, pos)
        if m is None:  # an unclosed quote or a backslash at the very end
            raise ValueError("No closing quotation" if text[pos] in "'\"" else "No escaped character")
        pos = m.end()
        kind = m.lastgroup
        if kind == "word" or kind == "sq" or kind == "esc":
            word.append(m.group(kind))
            in_word = True
        elif kind == "dq":
            body = m.group("dq")
            word.append(_DQ_ESCAPE.sub(_dq_unescape, body) if "\\" in body else body)
            in_word = True
        else:
            if in_word:
                tokens.append("".join(word))
                word, in_word = [], False
            if kind == "punct":
                tokens.append(m.group("punct"))
    if in_word:
        tokens.append("".join(word))
    return tokens


_last_split: tuple[str, list[list[str]]] = ("", [])
"""The last command split and its words: a step's command is split for its effects, then again for is_noop."""


def split_simple_commands(command: str) -> list[list[str]]:
    """Tokenize a shell line into simple commands (words), splitting on ; && || | & and newlines."""
    global _last_split
    last_command, last = _last_split
    if command == last_command:
        return [list(c) for c in last]
    commands = _split_simple_commands(command)
    _last_split = (command, [list(c) for c in commands])
    return commands


def _split_simple_commands(command: str) -> list[list[str]]:
    text, _ = strip_heredocs(command)
    text = text[:4000]  # very long inline scripts: effects sit in the first lines
    text = re.sub(r"\\\n", " ", text).replace("\n", " ; ")
    commands: list[list[str]] = [[]]
    try:
        for tok in shell_tokens(text, " \t\r"):
            if tok in _SEPARATORS or tok in {"&&", "||", ";;", "|&"}:
                commands.append([])
            else:
                commands[-1].append(tok)
    except ValueError:  # unbalanced quotes: fall back to whitespace words
        commands = [line.split() for line in re.split(r"[;&|\n]+", text)]
    return [c for c in commands if c]


def is_noop_command(command: str) -> bool:
    """A command that does nothing at all: empty, or only `:`/`true` parts (`: pip install x` runs nothing)."""
    simple = split_simple_commands(command)
    return all(c[0] in _NOOPS for c in simple) if simple else not command.strip()


def noop_intent(command: str) -> str | None:
    """What a `: cmd ...` line would have run without its leading colon (None when it is not such a line)."""
    stripped = re.sub(r"^(\s*:\s+)", "", command, count=1)
    if stripped == command or not stripped.strip():
        return None
    return stripped


def _strip_env_prefix(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i]):
        i += 1
    words = words[i:]
    while words and words[0] in {"sudo", "env", "time", "nohup", "exec", "timeout", "xargs", "command", "stdbuf"}:
        words = words[1:]
        if words and words[0].startswith("-"):
            words = words[1:]
        if words and re.match(r"^\d+[smh]?$", words[0]):
            words = words[1:]
    return words


def _looks_like_path(word: str) -> bool:
    if not word or word.startswith("-") or word.startswith("$(") or "=" in word[:1]:
        return False
    if word in {"/dev/null", "/dev/stdout", "/dev/stderr"} or word.startswith("/dev/") or word.startswith("/proc/"):
        return False
    return "/" in word or bool(re.search(r"\.[A-Za-z0-9]{1,8}$", word))


def _operands(words: list[str]) -> list[str]:
    return [w for w in words[1:] if not w.startswith("-")]


def command_effects(command: str) -> list[CommandEffect]:
    """State deltas of a shell command: files read/written/deleted/executed, installs, services, git changes."""
    effects: list[CommandEffect] = []
    for raw in split_simple_commands(command):
        words: list[str] = []
        i = 0
        while i < len(raw):  # pull redirections out first
            tok = raw[i]
            if tok in {">", ">>", ">|"} and i + 1 < len(raw):
                target = raw[i + 1]
                if not target.startswith("&") and not target.startswith("/dev/"):
                    effects.append(CommandEffect(DeltaOp.modify if tok == ">>" else DeltaOp.create, target))
                i += 2
                continue
            if tok == "<" and i + 1 < len(raw):
                if raw[i + 1] != "<" and _looks_like_path(raw[i + 1]):
                    effects.append(CommandEffect(DeltaOp.read, raw[i + 1]))
                i += 2
                continue
            if tok in {">&", "&>", "<&"}:
                if words and words[-1].isdigit():
                    words.pop()
                i += 2
                continue
            if tok in {"<", "<<", "<<<"}:
                i += 1
                continue
            words.append(tok)
            i += 1
        words = _strip_env_prefix(words)
        if not words or words[0] in _NOOPS:  # `:` ignores its arguments: `: rm -rf x` does nothing
            continue
        effects.extend(_simple_command_effects(words))
    return effects


def _simple_command_effects(words: list[str]) -> list[CommandEffect]:
    prog = words[0].rsplit("/", 1)[-1]
    ops = _operands(words)
    paths = [w for w in ops if _looks_like_path(w)]
    if prog in _NOOPS or prog in {"echo", "printf", "cd", "export", "pwd", "which", "whoami", "id", "sleep"}:
        return []
    if prog == "sed" and any(w == "-i" or w.startswith("-i") for w in words[1:]):
        return [CommandEffect(DeltaOp.modify, p) for p in paths[-1:]] or [CommandEffect(DeltaOp.modify, None, "edit")]
    if prog in {"rm", "rmdir", "unlink", "shred"}:
        return [CommandEffect(DeltaOp.delete, p) for p in ops] or [CommandEffect(DeltaOp.delete, None, "delete")]
    if prog == "mv" and len(ops) >= 2:
        return [CommandEffect(DeltaOp.delete, p) for p in ops[:-1]] + [CommandEffect(DeltaOp.create, ops[-1])]
    if prog in {"cp", "rsync", "install", "ln"} and len(ops) >= 2:
        return [CommandEffect(DeltaOp.read, p) for p in ops[:-1]] + [CommandEffect(DeltaOp.create, ops[-1])]
    if prog in {"touch", "mkdir", "mkfifo"}:
        return [CommandEffect(DeltaOp.create, p) for p in ops]
    if prog == "tee":
        op = DeltaOp.modify if "-a" in words else DeltaOp.create
        return [CommandEffect(op, p) for p in ops]
    if prog in {"chmod", "chown", "chgrp", "truncate", "patch", "dos2unix"}:
        return [CommandEffect(DeltaOp.modify, p) for p in paths] or [CommandEffect(DeltaOp.modify, None, prog)]
    if prog in {"tar", "unzip", "gunzip", "zip", "gzip", "wget", "curl"} and (
        prog not in {"curl", "wget"} or any(w in {"-o", "-O", "--output"} for w in words)
    ):
        return [CommandEffect(DeltaOp.create, None, "download" if prog in {"curl", "wget"} else "archive")]
    if prog in _INSTALLERS and any(w in _INSTALL_VERBS for w in ops[:2]):
        return [CommandEffect(DeltaOp.modify, None, "install")]
    if prog == "uv" and ops[:2] == ["pip", "install"]:
        return [CommandEffect(DeltaOp.modify, None, "install")]
    if prog == "git":
        sub = ops[0] if ops else ""
        if sub in {"commit", "checkout", "reset", "apply", "merge", "rebase", "push", "pull", "clone", "init",
                   "add", "rm", "mv", "stash", "cherry-pick", "revert", "filter-branch", "gc", "reflog",
                   "filter-repo", "config", "remote", "branch", "tag", "restore", "am", "prune"}:
            if sub in {"branch", "tag", "remote", "config", "reflog", "stash"} and len(ops) == 1:
                return [CommandEffect(DeltaOp.read, None, "git-inspect")]
            return [CommandEffect(DeltaOp.modify, None, f"git-{sub}")]
        return [CommandEffect(DeltaOp.read, None, "git-inspect")]
    if prog in _SERVICE or prog.endswith("ctl") and ops[:1] in (["start"], ["restart"], ["reload"], ["stop"]):
        return [CommandEffect(DeltaOp.modify, None, "service")]
    if prog in _TEST_RUNNERS or (prog in {"python", "python3"} and ops[:2] == ["-m", "pytest"]):
        return [CommandEffect(DeltaOp.execute, p) for p in paths] + [CommandEffect(DeltaOp.execute, None, "test")]
    if prog in _RUNNERS:
        scripts = [p for p in ops if _looks_like_path(p)][:1]
        if "-c" in words or "-m" in words or not scripts:
            return [CommandEffect(DeltaOp.execute, None, "script")]
        return [CommandEffect(DeltaOp.execute, scripts[0])]
    if prog in {"make", "cmake", "gcc", "g++", "cc", "clang", "rustc", "javac", "go", "mvn", "gradle", "ninja"}:
        return [CommandEffect(DeltaOp.modify, None, "build")]
    if prog in {"kill", "pkill", "killall"}:
        return [CommandEffect(DeltaOp.modify, None, "service")]
    if words[0].startswith("./") or words[0].startswith("/") and _looks_like_path(words[0]):
        return [CommandEffect(DeltaOp.execute, words[0])]
    if prog in _READERS:
        if prog in _PATTERN_FIRST and ops:
            if any(w in _PATTERN_OPTIONS for w in words[1:]):  # `-e PAT`: the word after it is no file
                patterns = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-e", "--regexp")}
                paths = [w for w in paths if w not in patterns]
            else:
                paths = [w for w in ops[1:] if _looks_like_path(w)]  # the first operand is what to look for
        return [CommandEffect(DeltaOp.read, p) for p in paths] or [CommandEffect(DeltaOp.read, None, "inspect")]
    if prog in {"find", "locate", "fd"}:
        return [CommandEffect(DeltaOp.read, None, "search")]
    return []
