"""`python -m tracegraph` is the `tracegraph` command (it once died on a circular import when run as a module)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import REPO


def test_python_dash_m_tracegraph_runs_the_cli():
    env = {**os.environ, "PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, "-m", "tracegraph", "queries", "--json"], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"failure_chain"' in done.stdout
