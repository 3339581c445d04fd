"""never_produced: failing checks name files the agent never wrote: it stopped before producing the deliverable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category


@dataclass(frozen=True)
class NeverProduced:
    config: HeuristicConfig
    name: ClassVar[str] = "never_produced"
    category: ClassVar[Category] = Category.premature_stop

    @property
    def weight(self) -> float:
        return self.config.never_produced

    def fire(self, facts: TraceFacts) -> list[Firing]:
        # Only a write of that very path counts: making the folder a checked file belongs in is not writing the file.
        missing = sorted(p for p in facts.checked if not facts.written.get(p))
        if not missing or not facts.trace.steps:
            return []
        last = facts.trace.steps[-1].k
        return [Firing(self.name, last, self.weight, self.category,
                       f"failing checks need {missing[0]}, never written; the run ended at step {last}", [last])]
