"""file_holds finds bytes wherever they are in a file: inside a chunk, across a chunk boundary, or not at all."""

from __future__ import annotations

import pytest

from tracegraph.ingest import filescan
from tracegraph.ingest.filescan import file_holds

NEEDLE = b'{\\"type\\":\\"assistant\\"'


@pytest.mark.parametrize("at", [0, 5, 99, 100 - len(NEEDLE), 100 - len(NEEDLE) + 1, 97, 99 + 1, 150, 200 - 3, 290])
def test_a_needle_is_found_wherever_it_starts(tmp_path, monkeypatch, at):
    monkeypatch.setattr(filescan, "CHUNK_BYTES", 100)
    data = bytearray(b"x" * 320)
    data[at:at + len(NEEDLE)] = NEEDLE
    path = tmp_path / "f.cast"
    path.write_bytes(bytes(data[:320]))
    expected = NEEDLE in bytes(data[:320])
    assert file_holds(path, (b"absent", NEEDLE)) == expected
    # With a limit of one chunk only that chunk is read: a needle must lie inside it.
    assert file_holds(path, (NEEDLE,), limit=100) == (at + len(NEEDLE) <= 100)


def test_nothing_is_found_in_a_file_without_the_needles(tmp_path, monkeypatch):
    monkeypatch.setattr(filescan, "CHUNK_BYTES", 7)
    path = tmp_path / "f"
    path.write_bytes(b"abcabcab" * 10)
    assert not file_holds(path, (b"abd", b"cc"))
    assert file_holds(path, (b"abd", b"cab"))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert not file_holds(empty, (b"a",))
