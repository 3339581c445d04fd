"""The Browser stylesheet and the Bloom perspective: current, parseable, and naming only what the schema declares."""

from __future__ import annotations

import json
import re

from tests.queries.cypher_check import declared, unknown_references
from tracegraph.neo4j_styles import build
from tracegraph.schema import LABELS, REL_SPECS


def grass_blocks(text: str) -> dict[str, dict[str, str]]:
    """`selector { key: value; ... }` blocks of a .grass file."""
    blocks = {}
    for selector, body in re.findall(r"([\w.]+)\s*\{([^}]*)\}", text):
        items = [part.split(":", 1) for part in body.split(";") if part.strip()]
        blocks[selector] = {k.strip(): v.strip().strip('"') for k, v in items}
    return blocks


def test_committed_files_are_what_build_writes():
    assert build.GRASS.read_text() == build.grass()
    assert json.loads(build.PERSPECTIVE.read_text()) == build.perspective()


def test_grass_styles_every_label_and_type_with_real_captions():
    blocks = grass_blocks(build.GRASS.read_text())
    assert {"node", "relationship"} <= set(blocks)
    styled = {s.split(".", 1)[1]: s.split(".", 1)[0] for s in blocks if "." in s}
    assert {k for k, v in styled.items() if v == "node"} == set(LABELS)
    assert {k for k, v in styled.items() if v == "relationship"} == {r.value for r in REL_SPECS}
    for selector, style in blocks.items():
        if "." not in selector:
            continue
        owner = selector.split(".", 1)[1]
        for prop in re.findall(r"\{(\w+)\}", style["caption"]):
            assert prop in declared(owner), selector
        assert re.fullmatch(r"#[0-9A-F]{6}", style["color"]), selector


def test_grass_makes_the_onset_stand_out():
    blocks = grass_blocks(build.GRASS.read_text())
    widths = {s: int(b["shaft-width"].removesuffix("px")) for s, b in blocks.items() if "shaft-width" in b}
    assert max(widths, key=widths.get) == "relationship.ONSET"
    assert blocks["node.Diagnosis"]["color"] == blocks["relationship.ONSET"]["color"] == "#E0281E"


def test_perspective_names_only_schema_labels_properties_and_types():
    data = json.loads(build.PERSPECTIVE.read_text())
    assert {c["labels"][0] for c in data["categories"]} == set(LABELS)
    for c in data["categories"]:
        label = c["labels"][0]
        assert {p["name"] for p in c["properties"]} <= declared(label)
        assert {cap["key"] for cap in c["captions"]} <= declared(label)
    for r in data["relationshipTypes"]:
        assert {p["propertyKey"] for p in r["properties"]} <= declared(r["name"])
    assert {r["name"] for r in data["relationshipTypes"]} == {r.value for r in REL_SPECS}


def test_search_phrases_use_the_schema_and_declare_their_parameters():
    data = json.loads(build.PERSPECTIVE.read_text())
    assert len(data["templates"]) >= 6
    for t in data["templates"]:
        assert unknown_references(t["cypher"]) == [], t["text"]
        used = set(re.findall(r"\$\w+", t["cypher"]))
        assert used == {p["name"] for p in t["params"]} == set(re.findall(r"\$\w+", t["text"])), t["text"]
        for p in t["params"]:
            assert p["suggestionProp"] in declared(p["suggestionLabel"])


def test_search_phrases_run_on_the_graph(graph):
    sample = {"$run": "filter-js-from-html__ANAXTHK", "$method": "gold", "$signature": "none",
              "$test": "test_outputs.py::test_clean_html_unchanged", "$task": "filter-js-from-html",
              "$category": "incorrect_hypothesis"}
    counts = {}
    for t in build.perspective()["templates"]:
        params = {p["name"][1:]: sample[p["name"]] for p in t["params"]}
        counts[t["name"]] = len(graph.query(t["cypher"], params))
    assert counts["Failure chain of run"] > 0 and counts["Runs failing test"] == 1


def test_every_label_and_type_the_files_name_is_in_an_ingested_graph(graph):
    """The Browser and Bloom style what a real ingest makes, on each engine (the Neo4j server included)."""
    blocks = grass_blocks(build.GRASS.read_text())
    data = json.loads(build.PERSPECTIVE.read_text())
    labels = {s.split(".", 1)[1] for s in blocks if s.startswith("node.")}
    labels |= {label for c in data["categories"] for label in c["labels"]}
    types = {s.split(".", 1)[1] for s in blocks if s.startswith("relationship.")}
    types |= {r["name"] for r in data["relationshipTypes"]}
    # Names come from the files, so each is checked against the schema before it goes into a query's text.
    assert labels <= set(LABELS) and types <= {r.value for r in REL_SPECS}
    empty = [label for label in sorted(labels) if graph.query(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"] == 0]
    empty += [t for t in sorted(types) if graph.query(f"MATCH ()-[e:{t}]->() RETURN count(e) AS c")[0]["c"] == 0]
    assert empty == []
