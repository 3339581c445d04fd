"""Every fixture run parses, redacts, builds its trace tree and renders its write plan exactly as it did when
tests/data/fixture_digests.json was made: ingest speed-ups must not change what is stored."""

from __future__ import annotations

import json

from tests.fixture_digests import DEFAULT_OUT, fixture_digests
from tests.support import FIXTURES


def test_every_fixture_run_is_prepared_as_the_golden_digests_say():
    golden = json.loads(DEFAULT_OUT.read_text())
    now = fixture_digests(FIXTURES)
    assert len(golden) >= 70
    changed = sorted(k for k in golden.keys() & now.keys() if golden[k] != now[k])
    missing, new = sorted(golden.keys() - now.keys()), sorted(now.keys() - golden.keys())
    # A change meant to alter runs (a parser or redaction fix) regenerates the file: python -m tests.fixture_digests.
    assert (changed, missing, new) == ([], [], [])
