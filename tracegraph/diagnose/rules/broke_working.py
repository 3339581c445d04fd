"""broke_working: a rewrite of a file that had run cleanly, after which every run of it fails: the rewrite broke
what worked, and the agent never got it working again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.facts import Firing, TraceFacts
from tracegraph.schema import Category, DependencyKind


@dataclass(frozen=True)
class BrokeWorking:
    config: HeuristicConfig
    name: ClassVar[str] = "broke_working"
    category: ClassVar[Category] = Category.incorrect_hypothesis

    @property
    def weight(self) -> float:
        return self.config.broke_working

    def fire(self, facts: TraceFacts) -> list[Firing]:
        trace = facts.trace
        # Which write each run of a file ran (the RUNS dependency points at the latest write before it).
        runs_of: dict[int, list[int]] = {}
        for d in trace.dependencies:
            if d.kind == DependencyKind.runs:
                runs_of.setdefault(d.dst_k, []).append(d.src_k)
        out = []
        for path, writes in facts.written.items():
            if path in facts.scratch or len(writes) < 2:
                continue
            for before, after in zip(writes, writes[1:]):
                ran_before = runs_of.get(before, [])
                later = sorted(k for w in writes if w >= after for k in runs_of.get(w, []))
                if (ran_before and not any(trace.step(k).is_error for k in ran_before)
                        and later and all(trace.step(k).is_error for k in later)):
                    out.append(Firing(self.name, after, self.weight, self.category,
                                      f"step {after} rewrote {path}, which had run cleanly at step {ran_before[-1]}; "
                                      f"every later run of it fails (steps {', '.join(map(str, later[:4]))})",
                                      [after, *later]))
                    break
        return out
