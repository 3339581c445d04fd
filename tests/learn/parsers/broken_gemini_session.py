"""A first try at the Gemini CLI format that numbers its steps from 0 and misses the JSONL layout (test material)."""
import json


def detect(path):
    with open(path, encoding="utf-8") as fh:
        return '"sessionId"' in fh.read(4096)


def parse(path):
    with open(path, encoding="utf-8") as fh:
        messages = json.load(fh)["messages"]
    steps = []
    for message in messages:
        for call in message.get("toolCalls") or []:
            steps.append({"k": len(steps), "tool": call["name"], "arguments": call.get("args") or {},
                          "observation": call.get("resultDisplay") or "", "summary": "made up"})
    return {"steps": steps}
