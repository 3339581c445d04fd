"""Who&When scored on its own labels (`mistake_step`, `mistake_agent`) with trivial baselines in the same run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.evaluate.source_labels import agent_of, baselines, score_source_labels, source_labels
from tracegraph.ingest.discover import discover
from tracegraph.tree import build_tree

WHO_AND_WHEN = FIXTURES / "who-and-when"


def traces():
    return [build_tree(next(u.parser.parse(u.path))) for u in discover([WHO_AND_WHEN]).units]


def test_the_labelled_step_is_spoken_by_the_labelled_agent():
    # mistake_step indexes history[] from 0 (the human's question and terminal replies are no steps), so the step
    # it maps to must be the labelled agent's message in every run of both subsets.
    runs = traces()
    assert len(runs) == 15
    for trace in runs:
        step, agent = source_labels(trace)
        assert agent_of(trace, step) == agent, trace.run_id
    # AG2: history = Python_Expert, terminal, Statistics_Expert, terminal, Verification_Expert; index 4 is step 3.
    algo3 = next(t for t in runs if t.run.name == "algorithm-generated-3")
    assert json.loads(algo3.run.gold_json)["mistake_step_raw"] == 4 and source_labels(algo3)[0] == 3


def test_baselines_are_exact_on_known_runs():
    runs = [t for t in traces() if t.run.name.startswith("hand-crafted")]
    golds = [source_labels(t) for t in runs]
    out = baselines(runs, golds)
    expected_random = sum(1 / len(t.steps) for t in runs) / len(runs)
    assert out["random"]["step_accuracy"] == round(expected_random, 4)
    assert out["first_step"]["agent_accuracy"] == 0.0  # the Orchestrator always speaks first; WebSurfer erred
    # Steps 12, 4, 32, 8, 12 are labelled: always answering step 12 is right twice.
    assert (out["best_k"]["k"], out["best_k"]["step_accuracy"]) == (12, 0.4)


def test_a_prediction_is_scored_per_subset_against_the_labels():
    runs = traces()
    # Predicting the labelled step is perfect; predicting one step later is only within 1.
    exact = score_source_labels([(t, source_labels(t)[0]) for t in runs], "oracle")
    assert {s: ms["oracle"]["step_accuracy"] for s, ms in exact.subsets.items()} == {
        "algorithm-generated": 1.0, "hand-crafted": 1.0}
    late = score_source_labels([(t, source_labels(t)[0] + 1) for t in runs], "late")
    assert all(ms["late"]["step_accuracy"] == 0.0 and ms["late"]["step_within1"] == 1.0
               for ms in late.subsets.values())


def test_eval_labels_source_through_the_cli(tmp_path):
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "--json", "eval", str(WHO_AND_WHEN / "hand-crafted"),
                                 "--labels", "source"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    hand = data["subsets"]["hand-crafted"]
    assert set(hand) == {"heuristic", "random", "first_step", "last_step", "best_k"}
    assert hand["heuristic"]["runs"] == 5 and len(data["runs"]) == 5
    assert {r["gold_step"] for r in data["runs"]} == {12, 4, 32, 8}
