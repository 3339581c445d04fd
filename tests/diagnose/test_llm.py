"""The llm and hybrid methods over real HTTP: litellm talks to a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.diagnose.scripted_server import ScriptedServer, calls, tool_call
from tests.support import FIXTURES, gold_records
from tracegraph.diagnose import diagnose_run
from tracegraph.diagnose.heuristic import diagnose_run_heuristic
from tracegraph.diagnose.llm import LLMError, write_clause
from tracegraph.errors import QueryError
from tracegraph import ingest_paths

FILTER_JS = FIXTURES / "harbor-atif" / "filter-js-from-html__ANAXTHK"
NO_STEPS = FIXTURES / "terminal-bench-1" / "20250825_swe-agent-mini_claude-4-sonnet" \
    / "fix-permissions.1-of-1.2025-08-07__20-46-16"
MODEL = "openai/scripted"


@pytest.fixture(scope="module")
def llm_store(tmp_path_factory):
    """An embedded store holding filter-js-from-html (8 steps, DEPENDS_ON edges) and a run without steps."""
    from tracegraph.store import open_store

    s = open_store(str(tmp_path_factory.mktemp("llm") / "store"))
    report = ingest_paths([FILTER_JS, NO_STEPS], s)
    assert not report.errors
    yield s
    s.close()


@pytest.fixture(autouse=True)
def dummy_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "dummy-key-for-the-scripted-server")


def run_id_of(store, prefix: str) -> str:
    return store.query("MATCH (r:Run) WHERE r.name STARTS WITH $p RETURN r.id AS id", {"p": prefix})[0]["id"]


def submit(onset_k=2, category="incorrect_hypothesis", **fields):
    answer = {"onset_k": onset_k, "category": category, "incorrect_ks": [onset_k, 6], "unuseful_ks": [3, 4],
              "chain_ks": [onset_k, 6, 8], "reasoning": "Step 2 wrote filter.py with a stray ':' line; 6 and 8 "
              "rewrote it on the same approach.", "confidence": 0.7, **fields}
    return calls(tool_call("submit_diagnosis", **answer))


def llm(store, server, method="llm", **options):
    return diagnose_run(store, run_id_of(store, "filter-js"), method, model=MODEL, api_base=server.api_base,
                        **{"backoff_s": 0.01, **options})


def test_tools_feed_real_graph_data_to_the_model(store):
    """On each engine: the tool results the server received hold the run's real steps, edges, files and tests."""
    assert not ingest_paths([FILTER_JS], store).errors
    llm_store = store
    script = [
        calls(tool_call("list_stages"), tool_call("step_detail", k=2), tool_call("neighbours", k=2)),
        calls(tool_call("file_history", path="/app/filter.py"), tool_call("heuristic_candidates"),
              tool_call("cypher", query="MATCH (s:Step {run_id: $run_id}) WHERE s.is_error RETURN s.k AS k "
                                        "ORDER BY k"),
              tool_call("step_detail", k=2, offset=1500)),
        submit(),
    ]
    with ScriptedServer(script) as server:
        result = llm(llm_store, server)
    assert len(server.requests) == 3
    first = server.requests[0]
    assert {t["function"]["name"] for t in first["tools"]} >= {
        "run_overview", "list_stages", "step_detail", "file_history", "neighbours", "heuristic_candidates", "cypher",
        "submit_diagnosis"}
    opening = first["messages"][1]["content"]
    assert "test_outputs.py::test_clean_html_unchanged" in opening  # failing test from the verifier
    assert "5 0.75: step 5 meant to change :/app/filter.py" in opening  # the heuristic's ranked candidates
    stages, step2, neighbours, history, heuristic, rows, page2 = server.tool_results()
    assert stages.startswith("stages: exploration 1-1, implementation 2-8")
    assert "5! Edit:" in stages
    assert "effects: create /app/filter.py" in step2 and "def remove_javascript_from_html" in step2
    assert "(more: step_detail(k=2, offset=1500))" in step2
    assert page2.startswith("step 2") and "observation [1500-1734 of 1734 chars]" in page2
    assert "4 (reads /app/filter.py written at step 2)" in neighbours
    assert "6 (changes /app/filter.py again (written at step 2))" in neighbours
    assert history.splitlines()[0].startswith("2 create /app/filter.py · Write")
    assert "checked by failed test test_outputs.py::test_clean_html_unchanged" in history
    assert "heuristic answer: onset 2 (incorrect_hypothesis)" in heuristic
    assert rows.splitlines() == ['{"k":3}', '{"k":5}']
    assert (result.method, result.onset_k, result.onset_stage, result.category) == (
        "llm", 2, "implementation", "incorrect_hypothesis")
    assert (result.incorrect_ks, result.unuseful_ks, result.chain_ks) == ([2, 6], [3, 4], [2, 6, 8])
    assert result.prompt_tokens == sum(u["prompt_tokens"] for u in server.usages) > 0
    assert result.completion_tokens == sum(u["completion_tokens"] for u in server.usages) > 0
    assert result.cost_usd is None  # litellm has no price for a scripted model
    assert result.notes == []
    stored = llm_store.query("MATCH (:Run {id: $id})-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: 'llm'}) "
                             "RETURN d.onset_k AS onset, d.prompt_tokens AS p, d.completion_tokens AS c, "
                             "d.model AS model", {"id": result.run_id})
    assert stored == [{"onset": 2, "p": result.prompt_tokens, "c": result.completion_tokens, "model": MODEL}]


