"""Runs inside the sandbox (never imported by tracegraph): load /sandbox/parser.py, call it on each input, write JSON.

Usage: runner.py detect|parse RESULT_PATH LIMITS_JSON INPUT... Standard library only: the sandbox has no
site-packages. The rlimits are set here, before the parser loads: lowered hard limits cannot be raised again without
CAP_SYS_RESOURCE in the host's namespace. Nothing else here is trusted: the parser shares this process and could
overwrite the result; tracegraph validates it.
"""

import importlib.util
import json
import resource
import sys
import traceback

MAX_ERROR = 2000


def _problem(exc):
    """The exception and the parser's own frames, short enough to send back to the model."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith("parser.py")]
    where = "".join(traceback.format_list(frames[-3:]))
    return (where + f"{type(exc).__name__}: {exc}")[-MAX_ERROR:]


def main(argv):
    mode, result_path, limits, inputs = argv[1], argv[2], json.loads(argv[3]), argv[4:]
    for name, value in limits.items():
        # CPU: a hard limit above the soft one, so the parser gets SIGXCPU (reported as such), not a bare SIGKILL.
        resource.setrlimit(getattr(resource, name), (value, value + 2 if name == "RLIMIT_CPU" else value))
    out = {"loaded": False, "files": []}
    try:
        spec = importlib.util.spec_from_file_location("learned_parser", "/sandbox/parser.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out["loaded"] = True
    except BaseException as exc:  # noqa: BLE001 - whatever the module does at import is reported, not raised
        out["error"] = "importing the parser failed: " + _problem(exc)
        module = None
    for path in inputs if module is not None else []:
        entry = {"path": path, "detected": None, "run": None, "error": None}
        try:
            entry["detected"] = bool(module.detect(path))
            if mode == "parse" and entry["detected"]:
                run = module.parse(path)
                json.dumps(run)  # fails here, with the parser's name on it, when the run is not plain JSON
                entry["run"] = run
        except BaseException as exc:  # noqa: BLE001
            entry["error"] = _problem(exc)
        out["files"].append(entry)
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv)
