"""mode_not_set: every failing check says a file is not executable (or may not be run): its content passed whatever
else was checked, so the mistake is the mode the agent never set before it stopped, an omission at the end."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.diagnose.rules.false_claim import declares_done
from tracegraph.schema import Category

# How verifiers word a missing execute bit: os.access(..., X_OK), `test -x`, a shell refusing to run the file.
_NOT_EXECUTABLE = re.compile(r"not executable|X_OK|is not an executable|permission bits",
                             re.IGNORECASE)
_FAILED = {"failed", "error", "errored", "fail"}


@dataclass(frozen=True)
class ModeNotSet:
    config: HeuristicConfig
    name: ClassVar[str] = "mode_not_set"
    category: ClassVar[Category] = Category.premature_stop

    @property
    def weight(self) -> float:
        return self.config.mode_not_set

    def fire(self, facts: TraceFacts) -> list[Firing]:
        trace = facts.trace
        failing = [t for t in trace.tests if t.status.lower() in _FAILED]
        passed = [t for t in trace.tests if t.status.lower() == "passed"]
        if not failing or not passed or not all(_NOT_EXECUTABLE.search(t.message or "") for t in failing):
            return []
        # The omission is acted on where the agent declares the task done; without such a step, where it stopped.
        done = [s.k for s in trace.steps if declares_done(s, facts.arguments.get(s.k, "{}"))]
        k = done[-1] if done else trace.steps[-1].k
        what = _NOT_EXECUTABLE.search(failing[0].message or "").group(0)
        return [Firing(self.name, k, self.weight, self.category,
                       f"every failing check is about a file's mode ({failing[0].name}: '{what}') while "
                       f"{len(passed)} other checks passed; the run stopped at step {k} without setting it", [k])]
