"""The bundled Neo4j server (scripts/neo4j.sh) as a child process of the test session."""

from __future__ import annotations

import os
import secrets
import selectors
import shutil
import subprocess
import time
from pathlib import Path

from tests.support import REPO

SCRIPT = REPO / "scripts" / "neo4j.sh"
START_TIMEOUT_S = 300.0
"""A cold JVM on a busy two-core machine took a minute; five is the point where something is wrong."""
READY = "tracegraph-neo4j ready "


def missing_tools() -> str | None:
    """Why the bundled server cannot run here (for a skip reason), or None."""
    missing = [tool for tool in ("java", "javac", "mvn") if shutil.which(tool) is None]
    return f"the bundled Neo4j needs {' and '.join(missing)}, not installed here" if missing else None


class Neo4jServer:
    """One Neo4j server on 127.0.0.1: data in `home`, a random password, stopped by `stop()`."""

    def __init__(self, home: Path, port: int = 0, password: str | None = None) -> None:
        self.home = home
        self.password = password or secrets.token_urlsafe(18)
        self.user = "neo4j"
        self.uri = self._start(port)

    def _start(self, port: int) -> str:
        # stdin stays a pipe the server watches: if this process dies, the server stops instead of lingering.
        # stderr goes to a file: a pipe nobody reads once the server is up would block it when full.
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "stderr.log", "a") as err:
            self.proc = subprocess.Popen(
                ["bash", str(SCRIPT), "run", str(self.home), str(port), "--stop-on-eof"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                env=os.environ | {"NEO4J_PASSWORD": self.password}, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if sel.select(timeout=1.0):
                line = self.proc.stdout.readline()
                if line.startswith(READY):
                    self.port = int(line.rsplit(":", 1)[1])
                    return line[len(READY):].strip()
                if line:
                    continue
            if self.proc.poll() is not None:
                raise RuntimeError(f"the bundled Neo4j exited ({self.proc.returncode}) before it was ready: "
                                   f"{self._tail()}")
        self.stop()
        raise RuntimeError(f"the bundled Neo4j was not ready within {START_TIMEOUT_S:.0f}s: {self._tail()}")

    def _tail(self) -> str:
        err = (self.home / "stderr.log").read_text(errors="replace")
        lines = [line for line in err.splitlines() if line.strip() and not line.lstrip().startswith("at ")]
        return " | ".join(lines[-5:]) or "no output; see " + str(self.home / "logs" / "debug.log")

    def stop(self, timeout: float = 60) -> None:
        """Stop the server cleanly (closing its stdin), killing it if it does not stop in time."""
        if self.proc.poll() is not None:
            return
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """Stop it as a crash would: no shutdown, no checkpoint."""
        self.proc.kill()
        self.proc.wait()

    def restart(self) -> None:
        """Start again on the same data and port, after `stop()` or `kill()`."""
        self.uri = self._start(self.port)
