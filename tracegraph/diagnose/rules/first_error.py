"""first_error: the first tool error of the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category


@dataclass(frozen=True)
class FirstError:
    config: HeuristicConfig
    name: ClassVar[str] = "first_error"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.first_error

    def fire(self, facts: TraceFacts) -> list[Firing]:
        for step in facts.trace.steps:
            if step.is_error:
                return [Firing(self.name, step.k, self.weight, self.category,
                               f"step {step.k} is the first tool error", [step.k])]
        return []