def test_a_malformed_answer_is_repaired(llm_store):
    bad = calls(tool_call("submit_diagnosis", onset_k=12, category="wrong_tool", reasoning="",
                          incorrect_ks=[], unuseful_ks=[], chain_ks=[]))
    with ScriptedServer([bad, submit()]) as server:
        result = llm(llm_store, server)
    repair = server.tool_results(1)[-1]
    assert repair.startswith("Invalid answer:")
    assert "category" in repair and "incorrect_hypothesis" in repair  # the valid categories are listed
    assert "reasoning" in repair
    assert result.onset_k == 2 and result.notes == []


def test_a_step_outside_the_run_is_repaired(llm_store):
    with ScriptedServer([submit(onset_k=40, chain_ks=[40]), submit()]) as server:
        result = llm(llm_store, server)
    assert "steps [40] do not exist; the run has steps 1..8" in server.tool_results(1)[-1]
    assert result.onset_k == 2


def test_a_json_answer_in_plain_text_is_accepted(llm_store):
    text = ('Here is my answer:\n```json\n{"onset_k": 5, "category": "mislocalized_edit", "incorrect_ks": [5], '
            '"unuseful_ks": [], "chain_ks": [5, 8], "reasoning": "Step 5 edited the path :/app/filter.py."}\n```')
    with ScriptedServer([{"content": text}]) as server:
        result = llm(llm_store, server)
    assert (result.onset_k, result.category, result.chain_ks) == (5, "mislocalized_edit", [5, 8])


def test_a_second_invalid_answer_falls_back_to_the_heuristic(llm_store):
    with ScriptedServer([{"content": "I think step 2."}, {"content": "Still step 2, I am sure."}]) as server:
        result = llm(llm_store, server)
    heuristic = diagnose_run_heuristic(llm_store, result.run_id)
    assert server.requests[1]["messages"][-1]["content"].startswith("Invalid answer: no tool call and no JSON")
    assert (result.onset_k, result.chain_ks, result.method) == (heuristic.onset_k, heuristic.chain_ks, "llm")
    assert result.notes[0].startswith("answer still invalid after one repair")
    assert result.evidence[-1].rule == "llm_fallback"
    assert result.prompt_tokens == sum(u["prompt_tokens"] for u in server.usages)


