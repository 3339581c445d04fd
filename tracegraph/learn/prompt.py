"""What the model is shown: the target contract, bounded and redacted excerpts of the samples, and repair requests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tracegraph.ingest.redact import redact_text
from tracegraph.learn.validate import ParsedRun, ParsedStep

PROMPT_VERSION = "1"
"""Bumped when the contract or the wording changes: stored formats record the version that wrote them."""
SAMPLE_CHARS = 12_000
"""Characters of each sample shown (head and tail); long lines are cut."""
LINE_CHARS = 1_500

_FIELDS = "\n".join(f"  - {name}: {field.description}" for name, field in ParsedStep.model_fields.items())
_RUN_FIELDS = "\n".join(f"  - {name}: {field.description}" for name, field in ParsedRun.model_fields.items()
                        if name != "steps")

SYSTEM = f"""You write parsers for coding-agent session logs. Reply with one Python module in a ```python block.

The module defines exactly two public functions and nothing that runs at import time except imports and constants:
- detect(path: str) -> bool: True when the file at `path` is of this format (read only what you need).
- parse(path: str) -> dict: the run the file holds, as plain JSON data (dicts, lists, str, int, bool, None).
Helper functions are allowed if their names start with an underscore. Use only the Python standard library.
The code runs in a sandbox without network, processes, threads or write access except to the current folder.

parse() returns {{"steps": [...], "task_text": ..., "model": ..., "agent": ..., "final_message": ...}}:
{_RUN_FIELDS}
Step k is the k-th tool call the agent made (shell commands, file reads, edits, searches, plan updates), in order;
a call and its result form one step. Each step is a dict with these keys (unknown ones are refused):
{_FIELDS}
Rules: k runs 1..N in order. Copy every text (command, observation, thought, argument strings, task_text,
final_message) verbatim from the file: every line of it must occur in the file (JSON strings decoded); never make up,
summarise or reformat text. If a command is an argv list, join it with single spaces. Leave out what the file lacks.
"""


def sample_excerpt(path: Path, chars: int = SAMPLE_CHARS) -> str:
    """Head and tail of a file, long lines cut, secrets masked, so any size of file fits the prompt."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = [line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + f"…[line cut, {len(line) - LINE_CHARS} more "
             "chars]" for line in text.splitlines()]
    head, used = [], 0
    for line in lines:
        if used + len(line) > chars * 0.7:
            break
        head.append(line)
        used += len(line) + 1
    tail: list[str] = []
    rest = lines[len(head):]
    for line in reversed(rest):
        if used + len(line) > chars:
            break
        tail.insert(0, line)
        used += len(line) + 1
    skipped = len(rest) - len(tail)
    shown = head + ([f"[… {skipped} lines not shown …]"] if skipped else []) + tail
    masked, _ = redact_text("\n".join(shown))
    return masked or ""


def first_request(samples: list[Path]) -> list[dict[str, str]]:
    """The opening messages: contract, then each sample with its size and excerpt."""
    parts = []
    for i, path in enumerate(samples, 1):
        size = path.stat().st_size
        lines = path.read_bytes().count(b"\n")
        parts.append(f"Sample {i}: {path.name} ({size} bytes, {lines} lines)\n<<<FILE\n{sample_excerpt(path)}\nFILE>>>")
    user = ("Write the parser for the format of these files. Every sample must be detected and parsed.\n\n"
            + "\n\n".join(parts))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def repair_request(problems: list[str]) -> dict[str, str]:
    """The message that sends a failed parser's problems back, asking for the whole module again."""
    listed = "\n".join(f"- {p}" for p in problems)
    return {"role": "user", "content": f"That parser was refused:\n{listed}\n\nReply with the whole corrected module "
                                       "in one ```python block."}


_OPENING = re.compile(r"^```(?:python|py|python3)?[ \t]*$")


def code_in_reply(reply: str) -> str | None:
    """The module in a reply: its first fenced block, else the whole reply if it reads as one.

    The block ends at a line that is only a fence: a parser of Markdown holds fences inside its string literals.
    """
    lines = reply.splitlines()
    start = next((i for i, line in enumerate(lines) if _OPENING.match(line.strip())), None)
    if start is not None:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() == "```"), len(lines))
        return "\n".join(lines[start + 1:end]) + "\n"
    return reply if "def parse" in reply else None


def shape_problems(code: str) -> list[str]:
    """What the module's shape breaks of the contract (statements at import time, missing functions)."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"SyntaxError: {exc.msg} (line {exc.lineno})"]
    problems = []
    defined = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defined.add(node.name)
            if not node.name.startswith("_") and node.name not in ("detect", "parse"):
                problems.append(f"line {node.lineno}: public function {node.name}; only detect and parse are public")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_constant(node.value):
            continue
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        else:
            problems.append(f"line {node.lineno}: {type(node).__name__} runs at import time; only imports, "
                            "constants and functions are allowed")
    problems += [f"no function {name}(path)" for name in ("detect", "parse") if name not in defined]
    return problems


def _is_constant(node: ast.expr | None) -> bool:
    """Literals and compiled patterns (re.compile of literals) only."""
    if node is None:
        return True
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, RecursionError):
        pass
    if isinstance(node, ast.Attribute):  # a flag such as re.MULTILINE
        return isinstance(node.value, ast.Name) and node.value.id == "re"
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
            and all(_is_constant(a) for a in node.args) and all(_is_constant(k.value) for k in node.keywords))
