"""Run comparison on real runs of one task (solved vs failed), plus the alignment and action-kind rules."""

from __future__ import annotations

from tests.report.conftest import HARBOR, MAZE_FAILED, MAZE_SOLVED, Page, load, run_id
from tracegraph.report import compare_runs, render_comparison
from tracegraph.report.compare import StageSide, action_key, align_stages
from tracegraph.report.data import StepView
from tracegraph.schema import StateDelta, Step


def test_solved_vs_failed_run_of_one_task(store):
    ids = load(store, MAZE_SOLVED, MAZE_FAILED)
    c = compare_runs(store, run_id(ids, "blind-maze-explorer-5x5.1-of-1.2025"),
                     run_id(ids, "blind-maze-explorer-5x5.1-of-1.open"))

    assert c.same_task and (c.a.outcome, c.b.outcome) == ("solved", "failed")
    # The failed OpenHands run recorded no agent action: nothing to align, and nothing blamed.
    assert c.a.steps > c.b.steps == 0 and c.b.onset_k is None and c.b.category == "undiagnosable"
    assert c.diverge_at == 0 and c.divergence.differences == ["only A has this exploration stage (steps 1-5)"]
    assert all(not p.differences for p in c.pairs[: c.diverge_at])
    assert [s.k for s in c.divergence.a.steps] == list(range(c.divergence.a.start_k, c.divergence.a.end_k + 1))
    maze_map = next(f for f in c.files if f.path == "/app/maze_map.txt")
    assert maze_map.a_steps and not maze_map.b_steps
    statuses = {t.name: (t.a, t.b) for t in c.tests}
    assert statuses and all(s == ("passed", "failed") for s in statuses.values())

    text = render_comparison(c)
    page = Page(text)
    assert page.by_id("divergence") is not None and len(page.with_class("diverge")) >= 1
    assert "/app/maze_map.txt" in text and [t for t, _ in page.tags].count("script") == 1


def test_a_run_compared_with_itself_does_not_diverge(store):
    ids = load(store, HARBOR / "headless-terminal__bemYu3W")
    rid = run_id(ids, "headless-terminal")
    c = compare_runs(store, rid, rid)
    assert c.diverge_at is None and all(p.a == p.b for p in c.pairs)
    assert all(f.a_steps == f.b_steps for f in c.files) and all(t.a == t.b for t in c.tests)
    assert "no stage differs materially" in render_comparison(c)


def test_runs_of_different_tasks_are_flagged(store):
    ids = load(store, HARBOR / "dna-assembly__BC7CeVz", HARBOR / "sqlite-db-truncate__kfqQYr3")
    c = compare_runs(store, run_id(ids, "dna-assembly"), run_id(ids, "sqlite-db-truncate"))
    assert not c.same_task
    assert "not of the same task" in render_comparison(c)


def _side(label: str, n: int) -> StageSide:
    return StageSide(ordinal=n, label=label, start_k=n, end_k=n)


def test_alignment_pairs_matching_labels_and_leaves_gaps():
    a = [_side(x, i + 1) for i, x in enumerate(["exploration", "implementation", "verification", "finish"])]
    b = [_side(x, i + 1) for i, x in enumerate(["exploration", "verification", "environment"])]
    pairs = [(p.a and p.a.label, p.b and p.b.label) for p in align_stages(a, b)]
    assert pairs == [("exploration", "exploration"), ("implementation", None), ("verification", "verification"),
                     ("finish", "environment")]


def _view(tool: str, action: str, command: str | None = None, paths: tuple[str, ...] = ()) -> StepView:
    step = Step(id="r#1", run_id="r", k=1, tool=tool, action=action, command=command)
    return StepView(step=step, deltas=[StateDelta(id=f"d{i}", run_id="r", k=1, op="read", path=p)
                                       for i, p in enumerate(paths)])


def test_action_kinds():
    assert action_key(_view("Bash", "", ':; export PATH="/x:$PATH"; python3 -c "print(1)"')) == "bash:python3"
    assert action_key(_view("Bash", "", "cd /app && timeout 60 pytest -q")) == "bash:pytest"
    assert action_key(_view("bash", "(command -v apt-get && apt-get update)")) == "bash:command"
    assert action_key(_view("Bash", "", ": pip install pexpect")) == "bash"
    assert action_key(_view("Read", "/app/src/config.py", paths=("/app/src/config.py",))) == "read:config.py"
    assert action_key(_view("TodoWrite", "{}")) == "todowrite"
