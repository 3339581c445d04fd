"""Read-only graph tools the model calls: compact text views of one run, and a guarded Cypher tool."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from tracegraph.diagnose.result import DiagnosisResult
from tracegraph.errors import QueryError
from tracegraph.schema import LABELS, REL_SPECS
from tracegraph.store import Store

_WRITE_CLAUSE = re.compile(
    r"(?<![\w.$`])(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH|ALTER|GRANT|DENY|REVOKE|RENAME|TERMINATE)\b"
    r"|\bLOAD\s+CSV\b", re.IGNORECASE)
_CALL = re.compile(r"(?<![\w.$`])CALL\s+([\w.]+)?", re.IGNORECASE)
_READ_PROCEDURES = {"db.labels", "db.relationshiptypes", "db.propertykeys"}
_LITERALS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)


def write_clause(cypher: str) -> str | None:
    """The first clause that could write (or call a procedure that might), ignoring strings and comments."""
    code = _LITERALS.sub("''", cypher)
    found = _WRITE_CLAUSE.search(code)
    if found:
        return found.group(0).upper()
    for call in _CALL.finditer(code):
        if (call.group(1) or "").lower() not in _READ_PROCEDURES:
            return f"CALL {call.group(1) or '{...}'}"
    return None


def _cut(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str | None, limit: int) -> str:
    """Whitespace collapsed, cut to `limit` characters."""
    return _cut(" ".join((text or "").split()), limit)


_INT = {"type": "integer"}
PARAMETERS: dict[str, dict[str, Any]] = {
    "run_overview": {},
    "list_stages": {"from_k": {**_INT, "description": "first step to list (paging)"}},
    "step_detail": {"k": _INT, "offset": {**_INT, "description": "observation character offset (paging)"}},
    "file_history": {"path": {"type": "string"}},
    "neighbours": {"k": _INT},
    "heuristic_candidates": {},
    "cypher": {"query": {"type": "string"}, "params": {"type": "object"}},
}
"""Tool name → its arguments' JSON schemas; a tool's description is its method's docstring, required arguments
are the method's parameters without a default."""


_SUMMARY_LABELS = ("Run", "Stage", "Step", "Observation", "StateDelta", "File", "TestCase")
_SUMMARY_SKIP = {"id", "run_id", "source", "content_hash", "reader_revision", "extra_json", "gold_json", "call_id",
                 "timestamp_ms", "started_at_ms", "ended_at_ms", "prompt_tokens", "completion_tokens", "fidelity"}


def graph_summary() -> str:
    """The labels, properties and relationships a query over one run needs, from the schema models."""
    nodes = [f"{label}{{{','.join(p for p in LABELS[label].properties() if p not in _SUMMARY_SKIP)}}}"
             for label in _SUMMARY_LABELS]
    rels = [f"({spec.src})-[:{rel.value}{' {' + ','.join(spec.properties) + '}' if spec.properties else ''}]->"
            f"({spec.dst})" for rel, spec in REL_SPECS.items()
            if spec.src in _SUMMARY_LABELS and spec.dst in _SUMMARY_LABELS
            and rel.value not in {"HAS_STEP", "HAS_STAGE", "PROPAGATES_TO"}]
    shared = [label for label in _SUMMARY_LABELS if not LABELS[label].PER_RUN]
    return (f"Nodes (all but {', '.join(shared)} have run_id): " + " ".join(nodes) + ". Edges: " + " ".join(rels)
            + ".")


