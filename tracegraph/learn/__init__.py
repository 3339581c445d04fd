"""Formats nobody wrote a parser for: a model writes one, it runs in a sandbox, its output is checked before loading."""

from tracegraph.learn.loop import LearnConfig, LearnError, LearnReport, learn_format
from tracegraph.learn.sandbox import SandboxConfig, SandboxUnavailableError
from tracegraph.learn.storage import LearnedFormat, list_formats, load_format, remove_format

__all__ = ["LearnConfig", "LearnError", "LearnReport", "learn_format", "SandboxConfig", "SandboxUnavailableError",
           "LearnedFormat", "list_formats", "load_format", "remove_format"]
