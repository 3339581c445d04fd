"""Key text: the form every node key takes before it reaches an engine, the same on both.

FalkorDB 4.16.3 crashes (segfault in EnforceUniqueEntity) when a value of a property under a UNIQUE constraint starts
or ends with whitespace, holds a control character, or is longer than about 4 KB: `CREATE (:T {id: 'a '})` is
enough. A key that is printable, trimmed and at most MAX_KEY_CHARS long is kept as it is; any other is cleaned and
given a hash of its original text, so two keys that differ only in what was cleaned stay two keys. The original text
always stays in a property that is not a key (Run.name, File.path, TestCase.name, Task.name).

Indexed properties that are not keys hold text too (File.path, TestCase.name, Run.task_id): Neo4j 5.26 refuses the
whole transaction when a value in a range index is over 8,167 bytes ("Property value is too large to index"; its
text indexes refuse long values as well). Such a value is stored cut to MAX_INDEXED_BYTES with a hash of the whole,
the same on both engines (the full text of a task stays in Task.name).
"""

from __future__ import annotations

import hashlib

MAX_KEY_CHARS = 512
"""Longest key kept as it is (at most 2 KB of UTF-8, half of what FalkorDB was measured to survive)."""
RUN_ID_NAME_CHARS = 200
"""Run names are cut to this in run ids, so the ids derived from them (`run#k/obs`) stay under MAX_KEY_CHARS."""
_HASH_CHARS = 12
MAX_INDEXED_BYTES = 4096
"""Longest indexed text value kept as it is, in UTF-8 bytes (half of Neo4j's 8,167-byte index key limit)."""
_SAFE_INDEXED_CHARS = MAX_INDEXED_BYTES // 4
"""Text this short fits whatever its characters (UTF-8 takes at most 4 bytes a character): no encoding needed."""


def is_clean_key(text: str) -> bool:
    """Printable (no control, line-break or lone surrogate characters), trimmed, and not too long."""
    return len(text) <= MAX_KEY_CHARS and text.isprintable() and text == text.strip()


def graph_key(text: str) -> str:
    """The key as stored: `text` itself when clean, else its cleaned form plus `~` and a hash of the original."""
    if is_clean_key(text):
        return text
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{cleaned[:MAX_KEY_CHARS - _HASH_CHARS - 1].rstrip()}~{digest}"


def run_key(name: str, content_hash: str) -> str:
    """A run's id: its name and the hash of its artifacts, clean and short enough to derive other keys from."""
    text = f"{name}@{content_hash[:10]}"
    if is_clean_key(text) and len(name) <= RUN_ID_NAME_CHARS:
        return text
    cleaned = "".join(ch if ch.isprintable() else " " for ch in name).strip()[:RUN_ID_NAME_CHARS].rstrip()
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{cleaned}~{digest}@{content_hash[:10]}"


def indexed_text(text: str) -> str:
    """An indexed value as stored: `text` when it fits MAX_INDEXED_BYTES of UTF-8, else its longest prefix that
    fits with `…~` and a hash of the whole added (two long values that share a prefix stay two values)."""
    if len(text) <= _SAFE_INDEXED_CHARS:
        return text
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_INDEXED_BYTES:
        return text
    digest = hashlib.sha1(encoded).hexdigest()[:_HASH_CHARS]
    room = MAX_INDEXED_BYTES - len(digest.encode()) - len("…~".encode())
    return f"{encoded[:room].decode('utf-8', 'ignore')}…~{digest}"
