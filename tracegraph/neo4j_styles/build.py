"""Write tracegraph.grass (Neo4j Browser) and bloom-perspective.json (Neo4j Bloom) from the schema and one style table.

Run `python -m tracegraph.neo4j_styles.build` after a label, property or relationship type changes; a test fails while
the committed files differ from what this writes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tracegraph.schema import NODE_MODELS, REL_SPECS, RelType

HERE = Path(__file__).parent
GRASS = HERE / "tracegraph.grass"
PERSPECTIVE = HERE / "bloom-perspective.json"

NODE_STYLE: dict[str, tuple[str, str, int]] = {
    "Run": ("#4C8EDA", "name", 65),
    "Task": ("#569480", "name", 55),
    "Stage": ("#D9C8AE", "label", 45),
    "Step": ("#A5ABB6", "k", 35),
    "ToolCall": ("#C990C0", "name", 25),
    "Observation": ("#D9D9D9", "k", 25),
    "StateDelta": ("#FFE081", "op", 25),
    "File": ("#8DCC93", "path", 45),
    "TestCase": ("#F79767", "name", 45),
    "Diagnosis": ("#E0281E", "category", 70),
    "Pattern": ("#FFC454", "signature", 60),
    "SchemaInfo": ("#FFFFFF", "version", 20),
}
"""Label → (colour, caption property, diameter in px). The failure side (Diagnosis, Pattern) is loud."""

REL_STYLE: dict[RelType, tuple[str, int, str]] = {
    RelType.ONSET: ("#E0281E", 8, "<type>"),
    RelType.PROPAGATES_TO: ("#E0281E", 4, "<type>"),
    RelType.LABELS: ("#F79767", 2, "{role}"),
    RelType.HAS_DIAGNOSIS: ("#E0281E", 2, "<type>"),
    RelType.EXHIBITS: ("#FFC454", 3, "<type>"),
    RelType.MATCHES: ("#FFC454", 2, "<type>"),
    RelType.DEPENDS_ON: ("#4C8EDA", 2, "<type>"),
    RelType.REPEATS: ("#DA7194", 3, "<type>"),
}
"""Relationship type → (colour, shaft width in px, caption); every other type is thin and grey."""

DEFAULT_REL = ("#A5ABB6", 1, "<type>")

PHRASES: list[tuple[str, str]] = [
    ("Failure chain of run $run by $method", (
        "MATCH (r:Run {name: $run})-[hd:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})-[o:ONSET]->(onset:Step) "
        "OPTIONAL MATCH (a:Step {run_id: r.id})-[p:PROPAGATES_TO {diagnosis_id: d.id}]->(b:Step) "
        "OPTIONAL MATCH (r)-[ht:HAS_TEST]->(t:TestCase) WHERE t.status IN ['failed', 'error'] "
        "RETURN r, hd, d, o, onset, a, p, b, ht, t")),
    ("Steps depending on the onset of run $run by $method", (
        "MATCH (r:Run {name: $run})-[:HAS_DIAGNOSIS]->(d:Diagnosis {method: $method})-[o:ONSET]->(onset:Step) "
        "MATCH path = (s:Step)-[:DEPENDS_ON*1..]->(onset) RETURN d, o, onset, path")),
    ("Loops in run $run", (
        "MATCH (r:Run {name: $run})-[:HAS_STEP]->(last:Step) "
        "MATCH path = (last)-[:REPEATS*2..]->(first:Step) RETURN path")),
    ("Runs showing pattern $signature",
     "MATCH (r:Run)-[e:EXHIBITS]->(p:Pattern {signature: $signature}) RETURN r, e, p"),
    ("Runs failing test $test", (
        "MATCH (r:Run)-[h:HAS_TEST]->(t:TestCase {name: $test}) WHERE t.status IN ['failed', 'error'] "
        "RETURN r, h, t")),
    ("Runs of task $task with their onsets", (
        "MATCH (r:Run)-[ot:OF_TASK]->(t:Task {name: $task}) "
        "OPTIONAL MATCH (r)-[hd:HAS_DIAGNOSIS]->(d:Diagnosis)-[o:ONSET]->(s:Step) RETURN r, ot, t, hd, d, o, s")),
    ("Onsets of category $category", (
        "MATCH (r:Run)-[hd:HAS_DIAGNOSIS]->(d:Diagnosis {category: $category})-[o:ONSET]->(s:Step) "
        "MATCH (s)-[i:IN_STAGE]->(st:Stage) RETURN r, hd, d, o, s, i, st")),
    ("Files written in run $run",
     "MATCH (r:Run {name: $run})-[:HAS_STEP]->(s:Step)-[w:WRITES]->(f:File) RETURN s, w, f"),
]
"""Bloom search phrases: unlike queries/*.cypher they return nodes and relationships, since Bloom draws them."""

PARAM_SUGGESTIONS = {
    "run": ("Run", "name"), "method": ("Diagnosis", "method"), "signature": ("Pattern", "signature"),
    "test": ("TestCase", "name"), "task": ("Task", "name"), "category": ("Diagnosis", "category"),
}
"""Search-phrase parameter → (label, property) Bloom suggests values from."""


def grass() -> str:
    """The Browser stylesheet: one block per label and per relationship type."""
    out = [("node {\n  diameter: 40px;\n  color: #A5ABB6;\n  border-color: #9AA1AC;\n  border-width: 2px;\n"
            "  text-color-internal: #000000;\n  font-size: 10px;\n}\n"),
           ("relationship {\n  color: #A5ABB6;\n  shaft-width: 1px;\n  font-size: 8px;\n  padding: 3px;\n"
            "  text-color-external: #000000;\n  text-color-internal: #FFFFFF;\n  caption: \"<type>\";\n}\n")]
    for model in NODE_MODELS:
        color, caption, size = NODE_STYLE[model.LABEL]
        out.append(f"node.{model.LABEL} {{\n  color: {color};\n  border-color: {color};\n  diameter: {size}px;\n"
                   f"  caption: \"{{{caption}}}\";\n}}\n")
    for rel in RelType:
        color, width, caption = REL_STYLE.get(rel, DEFAULT_REL)
        out.append(f"relationship.{rel.value} {{\n  color: {color};\n  shaft-width: {width}px;\n"
                   f"  caption: \"{caption}\";\n}}\n")
    return "\n".join(out)


def _template(i: int, text: str, cypher: str) -> dict:
    params = []
    for name in dict.fromkeys(re.findall(r"\$(\w+)", text)):
        label, prop = PARAM_SUGGESTIONS[name]
        params.append({"name": f"${name}", "dataType": "String", "collapsed": False, "suggestionLabel": label,
                       "suggestionProp": prop, "suggestionBoolean": False, "cypher": None})
    return {"name": text.split(" $")[0], "id": f"tracegraph-phrase-{i}", "createdAt": 0, "text": text,
            "cypher": cypher, "isUpdateQuery": None, "hasCypherErrors": False, "params": params}


def perspective() -> dict:
    """The Bloom perspective: a category per label (caption from the style table), relationship styles, phrases."""
    categories, labels = [], {}
    for i, model in enumerate(NODE_MODELS, start=1):
        color, caption, _ = NODE_STYLE[model.LABEL]
        props = model.properties()
        labels[model.LABEL] = [{"propertyKey": p, "type": model.LABEL, "dataType": "String"} for p in props]
        categories.append({
            "id": i, "name": model.LABEL, "labels": [model.LABEL], "color": color, "icon": "no-icon",
            "size": 3 if model.LABEL == "Diagnosis" else 1, "textSize": 1, "textAlign": "top",
            "properties": [{"name": p, "exclude": False, "dataType": "String"} for p in props],
            "captions": [{"key": caption, "type": "property", "isCaption": True, "inTooltip": True, "styles": []}],
            "captionKeys": [], "styleRules": [], "createdAt": 0, "lastEditedAt": 0,
        })
    rel_types = []
    for rel in RelType:
        color, width, _ = REL_STYLE.get(rel, DEFAULT_REL)
        rel_types.append({"id": rel.value, "name": rel.value, "color": color, "size": max(1, width // 2),
                          "properties": [{"propertyKey": p, "type": rel.value, "dataType": "String"}
                                         for p in REL_SPECS[rel].properties],
                          "captionKeys": ["0_REL_TYPE_CAPTION_KEY"]})
    return {
        "name": "tracegraph", "id": "tracegraph-perspective", "version": "2.3.0", "type": "STANDARD_PERSPECTIVE",
        "createdAt": 0, "lastEditedAt": 0, "categories": categories, "labels": labels,
        "relationshipTypes": rel_types, "templates": [_template(i, t, c) for i, (t, c) in enumerate(PHRASES)],
        "sceneActions": [], "hiddenRelationshipTypes": [], "hiddenCategories": [], "hideUncategorisedData": False,
        "parentPerspectiveId": None,
        "palette": {"colors": [NODE_STYLE[m.LABEL][0] for m in NODE_MODELS], "currentIndex": 0},
        "metadata": {"pathSegments": [{"source": s.src, "relationshipType": rel.value, "target": s.dst}
                                      for rel, s in REL_SPECS.items()], "indexes": []},
    }


def main() -> None:
    GRASS.write_text(grass())
    PERSPECTIVE.write_text(json.dumps(perspective(), indent=1) + "\n")
    print(f"wrote {GRASS} and {PERSPECTIVE}")


if __name__ == "__main__":
    main()