def test_the_turn_budget_ends_with_the_heuristic_answer(llm_store):
    looping = [calls(tool_call("step_detail", k=k)) for k in (1, 2, 3)]
    with ScriptedServer(looping) as server:
        result = llm(llm_store, server, max_turns=2)
    assert len(server.requests) == 2
    assert "this is your last turn" in server.requests[1]["messages"][-1]["content"]
    heuristic = diagnose_run_heuristic(llm_store, result.run_id)
    assert (result.onset_k, result.category) == (heuristic.onset_k, heuristic.category)
    assert result.notes == ["turn budget (2 requests) ran out before an answer", "heuristic answer used"]
    assert result.prompt_tokens == sum(u["prompt_tokens"] for u in server.usages)


def test_the_token_budget_stops_before_the_request_that_would_exceed_it(llm_store):
    with ScriptedServer([calls(tool_call("list_stages"), tool_call("step_detail", k=2)), submit()]) as server:
        result = llm(llm_store, server, max_tokens=2500)
    assert len(server.requests) == 1
    assert result.notes[0].startswith("token budget (2500) would be exceeded by request 2")
    assert result.prompt_tokens == server.usages[0]["prompt_tokens"]


def test_cost_is_counted_from_the_price_map_and_budgeted(llm_store):
    # A priced model name served by the scripted server: litellm prices the usage the server reports.
    looping = [calls(tool_call("step_detail", k=2)), submit()]
    with ScriptedServer(looping) as server:
        result = diagnose_run(llm_store, run_id_of(llm_store, "filter-js"), "llm", model="openai/gpt-4o-mini",
                              api_base=server.api_base, max_cost_usd=1e-6, write=False)
    assert len(server.requests) == 1
    assert result.cost_usd and result.cost_usd > 0
    assert result.notes[0] == "cost budget ($1e-06) spent after 1 requests"


def test_write_queries_are_refused(llm_store):
    writes = ["MATCH (s:Step {run_id: $run_id}) DETACH DELETE s", "CREATE (:Step {id: 'x'})",
              "MATCH (s:Step) SET s.k = 0", "MERGE (f:File {path: '/x'})", "LOAD CSV FROM 'file:///x' AS r RETURN r",
              "CALL db.idx.fulltext.createNodeIndex('Step', 'action')"]
    script = [calls(*(tool_call("cypher", query=q) for q in writes)), submit()]
    before = llm_store.query("MATCH (n) RETURN count(n) AS n")
    with ScriptedServer(script) as server:
        llm(llm_store, server, write=False)
    results = server.tool_results()
    assert [r.split(" would write")[0] for r in results] == [
        "refused: DETACH", "refused: CREATE", "refused: SET", "refused: MERGE", "refused: LOAD CSV",
        "refused: CALL db.idx.fulltext.createNodeIndex"]
    assert llm_store.query("MATCH (n) RETURN count(n) AS n") == before
    with pytest.raises(QueryError):  # the second guard: the store's read-only mode
        llm_store.query("CREATE (:Step {id: 'x'})")


@pytest.mark.parametrize("query, clause", [
    ("MATCH (s:Step) WHERE s.action CONTAINS 'SET x; DELETE y' RETURN s.k", None),
    ("MATCH (s:Step) RETURN s.offset, s.k // CREATE nothing", None),
    ("CALL db.labels() YIELD label RETURN label", None),
    ("MATCH (s) remove s.k", "REMOVE"),
    ("MATCH (s) WITH s FOREACH (x IN [1] | SET s.k = x)", "FOREACH"),
    ("CALL { MATCH (s) RETURN s }", "CALL {...}"),
    ("DROP INDEX ON :Step(k)", "DROP"),
])
def test_write_clause_ignores_strings_and_comments(query, clause):
    assert write_clause(query) == clause


