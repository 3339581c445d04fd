"""Tool names: state deltas of a tool call from its structured arguments (Claude Code, OpenHands, SWE-agent tools),
the shell command a shell tool runs, and the tools that finish, plan, probe, manage services or browse."""

from __future__ import annotations

from typing import Any

from tracegraph.semantics.shell import CommandEffect, command_effects
from tracegraph.schema.nodes import DeltaOp

_SHELL_TOOLS = {"bash", "execute_bash", "run", "shell", "terminal", "cmdrunaction", "exec", "run_command",
                "bashoutput", "execute_command", "cmd"}
_PATH_KEYS = ("file_path", "path", "notebook_path", "filename", "file")

# What a tool call is for when its name alone says it (tree/semantics.py reads these; deltas come from tool_effects).
FINISH_TOOLS = {"submit", "finish", "attempt_completion", "task_complete", "exit", "complete_task"}
FINISH_ECHOES = {"echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", "echo MINI_SWE_AGENT_FINAL_OUTPUT"}
"""mini-SWE-agent ends a run by echoing one of these markers (older, newer releases) as its only command."""
PLAN_TOOLS = {"todowrite", "todoread", "plan", "think", "succeed", "fail", "exitplanmode", "handoff"}
PROBE_TOOLS = {"bashoutput", "taskoutput"}
SERVICE_TOOLS = {"killshell", "taskstop"}
WEB_TOOLS = {"webfetch", "websearch", "browse", "browser", "web_search"}



def _first_path(args: dict[str, Any]) -> str | None:
    for key in _PATH_KEYS:
        value = args.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def shell_command_of(tool: str, args: dict[str, Any]) -> str | None:
    """The shell command a tool call runs, if it is a shell tool."""
    if tool.lower() in _SHELL_TOOLS or "command" in args and tool.lower() not in {"str_replace_editor", "edit"}:
        # The first key present counts, even when empty: an empty command is a call that runs nothing (a no-op).
        cmd = next((args[k] for k in ("command", "cmd", "keystrokes") if isinstance(args.get(k), (str, list))), None)
        if isinstance(cmd, str):
            return cmd
        if isinstance(cmd, list):
            return " ".join(str(c) for c in cmd)
    return None


def tool_effects(tool: str, args: dict[str, Any]) -> tuple[str | None, list[CommandEffect]]:
    """(shell command or None, deltas) for one tool call."""
    name = tool.lower()
    path = _first_path(args)
    if name in {"read", "view", "notebookread", "read_file", "open"}:
        return None, [CommandEffect(DeltaOp.read, path)] if path else []
    if name in {"write", "create", "create_file", "write_file"}:
        return None, [CommandEffect(DeltaOp.create, path)] if path else []
    if name in {"edit", "multiedit", "notebookedit", "str_replace", "insert", "edit_file", "apply_patch"}:
        return None, [CommandEffect(DeltaOp.modify, path)] if path else [CommandEffect(DeltaOp.modify, None, "edit")]
    if name in {"str_replace_editor", "str_replace_based_edit_tool", "file_editor", "editor"}:
        sub = str(args.get("command", "view"))
        op = {"view": DeltaOp.read, "create": DeltaOp.create, "str_replace": DeltaOp.modify, "insert": DeltaOp.modify,
              "undo_edit": DeltaOp.modify}.get(sub, DeltaOp.read)
        return None, [CommandEffect(op, path)] if path else []
    if name in {"glob", "grep", "ls", "search", "find_file", "search_dir", "search_file", "websearch", "webfetch",
                "todowrite", "todoread", "task", "think", "browse", "browser"}:
        return None, [CommandEffect(DeltaOp.read, None, "search" if name != "todowrite" else "plan")]
    command = shell_command_of(tool, args)
    if command is not None:
        return command, command_effects(command)
    return None, []
