"""judged_unproductive: the first message a later message judges wrong, unproductive or looping ("that was an
error", "I apologize", "no forward progress", a ledger answering that the chat is in a loop). The judged message is
the one the judgement follows: the nearest earlier message of another agent (a judge does not answer itself)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.chat.config import ChatConfig
from tracegraph.diagnose.chat.facts import ChatFacts, Message
from tracegraph.diagnose.rules.facts import Firing
from tracegraph.schema import Category

JUDGEMENT = re.compile(
    r"\b(that (?:is|was) (?:incorrect|wrong|not correct)|(?:a|an|the) (?:mistake|error|miscalculation) (?:in|was|or)|"
    r"apologi[sz]e|my apologies|irrelevant|unrelated to|no (?:forward )?progress|not making progress|"
    r"stuck in|in a loop|did not (?:yield|return|find|work))\b", re.IGNORECASE)
# A ledger's structured verdict (Magentic-One style JSON: a key naming progress or a loop, then its answer).
LEDGER_NO_PROGRESS = re.compile(r'"[a-z_]*progress[a-z_]*"\s*:\s*\{[^{}]*"answer"\s*:\s*false', re.DOTALL)
LEDGER_LOOPING = re.compile(r'"[a-z_]*loop[a-z_]*"\s*:\s*\{[^{}]*"answer"\s*:\s*true', re.DOTALL)
LEDGER = re.compile(r'"answer"\s*:\s*(?:true|false)')


def judges(m: Message) -> str | None:
    """The words by which this message judges what came before it, if it does."""
    if LEDGER_NO_PROGRESS.search(m.text):
        return "no progress"
    if LEDGER_LOOPING.search(m.text):
        return "in a loop"
    if LEDGER.search(m.text):
        # A ledger's reasons are phrased both ways ("we are not in a loop"): only its answers count.
        return None
    found = JUDGEMENT.search(m.text)
    return found.group(0) if found else None


@dataclass(frozen=True)
class JudgedUnproductive:
    config: ChatConfig
    name: ClassVar[str] = "judged_unproductive"
    category: ClassVar[Category] = Category.unproductive_looping

    @property
    def weight(self) -> float:
        return self.config.judged_unproductive

    def fire(self, facts: ChatFacts) -> list[Firing]:
        for judge in facts.messages:
            words = judges(judge)
            if not words:
                continue
            judged = next((m for m in reversed(facts.messages[: judge.k - 1]) if m.agent != judge.agent), None)
            if judged is not None:
                return [Firing(self.name, judged.k, self.weight, self.category,
                               f"step {judge.k} ({judge.agent}) judges step {judged.k} ({judged.agent}): "
                               f"\"{words}\"", [judged.k, judge.k])]
        return []
