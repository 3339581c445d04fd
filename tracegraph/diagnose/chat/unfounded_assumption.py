"""unfounded_assumption: the first message that assumes, simulates or makes up data it should have looked up: a
conversation that cannot reach a source goes on with invented numbers and answers from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.chat.config import ChatConfig
from tracegraph.diagnose.chat.facts import ChatFacts
from tracegraph.diagnose.rules.facts import Firing
from tracegraph.schema import Category

ASSUMING = re.compile(
    r"\b(assum(?:e|es|ed|ing|ption)|simulat(?:e|ed|ing)|hypothetical(?:ly)?|sample (?:data(?:set)?|values?)|"
    r"dummy (?:data|values?)|placeholder|mock (?:data|values?)|made[- ]up|for demonstration)\b", re.IGNORECASE)


@dataclass(frozen=True)
class UnfoundedAssumption:
    config: ChatConfig
    name: ClassVar[str] = "unfounded_assumption"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.unfounded_assumption

    def fire(self, facts: ChatFacts) -> list[Firing]:
        # The message's own words, not what a tool printed: a search result may well say "simulated".
        for m in facts.messages:
            found = ASSUMING.search(m.text)
            if found:
                return [Firing(self.name, m.k, self.weight, self.category,
                               f"step {m.k} ({m.agent}) goes on from an assumption: \"{found.group(0)}\"", [m.k])]
        return []
