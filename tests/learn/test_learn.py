"""Learning formats over real HTTP: litellm asks a scripted OpenAI-compatible server on 127.0.0.1 for parsers.

The replies are the parsers in tests/learn/parsers/. Each of the five unknown formats of the fixtures is learned,
then ingested through the learned parser (in the sandbox) with the tool-call counts its README gives.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.diagnose.scripted_server import ScriptedServer
from tests.learn.support import MODEL, UNKNOWN, needs_bwrap, reply
from tracegraph.cli import cli
from tracegraph import ingest_paths
from tracegraph.learn import (
    LearnConfig, LearnError, SandboxConfig, SandboxUnavailableError, learn_format, list_formats,
)

pytestmark = needs_bwrap

# (parser, samples, tool calls per sample as the fixtures' README counts them)
FORMATS = {
    "codex": ("codex_rollout", {"codex-rollout-jsonl/vibecodingtracker__codex-vscode-0.39.jsonl": 18,
                                "codex-rollout-jsonl/agent-sessions__schema-coverage-small.jsonl": 8}),
    "gemini-json": ("gemini_session", {"gemini-cli-session/vibecodingtracker__session-legacy.json": 7,
                                       "gemini-cli-session/agent-sessions__schema-coverage-large.json": 2}),
    "gemini-jsonl": ("gemini_session", {"gemini-cli-session/vibecodingtracker__session.jsonl": 12}),
    "copilot-events": ("copilot_events", {"copilot-cli-events/vibecodingtracker__events.jsonl": 11}),
    "copilot-legacy": ("copilot_events", {"copilot-cli-events/vibecodingtracker__session-legacy.json": 15}),
    "aider": ("aider_history", {"aider-chat-history/monochromatic__.aider.chat.history.md": 20}),
    "specstory": ("specstory_cursor", {"specstory-cursor-md/minsky__2025-05-01_15-41-starting-task-006.md": 44}),
}
QUICK = SandboxConfig(wall_seconds=3, cpu_seconds=2)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "dummy-key-for-the-scripted-server")
    monkeypatch.setenv("TRACEGRAPH_FORMATS", str(tmp_path / "formats"))
    return tmp_path / "formats"


@pytest.fixture
def embedded(tmp_path):
    from tracegraph.store import open_store

    s = open_store(str(tmp_path / "store"))
    yield s
    s.close()


def config(server, **options) -> LearnConfig:
    return LearnConfig(model=MODEL, api_base=server.api_base, backoff_s=0.01, **options)


def steps_by_file(report):
    return {r.source.rsplit("/", 1)[1]: r.steps for r in report.runs}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_unknown_format_ingests_through_its_learned_parser(fmt, embedded):
    parser, counts = FORMATS[fmt]
    samples = [UNKNOWN / name for name in counts]
    with ScriptedServer([reply(parser)]) as server:
        learned = learn_format(samples, config(server))
    assert len(server.requests) == 1 and [a.problems for a in learned.attempts] == [[]]
    assert [(s.file, s.steps) for s in learned.format.samples] == [(p.name, n) for p, n in zip(samples, counts.values())]
    # No model is reachable now: the stored parser is found by fingerprint and runs in the sandbox.
    report = ingest_paths(samples, embedded, format="learned", workers=0)
    assert not report.errors and not report.refused
    assert steps_by_file(report) == {p.name: n for p, n in zip(samples, counts.values())}
    assert {r.framework for r in report.runs} == {f"learned:{learned.format.name}"}
    rows = embedded.query("MATCH (r:Run)-[:HAS_STEP]->(s:Step) RETURN r.name AS run, count(s) AS steps")
    assert {r["run"]: r["steps"] for r in rows} == {p.stem: n for p, n in zip(samples, counts.values())}


def test_the_prompt_holds_the_contract_and_a_bounded_sample():
    sample = UNKNOWN / "aider-chat-history" / "monochromatic__.aider.chat.history.md"
    with ScriptedServer([reply("aider_history")]) as server:
        learn_format([sample], config(server))
    system, user = server.requests[0]["messages"]
    assert "detect(path: str) -> bool" in system["content"] and "k: 1-based position" in system["content"]
    assert "# aider chat started at 2025-06-02 11:47:49" in user["content"]
    assert "lines not shown" in user["content"] and len(user["content"]) < 14_000 < sample.stat().st_size


def test_a_broken_parser_is_repaired_on_the_second_reply(embedded):
    samples = [UNKNOWN / "gemini-cli-session" / n for n in ("vibecodingtracker__session-legacy.json",
                                                          "agent-sessions__schema-coverage-large.json")]
    with ScriptedServer([reply("broken_gemini_session"), reply("gemini_session")]) as server:
        learned = learn_format(samples, config(server))
    first, second = learned.attempts
    assert "vibecodingtracker__session-legacy.json: steps.0.summary: Extra inputs are not permitted" in first.problems
    assert second.problems == [] and learned.format.attempts == 2
    repair = server.requests[1]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[3]["content"].startswith("That parser was refused:\n- vibecodingtracker__session-legacy.json: ")
    assert [f.name for f in list_formats()] == [learned.format.name]


@pytest.mark.parametrize("attacks, contained", [
    (["malicious_socket", "malicious_fork", "malicious_loop"],
     ["PermissionError: [Errno 1] Operation not permitted", "PermissionError: [Errno 1] Operation not permitted",
      # an endless loop is stopped by the CPU limit or the wall clock, whichever the machine's load hits first
      ("the parser ran longer than 3 s and was killed", "used more than 2 s of CPU (signal SIGXCPU)")]),
    (["malicious_ssh", "malicious_write", "malicious_memory"],
     ["FileNotFoundError: no key visible", "Read-only file system", "MemoryError"]),
])
def test_a_malicious_parser_is_contained_and_nothing_is_loaded(attacks, contained, embedded, isolated, tmp_path):
    sample = UNKNOWN / "copilot-cli-events" / "vibecodingtracker__events.jsonl"
    constants = {"malicious_socket": {"PORT": 9}, "malicious_write": {"TARGET": str(tmp_path / "escaped")},
                 "malicious_ssh": {"KEY": str(tmp_path / "id_rsa")}}
    with ScriptedServer([reply(a, **constants.get(a, {})) for a in attacks]) as server:
        with pytest.raises(LearnError, match=r"no parser passed the checks after 3 model replies; last problems: ") \
                as refused:
            learn_format([sample], config(server, sandbox=QUICK))
    # The first two problems went back to the model as repair requests; the third ends the learning.
    def said(problem: str | tuple[str, ...], text: str) -> bool:
        return any(p in text for p in ((problem,) if isinstance(problem, str) else problem))

    for request, problem in zip(server.requests[1:], contained):
        assert said(problem, request["messages"][-1]["content"])
    assert said(contained[-1], str(refused.value))
    assert not isolated.exists() or not any(isolated.iterdir())
    assert not (tmp_path / "escaped").exists()
    report = ingest_paths([sample], embedded, format="learned", workers=0)
    assert report.runs == [] and embedded.query("MATCH (r:Run) RETURN count(r) AS n")[0]["n"] == 0


def test_a_parser_changed_on_disk_is_refused(embedded):
    sample = UNKNOWN / "aider-chat-history" / "monochromatic__.aider.chat.history.md"
    with ScriptedServer([reply("aider_history")]) as server:
        learned = learn_format([sample], config(server))
    code = learned.folder / "parser.py"
    code.write_text(code.read_text() + "\nimport os\n")
    report = ingest_paths([sample], embedded, format="learned", workers=0)
    assert report.runs == []
    [error] = report.errors
    assert error.path == str(sample) and "changed since it was accepted (SHA-256 differs)" in error.problem


def test_cli_learns_lists_shows_and_removes_a_format(tmp_path):
    sample = UNKNOWN / "specstory-cursor-md" / "minsky__2025-05-01_15-41-starting-task-006.md"
    runner = CliRunner()
    with ScriptedServer([reply("specstory_cursor")]) as server:
        result = runner.invoke(cli, ["formats", "learn", str(sample), "--model", MODEL, "--api-base",
                                     server.api_base, "--name", "specstory", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    learned = json.loads(result.output)
    assert learned["format"]["name"] == "specstory" and learned["attempts"] == [[]]
    assert learned["format"]["samples"] == [{"file": sample.name, "steps": 44}]
    listed = json.loads(runner.invoke(cli, ["formats", "--json"]).output)
    assert listed[-1]["name"] == "specstory" and listed[-1]["learned"]["model"] == MODEL
    shown = json.loads(runner.invoke(cli, ["formats", "show", "specstory", "--json"]).output)
    assert shown["prompt_version"] == "1" and "def parse(path)" in shown["parser"]
    assert shown["fingerprints"][0]["layout"] == "text" and "``` bash" in shown["fingerprints"][0]["shapes"]
    assert runner.invoke(cli, ["formats", "remove", "specstory"]).exit_code == 0
    missing = runner.invoke(cli, ["formats", "show", "specstory"])
    assert missing.exit_code == 1 and "unknown learned format 'specstory'" in missing.output


def test_ingest_learn_format_learns_what_no_parser_claims(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    (folder / "history.md").write_bytes((UNKNOWN / "aider-chat-history" /
                                         "monochromatic__.aider.chat.history.md").read_bytes())
    (folder / "rollout.jsonl").write_bytes((UNKNOWN / "codex-rollout-jsonl" /
                                            "vibecodingtracker__codex-vscode-0.39.jsonl").read_bytes())
    store = str(tmp_path / "store")
    with ScriptedServer([reply("aider_history")]) as server:
        result = CliRunner().invoke(cli, ["--store", store, "ingest", str(folder), "--learn-format", "--model", MODEL,
                                          "--api-base", server.api_base, "--workers", "0", "--json"],
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # The rollout has a parser of its own: only the history went to the model.
    assert len(server.requests) == 1 and "history.md" in server.requests[0]["messages"][1]["content"]
    assert [x["files"] for x in data["learned_formats"]] == [[str(folder / "history.md")]]
    assert sorted((r["framework"].split(":")[0], r["steps"]) for r in data["runs"]) == [("codex", 18), ("learned", 20)]


def test_without_bubblewrap_no_generated_code_runs(embedded, monkeypatch):
    sample = UNKNOWN / "aider-chat-history" / "monochromatic__.aider.chat.history.md"
    with ScriptedServer([reply("aider_history")]) as server:
        learn_format([sample], config(server))
    monkeypatch.setenv("PATH", "/nonexistent")
    report = ingest_paths([sample], embedded, format="learned", workers=0)
    [error] = report.errors
    assert report.runs == [] and error.path == str(sample)
    assert error.problem.endswith("bubblewrap (bwrap) is not installed; learned parsers run only inside it "
                                  "(Debian: apt-get install bubblewrap)")
    with ScriptedServer([reply("aider_history")]) as server:
        with pytest.raises(SandboxUnavailableError, match="bubblewrap"):
            learn_format([sample], config(server))
