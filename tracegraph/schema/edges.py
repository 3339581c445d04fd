"""Relationship types: their endpoints and properties, declared once."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple


class RelType(StrEnum):
    HAS_STEP = "HAS_STEP"
    NEXT = "NEXT"
    HAS_STAGE = "HAS_STAGE"
    IN_STAGE = "IN_STAGE"
    CALLS = "CALLS"
    OBSERVES = "OBSERVES"
    HAS_DELTA = "HAS_DELTA"
    ON_FILE = "ON_FILE"
    READS = "READS"
    WRITES = "WRITES"
    DEPENDS_ON = "DEPENDS_ON"
    REPEATS = "REPEATS"
    HAS_TEST = "HAS_TEST"
    VERIFIES = "VERIFIES"
    OF_TASK = "OF_TASK"
    HAS_DIAGNOSIS = "HAS_DIAGNOSIS"
    ONSET = "ONSET"
    LABELS = "LABELS"
    PROPAGATES_TO = "PROPAGATES_TO"
    EXHIBITS = "EXHIBITS"
    MATCHES = "MATCHES"


class RelSpec(NamedTuple):
    src: str
    dst: str
    properties: tuple[str, ...]
    meaning: str


REL_SPECS: dict[RelType, RelSpec] = {
    RelType.HAS_STEP: RelSpec("Run", "Step", (), "run holds the step"),
    RelType.NEXT: RelSpec("Step", "Step", (), "step k to step k+1"),
    RelType.HAS_STAGE: RelSpec("Run", "Stage", (), "run holds the stage"),
    RelType.IN_STAGE: RelSpec("Step", "Stage", (), "step sits in the stage"),
    RelType.CALLS: RelSpec("Step", "ToolCall", (), "the tool call the step made"),
    RelType.OBSERVES: RelSpec("Step", "Observation", (), "the result the step saw"),
    RelType.HAS_DELTA: RelSpec("Step", "StateDelta", (), "a state change or read caused by the step"),
    RelType.ON_FILE: RelSpec("StateDelta", "File", (), "the file a delta touched"),
    RelType.READS: RelSpec("Step", "File", (), "the step read the file"),
    RelType.WRITES: RelSpec("Step", "File", ("op",), "the step created, modified or deleted the file"),
    RelType.DEPENDS_ON: RelSpec("Step", "Step", ("kind", "reason"), "causal dependency on an earlier step"),
    RelType.REPEATS: RelSpec("Step", "Step", ("similarity",), "near-identical repeat of the previous action"),
    RelType.HAS_TEST: RelSpec("Run", "TestCase", (), "verifier check of the run"),
    RelType.VERIFIES: RelSpec("TestCase", "File", (), "the test checks this file"),
    RelType.OF_TASK: RelSpec("Run", "Task", (), "task the run attempted"),
    RelType.HAS_DIAGNOSIS: RelSpec("Run", "Diagnosis", (), "diagnosis of the run"),
    RelType.ONSET: RelSpec("Diagnosis", "Step", ("score",), "failure onset step"),
    RelType.LABELS: RelSpec("Diagnosis", "Step", ("role", "reason"), "incorrect / unuseful / chain label"),
    RelType.PROPAGATES_TO: RelSpec("Step", "Step", ("diagnosis_id",), "error chain link"),
    RelType.EXHIBITS: RelSpec("Run", "Pattern", ("outcome", "at_onset"), "run shows the mined pattern"),
    RelType.MATCHES: RelSpec("Pattern", "Step", (), "the pattern matched this step of a run"),
}


class Edge(NamedTuple):
    type: RelType
    src: str
    dst: str
    props: dict[str, Any] = {}
