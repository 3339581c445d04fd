"""SWE-agent `.traj` files (three upstream schema generations, CodeR multi-role runs): one step per action.

Step k is the k-th entry of `trajectory[]`; files that predate `trajectory[]` fall back to the assistant turns
of `history[]`. Each action is a SWE-agent interface command (`open`, `edit`, `search_file`, ...) or a plain
shell line; the tool name is its first word. CodeR runs get their outcome from `results.json` and the SWE-bench
evaluation log (`logs/<instance_id>.*.eval.log`) found next to the `trajs/` folder.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import TraceBuilder, hash_files, looks_like_error
from tracegraph.ingest.harbor_outcome import read_json
from tracegraph.semantics.shell import CommandEffect, command_effects
from tracegraph.schema import DeltaOp, Outcome, RunTrace

_TRAJECTORY_KEY = re.compile(rb'"trajectory"\s*:\s*\[')
_HISTORY_KEY = re.compile(rb'"history"\s*:\s*\[')

# Interface commands that only look at the open file or search; their output quotes source code, so the
# generic error patterns (SyntaxError, ImportError, ...) would fire on code being read, not on failures.
_VIEW = {"goto", "scroll_up", "scroll_down"}
_SEARCH = {"search_dir", "search_file", "find_file", "similar_issue_search", "filemap"}
_EDIT = {"edit", "insert", "append"}
# Control actions: submitting the patch and CodeR's hand-offs between roles change no file.
_CONTROL = {"submit", "plan", "succeed", "fail", "exit", "exit_forfeit"}
_INTERFACE_ERROR = re.compile(
    r"^(?:Error\b|Usage: |No file open|File .+ not found|Directory .+ not found|.+ is a directory\b|"
    r"Your proposed edit has introduced new syntax error)|command not found",
    re.MULTILINE,
)
# What a failing read-only shell command (grep, cat, ls) prints; the quoted source it prints is not a failure.
_READER_FAILURE = re.compile(r"command not found|No such file or directory|Permission denied|^\S+: invalid option",
                             re.MULTILINE)
# Text every match of these patterns holds. Their line-start alternatives keep the engine from skipping ahead, so
# a search tries every position of an observation; a text without any of these cannot match and is not searched.
_INTERFACE_ERROR_WORDS = ("Error", "Usage: ", "No file open", " not found", " is a directory", "Your proposed edit")
_READER_FAILURE_WORDS = ("command not found", "No such file or directory", "Permission denied", ": invalid option")
_PROMPT_MARKERS_WORD = "(Open file: "
_FILE_HEADER = re.compile(r"^\[File: (.+?) \(\d+ lines total\)\]", re.MULTILINE)
_PROMPT_MARKERS = re.compile(r"\n*\(Open file: (.*?)\)\n\(Current directory: (.*?)\)\n?(?:bash-\$)?\s*$")
_FENCED = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


@dataclass
class _Action:
    """One trajectory entry with what the history adds to it (role, native call id)."""

    action: str
    observation: str = ""
    thought: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    agent: str | None = None
    call_id: str | None = None
    arguments: dict[str, Any] | None = None


class SweAgentParser:
    name = "swe-agent"
    recognises = ("SWE-agent and CodeR .traj JSON (trajectory[] of actions, history[], info), with CodeR "
                  "results.json and SWE-bench eval logs beside them")

    def detect(self, path: Path) -> bool:
        if not path.is_file() or path.suffix not in {".traj", ".json"}:
            return False
        with open(path, "rb") as fh:
            head = fh.read(65536)
        if not head.lstrip().startswith(b"{") or (b'"schema_version"' in head and b"ATIF" in head):
            return False
        # Only .traj files may lack trajectory[]: a bare history[] in a .json is Who&When's shape too.
        return bool(_TRAJECTORY_KEY.search(head)) or (path.suffix == ".traj" and bool(_HISTORY_KEY.search(head)))

    def parse(self, path: Path) -> Iterator[RunTrace]:
        yield parse_swe_agent_traj(path)


def parse_swe_agent_traj(path: Path) -> RunTrace:
    """One `.traj` file → RunTrace, with the CodeR outcome and tests when results/eval logs sit beside it."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise IngestError(path, f"not a SWE-agent trajectory (top level is {type(data).__name__}, not an object)")
    actions = _actions(data, path)
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    instance_id = _instance_id(data, path)
    eval_log = _find_eval_log(path, instance_id)
    results_file = next((p for p in (path.parent / "results.json", path.parent.parent / "results.json")
                         if p.is_file()), None)
    files = [path] + [p for p in (results_file, eval_log) if p is not None]
    builder = TraceBuilder(framework="swe-agent", source=path, name=path.stem, content_hash=hash_files(files))

    agents = {a.agent for a in actions if a.agent}
    multi_role = len(agents) > 1
    for act in actions:
        _add_action(builder, act, role=act.agent if multi_role else None)

    stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    exit_status = info.get("exit_status")
    builder.set(task_id=instance_id, task_text=_task_text(data.get("history")),
                agent="CodeR" if multi_role else "SWE-agent", model=_model(data, path, eval_log),
                prompt_tokens=stats.get("tokens_sent"), completion_tokens=stats.get("tokens_received"),
                final_message=next((a.thought for a in reversed(actions) if a.thought), None))

    evaluation = read_eval_log(eval_log, repo_root=_repo_root(actions)) if eval_log else None
    if evaluation:
        for test in evaluation.tests:
            builder.add_test(test.name, test.status, message=test.message, files=test.files)
        builder.set(verifier_output=evaluation.tail)
    results = _read_results(results_file) if results_file else None
    listed_in = sorted(k for k, ids in (results or {}).items() if isinstance(ids, list) and instance_id in ids)
    outcome, reason = _decide(exit_status, results, listed_in, evaluation)
    builder.set(outcome=outcome, outcome_reason=reason,
                reward=None if results is None else float(outcome == Outcome.solved),
                extra_json=json.dumps({"exit_status": exit_status, "instance_cost": stats.get("instance_cost"),
                                       "api_calls": stats.get("api_calls"), "results_lists": listed_in or None,
                                       "eval_log": eval_log.name if eval_log else None}))
    return builder.build()


