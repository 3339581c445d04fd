"""unverified_end: the run ends right after a change to what the run builds that nothing checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category, StepKind
from tracegraph.semantics.activity import BUILDING


@dataclass(frozen=True)
class UnverifiedEnd:
    config: HeuristicConfig
    name: ClassVar[str] = "unverified_end"
    category: ClassVar[Category] = Category.premature_stop

    @property
    def weight(self) -> float:
        return self.config.unverified_end

    def fire(self, facts: TraceFacts) -> list[Firing]:
        # An install changes the environment, not the deliverable, so a run ending on one has nothing unverified.
        trace = facts.trace
        changes = [s.k for s, acts in zip(trace.steps, facts.activities)
                   if s.kind == StepKind.change and any(a.act in BUILDING for a in acts)]
        if not changes:
            return []
        last_change = changes[-1]
        if any(d.src_k > last_change and d.dst_k == last_change for d in trace.dependencies):
            return []
        last = trace.steps[-1].k
        return [Firing(self.name, last, self.weight, self.category,
                       f"last change at step {last_change} was never verified before the run ended",
                       [last_change, last])]
