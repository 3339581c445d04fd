"""Stage accuracy (evaluate.stages): metrics by hand, and accuracy on the dev gold computed from the fixtures."""

from __future__ import annotations

import pytest

from tests.support import FIXTURES, gold_records
from tracegraph.evaluate.stages import evaluate_gold, stage_metrics

TARGET_ACCURACY = 0.80


@pytest.fixture(scope="module")
def dev_result():
    return evaluate_gold(gold_records(), FIXTURES)


def test_stage_metrics_by_hand():
    gold = [{"stage_id": 1, "label": "exploration", "start_step_id": 1, "end_step_id": 3},
            {"stage_id": 2, "label": "implementation", "start_step_id": 4, "end_step_id": 6},
            {"stage_id": 3, "label": "verification", "start_step_id": 7, "end_step_id": 8}]
    pred = ["exploration", "exploration", "implementation", "implementation", "implementation",
            "implementation", "implementation", "finish"]
    m = stage_metrics(pred, gold)
    assert m["correct"] == 5 and m["accuracy"] == 5 / 8
    # gold boundaries 4, 7; predicted 3 (within 1 of 4) and 8 (within 1 of 7): both match
    assert (m["pred_boundaries"], m["gold_boundaries"], m["matched_boundaries"]) == (2, 2, 2)
    assert m["boundary_f1"] == 1.0
    m = stage_metrics(["exploration"] * 8, gold)
    assert m["boundary_precision"] == 1.0 and m["boundary_recall"] == 0.0 and m["boundary_f1"] == 0.0


def test_boundaries_match_one_to_one():
    gold = [{"label": "exploration", "start_step_id": 1, "end_step_id": 4},
            {"label": "implementation", "start_step_id": 5, "end_step_id": 9}]
    pred = ["exploration"] * 3 + ["verification"] + ["implementation"] * 5  # starts at 4 and 5: one match
    m = stage_metrics(pred, gold)
    assert m["matched_boundaries"] == 1 and m["boundary_precision"] == 0.5 and m["boundary_recall"] == 1.0


def test_every_dev_run_is_measured(dev_result):
    assert dev_result["skipped"] == []
    assert dev_result["overall"]["runs"] == len(gold_records())


def test_dev_gold_step_accuracy_reaches_target(dev_result):
    overall = dev_result["overall"]
    print({f: round(m["accuracy"], 3) for f, m in dev_result["per_format"].items()}, overall)
    assert overall["accuracy"] >= TARGET_ACCURACY
    assert overall["boundary_f1"] >= 0.5
    assert all(m["accuracy"] >= 0.6 for m in dev_result["per_format"].values())


def test_stage_counts_look_like_the_gold(dev_result):
    counts = sorted(r["pred_boundaries"] + 1 for r in dev_result["runs"])
    assert counts[len(counts) // 2] <= 8 and max(counts) <= 15
