"""Units → parsed runs: parse each unit (a bad one becomes one error line naming the file), apply the size limits,
clean strings the store cannot hold."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

from tracegraph.errors import IngestError
from tracegraph.ingest.builder import clip_text
from tracegraph.ingest.discover import Limits, Unit, check_sizes
from tracegraph.schema import RunTrace


class FileError(BaseModel):
    path: str
    problem: str


def parse_units(units: list[Unit], limits: Limits, errors: list[FileError]) -> Iterator[tuple[RunTrace, int]]:
    """Parse each unit; a bad unit becomes one error line and the others go on. Yields (trace, dropped steps)."""
    for unit in units:
        try:
            check_sizes(unit.path, limits)
            for trace in unit.parser.parse(unit.path):
                yield trace, apply_limits(trace, limits)
        except IngestError as exc:
            errors.append(FileError(path=exc.path, problem=exc.problem))
        except RecursionError:
            errors.append(FileError(path=str(unit.path), problem="nested too deeply to read"))
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeDecodeError) as exc:
            # A parser met a shape it does not know; report it against the unit rather than stop the batch.
            errors.append(FileError(path=str(unit.path),
                                    problem=f"unreadable {unit.parser.name} run: {shape_problem(exc)}"))


_FIELD_IN_LINE = re.compile(r"""\.get\(\s*["']([^"']+)["']|\[\s*["']([^"']+)["']\s*\]""")


def shape_problem(exc: Exception) -> str:
    """One line on what a parser met that it did not expect, naming the field where it can be told.

    A model that refused a value names its field (pydantic's errors are several lines; the first is kept). For any
    other error the field is read from the parser's line that failed (`data.get("steps")`, `step["tool"]`).
    """
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "?"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"field {field!r}: {first['msg']}{more}"
    message = " ".join(str(exc).split())[:300]
    if isinstance(exc, AttributeError) and "'list' object" in message:
        message = f"a list where an object was expected ({message})"
    elif isinstance(exc, AttributeError) and "'str' object" in message:
        message = f"a string where an object was expected ({message})"
    field = _failing_field(exc)
    return f"{exc.__class__.__name__}: {message}" + (f" (reading field {field!r})" if field else "")


def _failing_field(exc: BaseException) -> str | None:
    import linecache
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/tracegraph/ingest/" in f.filename]
    for frame in reversed(frames):
        line = frame.line or linecache.getline(frame.filename, frame.lineno or 0)
        names = [a or b for a, b in _FIELD_IN_LINE.findall(line or "")]
        if names:
            return names[-1] if len(names) == 1 else names[0]
    return None


def scrub_surrogates(trace: RunTrace) -> None:
    """Replace lone UTF-16 surrogates (which JSON escapes can carry but UTF-8 cannot encode) in every string of the
    run, in place; the check is one pass over text that is almost always ASCII."""
    from tracegraph.schema.keys import graph_key

    def clean(value: object) -> object:
        if type(value) is str and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return value.encode("utf-8", "replace").decode("utf-8")
        return value

    for node in trace.nodes():
        fields = node.__dict__
        for name, value in fields.items():
            cleaned = clean(value)
            if cleaned is not value:
                fields[name] = graph_key(cleaned) if name in ("id", "run_id") else cleaned
    trace.test_files = {clean(k): [clean(p) for p in v] for k, v in trace.test_files.items()}
    # The whole texts of cut strings are what redaction scans (its matcher cannot take a lone surrogate).
    trace.observation_full = {k: clean(v) for k, v in trace.observation_full.items()}  # type: ignore[misc]
    trace.clipped_full = {k: clean(v) for k, v in trace.clipped_full.items()}  # type: ignore[misc]


def apply_limits(trace: RunTrace, limits: Limits) -> int:
    """Cut the run to `max_steps` and its observations to `observation_chars`, in place; returns dropped steps."""
    dropped = _apply_step_limit(trace, limits.max_steps)
    _apply_observation_limit(trace, limits.observation_chars)
    return dropped


def _apply_step_limit(trace: RunTrace, max_steps: int) -> int:
    extra = len(trace.steps) - max_steps
    if extra <= 0:
        return 0
    trace.steps = trace.steps[:max_steps]
    trace.tool_calls = [c for c in trace.tool_calls if c.k <= max_steps]
    trace.observations = [o for o in trace.observations if o.k <= max_steps]
    trace.deltas = [d for d in trace.deltas if d.k <= max_steps]
    trace.run.step_count = max_steps
    return extra


def _apply_observation_limit(trace: RunTrace, chars: int) -> None:
    # Parsers clip at the builder's default; the full text is still in observation_full, so the limit can go
    # either way. `size` keeps the full length.
    for obs in trace.observations:
        full = trace.observation_full.get(obs.k)
        if full is None or len(full) != obs.size:
            continue  # not the text this observation was cut from; leave it as the parser made it
        obs.content = clip_text(full, chars) or ""
        obs.truncated = len(full) > chars
