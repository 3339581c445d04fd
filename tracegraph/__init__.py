"""tracegraph: code-agent runs as a graph, failure onset localization, Cypher over failure chains.

The Python API mirrors the CLI:

    from tracegraph import open_store, ingest_paths, diagnose_run
    store = open_store(".tracegraph")
    report = ingest_paths(["runs/"], store)
    result = diagnose_run(store, report.runs[0].run_id)
"""

from tracegraph.diagnose import diagnose_run, failed_run_ids
from tracegraph.ingest import Limits
from tracegraph.load import IngestReport, ingest_paths, ingest_traces
from tracegraph.queries import run_query
from tracegraph.store import open_store
from tracegraph.store.info import list_runs
from tracegraph.store.quality import check_store

__version__ = "0.1.0"
__all__ = ["IngestReport", "Limits", "check_store", "diagnose_run", "failed_run_ids", "ingest_paths", "ingest_traces", "list_runs",
           "open_store", "run_query"]
