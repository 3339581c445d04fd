"""Planted secrets leak nowhere: 50+ kinds planted in a real run (commands, observations, thoughts, arguments JSON,
a file path, the task, the final message, the verifier output, a key cut by the observation limit), then every
output scanned for any 12-character piece of any of them: graph properties of every node and relationship, the
HTML report, the ATIF export, the replay package, and `ingest`, `runs` and `show` with `--json`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ingest.secret_corpus import (
    ARGUMENT_SECRET, CLIPPED_PEM_LINE, FINAL_SECRET, PATH_SECRET, PLANTED, TASK_SECRET,
)
from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.ingest.builder import OBSERVATION_LIMIT
from tracegraph.store import open_store

BASE_RUN = FIXTURES / "harbor-atif" / "regex-log__XYfBZFy"
VERIFIER_SECRET = "Vf7rT2xQ9zL4mN8pK3sW6yB1"


def _pem_cut_by_the_limit() -> str:
    """Tool output whose PEM block starts before the observation limit and ends after it."""
    lead = "".join(f"build line {i:04d}: ok\n" for i in range((OBSERVATION_LIMIT - 400) // 21))
    body = "\n".join([CLIPPED_PEM_LINE] + [f"{i:02d}Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3Gh5Ij7Kl9Mn1"
                                           for i in range(40)])
    text = f"{lead}-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"
    assert text.index(CLIPPED_PEM_LINE) < OBSERVATION_LIMIT < text.index("-----END")
    return text


def _planted_run(tmp_path: Path) -> Path:
    run = tmp_path / "runs" / BASE_RUN.name
    shutil.copytree(BASE_RUN, run)
    path = run / "agent" / "trajectory.json"
    trajectory = json.loads(path.read_text())
    steps = trajectory["steps"]
    first_user = next(s for s in steps if s["source"] == "user")
    first_user["message"] += f"\nUse the key {TASK_SECRET} for the staging API."
    planted = []
    for i, (kind, (text, _)) in enumerate(PLANTED.items()):
        where = i % 3  # in the command, in the tool's output, in the thought before the call
        command = text if where == 0 else f"echo step {i}"
        output = text if where == 1 else "ok"
        planted.append({
            "source": "agent", "message": f"Trying {kind}.", "reasoning_content": text if where == 2 else "next",
            "tool_calls": [{"tool_call_id": f"planted:{i}", "function_name": "Bash",
                            "arguments": {"command": command}}],
            "observation": {"results": [{"source_call_id": f"planted:{i}", "content": output}]},
        })
    extra = [
        ("Bash", {"command": "python call_api.py --region eu", "api_key": ARGUMENT_SECRET}, "called"),
        ("Write", {"file_path": f"/app/{PATH_SECRET}/settings.json", "content": "{}"}, "written"),
        ("Bash", {"command": "make build"}, _pem_cut_by_the_limit()),
    ]
    for i, (tool, arguments, output) in enumerate(extra):
        planted.append({
            "source": "agent", "message": "", "reasoning_content": "next",
            "tool_calls": [{"tool_call_id": f"extra:{i}", "function_name": tool, "arguments": arguments}],
            "observation": {"results": [{"source_call_id": f"extra:{i}", "content": output}]},
        })
    steps[-1:-1] = planted
    steps[-1]["message"] += f"\nFor the record, the webhook token was {FINAL_SECRET}."
    for n, step in enumerate(steps, 1):
        step["step_id"] = n
    path.write_text(json.dumps(trajectory))
    with open(run / "verifier" / "test-stdout.txt", "a") as out:
        out.write(f"\nE   AssertionError: login failed with API_KEY={VERIFIER_SECRET}\n")
    return run


def _secrets() -> list[str]:
    return [s for _, s in PLANTED.values()] + [ARGUMENT_SECRET, PATH_SECRET, TASK_SECRET, FINAL_SECRET,
                                              CLIPPED_PEM_LINE, VERIFIER_SECRET]


def _pieces(secret: str) -> set[str]:
    """Every 12-character piece (the whole secret when shorter): a partly masked secret still leaks."""
    size = min(12, len(secret))
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def _survivors(surface: str) -> list[str]:
    return [s for s in _secrets() if any(p in surface for p in _pieces(s))]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    """Each output surface of the planted run, as text."""
    tmp_path = tmp_path_factory.mktemp("corpus")
    run_dir = _planted_run(tmp_path)
    store_dir = tmp_path / "store"

    def tg(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--store", str(store_dir), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    out: dict[str, str] = {"ingest --json": tg("--json", "ingest", str(run_dir))}
    out["runs --json"] = tg("--json", "runs")
    out["show --json"] = tg("--json", "show", "regex-log")
    tg("report", "regex-log", "-o", str(tmp_path / "report.html"))
    out["HTML report"] = (tmp_path / "report.html").read_text()
    tg("export", "regex-log", "--format", "atif", "-o", str(tmp_path / "run.atif.json"))
    out["ATIF export"] = (tmp_path / "run.atif.json").read_text()
    tg("replay", "regex-log", "-o", str(tmp_path / "replay"))
    out["replay package"] = "\n".join(p.read_text() for p in sorted((tmp_path / "replay").iterdir()))
    store = open_store(str(store_dir))
    try:
        nodes = store.query("MATCH (n) RETURN labels(n) AS labels, properties(n) AS p")
        rels = store.query("MATCH ()-[r]->() RETURN type(r) AS type, properties(r) AS p")
    finally:
        store.close()
    out["graph properties"] = json.dumps([nodes, rels], ensure_ascii=False)
    return out


def test_the_corpus_is_large_and_planted_in_a_real_run(outputs):
    assert len(PLANTED) >= 40
    nodes, _ = json.loads(outputs["graph properties"])
    props = [row["p"] for row in nodes]
    # The planted steps were loaded (and masked), not dropped: their masks are in the graph.
    assert sum(json.dumps(p).count("[REDACTED]") for p in props) >= len(PLANTED)
    arguments = [json.loads(p["arguments_json"]) for p in props if "arguments_json" in p]
    assert {"command": "python call_api.py --region eu", "api_key": "[REDACTED]"} in arguments
    [cut] = [p["content"] for p in props if "BEGIN RSA PRIVATE KEY" in p.get("content", "") and p["truncated"]]
    assert "-----BEGIN RSA PRIVATE KEY-----[REDACTED]" in cut and "-----END" not in cut


@pytest.mark.parametrize("surface", ["graph properties", "HTML report", "ATIF export", "replay package",
                                     "show --json", "runs --json", "ingest --json"])
def test_no_secret_survives_on_any_surface(outputs, surface):
    assert _survivors(outputs[surface]) == []
