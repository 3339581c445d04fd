"""Gemini CLI chat recordings, legacy .json and header-first .jsonl (test material)."""
import json


def detect(path):
    with open(path, encoding="utf-8") as fh:
        head = fh.read(4096)
    return '"sessionId"' in head and '"projectHash"' in head


def _messages(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if path.endswith(".json"):
        return json.loads(text)["messages"]
    by_id = {}
    for line in text.splitlines():
        obj = json.loads(line) if line.strip() else {}
        if "type" in obj and "id" in obj:
            by_id[obj["id"]] = obj
    return list(by_id.values())


def parse(path):
    steps, seen = [], set()
    for message in _messages(path):
        for call in message.get("toolCalls") or []:
            if call["id"] in seen:
                continue
            seen.add(call["id"])
            output = "\n".join(r["functionResponse"]["response"].get("output", "") for r in call.get("result") or [])
            args = call.get("args") or {}
            steps.append({"k": len(steps) + 1, "tool": call["name"], "arguments": args,
                          "command": args.get("command") if call["name"] == "run_shell_command" else None,
                          "observation": output, "is_error": call.get("status") != "success",
                          "timestamp": call.get("timestamp")})
    return {"steps": steps}
