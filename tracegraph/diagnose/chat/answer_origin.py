"""answer_origin: the first message that states a value the run's wrong final answer repeats: where the wrong
answer entered the conversation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.chat.config import ChatConfig
from tracegraph.diagnose.chat.facts import ChatFacts, mentions
from tracegraph.diagnose.rules.facts import Firing
from tracegraph.schema import Category


@dataclass(frozen=True)
class AnswerOrigin:
    config: ChatConfig
    name: ClassVar[str] = "answer_origin"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.answer_origin

    def fire(self, facts: ChatFacts) -> list[Firing]:
        if facts.answer_step is None:
            return []
        for m in facts.messages:
            if m.k >= facts.answer_step:
                return []
            stated = sorted(v[1] for v in facts.answer_values if mentions(m.content, v))
            if stated:
                return [Firing(self.name, m.k, self.weight, self.category,
                               f"step {m.k} ({m.agent}) first states {', '.join(stated[:3])}, which the final "
                               f"answer at step {facts.answer_step} repeats", [m.k, facts.answer_step])]
        return []
