"""repeated_message: the first message that repeats an earlier message of the same agent (most of its words again):
the conversation has started to go round in circles there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.chat.config import ChatConfig
from tracegraph.diagnose.chat.facts import ChatFacts
from tracegraph.diagnose.rules.facts import Firing
from tracegraph.schema import Category

_WORD = re.compile(r"\w+")


def similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(frozen=True)
class RepeatedMessage:
    config: ChatConfig
    name: ClassVar[str] = "repeated_message"
    category: ClassVar[Category] = Category.unproductive_looping

    @property
    def weight(self) -> float:
        return self.config.repeated_message

    def fire(self, facts: ChatFacts) -> list[Firing]:
        seen: list[tuple[int, str, set[str]]] = []
        for m in facts.messages:
            if len(m.content.strip()) < self.config.repeat_min_chars:
                continue
            words = set(_WORD.findall(m.content.lower()))
            for k, agent, earlier in seen:
                if agent == m.agent and similarity(words, earlier) >= self.config.repeat_similarity:
                    return [Firing(self.name, m.k, self.weight, self.category,
                                   f"step {m.k} ({m.agent}) repeats step {k}", [k, m.k])]
            seen.append((m.k, m.agent, words))
        return []
