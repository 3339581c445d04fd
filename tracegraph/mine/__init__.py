"""Cross-run pattern mining: which tools, commands, errors and models go with failed runs, and at their onsets."""

from __future__ import annotations

from pydantic import BaseModel

from tracegraph.diagnose import diagnose_missing
from tracegraph.mine.features import MinedRun, load_runs, step_features
from tracegraph.mine.patterns import MineConfig, MinedPattern, comparable, describe, mine, pattern_id, statement
from tracegraph.mine.writeback import patterns_plan, write_patterns
from tracegraph.store import Store


class MiningResult(BaseModel):
    """What `mine_patterns` found and wrote."""

    patterns: list[MinedPattern]
    """Patterns ranked by failures explained (onset touched), then p-value."""
    failed_runs: int
    """Failed runs mined."""
    solved_runs: int
    """Solved runs they were compared against."""
    tested: int = 0
    """Patterns scored before pruning (the Benjamini-Hochberg family)."""
    diagnosed: list[str] = []
    """Failed runs that had no diagnosis and were diagnosed first."""
    left_out: list[str] = []
    """Failed runs not mined: no solved run of their framework to compare them with."""


def mine_patterns(store: Store, config: MineConfig | None = None, *, write: bool = True) -> MiningResult:
    """Mine the runs that failed through the agent against solved runs and (by default) replace the stored
    Pattern nodes.

    Failed runs lacking a diagnosis of `config.method` are diagnosed first when `config.diagnose_missing`; without
    one a run is still mined, but no pattern can touch its onset.
    """
    config = config or MineConfig()
    diagnosed = diagnose_missing(store, config.method, outcomes=config.outcomes,
                                 verdicts=config.verdicts) if config.diagnose_missing else []
    runs = load_runs(store, method=config.method, outcomes=config.outcomes, verdicts=config.verdicts,
                     model=config.model, agent=config.agent)
    runs, left_out = comparable(runs)
    patterns, tested = mine(runs, config)
    if write:
        write_patterns(store, patterns)
    return MiningResult(patterns=patterns, failed_runs=sum(r.outcome == "failed" for r in runs),
                        solved_runs=sum(r.outcome == "solved" for r in runs), tested=tested, diagnosed=diagnosed,
                        left_out=left_out)


__all__ = ["MineConfig", "MinedPattern", "MinedRun", "MiningResult", "describe", "load_runs", "mine",
           "mine_patterns", "pattern_id", "patterns_plan", "statement", "step_features",
           "write_patterns"]
