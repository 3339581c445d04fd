"""What one step does, as a few activities read from its tool, deltas and command words (never its thought text)."""

from __future__ import annotations

import json
import posixpath
import re

from tracegraph.semantics.shell import command_effects
from tracegraph.semantics.tools import (
    FINISH_ECHOES, FINISH_TOOLS, PLAN_TOOLS, PROBE_TOOLS, SERVICE_TOOLS, WEB_TOOLS, shell_command_of,
)
from tracegraph.schema import DeltaOp, RunTrace, StateDelta, Step, ToolCall
from tracegraph.semantics.activity import (
    Act, Activity, Workspace, as_intent, command_cwd, is_scratch_path, is_test_path,
)
from tracegraph.semantics.commands import PATTERN_CHARS, shell_activities
from tracegraph.semantics.writes import WRITE_OPS

_BACKGROUND_KEYS = ("run_in_background", "is_background", "background")
_NOT_RUN_WORDS = ("command not found", "no such file or directory")
_UNPARSED_WORDS = ("syntax error", "unexpected eof", "unexpected end of file")
_NOT_RUN = re.compile("|".join(_NOT_RUN_WORDS), re.IGNORECASE)
_UNPARSED = re.compile("|".join(_UNPARSED_WORDS), re.IGNORECASE)


def _says_any(text: str, words: tuple[str, ...], pattern: re.Pattern) -> bool:
    """pattern.search(text) for a case-blind pattern of lower-case `words`. IGNORECASE keeps the engine from skipping
    ahead, so it tries every position; in ASCII text a case-blind match is a match in the lower-cased text, so text
    holding none of the words there is not searched (other text always is: case folding has exceptions)."""
    if text.isascii():
        lowered = text.lower()
        if not any(word in lowered for word in words):
            return False
    return pattern.search(text) is not None


def _delta_activities(deltas: list[StateDelta], ws: Workspace) -> list[Activity]:
    acts: list[Activity] = []
    for d in deltas:
        if d.op in WRITE_OPS:
            if d.effect == "install":
                acts.append(Activity(Act.install, "install"))
            elif d.effect == "service":
                acts.append(Activity(Act.service, "service"))
            elif d.path and is_test_path(d.path):
                acts.append(Activity(Act.write_test, f"{d.op.value} {d.path}", (d.path,)))
            else:
                acts.append(Activity(Act.write, f"{d.op.value} {d.path or d.effect}", (d.path,) if d.path else ()))
        elif d.op == DeltaOp.read and d.path and not PATTERN_CHARS.search(d.path):
            owner = ws.owner_of(d.path)
            acts.append(Activity(Act.read_own, f"reads {d.path}", (owner,)) if owner else
                        Activity(Act.read, f"reads {d.path}", (d.path,)))
        elif d.op == DeltaOp.read and d.effect in {"search", "plan", "git-inspect"}:
            act = {"search": Act.search, "plan": Act.plan}.get(d.effect, Act.read)
            acts.append(Activity(act, d.effect))
        elif d.op == DeltaOp.execute and d.effect == "test":
            acts.append(Activity(Act.test, "test runner"))
    return acts


def intended_deltas(step: Step) -> list[StateDelta]:
    """The deltas a step's command would have had if it had run (a `:` line without its colon, a rejected line)."""
    command = step.intent if step.is_noop else step.command
    if not command:
        return []
    try:
        effects = command_effects(command)
    except Exception:  # an intent is arbitrary agent text; a parse failure only means no deltas
        return []
    return [StateDelta(id=f"{step.id}/intent{i}", run_id=step.run_id, k=step.k, op=e.op,
                       path=posixpath.normpath(e.path) if e.path and "\n" not in e.path else None, effect=e.effect)
            for i, e in enumerate(effects)]


def background_steps(tool_calls: list[ToolCall]) -> set[int]:
    """Steps whose tool call asked to leave the command running (run_in_background and similar flags)."""
    out: set[int] = set()
    for call in tool_calls:
        if "background" not in call.arguments_json:
            continue
        try:
            args = json.loads(call.arguments_json)
        except ValueError:
            continue
        if isinstance(args, dict) and any(args.get(key) is True for key in _BACKGROUND_KEYS):
            out.add(call.k)
    return out


def _merge(acts: list[Activity]) -> list[Activity]:
    """One activity per (kind, files); pipe filters (`| grep x`) only count when nothing else happened."""
    seen: set[tuple] = set()
    out = []
    for a in acts:
        key = (a.act, a.paths)
        if key not in seen:
            seen.add(key)
            out.append(a)
    real = [a for a in out if a.paths != ("|",)]
    own = {posixpath.basename(p) for a in real if a.act == Act.read_own for p in a.paths}
    # A file the agent wrote, read under another spelling of its path, is still a read of its own work.
    real = [a for a in real if not (a.act == Act.read and a.paths and posixpath.basename(a.paths[0]) in own)]
    return real or out[:1]


