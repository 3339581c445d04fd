"""What a shell command does to files and the environment, read from its text (no execution)."""

from __future__ import annotations

import re
from typing import NamedTuple

from tracegraph.schema.nodes import DeltaOp
from tracegraph.semantics.lexer import split_simple_commands
from tracegraph.semantics.programs import (
    INTERPRETERS,
    NOOPS,
    PATTERN_FIRST,
    PATTERN_OPTIONS,
    READERS,
    SEARCHERS,
    SOURCING,
    is_build,
    is_install,
    is_service_control,
    is_test,
    program_words,
)


class CommandEffect(NamedTuple):
    op: DeltaOp
    path: str | None
    effect: str | None = None


def is_noop_command(command: str) -> bool:
    """A command that does nothing at all: empty, or only `:`/`true` parts (`: pip install x` runs nothing)."""
    simple = split_simple_commands(command)
    return all(c[0] in NOOPS for c in simple) if simple else not command.strip()


def noop_intent(command: str) -> str | None:
    """What a `: cmd ...` line would have run without its leading colon (None when it is not such a line)."""
    stripped = re.sub(r"^(\s*:\s+)", "", command, count=1)
    if stripped == command or not stripped.strip():
        return None
    return stripped


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def _looks_like_path(word: str) -> bool:
    if not word or word.startswith("-") or word.startswith("$(") or "=" in word[:1]:
        return False
    if word in {"/dev/null", "/dev/stdout", "/dev/stderr"} or word.startswith("/dev/") or word.startswith("/proc/"):
        return False
    return "/" in word or _EXTENSION.search(word) is not None


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
        words = program_words(words)
        if not words or words[0] in NOOPS:  # `:` ignores its arguments: `: rm -rf x` does nothing
            continue
        effects.extend(_simple_command_effects(words))
    return effects


def _simple_command_effects(words: list[str]) -> list[CommandEffect]:
    prog = words[0].rsplit("/", 1)[-1]
    ops = _operands(words)
    paths = [w for w in ops if _looks_like_path(w)]
    if prog in NOOPS or prog in {"echo", "printf", "cd", "export", "pwd", "which", "whoami", "id", "sleep"}:
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
    if prog == "git":
        sub = ops[0] if ops else ""
        if sub in {"commit", "checkout", "reset", "apply", "merge", "rebase", "push", "pull", "clone", "init",
                   "add", "rm", "mv", "stash", "cherry-pick", "revert", "filter-branch", "gc", "reflog",
                   "filter-repo", "config", "remote", "branch", "tag", "restore", "am", "prune"}:
            if sub in {"branch", "tag", "remote", "config", "reflog", "stash"} and len(ops) == 1:
                return [CommandEffect(DeltaOp.read, None, "git-inspect")]
            return [CommandEffect(DeltaOp.modify, None, f"git-{sub}")]
        return [CommandEffect(DeltaOp.read, None, "git-inspect")]
    if is_service_control(prog, words[1:]):
        return [CommandEffect(DeltaOp.modify, None, "service")]
    if is_test(prog, words[1:]):
        return [CommandEffect(DeltaOp.execute, p) for p in paths] + [CommandEffect(DeltaOp.execute, None, "test")]
    if prog in INTERPRETERS:
        scripts = [p for p in ops if _looks_like_path(p)][:1]
        if "-c" in words or "-m" in words or not scripts:
            return [CommandEffect(DeltaOp.execute, None, "script")]
        return [CommandEffect(DeltaOp.execute, scripts[0])]
    if is_build(prog, words[1:]):
        return [CommandEffect(DeltaOp.modify, None, "build")]
    if words[0].startswith("./") or words[0].startswith("/") and _looks_like_path(words[0]):
        return [CommandEffect(DeltaOp.execute, words[0])]
    if prog in SEARCHERS:
        return [CommandEffect(DeltaOp.read, None, "search")]
    if prog == "sed":
        # Without -i sed prints what its script selects, often a range (`sed -n '1,120p' f`). Effects have no
        # partial read, and a whole read recorded for a range would make the agent's later full read a repeat.
        return []
    if prog in READERS | SOURCING:
        if prog in PATTERN_FIRST and ops:
            if any(w in PATTERN_OPTIONS for w in words[1:]):  # `-e PAT`: the word after it is no file
                patterns = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-e", "--regexp")}
                paths = [w for w in paths if w not in patterns]
            else:
                paths = [w for w in ops[1:] if _looks_like_path(w)]  # the first operand is what to look for
        return [CommandEffect(DeltaOp.read, p) for p in paths] or [CommandEffect(DeltaOp.read, None, "inspect")]
    return []
