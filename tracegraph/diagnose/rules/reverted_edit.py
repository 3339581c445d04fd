"""reverted_edit: edits the agent undid itself (the file deleted, or written back with the arguments of an earlier
write): it judged them wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category, DeltaOp
from tracegraph.semantics.writes import is_file_write


@dataclass(frozen=True)
class RevertedEdit:
    config: HeuristicConfig
    name: ClassVar[str] = "reverted_edit"
    category: ClassVar[Category] = Category.mislocalized_edit

    @property
    def weight(self) -> float:
        return self.config.reverted_edit

    def fire(self, facts: TraceFacts) -> list[Firing]:
        # The definition of the `reverted_edits` query, except that scratch scripts the agent created, ran and
        # cleaned up are not counted: removing them is tidying, not undoing a mistake.
        arguments = facts.arguments
        writes: dict[str, list] = {}
        for d in facts.trace.deltas:
            if is_file_write(d.op, d.path) and d.path not in facts.scratch:
                writes.setdefault(d.path, []).append(d)
        out = []
        for path, deltas in writes.items():
            for i, edit in enumerate(deltas):
                if edit.op == DeltaOp.delete:
                    continue
                earlier = {arguments.get(d.k) for d in deltas[:i] if d.op != DeltaOp.delete} - {arguments.get(edit.k)}
                undo = next((d for d in deltas[i + 1:] if d.k > edit.k and (
                    d.op == DeltaOp.delete or arguments.get(d.k) in earlier)), None)
                if undo is not None:
                    how = "deleted" if undo.op == DeltaOp.delete else "restored to an earlier version"
                    out.append(Firing(self.name, edit.k, self.weight, self.category,
                                      f"step {edit.k}'s edit of {path} was undone at step {undo.k} ({how})",
                                      [edit.k, undo.k]))
        return out
