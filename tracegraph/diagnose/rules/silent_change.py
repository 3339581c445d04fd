"""silent_change: a change the agent believed it made but that never happened (a `:`-prefixed no-op, a rejected
edit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.semantics.shell import command_effects
from tracegraph.schema import Category
from tracegraph.semantics.writes import is_write


def intended_changes(step) -> list[str]:
    """What a step that changed nothing meant to change: paths or effects from its intent."""
    if not step.intent:
        return []
    if step.is_noop:
        effects = command_effects(step.intent)
        return [e.path or e.effect or "" for e in effects if is_write(e.op, e.path, e.effect)]
    return [part.split(" ", 1)[1] for part in step.intent.split("; ") if " " in part]


@dataclass(frozen=True)
class SilentChange:
    config: HeuristicConfig
    name: ClassVar[str] = "silent_change"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.silent_change

    def fire(self, facts: TraceFacts) -> list[Firing]:
        out = []
        for step in facts.trace.steps:
            targets = intended_changes(step)
            if not targets:
                continue
            missing_checked = [t for t in targets if t in facts.checked and not facts.written.get(t)]
            install = any(t == "install" for t in targets)
            score = (self.config.silent_change_checked if missing_checked else
                     self.config.silent_change_install if install else self.weight)
            # A silent install leaves a dependency missing; a rejected edit went to text that was not there.
            category = Category.dependency_resolution if install else (
                Category.mislocalized_edit if not step.is_noop else self.category)
            how = "is a no-op (`:` prefix)" if step.is_noop else "was rejected by the tool"
            what = ", ".join(t for t in targets if t)[:120]
            reason = f"step {step.k} meant to change {what} but {how}"
            if missing_checked:
                reason += f"; failing checks need {missing_checked[0]}, which was never written"
            out.append(Firing(self.name, step.k, score, category, reason, [step.k]))
        return out