def _actions(data: dict[str, Any], path: Path) -> list[_Action]:
    """The run's actions in order: trajectory[] when present, else the assistant turns of history[]."""
    history = [h for h in data.get("history") or [] if isinstance(h, dict) and not h.get("is_demo")]
    trajectory = data.get("trajectory")
    if trajectory is None and not history:
        raise IngestError(path, "neither trajectory[] nor history[] present")
    if trajectory is not None and not isinstance(trajectory, list):
        raise IngestError(path, "'trajectory' is not a list")
    if not trajectory:
        return _actions_from_history(history)
    turns = [h for h in history if h.get("role") == "assistant"]
    actions: list[_Action] = []
    j = 0
    for index, entry in enumerate(trajectory):
        if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
            raise IngestError(path, f"trajectory[{index}] has no 'action' string")
        act = _Action(action=entry["action"], observation=_text(entry.get("observation")),
                      thought=entry.get("thought") or entry.get("response"), state=_state(entry.get("state")))
        # history[] holds the same actions in the same order, plus the role (CodeR) and native call ids
        # (newest schema); walk it greedily so a turn missing from one side does not shift the rest.
        for m in range(j, len(turns)):
            if _turn_action(turns[m]).strip() == act.action.strip():
                _take_turn(act, turns[m])
                j = m + 1
                break
        actions.append(act)
    return actions


def _actions_from_history(history: list[dict[str, Any]]) -> list[_Action]:
    """Oldest schema: each assistant turn is an action, the user/tool turns after it its observation."""
    actions: list[_Action] = []
    state: dict[str, Any] = {}
    for index, turn in enumerate(history):
        if turn.get("role") != "assistant":
            continue
        reply = []
        for nxt in history[index + 1:]:
            if nxt.get("role") in {"assistant", "system"}:
                break
            reply.append(_text(nxt.get("content")))
        observation = "\n".join(reply)
        act = _Action(action=_turn_action(turn), observation=observation, state=dict(state),
                      thought=turn.get("thought") or _text(turn.get("content")))
        _take_turn(act, turn)
        actions.append(act)
        # The prompt markers after an action show the open file and directory the next action starts from.
        marker = _PROMPT_MARKERS.search(observation) if _PROMPT_MARKERS_WORD in observation else None
        if marker:
            state = {"open_file": marker.group(1), "working_dir": marker.group(2)}
    return actions


def _turn_action(turn: dict[str, Any]) -> str:
    if isinstance(turn.get("action"), str):
        return turn["action"]
    blocks = _FENCED.findall(_text(turn.get("content")))
    return blocks[-1] if blocks else ""