class GraphTools:
    """The tools over one run; every method returns compact text for the model."""

    def __init__(self, store: Store, run_id: str, heuristic: DiagnosisResult, *, page_chars: int = 1500,
                 max_rows: int = 40, max_chars: int = 3000) -> None:
        self.store = store
        self.run_id = run_id
        self.heuristic = heuristic
        self.page_chars = page_chars
        self.max_rows = max_rows
        self.max_chars = max_chars

    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI function-calling schemas of the tools."""
        out = []
        for name, props in PARAMETERS.items():
            method = getattr(self, name)
            required = [p.name for p in inspect.signature(method).parameters.values() if p.default is p.empty]
            params: dict[str, Any] = {"type": "object", "properties": props}
            if required:
                params["required"] = required
            description = " ".join(method.__doc__.split())
            if name == "cypher":
                description += " " + graph_summary()
            out.append({"type": "function", "function": {
                "name": name, "description": description, "parameters": params}})
        return out

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Run one tool; mistakes (unknown tool, bad arguments, a failing query) come back as text, not raised."""
        if name not in PARAMETERS:
            return f"error: no tool {name!r}"
        try:
            out = getattr(self, name)(**arguments)
        except (TypeError, ValueError) as exc:
            return f"error: bad arguments for {name}: {exc}"
        except QueryError as exc:
            return f"error: query failed: {exc}"
        return _cut(out, self.max_chars + 500)

    def _q(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        return self.store.query(cypher, {"id": self.run_id, **params})

    def _step_count(self) -> int:
        rows = self._q("MATCH (s:Step {run_id: $id}) RETURN count(s) AS n")
        return rows[0]["n"] if rows else 0

    def run_overview(self) -> str:
        """Task, outcome, failing tests with their messages, the agent's last message."""
        rows = self._q("MATCH (r:Run {id: $id}) RETURN properties(r) AS p")
        if not rows:
            return f"error: no run {self.run_id}"
        r = rows[0]["p"]
        lines = [f"run {r.get('name')} · {r.get('framework')} · agent {r.get('agent') or '?'} · "
                 f"model {r.get('model') or '?'}",
                 f"outcome {r.get('outcome')} ({r.get('outcome_reason') or 'no reason'}), reward {r.get('reward')}, "
                 f"{r.get('step_count')} steps",
                 f"task: {_cut(r.get('task_text'), 700)}"]
        tests = self._q("MATCH (t:TestCase {run_id: $id}) OPTIONAL MATCH (t)-[:VERIFIES]->(f:File) "
                        "RETURN t.name AS name, t.status AS status, t.message AS message, collect(f.path) AS files "
                        "ORDER BY name")
        failing = [t for t in tests if t["status"].lower() not in {"passed", "skipped"}]
        if tests:
            lines.append(f"tests: {len(failing)} of {len(tests)} not passed")
        for t in failing[:8]:
            files = f" [checks {', '.join(t['files'][:3])}]" if t["files"] else ""
            lines.append(f"- {t['status']} {t['name']}{files}: {one_line(t['message'], 200)}")
        if not failing:
            lines.append(f"verifier output (tail): {one_line((r.get('verifier_output') or '')[-500:], 500)}")
        if r.get("final_message"):
            lines.append(f"agent's last message: {one_line(r['final_message'], 250)}")
        return "\n".join(lines)

    def list_stages(self, from_k: int = 1) -> str:
        """Stages and a one-line outline per step (! error, * changed state, ~ no-op)."""
        stages = self._q("MATCH (s:Stage {run_id: $id}) RETURN s.ordinal AS o, s.label AS label, s.start_k AS a, "
                         "s.end_k AS b ORDER BY o")
        steps = self._q("MATCH (s:Step {run_id: $id}) WHERE s.k >= $from_k RETURN s.k AS k, s.tool AS tool, "
                        "s.action AS action, s.is_error AS err, s.kind AS kind, s.is_noop AS noop ORDER BY k "
                        "LIMIT $limit", from_k=int(from_k), limit=2 * self.max_rows + 1)
        start = {st["a"]: st for st in stages}
        lines = [] if from_k > 1 else ["stages: " + ", ".join(f"{st['label']} {st['a']}-{st['b']}" for st in stages)]
        width = 70 if len(steps) <= self.max_rows else 45
        for s in steps[: 2 * self.max_rows]:
            if s["k"] in start and from_k > 1:
                lines.append(f"[{start[s['k']]['label']}]")
            flags = ("!" if s["err"] else "") + ("*" if s["kind"] == "change" else "") + ("~" if s["noop"] else "")
            lines.append(f"{s['k']}{flags} {s['tool']}: {one_line(s['action'], width)}")
        if len(steps) > 2 * self.max_rows:
            lines.append(f"(more: list_stages(from_k={steps[2 * self.max_rows]['k']}))")
        return "\n".join(lines) or "no steps"

    def step_detail(self, k: int, offset: int = 0) -> str:
        """One step: thought, action, effects on files, observation (paged)."""
        rows = self._q("MATCH (s:Step {run_id: $id, k: $k}) OPTIONAL MATCH (s)-[:OBSERVES]->(o:Observation) "
                       "RETURN properties(s) AS s, o.content AS content, o.size AS size", k=int(k))
        if not rows:
            return f"error: no step {k}; the run has steps 1..{self._step_count()}"
        s, content = rows[0]["s"], rows[0]["content"] or rows[0]["s"].get("observation") or ""
        size = rows[0]["size"] or s.get("observation_size") or len(content)
        effects = self._q("MATCH (d:StateDelta {run_id: $id, k: $k}) RETURN d.op AS op, d.path AS path, "
                          "d.effect AS effect ORDER BY d.id", k=int(k))
        status = "error" if s.get("is_error") else "ok"
        if s.get("exit_code") is not None:
            status += f", exit {s['exit_code']}"
        lines = [f"step {k} · {s.get('tool')} · {s.get('stage') or 'unstaged'} · {s.get('kind')} "
                 f"({s.get('kind_reason') or '-'}) · {status}" + (" · no-op" if s.get("is_noop") else "")]
        if s.get("thought") and s["thought"] != "None":
            lines.append(f"thought: {_cut(s['thought'], 500)}")
        lines.append(f"action: {_cut(s.get('action'), 700)}")
        if s.get("intent"):
            lines.append(f"meant to: {one_line(s['intent'], 150)}")
        if effects:
            lines.append("effects: " + "; ".join(f"{e['op']} {e['path'] or e['effect'] or ''}".strip()
                                                 for e in effects[:12]))
        offset = max(0, int(offset))
        page = content[offset: offset + self.page_chars]
        stored = f", {len(content)} stored" if len(content) < size else ""
        lines.append(f"observation [{offset}-{offset + len(page)} of {size} chars{stored}]: {page}")
        if offset + len(page) < len(content):
            lines.append(f"(more: step_detail(k={k}, offset={offset + len(page)}))")
        return "\n".join(lines)

    def file_history(self, path: str) -> str:
        """Steps that read, ran or wrote a file, and the tests checking it."""
        tail = path if path.startswith("/") else "/" + path
        rows = self._q("MATCH (d:StateDelta {run_id: $id}) WHERE d.path = $path OR d.path ENDS WITH $tail "
                       "MATCH (s:Step {run_id: $id, k: d.k}) RETURN d.k AS k, d.op AS op, d.path AS path, "
                       "s.tool AS tool, s.action AS action, s.is_error AS err ORDER BY k", path=path, tail=tail)
        tests = self._q("MATCH (t:TestCase {run_id: $id})-[:VERIFIES]->(f:File) WHERE f.path = $path OR "
                        "f.path ENDS WITH $tail RETURN t.name AS name, t.status AS status ORDER BY name",
                        path=path, tail=tail)
        if not rows and not tests:
            known = self._q("MATCH (d:StateDelta {run_id: $id}) WHERE d.path IS NOT NULL AND d.op <> 'read' "
                            "RETURN DISTINCT d.path AS path ORDER BY path LIMIT 20")
            return f"no step touched {path}; files written in this run: " + ", ".join(r["path"] for r in known)
        lines = [f"{r['k']}{'!' if r['err'] else ''} {r['op']} {r['path']} · {r['tool']}: {one_line(r['action'], 60)}"
                 for r in rows[: self.max_rows]]
        lines += [f"checked by {t['status']} test {t['name']}" for t in tests[:10]]
        return "\n".join(lines)

    def neighbours(self, k: int) -> str:
        """DEPENDS_ON edges of a step (earlier steps it builds on, later steps building on it) and REPEATS."""
        k = int(k)
        out = self._q("MATCH (a:Step {run_id: $id, k: $k})-[e:DEPENDS_ON]->(b:Step) RETURN b.k AS k, "
                      "e.reason AS why, b.tool AS tool, b.action AS action ORDER BY k", k=k)
        inc = self._q("MATCH (b:Step {run_id: $id})-[e:DEPENDS_ON]->(a:Step {run_id: $id, k: $k}) RETURN b.k AS k, "
                      "e.reason AS why, b.tool AS tool, b.action AS action ORDER BY k", k=k)
        reps = self._q("MATCH (a:Step {run_id: $id, k: $k})-[e:REPEATS]-(b:Step) RETURN b.k AS k, "
                       "e.similarity AS sim ORDER BY k", k=k)

        def fmt(rows: list[dict[str, Any]]) -> list[str]:
            return [f"  {r['k']} ({one_line(r['why'], 80)}) {r['tool']}: {one_line(r['action'], 50)}"
                    for r in rows[:15]]

        lines = [f"step {k} builds on:"] + (fmt(out) or ["  nothing"])
        lines += ["built on by:"] + (fmt(inc) or ["  nothing"])
        if reps:
            lines.append("repeats/repeated by: " + ", ".join(f"{r['k']} ({r['sim']:.2f})" for r in reps))
        return "\n".join(lines)

    def heuristic_candidates(self) -> str:
        """The rule-based diagnosis: its answer, ranked onset candidates and all evidence."""
        h = self.heuristic
        lines = [f"heuristic answer: onset {h.onset_k} ({h.category.value}), chain {h.chain_ks}, "
                 f"incorrect {h.incorrect_ks}, unuseful {h.unuseful_ks}", "candidates (k score: reasons):"]
        lines += [f"  {c.k} {c.score}: {one_line('; '.join(c.reasons), 240)}" for c in h.candidates]
        lines.append("evidence:")
        lines += [f"  {e.rule} {e.steps[:10]}: {one_line(e.reason, 160)}" for e in h.evidence[:15]]
        return "\n".join(lines)

    def cypher(self, query: str, params: dict[str, Any] | None = None) -> str:
        """Read-only Cypher over the graph; $run_id is bound to this run's id."""
        clause = write_clause(query)
        if clause:
            return f"refused: {clause} would write; this tool is read-only"
        rows = self.store.query(query, {**(params or {}), "run_id": self.run_id})
        text = "\n".join(json.dumps(r, default=str, ensure_ascii=False, separators=(",", ":"))
                         for r in rows[: self.max_rows])
        if len(rows) > self.max_rows:
            text += f"\n({len(rows)} rows, first {self.max_rows} shown)"
        return _cut(text, self.max_chars) if rows else "no rows"
