"""Codex rollout .jsonl: a parser as a model would write it (test material, sent by the scripted server)."""
import json

_CALLS = ("function_call", "custom_tool_call", "local_shell_call", "tool_search_call", "web_search_call",
          "image_generation_call")


def detect(path):
    with open(path, encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    return first.get("type") == "session_meta"


def _text(output):
    if isinstance(output, str):
        try:
            value = json.loads(output)
        except ValueError:
            return output
        return value.get("output", output) if isinstance(value, dict) else output
    if isinstance(output, dict):
        output = [output]
    if isinstance(output, list):
        return "\n".join(o["text"] for o in output if isinstance(o, dict) and isinstance(o.get("text"), str))
    return ""


def parse(path):
    calls, outputs, model = [], {}, None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            obj = json.loads(line)
            payload = obj.get("payload") or {}
            if obj.get("type") == "turn_context" and isinstance(payload.get("model"), str):
                model = payload["model"]
            if obj.get("type") != "response_item":
                continue
            if payload.get("type") in _CALLS:
                calls.append(payload)
            elif payload.get("call_id") and "output" in payload:
                outputs[payload["call_id"]] = payload["output"]
    steps = []
    for k, call in enumerate(calls, 1):
        raw = call.get("arguments", call.get("input", call.get("action")))
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = {"input": raw}
        args = raw if isinstance(raw, dict) else {}
        command = args.get("command")
        steps.append({"k": k, "tool": call.get("name") or call["type"], "arguments": args,
                      "command": " ".join(command) if isinstance(command, list) else None,
                      "observation": _text(outputs.get(call.get("call_id")))})
    return {"steps": steps, "model": model}
