"""A file format's fingerprint: its layout (JSON, JSONL or text), suffix, and the shapes its records or lines take.

JSON keys are read to three levels with the values of discriminator keys (`type=session_meta`); text lines are
reduced to their leading marker and first word (`> Applied`, `####`, `<<<<<<< SEARCH`). Two files are of one format
when their layout and suffix agree and their shape sets overlap enough (Jaccard), so a format that grows a few new
record kinds between versions still matches.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

READ_BYTES = 1 << 20
"""Bytes of a file read to fingerprint it."""
MATCH = 0.5
"""Least shape overlap (Jaccard) for a file to be taken as a learned format."""
MAX_SHAPES = 300

_DISCRIMINATORS = {"type", "kind", "role", "event", "subtype"}
_LINE_SHAPE = re.compile(r"^\s*([^\w\s]{1,8})\s*([A-Za-z]{0,12})")


class Fingerprint(BaseModel):
    layout: Literal["json", "jsonl", "text"]
    suffix: str
    shapes: list[str]

    def similarity(self, other: Fingerprint) -> float:
        """Shape overlap in [0, 1]; 0 when layout or suffix differ."""
        if (self.layout, self.suffix) != (other.layout, other.suffix):
            return 0.0
        a, b = set(self.shapes), set(other.shapes)
        return len(a & b) / len(a | b) if a | b else 0.0


def fingerprint(path: Path) -> Fingerprint:
    """The fingerprint of one file (its first READ_BYTES)."""
    with open(path, "rb") as fh:
        head = fh.read(READ_BYTES)
    text = head.decode("utf-8", errors="replace")
    suffix = path.suffix.lower()
    try:
        whole = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        whole = None
    if isinstance(whole, (dict, list)):
        return Fingerprint(layout="json", suffix=suffix, shapes=_top(_key_shapes(whole)))
    lines = [line for line in text.splitlines() if line.strip()]
    records = []
    for line in lines[:-1] if len(head) == READ_BYTES else lines:  # the last line may be cut by the read
        try:
            records.append(json.loads(line))
        except (json.JSONDecodeError, ValueError):
            break
    if lines and len(records) >= max(1, (len(lines) - 1) * 0.9) and all(isinstance(r, dict) for r in records):
        counts: Counter[str] = Counter()
        for record in records:
            counts.update(set(_key_shapes(record)))
        return Fingerprint(layout="jsonl", suffix=suffix, shapes=_top(counts))
    counts = Counter(m.group(1) + (" " + m.group(2) if m.group(2) else "")
                     for m in map(_LINE_SHAPE.match, lines) if m)
    # A shape seen once is likely content (a user's sentence), not the format.
    return Fingerprint(layout="text", suffix=suffix, shapes=_top(Counter({s: n for s, n in counts.items() if n > 1})))


def _key_shapes(value: Any, prefix: str = "", depth: int = 0) -> Counter[str]:
    out: Counter[str] = Counter()
    if depth > 3:
        return out
    if isinstance(value, list):
        for item in value[:200]:
            out.update(_key_shapes(item, prefix + "[]", depth + 1))
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out[path] += 1
            if key in _DISCRIMINATORS and isinstance(item, str) and len(item) < 40:
                out[f"{path}={item}"] += 1
            out.update(_key_shapes(item, path, depth + 1))
    return out


def _top(counts: Counter[str]) -> list[str]:
    return sorted(shape for shape, _ in counts.most_common(MAX_SHAPES))
