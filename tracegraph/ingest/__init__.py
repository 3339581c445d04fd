"""Find runs, detect their format, parse them into RunTrace models, redact and check them (a stage: the pipeline
that loads them lives in tracegraph/load/)."""

from tracegraph.ingest.discover import Limits, discover
from tracegraph.ingest.registry import PARSERS, get_parser

__all__ = ["Limits", "discover", "PARSERS", "get_parser"]
