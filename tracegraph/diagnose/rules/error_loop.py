"""error_loop: runs of consecutive failing or no-op calls: the agent looped on an error instead of changing course."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category, StepKind


@dataclass(frozen=True)
class ErrorLoop:
    config: HeuristicConfig
    name: ClassVar[str] = "error_loop"
    category: ClassVar[Category] = Category.unproductive_looping

    @property
    def weight(self) -> float:
        return self.config.error_loop

    def fire(self, facts: TraceFacts) -> list[Firing]:
        trace, c = facts.trace, self.config
        out = []
        start = None
        for step in trace.steps + [None]:
            failing = step is not None and (step.is_error or step.is_noop)
            if failing and start is None:
                start = step.k
            elif not failing and start is not None:
                end = (step.k - 1) if step is not None else trace.steps[-1].k
                ks = list(range(start, end + 1))
                # Calls issued together (one message, same timestamp) are one attempt: the agent saw none of the
                # errors before making the others, so it did not loop on them.
                attempts = len({trace.step(k).timestamp_ms or -k for k in ks})
                if attempts >= c.error_loop_min_attempts:
                    # A loop the agent never recovered from (no real change after it) is the failure itself; one
                    # followed by working changes was wasted effort, so it only weakly suggests an onset.
                    recovered = any(s.kind == StepKind.change and not s.is_error for s in trace.steps[end:])
                    score = (c.error_loop_recovered if recovered
                             else self.weight + min(c.error_loop_length_cap, c.error_loop_per_step * len(ks)))
                    out.append(Firing(self.name, start, score, self.category,
                                      f"steps {start}-{end} fail or do nothing {len(ks)} times in a row", ks))
                start = None
        return out