def _take_turn(act: _Action, turn: dict[str, Any]) -> None:
    act.agent = turn.get("agent") if isinstance(turn.get("agent"), str) else None
    calls = turn.get("tool_calls") or []
    if calls and isinstance(calls[0], dict):
        act.call_id = calls[0].get("id")
        raw = (calls[0].get("function") or {}).get("arguments")
        try:
            parsed = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            parsed = None
        act.arguments = parsed if isinstance(parsed, dict) else None


def _add_action(builder: TraceBuilder, act: _Action, role: str | None) -> None:
    text = act.action.strip()
    first_line = text.split("\n", 1)[0]
    try:
        words = shlex.split(first_line)
    except ValueError:
        words = first_line.split()
    tool = words[0] if words else "(empty)"
    cwd = act.state.get("working_dir") or None
    open_file = act.state.get("open_file")
    open_file = open_file if open_file and open_file != "n/a" else None
    effects, shell = _effects(tool, words, text, open_file, act.observation)
    observation = act.observation
    if _PROMPT_MARKERS_WORD in observation:
        observation = _PROMPT_MARKERS.sub("", observation)
    if shell:
        reads_only = all(e.op == DeltaOp.read for e in effects)
        is_error = _holds(observation, _READER_FAILURE_WORDS, _READER_FAILURE) if reads_only \
            else looks_like_error(observation)
    else:
        is_error = tool not in _CONTROL and _holds(observation, _INTERFACE_ERROR_WORDS, _INTERFACE_ERROR)
    arguments = act.arguments or ({"command": text} if shell else {"input": text})
    builder.add_step(tool, arguments, action=act.action, thought=act.thought, observation=observation,
                     is_error=is_error, call_id=act.call_id, role=role, cwd=cwd, effects=effects,
                     command=text if shell else None)


def _holds(text: str, words: tuple[str, ...], pattern: re.Pattern) -> bool:
    """pattern.search(text), searched only when the text holds one of the words every match holds."""
    return any(word in text for word in words) and pattern.search(text) is not None


def _effects(tool: str, words: list[str], text: str, open_file: str | None,
             observation: str) -> tuple[list[CommandEffect], bool]:
    """(state deltas, is-a-shell-line) of one action; paths relative to the working dir are resolved later."""
    arg = words[1] if len(words) > 1 else None
    shown = _FILE_HEADER.search(observation)
    if tool == "open" and arg:
        return [CommandEffect(DeltaOp.read, arg)], False
    if tool == "create" and arg:
        return [CommandEffect(DeltaOp.create, arg)], False
    if tool in _EDIT:
        # The editor changes whichever file is open; the [File: ...] header it prints names it too.
        target = open_file or (shown.group(1) if shown else None)
        return [CommandEffect(DeltaOp.modify, target, None if target else "edit")], False
    if tool in _VIEW:
        return ([CommandEffect(DeltaOp.read, open_file)] if open_file else []), False
    if tool == "search_file":
        target = words[2] if len(words) > 2 else open_file
        return [CommandEffect(DeltaOp.read, target, None if target else "search")], False
    if tool in _SEARCH or tool.startswith("rover_search"):
        return [CommandEffect(DeltaOp.read, None, "search")], False
    if tool == "str_replace_editor" and len(words) > 2:
        op = {"create": DeltaOp.create, "str_replace": DeltaOp.modify, "insert": DeltaOp.modify,
              "undo_edit": DeltaOp.modify}.get(words[1], DeltaOp.read)
        return [CommandEffect(op, words[2])], False
    if tool in _CONTROL:
        return [], False
    return command_effects(text), True


def _state(raw: Any) -> dict[str, Any]:
    # Older schemas store the state as a JSON string, the newest as an object.
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text(v.get("text") if isinstance(v, dict) else v) for v in value)
    return json.dumps(value, ensure_ascii=False)


def _repo_root(actions: list[_Action]) -> str | None:
    return next((a.state["working_dir"] for a in actions if a.state.get("working_dir")), None)


def _replay_config(data: dict[str, Any]) -> dict[str, Any]:
    # The newest schema records the run config, as an object or as a JSON string depending on the version.
    replay = data.get("replay_config")
    if isinstance(replay, str):
        try:
            replay = json.loads(replay)
        except json.JSONDecodeError:
            return {}
    return replay if isinstance(replay, dict) else {}


def _instance_id(data: dict[str, Any], path: Path) -> str:
    problem = _replay_config(data).get("problem_statement")
    if isinstance(problem, dict) and problem.get("id"):
        return str(problem["id"])
    return path.name.removesuffix(".traj").removesuffix(".json")