def shell_rejected(step: Step) -> bool:
    """The shell refused the whole command line (syntax error), so nothing in it ran."""
    return bool(step.command and step.is_error and _says_any((step.observation or "")[:600], _UNPARSED_WORDS,
                                                             _UNPARSED))


def is_finish_call(step: Step) -> bool:
    """A submit/finish tool call, a shell line that is only such a word (SWE-agent's `submit`), or mini-SWE-agent's
    submission: echoing its final-output marker."""
    line = (step.command or "").strip()
    return step.tool.lower() in FINISH_TOOLS or line in FINISH_TOOLS or line in FINISH_ECHOES


def step_activities(step: Step, deltas: list[StateDelta], ws: Workspace, background: bool = False,
                    full_command: str | None = None) -> list[Activity]:
    """What the step did (or, for a no-op or rejected command, what it tried to do); empty when unreadable.

    `background`: the call asked its tool to leave the command running (a server start). `full_command`: the whole
    command when the step's own was cut (see full_commands).
    """
    tool = step.tool.lower()
    if is_finish_call(step):
        return [Activity(Act.finish, tool)]
    for tools, act in ((PLAN_TOOLS, Act.plan), (PROBE_TOOLS, Act.probe), (SERVICE_TOOLS, Act.service),
                       (WEB_TOOLS, Act.search)):
        if tool in tools:
            return [Activity(act, tool)]
    command = step.intent if step.is_noop else (full_command or step.command)
    ran = not step.is_noop and not shell_rejected(step)
    # The command's words come first: their details are richer than a bare delta effect ("install").
    acts = shell_activities(command, ws, background) if command else []
    acts += _delta_activities(deltas if ran else intended_deltas(step), ws)
    if not command and step.intent and step.is_error:
        acts.append(Activity(Act.write_intent, step.intent))
    unknown = sum(a.act == Act.unknown for a in acts)
    if step.is_error and unknown >= 2 and unknown * 2 >= len(acts):
        return []  # mostly words that are not programs: prose pasted as a command
    if not ran or (step.is_error and _says_any((step.observation or "")[:600], _NOT_RUN_WORDS, _NOT_RUN)):
        # Words a shell could not run (or a `:` line's prose) say nothing about what the agent was doing.
        acts = [a for a in acts if a.act != Act.unknown]
    if not ran:
        # Nothing ran (a `:` line, a line the shell rejected); what it would have done is still the agent's intent.
        acts = [as_intent(a) for a in acts]
    return _merge(_scratch(acts, command))


def _scratch(acts: list[Activity], command: str | None) -> list[Activity]:
    """Writes that all land in throwaway places are scaffolding for a check, not the deliverable."""
    writes = [a for a in acts if a.act == Act.write]
    if not writes:
        return acts
    cwd = command_cwd(command) if command else None
    if not all(all(is_scratch_path(p) for p in a.paths) if a.paths else bool(cwd and is_scratch_path(cwd))
               for a in writes):
        return acts
    return [Activity(Act.write_scratch, a.detail, a.paths) if a.act == Act.write else a for a in acts]


_CUT = re.compile(r"… \[\d+ more chars\]$")


def full_commands(trace: RunTrace) -> dict[int, str]:
    """Step → whole shell command, for steps whose stored command was cut.

    A step keeps 2,000 characters of its command and its tool call up to 20,000 of the arguments: a file written
    late in a long inline script (`python -c "..."`) is only seen in the latter.
    """
    cut = {s.k: s for s in trace.steps if s.command and _CUT.search(s.command)}
    out: dict[int, str] = {}
    for call in trace.tool_calls:
        step = cut.get(call.k)
        if step is None:
            continue
        try:
            args = json.loads(call.arguments_json)
        except ValueError:
            continue  # the arguments were cut too: the step's own text is all there is
        command = shell_command_of(step.tool, args) if isinstance(args, dict) else None
        if command:
            out[call.k] = command
    return out


def trace_activities(trace: RunTrace) -> list[list[Activity]]:
    """Activities of every step of a RunTrace, in order, each read against what earlier steps wrote."""
    by_k: dict[int, list[StateDelta]] = {}
    for d in trace.deltas:
        by_k.setdefault(d.k, []).append(d)
    background = background_steps(trace.tool_calls)
    whole = full_commands(trace)
    ws = Workspace()
    out: list[list[Activity]] = []
    for step in trace.steps:
        deltas = by_k.get(step.k, [])
        acts = step_activities(step, deltas, ws, step.k in background, whole.get(step.k))
        out.append(acts)
        ws.record(step.k, [] if shell_rejected(step) else deltas)
    return out
