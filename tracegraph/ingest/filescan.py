"""Whether a file holds some bytes, read in chunks into one buffer: detection asks this of recordings megabytes long."""

from __future__ import annotations

from pathlib import Path

CHUNK_BYTES = 1 << 20


def file_holds(path: Path, needles: tuple[bytes, ...], limit: int | None = None) -> bool:
    """True when any of `needles` occurs in the file (in its first `limit` bytes, rounded up to a whole chunk, when
    given); reading stops at the chunk that holds one.

    Each chunk is searched where it was read, and only the few bytes around a chunk boundary are copied to find a
    needle that straddles it (a copy of the whole chunk per read cost more than the search).
    """
    overlap = max(map(len, needles)) - 1
    buffer = bytearray(CHUNK_BYTES)
    tail = bytearray()
    read = 0
    with open(path, "rb", buffering=0) as fh:
        while limit is None or read < limit:
            size = fh.readinto(buffer)
            if not size:
                return False
            if any(buffer.find(needle, 0, size) >= 0 for needle in needles):
                return True
            seam = tail + buffer[:min(overlap, size)]
            if tail and any(needle in seam for needle in needles):
                return True
            tail = buffer[max(0, size - overlap):size]
            read += size
    return False
