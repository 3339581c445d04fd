"""Faster code on the ingest path gives exactly what the code it replaced gave; the scale bench keeps working."""

from __future__ import annotations

import random
import shlex

import pytest

from tests.support import FIXTURES
from tracegraph.semantics.lexer import shell_tokens, split_commands, split_simple_commands
from tracegraph.store.plan import node_row, row_value


def _shlex_tokens(text: str, whitespace: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace = whitespace
    lexer.whitespace_split = True
    return list(lexer)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except ValueError:
        return ValueError


@pytest.fixture(scope="module")
def fixture_traces():
    from tracegraph.ingest.discover import discover

    units = discover([FIXTURES / name for name in ("harbor-atif", "swe-agent", "openhands", "who-and-when")]).units
    return [t for u in units for t in u.parser.parse(u.path)]


@pytest.mark.parametrize("whitespace", [" \t\r", " \t\r\n"])
def test_shell_tokens_match_shlex_on_random_text(whitespace):
    rng = random.Random(9)
    alphabet = list("ab c\t\r\n;&|()<>'\"\\#=-./~*?$xé\x0b")
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert _outcome(shell_tokens, text, whitespace) == _outcome(_shlex_tokens, text, whitespace), repr(text)


def test_shell_tokens_match_shlex_on_every_fixture_command(fixture_traces):
    texts = {s.command or s.action for t in fixture_traces for s in t.steps if s.command or s.action}
    assert len(texts) > 300
    for text in texts:
        for whitespace in (" \t\r", " \t\r\n"):
            assert _outcome(shell_tokens, text, whitespace) == _outcome(_shlex_tokens, text, whitespace), text


def test_repeated_split_returns_fresh_lists():
    first = split_simple_commands("cd /app && cat a.txt | grep x")
    first[0].append("changed")
    again = split_simple_commands("cd /app && cat a.txt | grep x")
    assert again == [["cd", "/app"], ["cat", "a.txt"], ["grep", "x"]]
    split = split_commands("sleep 1 & echo x")
    split[0][0].append("changed")
    split.append((["more"], False))
    assert split_commands("sleep 1 & echo x") == [(["sleep", "1"], True), (["echo", "x"], False)]


def test_node_rows_match_reading_each_field(fixture_traces):
    for trace in fixture_traces:
        for node in trace.nodes():
            assert node_row(node) == {k: row_value(getattr(node, k)) for k in type(node).model_fields}


def test_scale_bench_builds_realistic_runs_that_load(tmp_path):
    from bench import scale
    from tracegraph.load.pipeline import ingest_traces
    from tracegraph.store import open_store

    shapes = scale.load_shapes(FIXTURES / "who-and-when") + scale.load_shapes(FIXTURES / "harbor-atif")
    runs = list(scale.synthetic_runs(shapes, 40, seed=3))
    again = list(scale.synthetic_runs(shapes, 40, seed=3))
    assert [(r.run_id, len(r.steps)) for r in runs] == [(r.run_id, len(r.steps)) for r in again]
    assert len({r.run_id for r in runs}) == 40
    with open_store(str(tmp_path / "store")) as store:
        report = ingest_traces(iter(runs), store)
        assert len(report.runs) == 40 and not report.errors
        assert report.steps == sum(len(r.steps) for r in runs) > 0
        assert store.query("MATCH (r:Run {status: 'loaded'}) RETURN count(r) AS c") == [{"c": 40}]
