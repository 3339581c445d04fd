"""TraceBuilder's readings of a step from its tool result."""

from __future__ import annotations

import pytest

from tracegraph.ingest.builder import _EXIT, TraceBuilder


@pytest.mark.parametrize("observation, code", [
    ("Exit code: 2", 2), ("make: *** [all] Error 1\nexit code 1", 1), ("process exited with code -9", -9),
    ("exit status 127", 127), ("<returncode>0</returncode>", None), ("returncode=3", 3), ("returncode: 4\n", 4),
    ("no code here, only errors and reruns", None), ("", None), ("exit codes vary", None),
    ("x" * 5000 + "exit code 5", 5), ("exit code 6" + "x" * 5000, None),  # only the last 2,000 characters count
])
def test_a_step_takes_the_exit_code_its_result_prints(observation, code):
    builder = TraceBuilder(framework="test", source="s", name="n", content_hash="h")
    builder.add_step("bash", {"command": "make"}, observation=observation)
    step = builder.build().steps[0]
    assert step.exit_code == code
    assert step.exit_code == (int(m.group(1)) if (m := _EXIT.search(observation[-2000:])) else None)
    if code:
        assert step.is_error
