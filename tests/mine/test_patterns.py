"""Patterns on hand-made runs (no store): features, sets and gapped sequences, statistics, pruning, ranking."""

from __future__ import annotations

import pytest

from tracegraph.mine import MineConfig, MinedRun, describe, mine, pattern_id
from tracegraph.mine.features import error_kind, file_type
from tracegraph.mine.patterns import _sequences as sequences
from tracegraph.mine.patterns import comparable, phrase
from tracegraph.mine.stats import benjamini_hochberg, fisher_greater
from tracegraph.semantics.commands import command_families

FW = ["framework:harbor-atif"]


def run(run_id: str, outcome: str, steps: list[list[str]], onset_k: int | None = None, model: str = "m1",
        framework: list[str] = FW) -> MinedRun:
    return MinedRun(run_id=run_id, name=run_id, outcome=outcome, model=model, onset_k=onset_k, steps=steps,
                    run_features=[f"model:{model}", *framework])


def test_command_families_name_what_a_person_recognises():
    assert command_families("cd /app && pip3 install -r req.txt && python3 -m pytest -q") == ["pip install",
                                                                                            "pytest"]
    assert command_families(": pip install numpy") == [": pip install"]
    assert command_families("sed -i 's/a/b/' x.py; git commit -am fix; sed -n 1p x") == ["sed -i", "git commit",
                                                                                         "sed"]
    assert command_families("python -c 'print(1)'; /usr/bin/python3 run.py; apt-get install -y curl") == [
        "python -c", "python script", "apt install"]
    assert command_families("You should look at the file first") == []  # prose pasted as a command


def test_error_kinds_and_file_types():
    assert error_kind("Traceback ...\nModuleNotFoundError: No module named 'x'", 1) == "ModuleNotFoundError"
    assert error_kind("/bin/bash: line 1: ping: command not found", 127) == "command not found"
    assert error_kind("error: externally-managed-environment", 1) == "install failed"
    assert error_kind("something odd", 3) == "exit 3" and error_kind("", None) == "tool error"
    assert (file_type("/app/a.PY"), file_type("/app/Makefile"), file_type("/app/out/")) == (".py", "no suffix",
                                                                                              "no suffix")


def test_fisher_and_benjamini_hochberg_match_their_definitions():
    # 3 of 3 runs showing the pattern failed, 10 failed of 12: C(10,3) / C(12,3)
    assert fisher_greater(3, 0, 7, 2) == pytest.approx(120 / 220)
    assert fisher_greater(0, 2, 10, 0) == 1.0
    assert fisher_greater(8, 2, 2, 8) == pytest.approx(0.0115070688)
    # ranks 1..4 of 0.01, 0.03, 0.04, 0.2: p * 4 / rank, then the running minimum from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])


NOOP_LOOP = [["cmd:ls"], ["noop", "cmd:: ls"], ["noop", "cmd:: ls", "repeat"], ["noop", "cmd:: ls", "repeat"]]
WORK = [["cmd:ls"], ["cmd:pip install"], ["tool:Write", "writes:.py"], ["cmd:pytest"]]


def corpus() -> list[MinedRun]:
    failed = [run(f"f{i}", "failed", NOOP_LOOP + WORK, onset_k=2, model="kimi") for i in range(4)]
    failed += [run(f"g{i}", "failed", WORK + [["error:ModuleNotFoundError"]], onset_k=5) for i in range(4)]
    solved = [run(f"s{i}", "solved", WORK, model="kimi" if i == 0 else "m1") for i in range(4)]
    return failed + solved


def test_a_noop_loop_of_one_model_is_found_scored_and_said_in_words():
    patterns, tested = mine(corpus(), MineConfig(min_support=3))
    assert tested > len(patterns) > 0
    # the four kimi runs loop on `: ls`: one pattern stands for every pattern those runs alone show
    loop = next(p for p in patterns if "noop x2 > repeat" in p.same_runs)
    assert loop.signature == "cmd:: ls & model:kimi"
    assert {"model:kimi & noop", "noop x3", "cmd:: ls > noop > repeat"} <= set(loop.same_runs)
    # 4 of 8 failed runs, 0 of 4 solved: lift (4/4) / (8/12), p = C(8,4) / C(12,4)
    assert (loop.support, loop.support_solved, loop.lift, loop.explained) == (4, 0, 1.5, 4)
    assert loop.p_value == pytest.approx(70 / 495, abs=1e-6) and loop.q_value >= loop.p_value
    assert loop.steps["f0"] == [2, 3, 4]
    assert [(h.kind, h.name, h.failed, h.failed_runs, h.solved, h.solved_runs) for h in loop.holders] == [
        ("model", "kimi", 4, 4, 0, 1)]
    assert loop.statement.startswith("kimi sends `: ls` (a no-op) in 100% (4/4) of its failed runs and 0% (0/1) "
                                     "of its solved ones; the onset sits in it in 4 runs (p=0.141")
    # every step feature of the work all runs do is shown by solved runs as often: nothing to explain
    assert not any(p.features == ["cmd:pip install"] for p in patterns)
    assert all(p.lift > 1 for p in patterns)


def test_redundant_patterns_are_pruned_and_ranking_follows_failures_explained():
    patterns, _ = mine(corpus(), MineConfig(min_support=3))
    sigs = [p.signature for p in patterns]
    assert len(sigs) == len(set(sigs)) and "noop" not in sigs and "cmd:: ls" not in sigs
    assert not {s for p in patterns for s in p.same_runs} & set(sigs)
    assert [p.explained for p in patterns] == sorted((p.explained for p in patterns), reverse=True)
    error = next(p for p in patterns if "error:ModuleNotFoundError" in p.features)
    assert (error.support, error.explained) == (4, 4)


def test_sequences_respect_the_gap():
    runs = [run(f"f{i}", "failed", [["cmd:a"], ["cmd:x"], ["cmd:x"], ["cmd:x"], ["cmd:b"]], onset_k=1)
            for i in range(3)] + [run("s", "solved", [["cmd:x"]])]
    usable = {"cmd:a", "cmd:b", "cmd:x"}
    near = sequences(runs, MineConfig(min_support=3, max_gap=3), usable)
    far = sequences(runs, MineConfig(min_support=3, max_gap=2), usable)
    assert near[("cmd:a", "cmd:b")]["f0"] == [(1, 5)] and ("cmd:a", "cmd:b") not in far
    # at most two steps between consecutive features: 1 → 2..4 → 5
    assert far[("cmd:a", "cmd:x", "cmd:b")]["f1"] == [(1, 2, 5), (1, 3, 5), (1, 4, 5)]


def test_failed_runs_of_a_framework_without_solved_runs_are_left_out():
    runs = corpus() + [run("w", "failed", NOOP_LOOP, onset_k=2, framework=["framework:who-and-when"])]
    kept, left_out = comparable(runs)
    assert left_out == ["w"] and len(kept) == len(runs) - 1


def test_words_and_signatures():
    assert describe("sequence", ["noop", "noop", "repeat"]) == "noop x2 > repeat"
    assert describe("set", ["b", "a"]) == "a & b"
    assert phrase("cmd:: pip install") == "sends `: pip install` (a no-op)"
    assert phrase("cmd:sed -i") == "runs `sed -i`" and phrase("writes:.py") == "writes a .py file"
    assert pattern_id("set", "a & b") == pattern_id("set", "a & b") != pattern_id("sequence", "a & b")