def _task_text(history: Any) -> str | None:
    for turn in history or []:
        if not isinstance(turn, dict) or turn.get("role") != "user" or turn.get("is_demo"):
            continue
        content = _text(turn.get("content"))
        issue = re.search(r"ISSUE:\n(.*?)(?:\n+INSTRUCTIONS:|\Z)", content, re.DOTALL)
        return issue.group(1).strip() if issue else content
    return None


def _model(data: dict[str, Any], path: Path, eval_log: Path | None) -> str | None:
    name = ((_replay_config(data).get("agent") or {}).get("model") or {}).get("name")
    if name:
        return str(name)
    args = path.parent / "args.yaml"
    if args.is_file():
        found = re.search(r"^\s+model_name:\s*['\"]?([^\s'\"]+)", args.read_text(errors="replace"), re.MULTILINE)
        if found:
            return found.group(1)
    # SWE-agent names run folders <model>__<dataset>__<config>__t-<temp>__...; the eval log repeats that name.
    run_name = path.parent.name
    if eval_log:
        found = re.search(r"Evaluation Model: (\S+)", eval_log.read_text(errors="replace")[:4000])
        run_name = found.group(1) if found else run_name
    return run_name.split("__")[0] if re.search(r"__t-\d", run_name) else None


# --- CodeR / SWE-bench evaluation ------------------------------------------------------------------------------


