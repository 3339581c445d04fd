"""Every weight and threshold of the heuristic diagnosis, in one config object (what cross-validation tunes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class HeuristicConfig(BaseModel):
    """Rule weights (the score a firing gives its step) and the thresholds that pick the onset and build labels."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    # How candidates are ranked and the onset chosen.
    top_candidates: int = 5
    """Ranked onset candidates kept on the Diagnosis."""
    agreement_bonus: float = 0.05
    """Added to a step's best score for each further rule firing on it."""
    earliness_window: float = 0.2
    """A candidate this close in score to the best but earlier wins: the onset is the earliest critical step."""
    earliness_floor: float = 0.3
    """A candidate below this score never wins on earliness alone (a lone tool error is weak evidence)."""
    max_chain: int = 8
    """Most steps in the reported error chain."""

    # Rule weights.
    silent_change_checked: float = 0.95
    """silent_change whose missing write is a file failing checks need."""
    silent_change_install: float = 0.85
    """silent_change that meant to install something."""
    silent_change: float = 0.75
    """Any other change the agent meant but that never happened."""
    error_loop: float = 0.6
    """A loop of failing calls the run never recovered from (plus error_loop_per_step per call)."""
    error_loop_per_step: float = 0.02
    """Added to error_loop per call in the loop, at most error_loop_length_cap in all."""
    error_loop_length_cap: float = 0.3
    """Most that the length of a loop adds to its weight."""
    error_loop_recovered: float = 0.3
    """A loop followed by working changes: wasted effort, weak onset evidence."""
    error_loop_min_attempts: int = 3
    """Failing attempts in a row (calls issued together count once) that make a loop."""
    wrote_checked_file: float = 0.55
    """The first write of a file failing checks examine."""
    misplaced_write: float = 0.8
    """A write of a checked file's name elsewhere, or of its type beside it, when the checked file never came."""
    never_produced: float = 0.5
    """A file failing checks need was never written: the run's last step."""
    unverified_end: float = 0.35
    """The run ends right after a change to what it builds that nothing checked."""
    first_error: float = 0.2
    """The first tool error."""
    first_change: float = 0.45
    """The first write to the deliverable."""
    first_change_scratch: float = 0.4
    """The first write of the run when every write went to scratch scripts."""
    reverted_edit: float = 0.25
    """An edit the agent later undid."""
    broke_working: float = 0.7
    """A rewrite of a file that had run cleanly, after which every run of it fails."""
    mode_not_set: float = 0.85
    """Every failing check is about a file's missing execute bit while other checks passed: where the run stopped."""
    failed_end: float = 0.7
    """The run ends on two failing calls (fewer than a loop), one of them a change: the last attempt did not work."""
    false_claim: float = 0.25
    """The last declaration that the task is done, in a run the verifier failed."""
    fallback_last_step: float = 0.1
    """No rule fired: the run stopped at its last step without passing."""
