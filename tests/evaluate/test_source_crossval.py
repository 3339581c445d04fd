"""Who&When cross-validated on its own labels: choices made on training folds only, baselines chosen the same way."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.evaluate.test_source_labels import WHO_AND_WHEN, traces
from tracegraph.cli import cli
from tracegraph.evaluate.source_crossval import _Labelled, cross_validate_source, folds_of, grid


def test_every_run_is_held_out_once_and_folds_hold_each_subset():
    rows = [_Labelled(t) for t in traces()]
    folds = folds_of(rows, 5)
    held = sorted(i for f in folds for i in f)
    assert held == list(range(len(rows)))
    # 10 algorithm-generated runs dealt two to a fold, 5 hand-crafted one to a fold (leave one out).
    assert all(sorted(rows[i].subset for i in f) == ["algorithm-generated"] * 2 + ["hand-crafted"] for f in folds)


def test_held_out_predictions_do_not_see_held_out_labels():
    runs = traces()
    before = cross_validate_source(runs, 5)
    # Relabel one run: its own held-out prediction must not move (its label was never trained on).
    target = next(t for t in runs if t.run.name == "algorithm-generated-4")
    gold = json.loads(target.run.gold_json)
    target.run.gold_json = json.dumps(gold | {"mistake_step": 1})
    after = cross_validate_source(runs, 5)
    pred = {r.run_id: r.pred_step for r in before.runs}
    assert next(r.pred_step for r in after.runs if r.run_id == target.run_id) == pred[target.run_id]


def test_the_grid_starts_from_always_step_k():
    # With no rule weighted the chat diagnosis is the baseline itself, so training can always fall back to it.
    assert set(grid()[0].values()) == {0.0}
    report = cross_validate_source(traces(), 5)
    for subset in ("algorithm-generated", "hand-crafted"):
        table = report.subsets[subset]
        assert {"heuristic", "heuristic_fit", "random", "first_step", "last_step", "best_k", "best_k_fit",
                "majority_agent"} <= set(table)
        assert table["majority_agent"]["step_accuracy"] is None
    assert len(report.runs) == 15 and len(report.folds) == 10


def test_eval_labels_source_cv_through_the_cli(tmp_path):
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "--json", "eval", str(WHO_AND_WHEN),
                                 "--labels", "source", "--cv", "5"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["scheme"] == "5-fold" and set(data["subsets"]) == {"algorithm-generated", "hand-crafted"}
    bad = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "eval", str(WHO_AND_WHEN), "--labels", "source",
                                   "--cv", "format"])
    assert bad.exit_code != 0 and "number of folds" in bad.output


def test_algorithm_generated_held_out_beats_every_baseline():
    # The README's claim: on the AG2 chats the rule a fold chooses beats, held out, every baseline chosen the same way.
    table = cross_validate_source(traces(), 5).subsets["algorithm-generated"]
    ours = table["heuristic"]
    for name in ("random", "first_step", "last_step", "best_k"):
        assert ours["step_accuracy"] > table[name]["step_accuracy"], name
        assert ours["agent_accuracy"] > table[name]["agent_accuracy"], name
    assert ours["agent_accuracy"] > table["majority_agent"]["agent_accuracy"]
