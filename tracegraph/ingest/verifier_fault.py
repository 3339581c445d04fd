"""Evidence in a failed run's verifier output that the checks, not the agent, failed: every failing check either could
not reach the network, or needs a path the task never names where the agent made the same thing elsewhere.

Conservative on purpose: one failing check without such evidence and the run stays the agent's to be diagnosed.
"""

from __future__ import annotations

import posixpath
import re

from tracegraph.schema import RunTrace
from tracegraph.semantics.activity import is_test_path

_FAILED = {"failed", "error", "errored", "fail"}
# The sandbox could not resolve or reach a host at all. A refused connection is left out on purpose: that is what a
# check sees when the service the agent was to start is not running.
_NO_NETWORK = re.compile(
    r"Name or service not known|Temporary failure in name resolution|nodename nor servname provided|"
    r"Could not resolve host[^\n]{0,60}|getaddrinfo failed|Failed to resolve [^\n]{0,60}|Network is unreachable|"
    r"No route to host")
# Verifier-side files: the checks' own folder and scripts are not something the task asks the agent to make.
_VERIFIER_DIRS = ("/tests/", "/logs/", "/verifier/")


def verifier_fault(trace: RunTrace) -> str | None:
    """One line quoting why the failing checks, not the agent, failed the run; None when nothing shows it."""
    failing = [t for t in trace.tests if t.status.lower() in _FAILED]
    if not failing:
        return None
    return _no_network(failing) or _unasked_path(trace, [t.name for t in failing])


def _no_network(failing) -> str | None:
    found = [_NO_NETWORK.search(t.message or "") for t in failing]
    if not all(found):
        return None
    return (f"every failing check ({len(failing)}) could not reach the network, e.g. {failing[0].name}: "
            f"'{found[0].group(0).strip()}'")


def _unasked_path(trace: RunTrace, failing: list[str]) -> str | None:
    """Each failing check needs only paths the task text never names, and the agent made a file of that name
    elsewhere: the check hard-codes a location the task left to the agent (a hidden requirement)."""
    task = trace.run.task_text or ""
    if not task:
        return None
    touched = {d.path for d in trace.deltas if d.path}
    quotes = []
    for name in failing:
        paths = [p for p in trace.test_files.get(name, []) if not is_test_path(p)
                 and not any(v in p + "/" for v in _VERIFIER_DIRS)]
        if not paths:
            return None
        for path in paths:
            base = posixpath.basename(path.rstrip("/"))
            if not base or path in task or base in task:
                return None
            elsewhere = sorted(q for q in touched if posixpath.basename(q) == base
                               and posixpath.dirname(q) != posixpath.dirname(path))
            if not elsewhere:
                return None
            quotes.append(f"{name} needs {path}, which the task never names (the agent made {elsewhere[0]})")
    return f"the verifier checks a location the task left open: {quotes[0]}" + (
        f"; and {len(quotes) - 1} more" if len(quotes) > 1 else "")
