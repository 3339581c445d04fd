"""LearnedFormatParser: the registry's entry for formats learned earlier; their parsers run only in the sandbox.

detect() compares the file's fingerprint with the stored formats' (no generated code runs for it); parse() runs the
matching format's parser in the sandbox and loads the run only when it passes the same checks it passed when learned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tracegraph.errors import IngestError, TracegraphError
from tracegraph.learn.fingerprint import fingerprint
from tracegraph.learn.storage import LearnedFormat, best_match, list_formats, load_format
from tracegraph.schema import RunTrace

_TEXT_SUFFIXES = {".json", ".jsonl", ".md", ".txt", ".log", ".ndjson", ".yaml", ".yml", ".xml", ".html"}


class LearnedFormatParser:
    name = "learned"
    recognises = "files of a format learned with `tracegraph formats learn` (its parser runs in a sandbox)"

    def __init__(self) -> None:
        self._formats: list[LearnedFormat] | None = None

    @property
    def formats(self) -> list[LearnedFormat]:
        if self._formats is None:
            self._formats = list_formats()
        return self._formats

    def match(self, path: Path) -> LearnedFormat | None:
        """The stored format this file is of, by fingerprint."""
        if not path.is_file() or path.suffix.lower() not in _TEXT_SUFFIXES:
            return None
        if not any(fp.suffix == path.suffix.lower() for f in self.formats for fp in f.fingerprints):
            return None
        return best_match(fingerprint(path), self.formats)

    def detect(self, path: Path) -> bool:
        return self.match(path) is not None

    def parse(self, path: Path) -> Iterator[RunTrace]:
        from tracegraph.learn.loop import parse_in_sandbox
        from tracegraph.learn.validate import build_trace, quality_problems

        learned = self.match(path)
        if learned is None:
            raise IngestError(path, "no learned format matches this file")
        try:
            _, code = load_format(learned.name)
            [run], problems = parse_in_sandbox(code, [path])
        except TracegraphError as exc:
            raise IngestError(path, f"learned format {learned.name}: {exc}") from None
        if run is None:
            raise IngestError(path, f"learned format {learned.name}: {problems[0] if problems else 'no run'}")
        trace = build_trace(run, path, learned.name)
        issues = quality_problems(trace)
        if issues:
            raise IngestError(path, f"learned format {learned.name}: {issues[0]}")
        yield trace