def _find_eval_log(path: Path, instance_id: str) -> Path | None:
    for logs in (path.parent / "logs", path.parent.parent / "logs"):
        if logs.is_dir():
            found = sorted(logs.glob(f"{_glob_escape(instance_id)}.*eval.log"))
            if found:
                return found[0]
    return None


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _read_results(path: Path) -> dict[str, Any]:
    """CodeR's results.json; the upstream file has trailing commas before closing brackets, which JSON forbids."""
    text = re.sub(r",(\s*[\]}])", r"\1", path.read_text(encoding="utf-8", errors="replace"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise IngestError(path, "results file is not an object of id lists")
    return data


@dataclass
class EvalTest:
    """One test result from an evaluation log; `files` are repo paths it names (test file, traceback frames)."""

    name: str
    status: str
    message: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class EvalLog:
    """What a SWE-bench evaluation log says: harness markers, per-test results, and the output tail."""

    markers: list[str]
    tests: list[EvalTest]
    tail: str


_PYTEST_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (.+?::.+?)(?: - (.*))?$", re.MULTILINE)
_UNITTEST_LINE = re.compile(r"^(test\w*) \(([\w.]+)\)(?:\n[^\n]*?)? \.\.\. (ok|FAIL|ERROR|skipped.*|expected failure|"
                            r"unexpected success)$", re.MULTILINE)
_SYMPY_FILE = re.compile(r"^(\S+\.py)\[\d+\]")
_SYMPY_LINE = re.compile(r"^(test\w*) (ok|F|E|f|s|X)\b")
_SECTION = re.compile(r"^(?:_{3,} (.+?) _{3,}|(?:FAIL|ERROR): (.+)\n[-=]{10,})$", re.MULTILINE)
_STATUS = {"PASSED": "passed", "FAILED": "failed", "ERROR": "error", "XFAIL": "passed", "XPASS": "failed",
           "ok": "passed", "FAIL": "failed", "expected failure": "passed", "unexpected success": "failed",
           "F": "failed", "E": "error", "f": "passed", "s": "skipped", "X": "failed"}
# Testbed paths look like .../<owner>__<repo>__<version>/<path in repo>; conda envs reuse that name.
_TESTBED_PATH = re.compile(r"/[\w.-]+__[\w.-]+__[\d.]+/([\w./-]+\.py)")
_RELATIVE_PY = re.compile(r"(?<![\w/.])((?:[\w.-]+/)+[\w.-]+\.py)(?=:\d+)")


def read_eval_log(path: Path, repo_root: str | None) -> EvalLog:
    """Parse a SWE-bench evaluation log; test files are given as the agent saw them, under `repo_root`."""
    text = path.read_text(encoding="utf-8", errors="replace")
    markers = re.findall(r"^>>>>> (.+?)\s*$", text, re.MULTILINE)
    start = text.find("\nTest Script:")
    output = text[start:] if start >= 0 else text
    sections = _failure_sections(output)
    django = "runtests.py" in output[:2000]

    def in_repo(rel: str) -> str:
        return f"{repo_root.rstrip('/')}/{rel}" if repo_root else rel

    tests: list[EvalTest] = []
    for status, name, note in _PYTEST_LINE.findall(output):
        tests.append(EvalTest(name, _STATUS[status], note or None, [in_repo(name.split("::")[0])]))
    for test, module, status in _UNITTEST_LINE.findall(output):
        name = f"{test} ({module})"
        module_file = "/".join((["tests"] if django else []) + module.split(".")[:-1]) + ".py"
        tests.append(EvalTest(name, _STATUS.get(status, "skipped"), None, [in_repo(module_file)]))
    current_file = None  # sympy's bin/test prints `path.py[N]`, then one `test_name ok|F|E` line per test
    for line in output.splitlines():
        header = _SYMPY_FILE.match(line)
        if header:
            current_file = header.group(1)
            continue
        result = _SYMPY_LINE.match(line) if current_file else None
        if result:
            tests.append(EvalTest(f"{current_file}::{result.group(1)}", _STATUS[result.group(2)], None,
                                  [in_repo(current_file)]))
    for test in tests:
        if test.status in {"failed", "error"}:
            body = sections.get(test.name) or sections.get(_leaf(test.name))
            if body:
                test.message = body if not test.message else f"{test.message}\n{body}"
            mentioned = {m for m in _TESTBED_PATH.findall(test.message or "")
                         if not m.startswith("lib/") and "site-packages" not in m}
            mentioned |= set(_RELATIVE_PY.findall(test.message or ""))
            test.files = sorted(set(test.files) | {in_repo(m) for m in mentioned})
    return EvalLog(markers=markers, tests=tests, tail=output[-3500:].strip())


def _leaf(name: str) -> str:
    if " (" in name:
        return name.split(" (")[0]
    found = re.search(r"(\w+(?:\[.*\])?)$", name)
    return found.group(1) if found else name


def _failure_sections(output: str) -> dict[str, str]:
    """Failure/traceback sections by title and by bare test name; names seen twice are dropped as ambiguous."""
    found = list(_SECTION.finditer(output))
    by_title: dict[str, str] = {}
    leaves: dict[str, list[str]] = {}
    for i, match in enumerate(found):
        title = (match.group(1) or match.group(2)).strip()
        end = found[i + 1].start() if i + 1 < len(found) else len(output)
        body = output[match.end():end]
        body = re.split(r"^(?:={5,}|-{20,}\nRan \d+)", body, maxsplit=1, flags=re.MULTILINE)[0].strip()
        by_title[title] = body
        leaves.setdefault(_leaf(title), []).append(body)
    for leaf, bodies in leaves.items():
        if len(bodies) == 1 and leaf not in by_title:
            by_title[leaf] = bodies[0]
    return by_title


def _decide(exit_status: Any, results: dict[str, Any] | None, listed_in: list[str],
            evaluation: EvalLog | None) -> tuple[Outcome, str]:
    status = f"exit_status {exit_status!r}"
    if results is None and evaluation is None:
        return Outcome.unknown, f"{status}; no evaluation results beside the trajectory"
    if "resolved" in listed_in:
        return Outcome.solved, f"listed as resolved in results.json; {status}"
    markers = " | ".join(evaluation.markers) if evaluation else ""
    # The harness failing to build the testbed, apply the gold test patch, or run the test command is not
    # something the agent's patch caused.
    if re.search(r"Init Failed|Init Timed Out|Reset Failed|Patch Apply Failed \(test\)|Tests Errored", markers) \
            or {"install_fail", "reset_failed", "test_errored"} & set(listed_in):
        return Outcome.infra_error, f"evaluation harness could not run the tests ({markers or ', '.join(listed_in)})"
    # A patch that does not apply or tests that hang with it applied are the submission's own doing.
    if "Patch Apply Failed" in markers or "no_apply" in listed_in:
        return Outcome.failed, f"the submitted patch did not apply; {status}"
    if "no_generation" in listed_in:
        return Outcome.failed, f"no patch was generated; {status}"
    if "Tests Timed Out" in markers or "test_timeout" in listed_in:
        return Outcome.failed, f"tests timed out with the patch applied; {status}"
    failing = [t.name for t in evaluation.tests if t.status in {"failed", "error"}] if evaluation else []
    if results is None:
        if "All Tests Passed" in markers:
            return Outcome.solved, f"eval log: all tests passed (no results.json); {status}"
        return Outcome.failed, f"eval log: {len(failing)} tests failed or errored (no results.json); {status}"
    return Outcome.failed, f"not resolved in results.json ({len(failing)} failing tests in eval log); {status}"
