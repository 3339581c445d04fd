"""The named Cypher query library: `*.cypher` files with a header comment, run unchanged on both engines."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from pydantic import BaseModel

from tracegraph.errors import QueryError, UnknownNameError
from tracegraph.store import Store
from tracegraph.store.info import resolve_run

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULT = re.compile(r"\bdefault (\S+?)[;:)]")
_PARAM = re.compile(r"([a-z_][a-z0-9_]*)\s*(?:\(([^)]*)\))?")
_CYPHER_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
RUN_TYPE = "run"
"""A parameter whose header type starts with this takes a run name, unique prefix or id (resolved to the id)."""
TEXT_RUN_PARAMETER = "run_id"
"""In Cypher text (no header to read), the parameter resolved as a run."""


class NamedQuery(BaseModel):
    name: str
    description: str
    parameters: list[str]
    defaults: dict[str, Any] = {}
    """Values of the parameters a caller may leave out (`default <json>` in the params header)."""
    example: str
    cypher: str
    parameter_types: dict[str, str] = {}
    """Each parameter's type and meaning as the header states it, e.g. `integer: fewest runs`."""

    @property
    def run_parameters(self) -> list[str]:
        return [p for p, t in self.parameter_types.items() if t.split(":")[0].strip() == RUN_TYPE]

    def signature(self) -> str:
        """`name (type), ...` as the header lists them, or `none`."""
        return ", ".join(f"{p} ({self.parameter_types[p]})" if self.parameter_types.get(p) else p
                         for p in self.parameters) or "none"


def _parse(name: str, text: str) -> NamedQuery:
    header = [line[2:].strip() for line in text.splitlines() if line.startswith("//")]
    fields: dict[str, str] = {}
    for line in header:
        m = re.match(r"^(answers|params|example):\s*(.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    params = {p: (t or "").strip() for p, t in _PARAM.findall(fields.get("params", "")) if p != "none"}
    defaults = {p: json.loads(m.group(1)) for p, t in params.items() if (m := _DEFAULT.search(f"{t})"))}
    return NamedQuery(name=name, description=fields.get("answers", ""), parameters=list(params),
                      parameter_types=params, defaults=defaults, example=fields.get("example", ""), cypher=text)


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
    filling the ones left out); `timeout` seconds overrides the store's default time limit.

    A run parameter (typed `run` in a named query's header; `run_id` in Cypher text) takes a run name, a unique
    prefix or a full id. A missing parameter raises QueryError naming it and the query's parameter list.
    """
    params = dict(params or {})
    if _NAME.match(name_or_cypher):
        named = get_query(name_or_cypher)
        cypher, required, run_params = named.cypher, named.parameters, named.run_parameters
        params = {**named.defaults, **params}
        listing = f"query {named.name} takes: {named.signature()}"
    else:
        cypher = name_or_cypher
        required = list(dict.fromkeys(_CYPHER_PARAM.findall(_without_comments_and_strings(cypher))))
        run_params, listing = [TEXT_RUN_PARAMETER], f"the query uses: {', '.join(required) or 'none'}"
    missing = [p for p in required if p not in params]
    if missing:
        raise QueryError(f"missing parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"(pass --param NAME=VALUE); {listing}")
    for p in run_params:
        if isinstance(params.get(p), str):
            params[p] = resolve_run(store, params[p])
    if timeout is None:
        return store.query(cypher, params)
    return store.query(cypher, params, timeout=timeout)


def _without_comments_and_strings(cypher: str) -> str:
    """Cypher with `//` comments and quoted strings blanked, so `$` inside them is not read as a parameter."""
    return re.sub(r"//[^\n]*|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "", cypher)
