"""Cross-validated evaluation on the dev gold: weights chosen on training folds only, held-out figures against
baselines. The traces are loaded once for the module; every CV runs in memory."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES, GOLD_PATH, gold_records
from tracegraph.cli import cli
from tracegraph.evaluate.crossval import MAJORITY, cross_validate, folds_of
from tracegraph.evaluate.onsets import GoldTrace, load_gold_traces
from tracegraph.store import open_store

HEADLINE = ("incorrect_f1_macro", "onset_exact", "onset_within2", "onset_stage", "category")
BASELINES = ("random_step", "last_step", "first_error_step")


@pytest.fixture(scope="module")
def dev_traces(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("cv") / "s"))
    try:
        items, errors = load_gold_traces(gold_records(), FIXTURES, store)
    finally:
        store.close()
    assert not errors
    return items


@pytest.fixture(scope="module")
def five_fold(dev_traces):
    return cross_validate(dev_traces, "5")


@pytest.mark.parametrize("scheme", ["5", "format"])
def test_cross_validated_heuristic_beats_every_baseline_on_the_headline_metrics(dev_traces, five_fold, scheme):
    report = five_fold if scheme == "5" else cross_validate(dev_traces, scheme)
    ours = report.cv["heuristic"]
    assert ours["runs"] == len(gold_records())
    for baseline in BASELINES:
        theirs = report.cv[baseline]
        assert [m for m in HEADLINE if ours[m] <= theirs[m]] == [], baseline
    assert ours["category"] > report.cv[MAJORITY]["category"]


def test_in_every_format_the_cross_validated_incorrect_steps_beat_every_baseline(five_fold):
    for fmt, ms in five_fold.by_format.items():
        assert [b for b in BASELINES if ms["heuristic"]["incorrect_f1_macro"] <= ms[b]["incorrect_f1_macro"]] == [], fmt


def test_a_folds_weights_do_not_see_its_held_out_labels(dev_traces, five_fold):
    # Corrupt the gold of the runs fold 1 holds out: what fold 1 chose on its training runs must not move.
    report = five_fold
    held = set(report.folds[0].held_out)
    corrupted = []
    for it in dev_traces:
        gold = copy.deepcopy(it.gold)
        if gold["run_id"] in held:
            gold.update(incorrect_step_ids=[1], onset_step_id=1, category="unproductive_looping")
        corrupted.append(GoldTrace(gold, it.trace))
    again = cross_validate(corrupted, "5")
    assert again.folds[0].changes == report.folds[0].changes
    assert again.folds[0].train_objective == report.folds[0].train_objective


def test_cross_validation_is_deterministic(dev_traces, five_fold):
    assert cross_validate(dev_traces, "5") == five_fold


def test_folds_partition_the_runs():
    golds = gold_records()
    for scheme in ("5", "format"):
        folds = folds_of(golds, scheme)
        held = sorted(i for _, idx in folds for i in idx)
        assert held == list(range(len(golds))), scheme
    by_format = dict(folds_of(golds, "format"))
    assert set(by_format) == {g["format"] for g in golds}
    with pytest.raises(ValueError, match="folds"):
        folds_of(golds, "1")


def test_eval_cv_through_the_cli(tmp_path):
    # Three runs of two formats: leave one format out, through the CLI, read back as JSON.
    records = [g for g in gold_records() if g["format"] in ("harbor-atif", "swe-agent")][:2]
    records += [g for g in gold_records() if g["format"] == "swe-agent"][:1]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in records))
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "--json", "eval", str(gold), "--root",
                                 str(FIXTURES), "--cv", "format"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["scheme"] == "format" and [f["name"] for f in data["folds"]] == ["harbor-atif", "swe-agent"]
    assert data["cv"]["heuristic"]["runs"] == 3 and set(data["cv"]) >= {"random_step", "last_step", MAJORITY}
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "eval", str(GOLD_PATH), "--root", str(FIXTURES),
                                 "--cv", "tenfold"])
    assert r.exit_code != 0 and "--cv takes a number of folds or `format`" in r.output
