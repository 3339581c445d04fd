"""GitHub Copilot CLI sessions: events.jsonl and the legacy timeline .json (test material)."""
import json


def detect(path):
    with open(path, encoding="utf-8") as fh:
        head = fh.read(2048)
    return '"timeline"' in head or '"session.start"' in head


def _result_text(result):
    if isinstance(result, dict):
        for key in ("content", "log"):
            if isinstance(result.get(key), str):
                return result[key]
    return ""


def parse(path):
    steps = []
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as fh:
            timeline = json.load(fh)["timeline"]
        for entry in timeline:
            if entry.get("type") == "tool_call_completed":
                args = entry.get("arguments") or {}
                steps.append({"k": len(steps) + 1, "tool": entry["name"], "arguments": args,
                              "command": args.get("command") if entry["name"] == "bash" else None,
                              "observation": _result_text(entry.get("result")), "timestamp": entry.get("timestamp")})
        return {"steps": steps}
    starts, done = [], {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            event = json.loads(line)
            data = event.get("data") or {}
            if event["type"] == "tool.execution_start":
                starts.append((data, event.get("timestamp")))
            elif event["type"] == "tool.execution_complete":
                done[data["toolCallId"]] = data
    for data, stamp in starts:
        end = done.get(data["toolCallId"], {})
        args = data.get("arguments") or {}
        steps.append({"k": len(steps) + 1, "tool": data["toolName"], "arguments": args,
                      "command": args.get("command") if data["toolName"] == "bash" else None,
                      "observation": _result_text(end.get("result")), "is_error": end.get("success") is False,
                      "timestamp": stamp})
    return {"steps": steps}
