"""A secret that a length limit cuts in two is masked before the cut: no piece of it is stored.

Every bounded string the builder makes (a thought, a command, the arguments JSON, a test message, the task text,
the verifier output, the final message, a tool result) gets a secret straddling its limit; the run goes through
the ingest's preparation, and every string property of every node is scanned for any 8-character piece of it.
"""

from __future__ import annotations

import pytest

from tests.ingest.secret_corpus import PEM, PLANTED
from tracegraph.ingest.builder import ARGUMENTS_LIMIT, OBSERVATION_LIMIT, THOUGHT_LIMIT, TraceBuilder
from tracegraph.load.prepare import prepare_trace

SECRETS = {kind: PLANTED[kind] for kind in ("github-classic", "aws-secret-ini", "aws-secret-env")}


def _straddling(text: str, secret: str, limit: int) -> str:
    """Filler, then `text`, placed so that the limit falls in the middle of `secret`."""
    at = limit - text.index(secret) - len(secret) // 2
    padded = "".join(f"line {i:05d} is fine\n" for i in range(at // 10 + 1))[:at] + text + "\nmore after it"
    assert padded.index(secret) < limit < padded.index(secret) + len(secret)
    return padded


def _planted_trace(text: str, secret: str):
    b = TraceBuilder(framework="synthetic", source="/runs/cut", name="cut", content_hash="c1")
    b.set(task_text=_straddling(text, secret, 4000), verifier_output=_straddling(text, secret, 4000),
          final_message=_straddling(text, secret, 2000))
    b.add_step("bash", {"command": _straddling(text, secret, THOUGHT_LIMIT)},
               thought=_straddling(text, secret, THOUGHT_LIMIT), observation="ok")
    b.add_step("write", {"path": "notes.txt", "content": _straddling(text, secret, ARGUMENTS_LIMIT - 40)},
               observation=_straddling(text, secret, OBSERVATION_LIMIT))
    b.add_step("bash", {"command": "make test"}, observation=_straddling(PEM, PEM.splitlines()[-2], OBSERVATION_LIMIT))
    b.add_test("test_cut", "failed", message=_straddling(text, secret, 2000))
    return b.build()


def _stored_strings(trace) -> list[tuple[str, str]]:
    return [(f"{type(node).__name__}.{field}", value) for node in trace.nodes()
            for field, value in vars(node).items() if isinstance(value, str)]


def _pieces(secret: str) -> set[str]:
    return {secret[i:i + 8] for i in range(len(secret) - 7)}


@pytest.mark.parametrize("kind", SECRETS)
def test_a_secret_cut_by_a_limit_leaves_no_piece_behind(kind):
    text, secret = SECRETS[kind]
    trace, summary = prepare_trace(_planted_trace(text, secret), 0, redact=True)
    stored = _stored_strings(trace)
    assert any("more chars]" in value for _, value in stored)  # the limits did cut
    pem_lines = [line for line in PEM.splitlines()[1:-1]]
    leaks = [(where, piece) for where, value in stored for piece in _pieces(secret) | {p for line in pem_lines
                                                                                    for p in _pieces(line)}
             if piece in value]
    assert leaks == []
    assert summary.redactions >= 8
    assert trace.clipped_full == {}  # the whole texts, unredacted past the window, travel no further
