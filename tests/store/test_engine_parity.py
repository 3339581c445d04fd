"""Both engines hold the same graph and give the same answers: every fixture corpus ingested into embedded FalkorDB
and into the Neo4j server, then counts, `runs --json`, diagnoses, mined patterns and every named query compared."""

from __future__ import annotations

import json

import pytest

from tests.support import FIXTURES
from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph import ingest_paths
from tracegraph.mine import mine_patterns
from tracegraph.queries import list_queries, run_query
from tracegraph.store import open_store
from tracegraph.store.info import db_status, list_runs

CORPORA = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
MINED = {"harbor-atif", "tb-claude-code", "terminal-bench-1"}
"""Corpora whose mining finds patterns (failed and solved runs of one framework; swe-agent's one is not pinned)."""
EXAMPLE_PARAMS = {"method": "heuristic", "min_length": 3, "min_runs": 2, "min_calls": 5, "min_steps": 10,
                  "buckets": 10, "include_unblamed": True, "pattern": "noop"}


def _ingested(store, corpus: str) -> dict:
    """Ingest the corpus, diagnose every failed run, mine patterns (written back as Pattern nodes); what a user
    sees of it."""
    report = ingest_paths([FIXTURES / corpus], store)
    diagnoses = {run_id: diagnose_run(store, run_id).model_dump(mode="json") for run_id in failed_run_ids(store)}
    mined = mine_patterns(store).model_dump(mode="json")
    status = db_status(store)
    return {"errors": sorted((e.path, e.problem) for e in report.errors),
            "nodes": status["nodes"], "relationships": status["relationships"],
            "runs": json.loads(json.dumps(list_runs(store))), "diagnoses": diagnoses, "mined": mined}


def _query_results(store, run_ids: list[str], pattern: str) -> dict:
    """Every named query's rows: once per run for queries about one run, once otherwise; `pattern` names the
    mined pattern the pattern queries ask about."""
    out = {}
    for q in list_queries():
        params = {p: EXAMPLE_PARAMS[p] for p in q.parameters if p != "run_id"}
        if "pattern" in params:
            params["pattern"] = pattern
        for run_id in (run_ids if "run_id" in q.parameters else [None]):
            rows = run_query(store, q.name, params | ({"run_id": run_id} if run_id else {}))
            # Row order is compared where the query orders; ties may come in either engine's own order.
            out[(q.name, run_id)] = sorted(json.dumps(r, sort_keys=True) for r in rows)
    return out


@pytest.mark.parametrize("corpus", CORPORA)
def test_engines_agree_on_every_fixture_corpus(corpus, tmp_path, neo4j_uri):
    with open_store(str(tmp_path / "store")) as falkor:
        embedded = _ingested(falkor, corpus)
        # the first mined pattern (the queries take its id or signature); "noop" where nothing was mined
        pattern = next((p["signature"] for p in embedded["mined"]["patterns"]), EXAMPLE_PARAMS["pattern"])
        embedded_queries = _query_results(falkor, sorted(embedded["diagnoses"]), pattern)
    with open_store(neo4j_uri) as neo4j:
        neo4j.reset()
        neo4j.init_schema()
        server = _ingested(neo4j, corpus)
        server_queries = _query_results(neo4j, sorted(server["diagnoses"]), pattern)

    assert sum(embedded["nodes"].values()) > 0 or corpus == "unknown-formats"
    if corpus in MINED:  # corpora with failed and solved runs of one framework: patterns to compare
        assert embedded["mined"]["patterns"] and embedded_queries[("pattern_runs", None)], corpus
    for key in ("errors", "nodes", "relationships", "runs", "diagnoses", "mined"):
        assert server[key] == embedded[key], f"{corpus}: {key} differ between the engines"
    assert server_queries == embedded_queries
