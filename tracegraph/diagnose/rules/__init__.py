"""Evidence rules: each a unit with a name, the category its evidence points to, a weight from HeuristicConfig,
and `fire(facts)` over the typed facts of one run."""

from __future__ import annotations

from typing import Protocol

from tracegraph.diagnose.config import HeuristicConfig
from tracegraph.diagnose.rules.broke_working import BrokeWorking
from tracegraph.diagnose.rules.error_loop import ErrorLoop
from tracegraph.diagnose.rules.facts import Firing, TraceFacts, failing_tests, facts_of, writes_by_path
from tracegraph.diagnose.rules.failed_end import FailedEnd
from tracegraph.diagnose.rules.false_claim import FalseClaim
from tracegraph.diagnose.rules.first_change import FirstChange
from tracegraph.diagnose.rules.first_error import FirstError
from tracegraph.diagnose.rules.misplaced_write import MisplacedWrite
from tracegraph.diagnose.rules.mode_not_set import ModeNotSet
from tracegraph.diagnose.rules.never_produced import NeverProduced
from tracegraph.diagnose.rules.reverted_edit import RevertedEdit
from tracegraph.diagnose.rules.silent_change import SilentChange
from tracegraph.diagnose.rules.unverified_end import UnverifiedEnd
from tracegraph.diagnose.rules.wrote_checked_file import WroteCheckedFile
from tracegraph.schema import Category


class Rule(Protocol):
    """One evidence rule. `weight` is its score from the config; `fire` returns the steps it points at."""

    name: str
    category: Category
    """The category its evidence points to (a firing may refine it, e.g. a silent install)."""
    config: HeuristicConfig

    @property
    def weight(self) -> float: ...

    def fire(self, facts: TraceFacts) -> list[Firing]: ...


RULE_TYPES = (SilentChange, ErrorLoop, WroteCheckedFile, NeverProduced, MisplacedWrite, UnverifiedEnd, FirstError,
              FirstChange, RevertedEdit, FalseClaim, ModeNotSet, FailedEnd, BrokeWorking)


def rules(config: HeuristicConfig) -> list[Rule]:
    """Every rule, weighted by `config`, in the order their firings are listed."""
    return [t(config) for t in RULE_TYPES]


def fire_all(facts: TraceFacts, config: HeuristicConfig) -> list[Firing]:
    """Every rule's firings for one run."""
    return [f for rule in rules(config) for f in rule.fire(facts)]


__all__ = ["Firing", "Rule", "RULE_TYPES", "TraceFacts", "facts_of", "failing_tests", "fire_all", "rules",
           "writes_by_path"]
