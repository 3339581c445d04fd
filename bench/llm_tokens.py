"""Tokens the llm method spends per run: a scripted model over the fixture runs, through real HTTP and litellm.

The scripted server (tests/diagnose/scripted_server.py) plays a model that looks at the top candidate with the main
tools (stage outline, step detail, neighbours, file history, heuristic evidence, one Cypher query) over two turns
and then submits. Prompt tokens are counted by the server on the requests it actually received. Target: median
≤ 12k prompt tokens per run.

Usage: .venv/bin/python bench/llm_tokens.py [--json]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENAI_API_KEY", "scripted-no-key")

from tests.diagnose.scripted_server import ScriptedServer, calls, tool_call  # noqa: E402
from tests.support import FIXTURES  # noqa: E402
from tracegraph.diagnose import diagnose_run, failed_run_ids  # noqa: E402
from tracegraph.diagnose.heuristic import diagnose_run_heuristic  # noqa: E402
from tracegraph import ingest_paths  # noqa: E402
from tracegraph.store import open_store  # noqa: E402

SOURCES = [FIXTURES / "harbor-atif", FIXTURES / "tb-claude-code"]
TARGET = 12_000


def script_for(store, run_id: str) -> list[dict]:
    """Look at the heuristic's top candidate and a file that matters, then submit the heuristic's answer."""
    h = diagnose_run_heuristic(store, run_id)
    k = h.onset_k or (h.candidates[0].k if h.candidates else 1)
    paths = [r["path"] for r in store.query(
        "MATCH (t:TestCase {run_id: $id})-[:VERIFIES]->(f:File) RETURN f.path AS path UNION "
        "MATCH (d:StateDelta {run_id: $id}) WHERE d.path IS NOT NULL AND d.op <> 'read' RETURN d.path AS path",
        {"id": run_id})]
    return [
        calls(tool_call("list_stages"), tool_call("step_detail", k=k), tool_call("neighbours", k=k)),
        calls(tool_call("file_history", path=paths[0] if paths else "/app"), tool_call("heuristic_candidates"),
              tool_call("cypher", query="MATCH (s:Step {run_id: $run_id}) WHERE s.is_error "
                                        "RETURN s.k AS k, s.tool AS tool ORDER BY k LIMIT 10")),
        calls(tool_call("submit_diagnosis", onset_k=h.onset_k, category=h.category.value,
                        incorrect_ks=h.incorrect_ks, unuseful_ks=h.unuseful_ks, chain_ks=h.chain_ks,
                        reasoning=h.reasoning[:400] or "heuristic answer")),
    ]


def main() -> None:
    as_json = "--json" in sys.argv
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer() as server:
        store = open_store(str(Path(tmp) / "store"))
        try:
            ingest_paths(SOURCES, store)
            for run_id in failed_run_ids(store):
                server.script = script_for(store, run_id)
                first = len(server.usages)
                t0 = time.perf_counter()
                result = diagnose_run(store, run_id, "llm", model="openai/scripted", api_base=server.api_base,
                                      write=False)
                used = server.usages[first:]
                fw = store.query("MATCH (r:Run {id: $id}) RETURN r.framework AS f, r.step_count AS n",
                                 {"id": run_id})[0]
                rows.append({"run": run_id.split("@")[0], "framework": fw["f"], "steps": fw["n"],
                             "requests": len(used), "prompt_tokens": result.prompt_tokens,
                             "completion_tokens": result.completion_tokens,
                             "largest_request": max((u["prompt_tokens"] for u in used), default=0),
                             "seconds": round(time.perf_counter() - t0, 2), "notes": result.notes})
        finally:
            store.close()
    prompts = [r["prompt_tokens"] for r in rows if r["requests"]]
    summary = {"runs": len(rows), "median_prompt_tokens": statistics.median(prompts) if prompts else 0,
               "max_prompt_tokens": max(prompts, default=0), "target": TARGET}
    if as_json:
        print(json.dumps({"runs": rows, "summary": summary}, indent=2))
        return
    print(f"{'run':58} {'framework':12} {'steps':>5} {'req':>3} {'prompt':>7} {'compl':>6} {'largest':>7}")
    for r in rows:
        print(f"{r['run'][:58]:58} {r['framework']:12} {r['steps']:>5} {r['requests']:>3} {r['prompt_tokens']:>7} "
              f"{r['completion_tokens']:>6} {r['largest_request']:>7}" + (f"  ({'; '.join(r['notes'])})"
                                                                           if r["notes"] else ""))
    verdict = "within" if summary["median_prompt_tokens"] <= TARGET else "OVER"
    print(f"median prompt tokens per run: {summary['median_prompt_tokens']:.0f} ({verdict} the {TARGET} target); "
          f"max {summary['max_prompt_tokens']} over {summary['runs']} runs")


if __name__ == "__main__":
    main()
