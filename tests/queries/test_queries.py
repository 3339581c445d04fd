"""Every named query on real runs, on each engine: expected rows for at least one case each.

Onset-dependent queries read the `gold` diagnoses (dev-set labels), so their rows do not move with the heuristic.
"""

from __future__ import annotations

from collections import defaultdict

from tracegraph.queries import list_queries, run_query

FILTER_JS = "filter-js-from-html__ANAXTHK"


def test_every_query_runs_with_its_example_parameters(graph):
    example = {"run_id": None, "method": "gold", "min_length": 3, "min_runs": 2, "min_calls": 5, "min_steps": 10,
               "buckets": 10, "include_unblamed": True, "pattern": "noop"}
    for q in list_queries():
        params = {p: example[p] for p in q.parameters}
        assert isinstance(run_query(graph, q.name, params), list), q.name


def test_failure_chain_ends_with_the_failing_tests(graph, run_id):
    rows = run_query(graph, "failure_chain", {"run_id": run_id(FILTER_JS), "method": "gold"})
    assert [(r["k"], r["is_onset"], r["tool"]) for r in rows] == [(2, True, "Write"), (6, False, "Write"),
                                                                  (8, False, "Write")]
    assert [r["failing_tests"] for r in rows] == [[], [], ["test_outputs.py::test_clean_html_unchanged"]]


def test_next_chain_walks_every_step(graph, run_id):
    rows = run_query(graph, "next_chain", {"run_id": run_id("dna-assembly__BC7CeVz")})
    assert [r["k"] for r in rows] == list(range(1, 11))


def test_onset_dependents_follow_depends_on_back_to_the_onset(graph, run_id):
    rows = run_query(graph, "onset_dependents", {"run_id": run_id(FILTER_JS), "method": "gold"})
    hops = {r["k"]: r["hops"] for r in rows}
    assert hops[6] == 1 and hops[8] == 2  # 6 rewrites /app/filter.py written at 2; 8 rewrites it again
    assert next(r for r in rows if r["k"] == 6)["direct_reason"] == "changes /app/filter.py again (written at step 2)"
    assert sorted(r["k"] for r in rows if r["in_chain"]) == [6, 8]
    assert all(r["onset_k"] == 2 and r["k"] > 2 for r in rows)


def test_loops_find_the_noop_loop(graph):
    rows = run_query(graph, "loops", {"min_length": 3})
    assert rows[0]["run"] == "openssl-selfsigned-cert__6aDSXLS"
    assert (rows[0]["from_k"], rows[0]["to_k"], rows[0]["steps"], rows[0]["all_noop"]) == (9, 14, 6, True)
    assert all(r["steps"] >= 3 and r["to_k"] - r["from_k"] + 1 == r["steps"] for r in rows)
    assert ("headless-terminal__bemYu3W", 15, 17) in {(r["run"], r["from_k"], r["to_k"]) for r in rows}


def test_reverted_edits_find_deleted_and_restored_files(graph):
    rows = run_query(graph, "reverted_edits", {})
    assert [(r["run"], r["path"], r["edit_k"], r["undo_k"], r["how"]) for r in rows] == [
        # step 53 runs `create reproduce.py` again, as step 12 did: the file is empty again, step 14's edit is gone
        ("psf__requests-2317", "/psf__requests/reproduce.py", 14, 53, "restored"),
        ("pydicom__pydicom-1458", "/pydicom__pydicom/reproduce_bug.py", 1, 11, "deleted"),
        ("pydicom__pydicom-1458", "/pydicom__pydicom/reproduce_bug.py", 2, 11, "deleted"),
    ]


def test_error_categories_by_stage(graph):
    rows = run_query(graph, "error_categories_by_stage", {"method": "gold"})
    assert [(r["stage"], r["category"], r["runs"]) for r in rows] == [
        ("environment", "dependency_resolution", 1),
        ("environment", "unproductive_looping", 1),
        ("exploration", "premature_stop", 2),
        ("implementation", "incorrect_hypothesis", 2),
        ("implementation", "mislocalized_edit", 1),
        ("implementation", "premature_stop", 1),
        ("implementation", "unproductive_looping", 1),
    ]
    assert sorted(rows[2]["run_names"]) == ["dna-assembly__BC7CeVz", "sanitize-git-repo__tVYCtFW"]
    # install-windows-3.11: gold says not the agent's fault, and triage agrees (its check hard-codes a socket path
    # the task never names), so it counts only when asked for.
    unblamed = run_query(graph, "error_categories_by_stage", {"method": "gold", "include_unblamed": True})
    assert [(r["stage"], r["category"], r["run_names"]) for r in unblamed if r["category"] == "not_agent_fault"] == [
        ("none", "not_agent_fault", ["install-windows-3.11__sVtnj8d"])]


def test_onset_position_histogram(graph):
    rows = run_query(graph, "onset_position_histogram", {"method": "gold", "buckets": 10})
    assert {r["bucket"]: r["runs"] for r in rows} == {0: 2, 1: 1, 2: 1, 4: 1, 6: 1, 8: 1, 9: 2}
    last = rows[-1]
    assert (last["from_fraction"], last["to_fraction"]) == (0.9, 1.0)
    assert sorted(last["run_names"]) == ["dna-assembly__BC7CeVz", "sanitize-git-repo__tVYCtFW"]


