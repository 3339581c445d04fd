"""What shell commands do to files, read from their text (tracegraph.semantics.shell)."""

from __future__ import annotations

import pytest

from tests.support import FIXTURES
from tracegraph.semantics.shell import command_effects
from tracegraph.schema import DeltaOp
from tracegraph.evaluate.stages import parse_source


@pytest.mark.parametrize(("command", "reads"), [
    ("curl -k -s https://localhost:8443/index.html | grep -o '<h1>.*</h1>'", [None]),  # grep on stdin
    ("grep -rn 'def main' /app/src/cli.py", ["/app/src/cli.py"]),
    ("grep -e /usr/lib /app/a.conf /app/b.conf", ["/app/a.conf", "/app/b.conf"]),  # -e gave the pattern
    ("awk '{print $1}' /app/data.txt", ["/app/data.txt"]),
    ("jq .name /app/package.json", ["/app/package.json"]),
    ("cat /app/x.py /app/y.py", ["/app/x.py", "/app/y.py"]),  # no pattern: every operand is a file
])
def test_readers_whose_first_operand_is_a_pattern(command, reads):
    effects = command_effects(command)
    assert all(e.op == DeltaOp.read for e in effects)
    assert [e.path for e in effects] == reads


def test_a_grep_pattern_on_a_real_run_is_not_a_file():
    trace = parse_source(next((FIXTURES / "tb-claude-code" / "c4" / "git-multibranch").iterdir()))
    assert trace.step(52).command.endswith("| grep -o '<h1>.*</h1>'")
    assert [(d.op, d.path) for d in trace.deltas_of(52)] == [(DeltaOp.read, None)]
