"""Mining the Harbor runs on each engine: a no-op loop of kimi-k2.5, its statistics, and write-back that replaces."""

from __future__ import annotations

from math import comb

import pytest

from tests.support import FIXTURES
from tracegraph import ingest_paths
from tracegraph.mine import MineConfig, mine_patterns, pattern_id
from tracegraph.queries import run_query

LOOP = "noop > repeat"
NAMING = ("tool:", "cmd:", "model:", "agent:")


def test_mining_harbor_finds_the_noop_loop_of_kimi_and_writes_it_back(store):
    ingest_paths([FIXTURES / "harbor-atif"], store)
    result = mine_patterns(store)
    # every failed Harbor run the agent is blamed for, diagnosed on the way (install-windows-3.11 failed on its
    # verifier's hard-coded socket path: infrastructure_failed, not mined)
    assert len(result.diagnosed) == 9
    assert (result.failed_runs, result.solved_runs, result.left_out) == (9, 2, [])
    loop = next(p for p in result.patterns if p.signature == LOOP)
    # five failed runs and no solved run send a `:` no-op that the next step repeats: lift 1 / (9 / 11)
    assert (loop.kind, loop.support, loop.support_solved, loop.lift) == ("sequence", 5, 0, 1.222)
    assert loop.p_value == pytest.approx(comb(9, 5) / comb(11, 5), abs=1e-6)
    assert [(h.name, h.failed, h.failed_runs, h.solved, h.solved_runs) for h in loop.holders if h.kind == "model"] \
        == [("kimi-k2.5", 5, 9, 0, 2)]
    assert loop.statement.startswith("kimi-k2.5 sends a `:`-prefixed no-op command, then repeats its previous "
                                     "action in 56% (5/9) of its failed runs and 0% (0/2) of its solved ones")
    # the top of the ranking names tools, commands, models or no-op commands, each with its p-value
    for p in result.patterns[:3]:
        assert any(f.startswith(NAMING) or f == "noop" for f in p.features), p.signature
        assert 0 < p.p_value <= p.q_value <= 1
    assert [p.explained for p in result.patterns] == sorted((p.explained for p in result.patterns), reverse=True)

    stored = store.query("MATCH (p:Pattern) RETURN p.id AS id, p.rank AS rank, p.p_value AS p ORDER BY rank")
    assert [r["id"] for r in stored] == [p.id for p in result.patterns]
    assert stored[0]["p"] == result.patterns[0].p_value
    runs = run_query(store, "pattern_runs", {"pattern": LOOP})
    assert len(runs) == 5 and {(r["outcome"], r["model"]) for r in runs} == {("failed", "kimi-k2.5")}
    assert run_query(store, "pattern_runs", {"pattern": pattern_id("sequence", LOOP)}) == runs
    bn = next(r for r in runs if r["run"] == "bn-fit-modify__AWvGVmB")
    loop_steps = loop.steps[next(rid for rid in loop.run_ids if rid.startswith("bn-fit-modify"))]
    assert bn["steps"] == loop_steps and len(loop_steps) >= 2
    matched = store.query("MATCH (:Pattern {id: $id})-[:MATCHES]->(s:Step) RETURN count(s) AS n", {"id": loop.id})
    assert matched[0]["n"] == sum(len(ks) for ks in loop.steps.values())


def test_filters_and_remining_replace_every_pattern(store):
    ingest_paths([FIXTURES / "harbor-atif"], store)
    loose = mine_patterns(store, MineConfig(min_support=2))
    strict = mine_patterns(store, MineConfig(min_support=4))
    assert len(strict.diagnosed) == 0 and len(strict.patterns) < len(loose.patterns)
    assert {r["id"] for r in store.query("MATCH (p:Pattern) RETURN p.id AS id")} == {p.id for p in strict.patterns}
    again = mine_patterns(store, MineConfig(min_support=4))
    assert [p.id for p in again.patterns] == [p.id for p in strict.patterns]
    assert store.query("MATCH (:Run)-[e:EXHIBITS]->(:Pattern) RETURN count(e) AS n")[0]["n"] == sum(
        len(p.run_ids) + len(p.solved_run_ids) for p in strict.patterns)

    assert mine_patterns(store, MineConfig(model="KIMI"), write=False).failed_runs == 9
    nobody = mine_patterns(store, MineConfig(model="gpt-9"), write=False)
    assert (nobody.failed_runs, nobody.solved_runs, nobody.patterns) == (0, 0, [])
    # the one failed run of agent 2.1.90 (install-windows-3.11) failed on its verifier: not mined
    newer = mine_patterns(store, MineConfig(agent="2.1.90", min_support=1), write=False)
    assert (newer.failed_runs, newer.solved_runs) == (0, 1)
    # runs another triage verdict was given are not mined (runs without a verdict count as agent_failed)
    assert mine_patterns(store, MineConfig(verdicts=["agent_timed_out"]), write=False).failed_runs == 0
