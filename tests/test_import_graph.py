"""The import graph is a design: data flows one way through the stages, no package imports one above it, and no
modules import each other in a circle. Deferred imports (inside functions) count like top-level ones.

Parser and engine tables name their modules as strings (`ingest/registry.py`, `store/open.py`) and are resolved
at run time; those are plug-in points, not imports, and are not edges here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tracegraph"

LAYERS = [
    "errors",       # named exceptions
    "llm_client",   # one way to call a model
    "schema",       # pydantic models: labels, properties, types
    "semantics",    # what a command or tool call does: one lexer, one classifier, one write test
    "ingest",       # find runs, parse each format into RunTrace, redact, check quality
    "learn",        # parsers learned by a model for formats nobody wrote one for (plugs into ingest's table)
    "store",        # one Store interface over FalkorDB and Neo4j, write plans from the schema
    "tree",         # stages, explore/change and causal edges of a parsed run
    "load",         # the conductor: ingest → tree → quality gate → store
    "queries",      # named Cypher over the graph
    "diagnose",     # failure onset per run
    "evaluate",     # stage and diagnosis metrics against labels, cross-validation, label export
    "mine",         # patterns across diagnosed runs
    "export",       # runs back out as ATIF
    "report",       # HTML and JSON reports
    "replay",       # hint packages for a second attempt
    "neo4j_styles", # Neo4j Browser stylesheet and Bloom perspective made from the schema
    "cli",          # cli.py and commands/: a thin skin over the library
    "tracegraph",   # the top-level package: the public API in one import
    "__main__",     # python -m tracegraph: runs the CLI
]
"""Low to high: a module may import from its own layer or a lower one, never from a higher one."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "tracegraph"
    return "cli" if parts[1] in ("cli", "commands") else parts[1]


def _resolve(name: str) -> str | None:
    """The tracegraph module an import names (`from tracegraph.store import Store` → tracegraph.store)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] == "tracegraph":
                target = _resolve(name)
                if target and target != module:
                    found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def test_every_package_has_a_layer():
    assert {_layer(m) for m in MODULES} <= set(LAYERS), "a new package needs its place in LAYERS"


def test_no_import_from_a_lower_layer_to_a_higher_one():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = sorted(f"{a} imports {b} ({_layer(a)} is below {_layer(b)})"
                    for a, targets in GRAPH.items() for b in targets if rank[_layer(b)] > rank[_layer(a)])
    assert upward == []


def test_ingest_imports_no_later_stage():
    later = {"tree", "store", "load", "diagnose", "evaluate", "queries", "mine", "report", "export", "replay", "cli"}
    assert sorted((a, b) for a, targets in GRAPH.items() if _layer(a) == "ingest"
                  for b in targets if _layer(b) in later) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_cycles():
    assert _cycles(GRAPH) == []


def test_no_package_cycles():
    packages: dict[str, set[str]] = defaultdict(set)
    for a, targets in GRAPH.items():
        for b in targets:
            if _layer(a) != _layer(b):
                packages[_layer(a)].add(_layer(b))
    assert _cycles(packages) == []


def test_the_graph_sees_deferred_imports():
    # load/prepare.py builds the tree; the test would be blind if it missed imports made inside functions.
    deferred = {m for m, path in MODULES.items()
                if any(isinstance(n, ast.FunctionDef) and any(isinstance(i, ast.ImportFrom) for i in ast.walk(n))
                       for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))}
    assert "tracegraph.store.open" in deferred
    assert "tracegraph.store.falkordb" in GRAPH["tracegraph.store.open"]


IMPORT_EVERYTHING = """
import logging, os
hooks = []
real = os.register_at_fork
os.register_at_fork = lambda **kw: hooks.extend(f.__module__ for f in kw.values()) or real(**kw)
before_env = dict(os.environ)
before_handlers = {name: list(lg.handlers) for name, lg in logging.Logger.manager.loggerDict.items()
                   if isinstance(lg, logging.Logger)}
import importlib, pkgutil, tracegraph
for info in pkgutil.walk_packages(tracegraph.__path__, "tracegraph."):
    importlib.import_module(info.name)
after_handlers = {name: list(lg.handlers) for name, lg in logging.Logger.manager.loggerDict.items()
                  if isinstance(lg, logging.Logger) and lg.handlers}
new_handlers = {n: h for n, h in after_handlers.items() if h != before_handlers.get(n, [])}
changed = {k for k in set(before_env) | set(os.environ) if before_env.get(k) != os.environ.get(k)}
ours = [m for m in hooks if m.startswith("tracegraph")]
print(sorted(changed), sorted(new_handlers), ours, len(logging.getLogger().handlers))
"""


def test_importing_tracegraph_has_no_side_effects():
    env = {k: v for k, v in __import__("os").environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    out = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, env=env,
                         cwd=PACKAGE.parent, timeout=120)
    assert out.returncode == 0, out.stderr
    changed_env, new_log_handlers, fork_hooks, root_handlers = out.stdout.strip().split(" ", 3)
    assert (changed_env, new_log_handlers, fork_hooks, root_handlers) == ("[]", "[]", "[]", "0")
