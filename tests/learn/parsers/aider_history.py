"""Aider .aider.chat.history.md: one step per applied edit (test material)."""
import re

_APPLIED = re.compile(r"^> Applied edit to (.+?)\s*$")


def detect(path):
    with open(path, encoding="utf-8") as fh:
        return "# aider chat started at" in fh.read(4096)


def parse(path):
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    steps, task = [], None
    for i, line in enumerate(lines):
        if task is None and line.startswith("#### "):
            task = line[5:].strip()
        m = _APPLIED.match(line)
        if not m:
            continue
        outcome = [line[2:].strip()]
        for after in lines[i + 1:]:
            if not after.startswith("> ") or _APPLIED.match(after):
                break
            outcome.append(after[2:].strip())
        steps.append({"k": len(steps) + 1, "tool": "edit", "arguments": {"path": m.group(1)},
                      "observation": "\n".join(outcome)})
    return {"steps": steps, "task_text": task, "agent": "aider"}