def test_runs_failing_same_test(graph):
    rows = run_query(graph, "runs_failing_same_test", {"min_runs": 2})
    assert [(r["task"], r["test"], r["failing_runs"]) for r in rows] == [
        ("jupyter-notebook-server", "test_jupyter_config_exists", 2),
        ("jupyter-notebook-server", "test_password_authentication", 2),
    ]
    assert sorted(rows[0]["runs"]) == ["jupyter-notebook-server.1-of-1.2025-11-08__13-10-33",
                                       "jupyter-notebook-server.1-of-1.2025-11-09__14-07-43"]


def test_solved_by_one_failed_by_other(graph):
    # The OpenHands run that failed blind-maze-explorer-5x5 recorded no agent action (actions_not_recorded): left
    # out unless asked for.
    assert run_query(graph, "solved_by_one_failed_by_other", {}) == []
    rows = run_query(graph, "solved_by_one_failed_by_other", {"include_unblamed": True})
    assert [r["task"] for r in rows] == ["blind-maze-explorer-5x5"]
    assert rows[0]["solved_by"] == ["mini-swe-agent / anthropic/claude-sonnet-4-20250514"]
    assert len(rows[0]["failed_by"]) == 1 and rows[0]["failed_by"] != rows[0]["solved_by"]


def test_tool_error_rates(graph):
    rows = run_query(graph, "tool_error_rates", {"min_calls": 5})
    glob = next(r for r in rows if (r["framework"], r["model"], r["tool"]) == ("harbor-atif", "kimi-k2.5", "Glob"))
    assert (glob["calls"], glob["errors"]) == (7, 6)
    assert all(r["calls"] >= 5 and abs(r["error_rate"] - r["errors"] / r["calls"]) < 1e-9 for r in rows)
    assert [r["error_rate"] for r in rows] == sorted((r["error_rate"] for r in rows), reverse=True)


def test_longest_exploration_without_change(graph):
    rows = run_query(graph, "longest_exploration_without_change", {"min_steps": 1})
    openssl = next(r for r in rows if r["run"] == "openssl-selfsigned-cert__6aDSXLS")
    assert (openssl["from_k"], openssl["to_k"], openssl["steps"], openssl["run_steps"]) == (1, 21, 21, 21)
    kinds: dict[str, list[str]] = defaultdict(list)
    for s in graph.query("MATCH (r:Run)-[:HAS_STEP]->(s:Step) WHERE coalesce(r.triage, 'agent_failed') IN "
                         "['agent_failed', 'agent_timed_out'] RETURN s.run_id AS run_id, s.kind AS kind "
                         "ORDER BY run_id, s.k"):
        kinds[s["run_id"]].append(s["kind"])
    assert {r["run_id"] for r in rows} == {run for run, ks in kinds.items() if "explore" in ks}
    unblamed = run_query(graph, "longest_exploration_without_change", {"min_steps": 1, "include_unblamed": True})
    # infrastructure_failed: feal-linear-cryptanalysis (its verifier could not reach the network), install-windows-3.11
    # (its check hard-codes a path the task never names)
    assert {r["run"] for r in unblamed} - {r["run"] for r in rows} == {
        "feal-linear-cryptanalysis__zkWNvqg", "install-windows-3.11__sVtnj8d"}
    for r in rows:  # the same stretch, counted in Python
        longest, current = 0, 0
        for kind in kinds[r["run_id"]]:
            current = current + 1 if kind == "explore" else 0
            longest = max(longest, current)
        assert r["steps"] == longest == r["to_k"] - r["from_k"] + 1, r["run"]


def test_files_edited_failed_vs_solved(graph):
    rows = {r["path"]: r for r in run_query(graph, "files_edited_failed_vs_solved", {"min_runs": 1})}
    # nginx-request-logging and install-windows-3.11 both removed it; the second run's failure was its verifier's
    assert rows["/etc/nginx/sites-enabled/default"] == {
        "path": "/etc/nginx/sites-enabled/default", "failed_runs": 1, "solved_runs": 0, "failed_writes": 1,
        "solved_writes": 0}
    unblamed = {r["path"]: r for r in run_query(graph, "files_edited_failed_vs_solved",
                                                {"min_runs": 1, "include_unblamed": True})}
    assert (unblamed["/etc/nginx/sites-enabled/default"]["failed_runs"],
            unblamed["/etc/nginx/sites-enabled/default"]["failed_writes"]) == (2, 2)
    assert (rows["/app/sol.sql"]["solved_runs"], rows["/app/sol.sql"]["solved_writes"]) == (1, 2)
    assert [p for p, r in rows.items() if r["failed_runs"] + r["solved_runs"] >= 2] == []
    assert [p for p, r in unblamed.items() if r["failed_runs"] + r["solved_runs"] >= 2] == [
        "/etc/nginx/sites-enabled/default"]
