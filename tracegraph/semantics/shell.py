"""What a shell command does to files and the environment, read from its text (no execution)."""

from __future__ import annotations

import re
from typing import NamedTuple

from tracegraph.schema.nodes import DeltaOp
from tracegraph.semantics.lexer import split_simple_commands
from tracegraph.semantics.programs import INSTALLERS, is_install, is_test


class CommandEffect(NamedTuple):
    op: DeltaOp
    path: str | None
    effect: str | None = None


_READERS = {"cat", "head", "tail", "less", "more", "wc", "grep", "egrep", "fgrep", "rg", "diff", "file", "stat",
            "md5sum", "sha256sum", "xxd", "hexdump", "od", "strings", "jq", "awk", "sort", "uniq", "cut", "nl", "bat",
            "ls", "tree", "readlink", "realpath", "du", "source", "."}
# Readers whose first operand is a pattern or program, not a file, unless an option gave it (`grep -e PAT FILE`).
_PATTERN_FIRST = {"grep", "egrep", "fgrep", "rg", "awk", "jq"}
_PATTERN_OPTIONS = {"-e", "-f", "--regexp", "--file", "--from-file"}
_RUNNERS = {"python", "python3", "python2", "bash", "sh", "zsh", "node", "ruby", "perl", "php", "Rscript", "julia",
            "pypy3", "uv"}
_SERVICE = {"systemctl", "service", "nginx", "supervisord", "redis-server", "sshd", "dockerd", "mysqld",
            "postgres", "pg_ctl", "apachectl", "uvicorn", "gunicorn", "flask", "jupyter"}
_NOOPS = {":", "true"}


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
    if is_install(prog, words[1:]):
        return [CommandEffect(DeltaOp.modify, None, "install")]
    if prog in INSTALLERS | {"go"} and "build" in ops[:2]:
        return [CommandEffect(DeltaOp.modify, None, "build")]
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
    if is_test(prog, words[1:]):
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
