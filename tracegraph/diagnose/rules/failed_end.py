"""failed_end: the run ends on calls that failed (errors or no-ops), too few to be a loop, among them an attempt to
change something: the agent's last attempt at the task did not work and it stopped there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category
from tracegraph.semantics.activity import CHANGING, Act


@dataclass(frozen=True)
class FailedEnd:
    config: HeuristicConfig
    name: ClassVar[str] = "failed_end"
    category: ClassVar[Category] = Category.premature_stop

    @property
    def weight(self) -> float:
        return self.config.failed_end

    def fire(self, facts: TraceFacts) -> list[Firing]:
        trail = []
        for step in reversed(facts.trace.steps):
            if not (step.is_error or step.is_noop):
                break
            trail.append(step.k)
        # Three attempts or more are error_loop's; one failed call at the very end may be incidental.
        if not 2 <= len(trail) < self.config.error_loop_min_attempts:
            return []
        # A failing test or run at the end reports on earlier work; only a failed change is where the work stopped.
        if not any(a.act == Act.write_intent or a.act in CHANGING for k in trail for a in facts.activities[k - 1]):
            return []
        first = min(trail)
        return [Firing(self.name, first, self.weight, self.category,
                       f"the run ends on {len(trail)} failing calls from step {first}, with nothing working after",
                       sorted(trail))]
