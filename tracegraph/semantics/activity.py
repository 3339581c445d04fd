"""The vocabulary of what steps do (Act, Activity), where earlier steps wrote (Workspace), and path conventions."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from enum import StrEnum

from tracegraph.schema import DeltaOp, StateDelta

_CODE_EXT = r"\.(?:py|js|mjs|cjs|ts|tsx|jsx|go|rb|java|kt|sh|bash|c|cc|cpp|rs|php|pl|r|R|jl|swift|cs|lua)$"
_TEST_NAME = re.compile(r"(^|/)(?:tests?/.*|test_[^/]*|[^/]*_tests?|[^/]*\.(?:test|spec)|conftest)" + _CODE_EXT)
_SCRATCH = re.compile(r"^(?:/tmp|/var/tmp|/dev/shm)(?:/|$)|(?:^|/)(?:tests?|test[-_][^/]*|[^/]*[-_]tests?)(?:/|$)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")
_GIT_C = re.compile(r"\bgit\s+-C\s+([^\s;&|]+)")


class Act(StrEnum):
    """Activities a step can perform; stages.py scores them, kinds.py and causal.py read them."""

    install = "install"
    env_probe = "env_probe"
    """Asks about the machine or toolchain: which, --version, pip list, an import-only check."""
    test = "test"
    run_own = "run_own"
    """Runs a file the agent wrote earlier, or inline code naming one."""
    run = "run"
    """Runs a program or inline code that is not the agent's own."""
    probe = "probe"
    """Asks a running system something: HTTP request, open ports, process list, background output."""
    service = "service"
    write = "write"
    write_test = "write_test"
    """Writes a file whose name follows test-file conventions (test_x.py, x_test.go, tests/...)."""
    write_scratch = "write_scratch"
    """Writes only throwaway places: temp folders or test-named folders (a repo made to try a deployment)."""
    write_intent = "write_intent"
    """Tried to change something but changed nothing (rejected edit, `:`-prefixed command)."""
    read = "read"
    read_own = "read_own"
    """Reads back a file the agent wrote earlier."""
    search = "search"
    plan = "plan"
    """Bookkeeping with no effect on the task: todo lists, plans, role hand-offs."""
    finish = "finish"
    unknown = "unknown"
    """A command whose effect we cannot read."""


CHANGING = frozenset({Act.install, Act.service, Act.write, Act.write_test, Act.write_scratch})
"""Activities that change state (the step is a change)."""
BUILDING = frozenset({Act.service, Act.write, Act.write_test, Act.write_scratch})
"""Changes that make something to check (installs alone do not)."""


@dataclass
class Activity:
    """One thing a step does: its kind, a short detail for reasons, the files involved."""

    act: Act
    detail: str = ""
    paths: tuple[str, ...] = ()
    """Files the activity touches, as normalised paths (runs/reads of own files point at their writer)."""
    ran: bool = True
    """False for what a step meant to do but did not run (`: cmd`, a line the shell rejected)."""


def as_intent(a: Activity) -> Activity:
    """The activity as meant but not run: a change becomes write_intent, others keep their kind."""
    act = Act.write_intent if a.act in CHANGING - {Act.install} else a.act
    return Activity(act, a.detail, a.paths, ran=False)




def is_test_path(path: str) -> bool:
    """A source file named by the common test conventions (test_*.py, *_test.go, *.spec.js, tests/*.py)."""
    return bool(_TEST_NAME.search(path))


def is_scratch_path(path: str) -> bool:
    """A throwaway location: a temp folder, or a folder named as a test (tests/, test-repo/, demo_test/)."""
    return bool(_SCRATCH.search(path))


def command_cwd(command: str) -> str | None:
    """The folder a command line works in when it starts with `cd DIR` or runs `git -C DIR`."""
    # `\bgit` keeps the engine from skipping ahead: a command without both words is not searched for it.
    m = re.match(r"\s*cd\s+([^\s;&|]+)", command) or ("git" in command and "-C" in command
                                                       and _GIT_C.search(command))
    return m.group(1).strip("'\"") if m else None


@dataclass
class Workspace:
    """What earlier steps left behind: the files the agent wrote, by path and by stem."""

    writer: dict[str, int] = field(default_factory=dict)
    """Normalised path → the last step that created or modified it."""
    stems: dict[str, str] = field(default_factory=dict)
    """File stem (module name) → path, for inline code that imports or names the agent's own files."""

    def owner_of(self, path: str) -> str | None:
        """The written path `path` refers to (an exact path, or a bare file name the agent wrote)."""
        if path in self.writer:
            return path
        if path and not path.startswith("/"):
            base = posixpath.basename(path.rstrip("/"))
            matches = [p for p in self.writer if posixpath.basename(p) == base]
            return matches[-1] if matches else None
        return None

    def paths_named_in(self, text: str) -> list[str]:
        """Written paths (files or folders) spelled out in `text`."""
        return sorted(p for p in self.writer if len(p) > 4 and p in text)

    def stems_named_in(self, text: str) -> list[str]:
        """Written files whose stem (module name) appears as a word in `text` (`from headless_terminal import`)."""
        words = set(_WORD.findall(text))
        return sorted({self.stems[w] for w in words if w in self.stems})

    def record(self, k: int, deltas: list[StateDelta]) -> None:
        """Note the files step k created or modified."""
        for d in deltas:
            if d.path and d.op in (DeltaOp.create, DeltaOp.modify):
                self.writer[d.path] = k
                stem, ext = posixpath.splitext(posixpath.basename(d.path))
                if len(stem) >= 4 and ext:
                    self.stems[stem] = d.path
