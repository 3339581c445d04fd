"""false_claim: the last step that declares the task done in a run the verifier failed: the claim the run ends on,
acted upon by stopping, and false."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category, Outcome
from tracegraph.tree.semantics import is_finish_call


def declares_done(step, arguments_json: str) -> bool:
    """A submit/finish call or a todo list with every item completed (a multi-role run's `succeed` only ends one
    role's part, not the task)."""
    if is_finish_call(step):
        return True
    if step.tool.lower() != "todowrite":
        return False
    try:
        todos = json.loads(arguments_json or "{}").get("todos") or []
    except (ValueError, AttributeError):
        return False
    return bool(todos) and all(isinstance(t, dict) and t.get("status") == "completed" for t in todos)


@dataclass(frozen=True)
class FalseClaim:
    config: HeuristicConfig
    name: ClassVar[str] = "false_claim"
    category: ClassVar[Category] = Category.verification_misinterpretation

    @property
    def weight(self) -> float:
        return self.config.false_claim

    def fire(self, facts: TraceFacts) -> list[Firing]:
        # An earlier "all done" the agent went on working after is not the claim it acted on.
        if facts.trace.run.outcome != Outcome.failed:
            return []
        tests = facts.failing
        against = f"failing checks: {', '.join(tests[:2])}" if tests else "the verifier did not pass the run"
        for step in reversed(facts.trace.steps):
            if declares_done(step, facts.arguments.get(step.k, "{}")):
                return [Firing(self.name, step.k, self.weight, self.category,
                               f"step {step.k} declares the task done, but {against}", [step.k])]
        return []
