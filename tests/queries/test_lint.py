"""Every query file: a full header whose params match the $parameters used, and only Cypher both engines run."""

from __future__ import annotations

import re

import pytest

from tests.queries.cypher_check import code_of, forbidden_forms, returned_elements, unknown_references
from tracegraph.queries import list_queries

QUERIES = list_queries()


def test_the_library_has_the_queries_the_issue_asks_for():
    assert {q.name for q in QUERIES} >= {
        "failure_chain", "onset_dependents", "loops", "reverted_edits", "error_categories_by_stage",
        "onset_position_histogram", "runs_failing_same_test", "solved_by_one_failed_by_other", "tool_error_rates",
        "longest_exploration_without_change", "files_edited_failed_vs_solved"}


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_header_declares_what_the_query_uses(q):
    header = [line for line in q.cypher.splitlines() if line.startswith("//")]
    assert [h.split(":")[0] for h in header[:3]] == ["// answers", "// params", "// example"], q.name
    assert q.description and q.example.startswith(f"tracegraph query {q.name}")
    assert set(q.parameters) == set(re.findall(r"\$(\w+)", code_of(q.cypher)))
    # The example passes every parameter the query needs; one with a default may be left out.
    assert set(re.findall(r"--param (\w+)=", q.example)) == set(q.parameters) - set(q.defaults)


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_only_cypher_both_engines_run(q):
    assert forbidden_forms(q.cypher) == []
    assert returned_elements(q.cypher) == [], "return values, maps and lists, never nodes or paths"


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_only_labels_types_and_properties_of_the_schema(q):
    assert unknown_references(q.cypher) == []


@pytest.mark.parametrize("bad, form", [
    ("MATCH (r:Run) WHERE EXISTS { (r)-[:HAS_STEP]->() } RETURN r.id AS id", "EXISTS {} subquery"),
    ("MATCH (r:Run) RETURN COUNT { (r)-->() } AS n", "COUNT {} subquery"),
    ("CALL { MATCH (r:Run) RETURN r } RETURN 1 AS x", "CALL {} subquery"),
    ("MATCH (r:Run) WHERE exists(r.model) RETURN r.id AS id", "exists()"),
    ("MATCH (r:Run) RETURN size((r)-->()) AS n", "size((pattern))"),
    ("MATCH (r:Run) WHERE r.name =~ $p RETURN r.id AS id", "regex match =~"),
    ("MATCH (r:Run) RETURN elementId(r) AS id", "elementId()"),
    ("RETURN datetime() AS now", "datetime()"),
    ("CALL apoc.help('x')", "APOC"),
    ("MATCH p = shortestPath((a:Step)-[:NEXT*]->(b:Step)) RETURN length(p) AS n", "shortestPath"),
    ("MATCH (s:Step) RETURN sum(s.observation_size) AS n", "sum() outside toInteger()"),
])
def test_lint_catches_each_form(bad, form):
    assert form in forbidden_forms(bad)


def test_lint_catches_returned_nodes_and_unknown_names():
    assert returned_elements("MATCH (r:Run)-[e:HAS_STEP]->(s) RETURN r, e.x AS x, collect(s) AS steps") == [
        "r", "collect(s)"]
    assert returned_elements("MATCH p = (a:Step)-[:NEXT]->(b) RETURN p") == ["p"]
    assert unknown_references("MATCH (r:Runs {idd: $x})-[:HAS_STEPS]->(s:Step) RETURN s.kk AS k") == [
        "label Runs", "relationship HAS_STEPS", "property Runs.idd", "property kk"]
    assert forbidden_forms("MATCH (s:Step) RETURN toInteger(sum(s.observation_size)) AS n // sum(x)") == []