def test_server_errors_are_retried(llm_store):
    with ScriptedServer([500, 503, submit()]) as server:
        result = llm(llm_store, server)
    assert len(server.requests) == 3
    assert result.onset_k == 2 and result.notes == []
    assert result.prompt_tokens == server.usages[0]["prompt_tokens"]  # failed requests report no usage


def test_a_server_that_keeps_failing_is_a_named_error(llm_store):
    with ScriptedServer([500, 500, submit()]) as server, pytest.raises(LLMError, match="InternalServerError"):
        llm(llm_store, server, retries=1)
    assert len(server.requests) == 2


def test_a_rejected_key_is_not_retried_and_not_echoed(llm_store):
    with ScriptedServer([401, submit()]) as server, pytest.raises(LLMError) as err:
        llm(llm_store, server)
    assert len(server.requests) == 1
    assert "authentication failed" in str(err.value) and "dummy-key" not in str(err.value)


def test_hybrid_chooses_among_the_heuristic_candidates(llm_store):
    with ScriptedServer([submit(onset_k=6, chain_ks=[6, 8]), submit(onset_k=5, chain_ks=[5, 8])]) as server:
        result = llm(llm_store, server, method="hybrid")
    assert "Choose onset_k among the candidate steps" in server.requests[0]["messages"][1]["content"]
    assert "onset_k must be one of the heuristic's candidates [2, 3, 5, 8]" in server.tool_results(1)[-1]
    assert (result.method, result.onset_k) == ("hybrid", 5)
    assert [c.k for c in result.candidates] == [5, 2, 8, 3]


def test_a_run_whose_agent_never_ran_does_not_call_the_model(llm_store):
    with ScriptedServer([submit()]) as server:
        result = diagnose_run(llm_store, run_id_of(llm_store, "fix-permissions"), "llm", model=MODEL,
                              api_base=server.api_base)
    assert server.requests == []
    assert (result.method, result.onset_k, result.category) == ("llm", None, "not_agent_fault")
    assert [e.rule for e in result.evidence] == ["triage_agent_never_ran"]


def test_the_method_needs_a_model(llm_store, monkeypatch):
    monkeypatch.delenv("TRACEGRAPH_LLM_MODEL", raising=False)
    with pytest.raises(LLMError, match="--model"):
        diagnose_run(llm_store, run_id_of(llm_store, "filter-js"), "llm")


def test_cli_diagnose_prints_tokens(tmp_path):
    from tracegraph.cli import cli

    store = str(tmp_path / "store")
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", store, "ingest", str(FILTER_JS)]).exit_code == 0
    with ScriptedServer([calls(tool_call("list_stages")), submit()]) as server:
        out = runner.invoke(cli, ["--store", store, "diagnose", "--all", "--method", "llm", "--model", MODEL,
                                  "--api-base", server.api_base])
    assert out.exit_code == 0, out.output
    tokens = sum(u["prompt_tokens"] for u in server.usages)
    line = " ".join(out.output.split())  # rich wraps at the terminal width
    assert f"filter-js-from-html__ANAXTHK: {tokens:,} prompt + " in line and " tokens; openai/scripted" in line
    assert "cost" not in line.split("filter-js-from-html__ANAXTHK:")[-1]  # litellm does not know its price


def test_eval_scores_the_llm_method(tmp_path):
    from tracegraph.evaluate.onsets import evaluate
    from tracegraph.store import open_store

    gold = [g for g in gold_records() if g["source"].endswith("filter-js-from-html__ANAXTHK")]
    store = open_store(str(tmp_path / "store"))
    try:
        with ScriptedServer([submit()]) as server:
            report = evaluate(gold, FIXTURES, store, "llm", model=MODEL, api_base=server.api_base)
    finally:
        store.close()
    assert not report.errors
    assert [(r.method, r.pred_onset) for r in report.runs] == [("llm", 2)]
    assert set(report.overall) == {"llm", "random_step", "last_step", "first_error_step"}
