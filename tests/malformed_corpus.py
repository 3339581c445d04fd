"""Malformed variants of a real Harbor trial, one fault each: the bad-input corpus the ingest must survive.

Each variant is a copy of a fixture trial with one value, file or folder broken the way real corpora break them
(wrong JSON types, lone surrogates, whitespace at the ends of names, NaN and infinite rewards, truncated or empty
files, a FIFO or folder where a file belongs, nested archives). Run `python -m tests.malformed_corpus DIR` to write
the corpus for a look by hand; tests/ingest/test_malformed.py ingests it beside a good run.
"""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import FIXTURES

BASE = FIXTURES / "harbor-atif" / "dna-assembly__BC7CeVz"
TRAJECTORY = "agent/trajectory.json"

# What a value can wrongly be: each replaces one value of the trial's JSON.
BAD_VALUES: dict[str, Any] = {
    "list": [1, "x"],
    "string": "oops",
    "null": None,
    "number": 7,
    "object": {"unexpected": True},
    "surrogate": "\ud800bad",
    "padded": "  padded name \t",
    "control": "a\x01\x1fb",
    "nul": "a\x00b",
    "long": "x" * 20000,
    "cypher": "'}) DETACH DELETE n //\"",
    "nan": float("nan"),
    "infinite": float("inf"),
}

# Where those values go: (name, file, path of keys and indexes into its JSON, which bad values).
ALL = tuple(BAD_VALUES)
TARGETS: list[tuple[str, str, tuple, tuple[str, ...]]] = [
    ("traj-steps", TRAJECTORY, ("steps",), ("list", "string", "null", "number", "object")),
    ("traj-step", TRAJECTORY, ("steps", "$call"), ("list", "string", "null", "number")),
    ("traj-tool-calls", TRAJECTORY, ("steps", "$call", "tool_calls"), ("string", "null", "number", "object")),
    ("traj-tool-call", TRAJECTORY, ("steps", "$call", "tool_calls", 0), ("list", "string", "null", "number")),
    ("traj-tool-name", TRAJECTORY, ("steps", "$call", "tool_calls", 0, "function_name"), ALL),
    ("traj-arguments", TRAJECTORY, ("steps", "$call", "tool_calls", 0, "arguments"),
     ("list", "string", "null", "number", "surrogate", "nan")),
    ("traj-observation", TRAJECTORY, ("steps", "$call", "observation"), ("list", "string", "number")),
    ("traj-obs-content", TRAJECTORY, ("steps", "$call", "observation", "results", 0, "content"),
     ("list", "object", "null", "number", "surrogate", "nul", "long")),
    ("traj-timestamp", TRAJECTORY, ("steps", "$call", "timestamp"), ("list", "string", "number", "nan")),
    ("traj-step-id", TRAJECTORY, ("steps", "$call", "step_id"), ("string", "null", "list", "nan")),
    ("result-rewards", "result.json", ("verifier_result", "rewards", "reward"),
     ("nan", "infinite", "string", "list", "object")),
    ("result-verifier", "result.json", ("verifier_result",), ("list", "string", "number")),
    ("result-task-name", "result.json", ("task_name",), ("padded", "control", "surrogate", "list", "long")),
    ("ctrf-tests", "verifier/ctrf.json", ("results", "tests"), ("object", "string", "null")),
    ("ctrf-test-name", "verifier/ctrf.json", ("results", "tests", 0, "name"),
     ("padded", "control", "surrogate", "list", "null", "long")),
]

# Faults of whole files and folders: name → function breaking the copy in place.
FILE_FAULTS: dict[str, Callable[[Path], None]] = {
    "traj-empty": lambda d: (d / TRAJECTORY).write_text(""),
    "traj-truncated": lambda d: _truncate(d / TRAJECTORY),
    "traj-binary": lambda d: (d / TRAJECTORY).write_bytes(b"\x00\xff\xfe garbage \x80"),
    "traj-top-list": lambda d: (d / TRAJECTORY).write_text("[]"),
    "traj-deep": lambda d: (d / TRAJECTORY).write_text("[" * 100000 + "]" * 100000),
    "traj-is-folder": lambda d: _replace_with_folder(d / TRAJECTORY),
    "traj-is-fifo": lambda d: _replace_with_fifo(d / TRAJECTORY),
    "result-empty": lambda d: (d / "result.json").write_text(""),
    "result-is-folder": lambda d: _replace_with_folder(d / "result.json"),
    "reward-nan": lambda d: (d / "verifier/reward.txt").write_text("nan"),
    "reward-huge": lambda d: (d / "verifier/reward.txt").write_text("1e999"),
    "reward-garbage": lambda d: (d / "verifier/reward.txt").write_text("\ud800".encode("utf-8", "surrogatepass")
                                                                       .decode("utf-8", "replace") + "x"),
}


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside.txt").write_text("a folder where a file belongs")


def _replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _set(data: Any, keys: tuple, value: Any) -> None:
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def _resolve(data: Any, keys: tuple) -> tuple:
    """`$call` is the index of the first step that holds a tool call."""
    steps = data.get("steps") if isinstance(data, dict) else None
    call = next((i for i, s in enumerate(steps or []) if isinstance(s, dict) and s.get("tool_calls")), 0)
    return tuple(call if k == "$call" else k for k in keys)


def _dump(value: Any) -> str:
    # json writes NaN/Infinity and lone-surrogate escapes, as the broken harnesses did.
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def value_variants() -> list[tuple[str, str, tuple, Any]]:
    return [(f"{target}-{bad}", file, keys, BAD_VALUES[bad]) for target, file, keys, bads in TARGETS for bad in bads]


def generate(dst: Path, base: Path = BASE) -> list[Path]:
    """Write every variant below `dst` (one trial folder each) and return their folders."""
    out = []
    for name, file, keys, value in value_variants():
        folder = dst / f"{base.name}-{name}"
        shutil.copytree(base, folder)
        data = json.loads((base / file).read_text())
        _set(data, _resolve(data, keys), copy.deepcopy(value))
        (folder / file).write_text(_dump(data))
        out.append(folder)
    for name, fault in FILE_FAULTS.items():
        folder = dst / f"{base.name}-{name}"
        shutil.copytree(base, folder)
        fault(folder)
        out.append(folder)
    out.append(_nested_archive(dst / "nested.tar.gz", base, depth=5))
    return out


def _nested_archive(path: Path, base: Path, depth: int) -> Path:
    """A trial inside `depth` archives nested in one another (deeper than the default limit of 3)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(base, arcname=base.name)
    for level in range(depth - 1):
        inner = buf.getvalue()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            info = tarfile.TarInfo(f"level{level}.tar.gz")
            info.size = len(inner)
            tar.addfile(info, io.BytesIO(inner))
    path.write_bytes(buf.getvalue())
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    made = generate(target)
    print(f"{len(made)} variants in {target}")
