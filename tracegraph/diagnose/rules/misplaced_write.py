"""misplaced_write: failing checks need a file the agent never wrote (or the verifier says it could not open), but
the agent wrote one of that name elsewhere, or one of that type beside it: the change went to the wrong place."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category
from tracegraph.semantics.activity import is_test_path


@dataclass(frozen=True)
class MisplacedWrite:
    config: HeuristicConfig
    name: ClassVar[str] = "misplaced_write"
    category: ClassVar[Category] = Category.mislocalized_edit

    @property
    def weight(self) -> float:
        return self.config.misplaced_write

    def fire(self, facts: TraceFacts) -> list[Firing]:
        # Neither the verifier's own test files (the checks live there; nobody asked the agent to write them) nor
        # the agent's scratch scripts count.
        out = []
        needed = {p for p in facts.checked | facts.missing if not _written_at(facts, p) and not is_test_path(p)}
        for path in sorted(needed):
            name, folder = posixpath.basename(path), posixpath.dirname(path)
            ext = posixpath.splitext(name)[1]
            near = [(ks[0], w) for w, ks in facts.written.items() if w not in facts.scratch and (
                posixpath.basename(w) == name or (
                    ext and posixpath.dirname(w) == folder and posixpath.splitext(w)[1] == ext))]
            if near:
                k, w = min(near)
                # Every write of the misplaced files carries the same mistake on.
                again = sorted({j for p in {p for _, p in near} for j in facts.written[p]})
                out.append(Firing(self.name, k, self.weight, self.category,
                                  f"step {k} wrote {w}, but failing checks need {path}, which was never written",
                                  again))
        return out


def _written_at(facts: TraceFacts, path: str) -> bool:
    """The agent wrote `path`; a relative path (as a verifier may print it) matches any write ending in it."""
    if facts.written.get(path):
        return True
    return not path.startswith("/") and any(w.endswith("/" + path.removeprefix("./")) for w in facts.written)
