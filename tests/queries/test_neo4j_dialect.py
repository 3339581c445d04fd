"""Every Cypher statement tracegraph sends is valid Cypher 5 by Neo4j's own analyser, without a Neo4j server.

A real workflow (ingest of every fixture, diagnosis, LLM graph tools, mining, reports, comparison, replay, ATIF
export, the trace view, the named-query library) runs against the embedded engine through a store that records what
it is sent; each distinct statement is then checked by `@neo4j-cypher/language-support` (Neo4j's parser and semantic
analysis compiled to JavaScript) for errors and deprecations. The statements only the Neo4j engine sends (its DDL,
reset and shortest paths) are checked as well. `make test` installs the analyser with npm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.support import FIXTURES, REPO
from tracegraph.schema import RelType

LINTER = REPO / "tests" / "neo4j_dialect"


def _linter_missing() -> str | None:
    if shutil.which("node") is None:
        return "no node on PATH"
    if not (LINTER / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        return "the analyser is not installed (scripts/ensure-cypher-lint.sh runs npm ci in tests/neo4j_dialect)"
    return None


pytestmark = pytest.mark.skipif(_linter_missing() is not None,
                                reason=f"Neo4j dialect check: {_linter_missing()}")


class RecordingStore:
    """The real store, keeping every statement and its parameters on the way through."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.sent: dict[str, dict[str, Any]] = {}

    def _see(self, cypher: str, params: dict[str, Any] | None) -> None:
        self.sent.setdefault(cypher, params or {})

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self._see(cypher, params)
        return self.inner.query(cypher, params)

    def execute(self, plan, cleanup=None) -> None:
        for stmt in [*plan, *(cleanup or [])]:
            self._see(stmt.cypher, stmt.params)
        return self.inner.execute(plan, cleanup)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def neo4j_diagnostics(statements: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Cypher → what Neo4j's analyser says of it (parameter values shortened: only their names matter)."""
    batch = [{"cypher": c, "params": {k: (v[:1] if isinstance(v, list) else v) for k, v in p.items()}}
             for c, p in statements.items()]
    done = subprocess.run(["node", "lint.cjs"], cwd=LINTER, input=json.dumps(batch, default=str),
                          capture_output=True, text=True, timeout=300, check=True)
    return dict(zip(statements, json.loads(done.stdout)))


def problems(diagnostics: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Errors, and warnings of deprecated syntax (what a Neo4j upgrade would break); performance hints pass."""
    return [f"{d['message']}\n    in: {cypher[:300]}" for cypher, ds in diagnostics.items() for d in ds
            if d["severity"] == 1 or "deprecated" in d["message"].lower()]


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict[str, dict[str, Any]]:
    from tracegraph.diagnose import diagnose_run, failed_run_ids
    from tracegraph.diagnose.llm.tools import GraphTools
    from tracegraph.export import export_run
    from tracegraph import ingest_paths
    from tracegraph.mine import mine_patterns
    from tracegraph.queries import list_queries
    from tracegraph.replay.package import build_replay_package
    from tracegraph.report import write_all_reports
    from tracegraph.report.compare import compare_runs
    from tracegraph.store import open_store
    from tracegraph.store.info import db_status, list_runs
    from tracegraph.tree.view import load_tree

    out = tmp_path_factory.mktemp("dialect")
    store = RecordingStore(open_store(str(out / "store")))
    try:
        ingest_paths([FIXTURES], store, workers=0)
        failed = failed_run_ids(store)
        results = {run_id: diagnose_run(store, run_id) for run_id in failed}
        run_id = next(r for r, d in results.items() if d.onset_k and d.chain_ks)
        tools = GraphTools(store, run_id, results[run_id])
        for schema in tools.schemas():
            name = schema["function"]["name"] if "function" in schema else schema["name"]
            arguments = {"run_overview": {}, "list_stages": {}, "heuristic_candidates": {},
                         "step_detail": {"k": results[run_id].onset_k}, "neighbours": {"k": results[run_id].onset_k},
                         "file_history": {"path": "/app/x"},
                         "cypher": {"query": "MATCH (s:Step {run_id: $run_id}) RETURN count(s) AS n",
                                    "params": {"run_id": run_id}}}.get(name, {})
            tools.call(name, arguments)
        mine_patterns(store)
        write_all_reports(store, out / "reports")
        list_runs(store)
        compare_runs(store, failed[0], failed[1])
        build_replay_package(store, run_id, out / "replay")
        export_run(store, run_id, "atif")
        load_tree(store, run_id)
        db_status(store)
        sent = dict(store.sent)
    finally:
        store.inner.close()
    for query in list_queries():  # the library as users paste it into Browser, with its declared parameters
        sent.setdefault(query.cypher, {p: None for p in query.parameters})
    return sent


def test_the_workflow_sent_what_it_should(sent):
    """The recording saw writes, reads and the library: the check below is not vacuous."""
    assert any(c.startswith("UNWIND $rows") for c in sent) and any(c.startswith("MATCH") for c in sent)
    assert any("CREATE (n:Step)" in c for c in sent) and any("MERGE (n:Diagnosis" in c for c in sent)
    assert any("Pattern" in c for c in sent)
    assert len(sent) > 80


def test_every_statement_sent_is_valid_neo4j_cypher_5(sent):
    assert problems(neo4j_diagnostics(sent)) == []


def test_statements_only_the_neo4j_engine_sends_are_valid_cypher_5():
    from tracegraph.schema import LABELS, REL_SPECS
    from tracegraph.schema.ddl import neo4j_statements
    from tracegraph.store.neo4j import (RESET_CYPHER, edges_by_element_id_cypher, nodes_returning_ids_cypher,
                                        shortest_path_cypher)
    from tracegraph.store.plan import create_nodes_cypher, upsert_nodes_cypher

    statements = {s: {} for s in neo4j_statements()}
    statements[RESET_CYPHER] = {}
    statements |= {shortest_path_cypher(rel.value): {"src": "a", "dst": "b"} for rel in RelType}
    for label in LABELS:  # the write path's element-id forms (run_plan)
        for cypher in (create_nodes_cypher(label), upsert_nodes_cypher(label)):
            statements[nodes_returning_ids_cypher(cypher, label)] = {"rows": []}
    statements |= {edges_by_element_id_cypher(rel, create): {"rows": []}
                   for rel in REL_SPECS for create in (True, False)}
    assert problems(neo4j_diagnostics(statements)) == []


def test_the_check_catches_what_neo4j_5_rejects():
    said = neo4j_diagnostics({"MATCH (s:Step) RETURN size((s)-->()) AS degree": {},
                              "CREATE INDEX ON :Step(id)": {},
                              "MATCH (s:Step {id: $id}) RETURN s.k AS k": {},
                              "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS": {}})
    found = problems(said)
    assert len(found) == 4, found
    assert "Parameter $id is not defined" in found[2]
