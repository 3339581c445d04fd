"""answer_completion: the message by which every value of the wrong final answer stated before it had been stated:
the last value the answer rests on came in there (a later step only repeats it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.chat.config import ChatConfig
from tracegraph.diagnose.chat.facts import ChatFacts, mentions
from tracegraph.diagnose.rules.facts import Firing
from tracegraph.schema import Category


@dataclass(frozen=True)
class AnswerCompletion:
    config: ChatConfig
    name: ClassVar[str] = "answer_completion"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.answer_completion

    def fire(self, facts: ChatFacts) -> list[Firing]:
        if facts.answer_step is None:
            return []
        first: dict[tuple[str, str], int] = {}
        for m in facts.messages:
            if m.k >= facts.answer_step:
                break
            for v in facts.answer_values:
                if v not in first and mentions(m.content, v):
                    first[v] = m.k
        if not first:
            return []
        k = max(first.values())
        last = sorted(v[1] for v, at in first.items() if at == k)
        agent = facts.messages[k - 1].agent
        return [Firing(self.name, k, self.weight, self.category,
                       f"step {k} ({agent}) states {', '.join(last[:3])}, the last of the values the final answer at "
                       f"step {facts.answer_step} rests on", [k, facts.answer_step])]
