"""The pipeline that runs the stages: ingest (find, parse, limit, redact) → trace tree → quality gate → store.

Stages below it (ingest/, tree/, store/) never import it; the CLI and the top-level package do.
"""

from tracegraph.load.pipeline import IngestInterrupted, IngestReport, ingest_paths, ingest_traces

__all__ = ["IngestInterrupted", "IngestReport", "ingest_paths", "ingest_traces"]
