"""wrote_checked_file: the first write of each file a failing check names: the approach that produced the checked
state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category


@dataclass(frozen=True)
class WroteCheckedFile:
    config: HeuristicConfig
    name: ClassVar[str] = "wrote_checked_file"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.wrote_checked_file

    def fire(self, facts: TraceFacts) -> list[Firing]:
        out = []
        for path in sorted(facts.checked):
            ks = facts.written.get(path)
            if ks:
                out.append(Firing(self.name, ks[0], self.weight, self.category,
                                  f"step {ks[0]} first wrote {path}, which failing checks examine", ks))
        return out
