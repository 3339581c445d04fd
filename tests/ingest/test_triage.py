"""Triage before blame, one verdict per real fixture run: whose failure it was, with the evidence quoted."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support import FIXTURES
from tracegraph.ingest.discover import discover
from tracegraph.ingest.triage import SessionEvidence, triage_run
from tracegraph.schema import Outcome, Run, RunTrace, Step, TestCase, Triage

HARBOR = FIXTURES / "harbor-atif"
TB1_MINI = FIXTURES / "terminal-bench-1" / "20250825_swe-agent-mini_claude-4-sonnet"
TB1_OPENHANDS = FIXTURES / "terminal-bench-1" / "20250711_openhands_claude-4-sonnet"


def parse(path):
    [unit] = discover([path]).units
    [trace] = unit.parser.parse(unit.path)
    return trace


def test_agent_failed():
    run = parse(HARBOR / "dna-assembly__BC7CeVz").run
    assert (run.triage, run.triage_reason) == (Triage.agent_failed, "10 recorded agent steps; reward 0")


def test_agent_never_ran():
    run = parse(TB1_MINI / "fix-permissions.1-of-1.2025-08-14__19-39-35").run
    assert run.triage == Triage.agent_never_ran and run.step_count == 0
    assert run.triage_reason.endswith("answered 'bash: mini: command not found'")


def test_actions_not_recorded():
    run = parse(TB1_OPENHANDS / "intrusion-detection.1-of-1.openhands-sonnet").run
    assert run.triage == Triage.actions_not_recorded and run.step_count == 0
    assert "logged 81 action lines such as 'POST /execute_action'" in run.triage_reason


def test_infrastructure_failed():
    run = parse(HARBOR / "regex-log__XYfBZFy").run
    assert (run.triage, run.triage_reason) == (
        Triage.infrastructure_failed, "verifier could not run its checks: Failed to connect to github.com port 443")


def test_a_check_that_hard_codes_a_path_the_task_never_names_is_the_verifiers_fault():
    # The keyboard check talks to /tmp/qemu-monitor.sock; the task only asks for programmatic keyboard control, and
    # the agent put QEMU's monitor socket at /app/qemu-monitor.sock. The other three checks passed.
    run = parse(HARBOR / "install-windows-3.11__sVtnj8d").run
    assert run.triage == Triage.infrastructure_failed
    assert run.triage_reason == (
        "the verifier checks a location the task left open: test_outputs.py::test_windows_keys_with_visual_feedback "
        "needs /tmp/qemu-monitor.sock, which the task never names (the agent made /app/qemu-monitor.sock)")


@pytest.mark.parametrize("path", [
    # The checked config was never written and the task does not name it, but nothing of that name was made
    # elsewhere either: the agent's to miss.
    FIXTURES / "tb-claude-code" / "gpt5" / "jupyter-notebook-server",
    # Every failing check is a refused connection to localhost: the server the agent was to start is not running.
    HARBOR / "nginx-request-logging__KgTBE9j",
])
def test_checks_the_agent_could_have_passed_stay_the_agents(path):
    assert parse(path).run.triage == Triage.agent_failed


def _failed_trace(messages: list[str], task: str = "Fetch the page and save it.") -> RunTrace:
    trace = RunTrace(run=Run(id="r", run_id="r", name="r", framework="x", source="r", outcome=Outcome.failed,
                             task_text=task),
                     steps=[Step(id="r#1", run_id="r", k=1, tool="Bash", action="curl example.org")],
                     tests=[TestCase(id=f"r/test/t{i}", run_id="r", name=f"t{i}", status="failed", message=m)
                            for i, m in enumerate(messages)])
    return trace


def test_checks_that_could_not_reach_the_network_are_not_the_agents_fault():
    dns = "requests.exceptions.ConnectionError: Failed to establish a new connection: [Errno -2] Name or service not known"
    assert triage_run(_failed_trace([dns, "curl: (6) Could not resolve host: example.org"])) == (
        Triage.infrastructure_failed,
        "every failing check (2) could not reach the network, e.g. t0: 'Name or service not known'")
    # One failing check with another cause keeps the run the agent's.
    assert triage_run(_failed_trace([dns, "AssertionError: expected 3, got 2"]))[0] == Triage.agent_failed


def test_agent_timed_out_is_read_from_the_agents_own_log(tmp_path):
    # A Harbor trial stopped by the agent timeout, as Harbor leaves it: no trajectory.json, the exception in
    # result.json, the full Claude Code log in agent/claude-code.txt (a real trial with those two changes).
    trial = tmp_path / "git-leak-recovery__CVQc9DD"
    shutil.copytree(HARBOR / "git-leak-recovery__CVQc9DD", trial)
    (trial / "agent" / "trajectory.json").unlink()
    result = json.loads((trial / "result.json").read_text())
    result["exception_info"] = {"exception_type": "AgentTimeoutError",
                                "exception_message": "Agent execution timed out after 900.0 seconds"}
    (trial / "result.json").write_text(json.dumps(result))
    run = parse(trial).run
    assert (run.fidelity, run.step_count, run.outcome) == ("agent_log", 19, Outcome.failed)
    assert (run.triage, run.triage_reason) == (
        Triage.agent_timed_out, "result.json exception AgentTimeoutError: Agent execution timed out after 900.0 "
                                "seconds, after 19 recorded agent steps")


def test_solved_runs_are_not_triaged():
    run = parse(HARBOR / "sqlite-db-truncate__kfqQYr3").run
    assert (run.triage, run.triage_reason) == (None, None)


@pytest.mark.parametrize("session, verdict, reason", [
    (SessionEvidence(), Triage.agent_never_ran, "no agent step in any artifact"),
    (SessionEvidence(launch="agent go", launch_output="agent: No such file or directory"), Triage.agent_never_ran,
     "the launch `agent go` answered 'agent: No such file or directory'"),
    (SessionEvidence(launch="agent go", launch_output="\n".join(f"log line {i}" for i in range(30)),
                     session_ms=95_000), Triage.actions_not_recorded,
     "after the launch `agent go` the session ran 1m35s, printed 30 lines, but no agent action's content was "
     "recorded"),
])
def test_a_run_without_steps(session, verdict, reason):
    trace = RunTrace(run=Run(id="r", run_id="r", name="r", framework="terminal", source="r", outcome=Outcome.failed))
    assert triage_run(trace, session) == (verdict, reason)


def test_tokens_spent_without_steps_mean_actions_not_recorded():
    trace = RunTrace(run=Run(id="r", run_id="r", name="r", framework="x", source="r", outcome=Outcome.failed,
                             prompt_tokens=1200, completion_tokens=300))
    assert triage_run(trace) == (Triage.actions_not_recorded,
                                 "after the agent the session ran, used 1500 tokens, but no agent action's content "
                                 "was recorded")
