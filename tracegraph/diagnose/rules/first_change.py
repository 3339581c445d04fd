"""first_change: the first file write to the deliverable (not a scratch script): the approach the run takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category, StepKind
from tracegraph.semantics.writes import is_file_write


@dataclass(frozen=True)
class FirstChange:
    config: HeuristicConfig
    name: ClassVar[str] = "first_change"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.first_change

    def fire(self, facts: TraceFacts) -> list[Firing]:
        trace = facts.trace
        plain = None
        for step in trace.steps:
            if step.kind != StepKind.change:
                continue
            # Only file writes: a change read from command semantics alone (an install, users, certificates) is
            # weaker evidence of the approach.
            # Making a folder prepares a place for the deliverable; it takes no approach yet.
            written = [d.path for d in trace.deltas_of(step.k) if is_file_write(d.op, d.path)
                       and d.path not in facts.folders]
            if not written:
                continue
            plain = plain or step.k
            if any(p not in facts.scratch for p in written):
                return [Firing(self.name, step.k, self.weight, self.category,
                               f"step {step.k} is the first change to the deliverable ({step.kind_reason})",
                               [step.k])]
        if plain:
            return [Firing(self.name, plain, self.config.first_change_scratch, self.category,
                           f"step {plain} is the first change of the run", [plain])]
        return []
