"""Scripted parsers (tests/learn/parsers/*.py) as a model's replies, and the unknown-format fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import FIXTURES

PARSERS = Path(__file__).with_name("parsers")
UNKNOWN = FIXTURES / "unknown-formats"
MODEL = "openai/scripted"

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap is not installed (make test installs it: scripts/ensure-debian-package.sh)")


def parser_code(name: str, **constants: object) -> str:
    """The text of a scripted parser, with its module constants (`PORT = 0`) set."""
    code = (PARSERS / f"{name}.py").read_text()
    for key, value in constants.items():
        unset = "0" if isinstance(value, int) else '""'
        code = code.replace(f"{key} = {unset}\n", f"{key} = {value!r}\n")
    return code


def reply(name: str, **constants: object) -> dict:
    """A chat reply holding the parser in a fenced block, as a model answers."""
    return {"content": f"Here is the parser.\n\n```python\n{parser_code(name, **constants)}```\n"}
