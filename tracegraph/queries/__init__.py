"""The named Cypher query library: `*.cypher` files with a header comment, run unchanged on both engines."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from pydantic import BaseModel

from tracegraph.errors import UnknownNameError
from tracegraph.store import Store

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULT = re.compile(r"\bdefault (\S+?)[;:)]")


class NamedQuery(BaseModel):
    name: str
    description: str
    parameters: list[str]
    defaults: dict[str, Any] = {}
    """Values of the parameters a caller may leave out (`default <json>` in the params header)."""
    example: str
    cypher: str


def _parse(name: str, text: str) -> NamedQuery:
    header = [line[2:].strip() for line in text.splitlines() if line.startswith("//")]
    fields: dict[str, str] = {}
    for line in header:
        m = re.match(r"^(answers|params|example):\s*(.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    params = [p.strip() for p in fields.get("params", "").split(",") if p.strip() and p.strip() != "none"]
    defaults = {p.split()[0]: json.loads(m.group(1)) for p in params if (m := _DEFAULT.search(p))}
    return NamedQuery(name=name, description=fields.get("answers", ""), parameters=[p.split()[0] for p in params],
                      defaults=defaults, example=fields.get("example", ""), cypher=text)


def list_queries() -> list[NamedQuery]:
    """Every query shipped in tracegraph/queries/, sorted by name."""
    files = resources.files("tracegraph.queries")
    return sorted((_parse(f.name.removesuffix(".cypher"), f.read_text()) for f in files.iterdir()
                   if f.name.endswith(".cypher")), key=lambda q: q.name)


def get_query(name: str) -> NamedQuery:
    for q in list_queries():
        if q.name == name:
            return q
    raise UnknownNameError("query", name, [q.name for q in list_queries()])


def run_query(store: Store, name_or_cypher: str, params: dict[str, Any] | None = None,
              timeout: float | None = None) -> list[dict[str, Any]]:
    """Run a named query (by file name) or Cypher text, read-only, with parameters (a named query's defaults
    filling the ones left out); `timeout` seconds overrides the store's default time limit."""
    if _NAME.match(name_or_cypher):
        named = get_query(name_or_cypher)
        cypher, params = named.cypher, {**named.defaults, **(params or {})}
    else:
        cypher = name_or_cypher
    if timeout is None:
        return store.query(cypher, params or {})
    return store.query(cypher, params or {}, timeout=timeout)
