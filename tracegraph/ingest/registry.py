"""Parsers by short name: the Parser protocol and the table discovery walks in priority order."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tracegraph.errors import UnknownNameError
from tracegraph.schema import RunTrace


class Parser(Protocol):
    """Reads one artifact format. `detect` looks at a folder or file; `parse` yields the runs it holds."""

    name: str
    """Short name used by `--format`."""
    recognises: str
    """One line on what the parser recognises, shown by `tracegraph formats`."""

    def detect(self, path: Path) -> bool:
        """True when `path` (a folder or a file) is a run unit of this format."""
        ...

    def parse(self, path: Path) -> Iterator[RunTrace]:
        """Yield every run in the unit; raise IngestError naming the file on bad input."""
        ...


# Priority order: the first parser whose detect() accepts a unit claims it, so specific formats come first.
PARSERS: dict[str, str] = {
    "harbor-atif": "tracegraph.ingest.atif:HarborAtifParser",
    "claude-code": "tracegraph.ingest.claude_code:ClaudeCodeParser",
    "terminus": "tracegraph.ingest.terminus:TerminusParser",
    "mini-swe-agent": "tracegraph.ingest.mini_swe_agent:MiniSweAgentParser",
    "terminal": "tracegraph.ingest.terminal:TerminalRecordingParser",
    "swe-agent": "tracegraph.ingest.swe_agent:SweAgentParser",
    "openhands": "tracegraph.ingest.openhands:OpenHandsParser",
    "who-and-when": "tracegraph.ingest.who_and_when:WhoAndWhenParser",
    "codex": "tracegraph.ingest.codex:CodexRolloutParser",
    "gemini-cli": "tracegraph.ingest.gemini_cli:GeminiCliParser",
    # Last: formats learned by a model claim only what no parser written for a format does.
    "learned": "tracegraph.learn.parser:LearnedFormatParser",
}


def get_parser(name: str) -> Parser:
    """The parser registered under `name`; the error lists valid names."""
    if name not in PARSERS:
        raise UnknownNameError("format", name, list(PARSERS))
    module, cls = PARSERS[name].split(":")
    return getattr(importlib.import_module(module), cls)()


def all_parsers() -> list[Parser]:
    return [get_parser(n) for n in PARSERS]
