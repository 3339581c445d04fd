"""Ingest throughput against the machine's floor, both measured in the same run.

The corpus is the fixture runs of every format, copied until ≥ --min-steps steps. Printed side by side, as CPU µs per
step (all cores together; absolute figures move with the machine's load, the ratios much less):
- floor, read + decode: every file the parsers open, read and decoded as cheaply as honest (orjson per JSON or
  JSONL document and per asciinema event line, other text split into lines);
- floor, write: the same graph (nodes and edges of every copy's runs) sent as pre-rendered `UNWIND ... CREATE`
  batches into a fresh embedded store: the client's send plus the server's CPU;
- tracegraph end to end (discover → parse → redact → tree → quality gate → write) per process: worker processes,
  the main process (writer thread included), the FalkorDB server; then steps/s, and the rate in the first 5 s next
  to the rest (a start-up stall shows as a low first figure);
- the ratios tracegraph / floor. With --repeat N, the floor and an ingest are measured N times in turn (the machine's
  speed drifts), and the medians and each repetition's ratio are printed.
Then where one copy's time goes, stage by stage and per parser (in-process, one stage at a time).

With --neo4j the same corpus also goes into a Neo4j server (the bundled one that scripts/neo4j.sh starts, or the URI
given, which is wiped first; credentials from NEO4J_USER / NEO4J_PASSWORD), and the write path alone (one copy's
write plan: batched UNWIND with parameters) is timed on both engines: nodes/s and relationships/s next to each
other, and on Neo4j against two anchors on the same server (small nodes; this graph in the plainest Cypher).
Usage: python bench/ingest.py [--min-steps 100000] [--fixtures ../shared/fixtures] [--workers N] [--repeat N]
       [--neo4j [URI]]
"""

from __future__ import annotations

import argparse
import builtins
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tracegraph.ingest.discover import Limits, discover
from tracegraph.ingest.quality import check_batch
from tracegraph.ingest.redact import redact_trace
from tracegraph.ingest.units import parse_units
from tracegraph.load.pipeline import BATCH_STEPS, ingest_paths
from tracegraph.load.prepare import prepare_units
from tracegraph.schema import LABELS
from tracegraph.store import open_store
from tracegraph.store.info import db_status
from tracegraph.store.plan import (BATCH_ROWS, Statement, Writes, create_nodes_cypher, edges_statements, node_row,
                                   nodes_statements, write_runs_plan)
from tracegraph.tree import build_tree


WHITESPACE_TOLERANT = {".json", ".jsonl", ".traj", ".cast", ".log", ".txt"}
FLOOR_MIN_CPU_S = 2.0
"""The read + decode floor repeats one copy until it has cost this much CPU (one pass is a fraction of a second)."""
START_WINDOW_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-steps", type=int, default=100_000)
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "fixtures")
    parser.add_argument("--workers", type=int, default=None, help="ingest worker processes (default: one per core)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repetitions of the floor and an embedded ingest of the corpus; the ratios use each "
                             "figure's median (this machine's runs differ by ~10%%: compare code with several)")
    parser.add_argument("--neo4j", nargs="?", const="bundled", metavar="URI",
                        help="also bench a Neo4j server: the bundled one (no URI) or this one (wiped first)")
    args = parser.parse_args()
    server = None
    targets = {"embedded FalkorDB": None}
    if args.neo4j == "bundled":
        server = start_bundled_neo4j()
        targets["Neo4j " + server.uri] = server.uri
    elif args.neo4j:
        targets["Neo4j " + args.neo4j] = args.neo4j
    work = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        units = discover([args.fixtures]).units
        traces = [t for t, _ in prepare_units(units, Limits(), [], workers=0)]
        steps_per_copy = sum(len(t.steps) for t in traces)
        copies = max(1, -(-args.min_steps // max(1, steps_per_copy)))
        make_corpus(args.fixtures, work / "runs", copies)
        print(f"corpus: {copies} copies of {len(traces)} fixture runs ({steps_per_copy} steps each), "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        # Each repetition measures the floor right before its ingest: this machine's speed drifts by up to ~20% within
        # an hour, and a ratio of figures taken minutes apart carries the drift.
        rounds = [(floor_read_decode(units, steps_per_copy), floor_write(work, traces, copies),
                   end_to_end(work, None, args.workers, traces)) for _ in range(args.repeat)]
        read_floor = statistics.median(read for read, _, _ in rounds)
        write_floor = {key: statistics.median(write[key] for _, write, _ in rounds) for key in rounds[0][1]}
        measured = {"embedded FalkorDB": {key: statistics.median(tg[key] for _, _, tg in rounds)
                                          for key in rounds[0][2]}}
        for name, uri in targets.items():
            if uri is not None:
                measured[name] = end_to_end(work, uri, args.workers, traces)
        if args.repeat > 1:
            ratios = ", ".join(f"{cpu_ratio(*r):.2f}x" for r in rounds)
            print(f"\n(medians of {args.repeat} repetitions below, each a floor and an embedded ingest; end-to-end "
                  f"CPU / floor per repetition: {ratios})")
        print_ratios(read_floor, write_floor, measured["embedded FalkorDB"])
        quality_cost(traces, copies)
        for name, figures in measured.items():
            if name != "embedded FalkorDB":
                print(f"\n== {name}: {figures['steps_per_s']:,.0f} steps/s end to end")
        if len(targets) > 1:
            write_path(args.fixtures, targets)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server:
            server.stop()
    stage_costs(args.fixtures)


def start_bundled_neo4j():
    """The server the tests use (scripts/neo4j.sh), full JIT; NEO4J_* set for open_store."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.neo4j_server import Neo4jServer

    server = Neo4jServer(Path(tempfile.mkdtemp(prefix="tg-bench-neo4j-")))
    os.environ.update(NEO4J_USER=server.user, NEO4J_PASSWORD=server.password)
    return server


def fresh_store(folder: Path, uri: str | None):
    """An empty store: embedded in `folder`, or the Neo4j server at `uri` wiped."""
    if uri is None:
        return open_store(str(folder / "store"))
    store = open_store(uri)
    store.reset()
    store.init_schema()
    return store


def make_corpus(fixtures: Path, runs: Path, copies: int) -> None:
    # Each copy's files get trailing whitespace (i + 1 blanks), so every run gets its own content hash and run
    # id (identical copies would be loaded once). OpenHands output.jsonl hashes each line, so its runs are the
    # same in every copy: parsed every time, loaded once, and counted once in steps/s.
    for i in range(copies):
        dst = runs / f"copy{i:04d}"
        shutil.copytree(fixtures, dst, symlinks=True)
        for path in dst.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.suffix in WHITESPACE_TOLERANT:
                with open(path, "a") as fh:
                    fh.write("\n" + " " * (i + 1))


# --- the floor -------------------------------------------------------------------------------------------------

def files_read(units) -> list[Path]:
    """Every file the parsers open for these units (found by parsing once with `open` watched), each once."""
    seen: dict[str, None] = {}
    real_open = io.open

    def watching_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            seen.setdefault(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    builtins.open = io.open = watching_open
    try:
        list(parse_units(units, Limits(), []))
    finally:
        builtins.open = io.open = real_open
    return [Path(p) for p in seen if os.path.isfile(p)]


def decode(path: Path) -> int:
    """Read and decode one file as cheaply as honest; returns the number of documents or lines."""
    import orjson

    data = path.read_bytes()
    if path.suffix in (".json", ".traj"):
        try:
            orjson.loads(data)
            return 1
        except orjson.JSONDecodeError:
            pass  # JSON lines in a .json file: decoded line by line below
    if path.suffix in (".json", ".jsonl", ".traj", ".cast"):
        count = 0
        for line in data.splitlines():
            if line.strip():
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError:
                    pass
                count += 1
        return count
    return len(data.decode("utf-8", "replace").splitlines())


def floor_read_decode(units, steps_per_copy: int) -> float:
    """CPU µs per step to read and decode one copy's files (repeated until FLOOR_MIN_CPU_S for a steady figure)."""
    files = files_read(units)
    passes, started = 0, time.process_time()
    while time.process_time() - started < FLOOR_MIN_CPU_S:
        for path in files:
            decode(path)
        passes += 1
    return (time.process_time() - started) / (passes * steps_per_copy) * 1e6


def floor_write(work: Path, traces, copies: int) -> dict[str, float]:
    """CPU µs per step (client and server) to write every copy's graph as pre-rendered UNWIND ... CREATE batches
    into a fresh embedded store. Each copy's runs get their own ids, as the ingest's copies do; shared File and
    Task nodes are merged, as the ingest does. Copies go in groups of about the ingest's batch size."""
    from falkordb.helpers import stringify_param_value

    per_run = {n.id for t in traces for n in t.nodes() if LABELS[n.LABEL].PER_RUN}
    steps_per_copy = sum(len(t.steps) for t in traces)
    group = max(1, BATCH_STEPS // max(1, steps_per_copy))
    store = open_store(str(work / "floor-store"))
    server = ServerCPU()
    client_s = 0.0
    server_before = server.seconds()
    try:
        for first in range(0, copies, group):
            rendered = []
            for stmt in write_graph_plan(traces, per_run, range(first, min(first + group, copies))):
                rendered.append(f"CYPHER rows={stringify_param_value(stmt.params['rows'])} {stmt.cypher}")
            started = time.process_time()
            for text in rendered:
                store.graph.execute_command("GRAPH.QUERY", store.graph.name, text, "--compact")
            client_s += time.process_time() - started
        server_s = server.seconds() - server_before
    finally:
        store.close()
        shutil.rmtree(work / "floor-store", ignore_errors=True)  # the next repetition writes into a fresh one
    steps = steps_per_copy * copies
    return {"client": client_s / steps * 1e6, "server": server_s / steps * 1e6}


def write_graph_plan(traces, per_run: set[str], copies: range) -> list:
    """CREATE statements for the nodes and edges of these copies of `traces`; ids of per-run nodes get `~copy`."""
    plan = (nodes_statements((t.run for t in traces), fresh_runs=True)
            + nodes_statements((n for t in traces for n in t.nodes()[1:]), fresh_runs=True)
            + edges_statements((e for t in traces for e in t.edges()), fresh_runs=True))
    by_cypher: dict[str, list[dict]] = defaultdict(list)
    for i in copies:
        for stmt in plan:
            by_cypher[stmt.cypher] += [
                {k: f"{v}~{i}" if k in ("id", "run_id", "src", "dst") and v in per_run else v for k, v in row.items()}
                for row in stmt.params["rows"]]
    return [Statement(cypher, {"rows": rows[j:j + BATCH_ROWS]})
            for cypher, rows in by_cypher.items() for j in range(0, len(rows), BATCH_ROWS)]


class ServerCPU:
    """CPU seconds of this process's embedded FalkorDB server (and the children it waited for), from /proc."""

    def __init__(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.support import live_children

        pids = [pid for pid, cmd in live_children(os.getpid()) if b"redis-server" in cmd]
        if len(pids) != 1:
            raise SystemExit(f"expected one embedded FalkorDB server among this process's children, found {pids}")
        self.pid = pids[0]

    def seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


# --- tracegraph ------------------------------------------------------------------------------------------------

def end_to_end(work: Path, uri: str | None, workers: int | None, traces) -> dict[str, float]:
    """One ingest of the corpus into a fresh store: CPU µs per step per process, steps/s, start-up rate."""
    steps_of = {t.run.name: len(t.steps) for t in traces}
    consumed: list[tuple[float, int]] = []
    store = fresh_store(work, uri)
    server = ServerCPU() if uri is None else None
    try:
        server_before = server.seconds() if server else 0.0
        before = os.times()
        started = time.perf_counter()
        report = ingest_paths([work / "runs"], store, workers=workers,
                              progress=lambda name, i, n: consumed.append((time.perf_counter(), steps_of.get(name, 0))))
        elapsed = time.perf_counter() - started
        after = os.times()
        server_s = server.seconds() - server_before if server else float("nan")
        status = db_status(store)
    finally:
        store.close()
        if uri is None:
            shutil.rmtree(work / "store", ignore_errors=True)
    steps = report.steps
    nodes = sum(status["nodes"].values())
    edges = sum(status["relationships"].values())
    early = sum(s for t, s in consumed if t - started <= START_WINDOW_S)
    late_s = max(elapsed - START_WINDOW_S, 1e-9)
    print(f"\n== tracegraph into {'embedded FalkorDB' if uri is None else uri}")
    print(f"runs loaded      {len(report.runs)} ({len(report.errors)} errors)")
    print(f"steps            {steps} ({status['nodes'].get('Step', 0)} Step nodes in the graph)")
    print(f"seconds          {elapsed:.2f}")
    print(f"steps/s          {steps / elapsed:,.0f}")
    print(f"nodes/s          {nodes / elapsed:,.0f}")
    print(f"relationships/s  {edges / elapsed:,.0f}")
    return {
        "steps_per_s": steps / elapsed,
        "workers": (after.children_user + after.children_system - before.children_user - before.children_system)
        / steps * 1e6,
        "main": (after.user + after.system - before.user - before.system) / steps * 1e6,
        "server": server_s / steps * 1e6,
        "first_5s": early / START_WINDOW_S if elapsed > 2 * START_WINDOW_S else float("nan"),
        "after_5s": (sum(s for _, s in consumed) - early) / late_s,
    }


def cpu_ratio(read_floor: float, write_floor: dict[str, float], tg: dict[str, float]) -> float:
    """tracegraph's CPU per step over the floor's."""
    return (tg["workers"] + tg["main"] + tg["server"]) / (read_floor + write_floor["client"] + write_floor["server"])


def print_ratios(read_floor: float, write_floor: dict[str, float], tg: dict[str, float]) -> None:
    floor = read_floor + write_floor["client"] + write_floor["server"]
    total = tg["workers"] + tg["main"] + tg["server"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    print("\n== floor vs tracegraph (CPU µs per step, same run)")
    print(f"  floor: read + decode            {read_floor:8.0f}")
    print(f"  floor: pre-rendered write       {write_floor['client'] + write_floor['server']:8.0f}"
          f"   (client {write_floor['client']:.0f}, server {write_floor['server']:.0f})")
    print(f"  floor total                     {floor:8.0f}   = {cores * 1e6 / floor:,.0f} steps/s on {cores} cores")
    print(f"  tracegraph: workers             {tg['workers']:8.0f}")
    print(f"  tracegraph: main process        {tg['main']:8.0f}")
    print(f"  tracegraph: FalkorDB server     {tg['server']:8.0f}")
    print(f"  tracegraph total                {total:8.0f}   = {cores * 1e6 / total:,.0f} steps/s if every core "
          f"were busy; measured {tg['steps_per_s']:,.0f} steps/s")
    print(f"  ratio: end-to-end CPU / floor   {total / floor:8.2f}x   (target ≤ 3)")
    print(f"  ratio: Python CPU / read floor  {(tg['workers'] + tg['main']) / read_floor:8.2f}x")
    print(f"  ratio: server CPU / write floor {tg['server'] / write_floor['server']:8.2f}x")
    print(f"  ratio: steps/s / floor steps/s  {tg['steps_per_s'] * floor / (cores * 1e6):8.2f}")
    print(f"  cores busy (CPU / wall)         {total * tg['steps_per_s'] / 1e6:8.2f}")
    print(f"  start-up: steps/s consumed in the first {START_WINDOW_S:.0f} s {tg['first_5s']:,.0f}, "
          f"after {tg['after_5s']:,.0f}")


def quality_cost(traces, copies: int) -> None:
    """The quality gate alone: its one-off great-expectations import (in a fresh process, as the gate's own process
    pays it; next to it a plain import first: nothing deferred (ingest/quality.py UNUSED_BY_THE_SUITE), the collector
    on), then the corpus's step tables checked in QUALITY_ROWS batches as a non-strict ingest does (in its own
    process there: counted with the workers above)."""
    from tracegraph.ingest.quality import _suite, check_rows, step_rows
    from tracegraph.load.quality_gate import QUALITY_ROWS

    # As the gate's process pays it: forked from an ingest that has tracegraph imported, it builds the suite.
    suite = "_suite()"
    imported = min(_child_cpu(suite) for _ in range(IMPORT_REPEATS))
    eager = min(_child_cpu("import great_expectations; " + suite) for _ in range(IMPORT_REPEATS))
    _suite()
    one_copy = step_rows(traces)
    rows = [(f"{row[0]}~{i}", *row[1:]) for i in range(copies) for row in one_copy]
    started = time.process_time()
    for first in range(0, len(rows), QUALITY_ROWS):
        chunk = rows[first:first + QUALITY_ROWS]
        check_rows(chunk, sorted({row[0] for row in chunk}))
    checked = time.process_time() - started
    steps = sum(len(t.steps) for t in traces) * copies
    print(f"  quality gate: import {imported:.2f} s CPU once ({imported / steps * 1e6:.0f} µs/step over this corpus; "
          f"a plain import first {eager:.2f} s, ratio {imported / eager:.2f}), checks "
          f"{checked / steps * 1e6:.1f} µs/step (target ≤ 10 amortised); both in the workers' figure")


IMPORT_REPEATS = 3
"""Fresh processes per import figure (the least CPU is kept: other jobs on the machine only add)."""


def _child_cpu(code: str) -> float:
    """CPU seconds a fresh interpreter spends running `code` from the project root once it has imported tracegraph's
    quality module (an ingest's processes have, before the gate's process forks)."""
    import subprocess

    timed = ("import time\nfrom tracegraph.ingest.quality import _suite\nstarted = time.process_time()\n"
             f"{code}\nprint(time.process_time() - started)")
    done = subprocess.run([sys.executable, "-c", timed], check=True, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    return float(done.stdout.split()[-1])


WRITE_PATH_REPEATS = 5
"""Timed passes per engine; the best is printed."""
WARM_UP_PASSES = 20
"""Untimed passes on Neo4j after the cold one: its JIT kept speeding the write path up for dozens of passes (a fresh
server: 7.6 s cold, ~1.1 s on passes 2-5, 0.35 s after ~30; the ingest before this does not warm these shapes)."""
ANCHOR_NODES = 20_000


def write_path(fixtures: Path, targets: dict[str, str | None]) -> None:
    """One copy's write plan (parsed and built beforehand) executed into an empty store of each engine: the first
    (cold) pass and the best warm one; on Neo4j also two anchors on the same server: plain UNWIND CREATE of small
    nodes (what "Neo4j UNWIND inserts" figures are usually measured on), and this copy's graph written with the
    plainest batched statements (CREATE by label, relationships by element id) into the same schema, its passes
    alternating with the write path's so both see the same JIT state and load."""
    traces = [t for t, _ in parse_units(discover([fixtures]).units, Limits(), [])]
    for trace in traces:
        redact_trace(trace)
        build_tree(trace)
    plan = write_runs_plan(traces)
    nodes = sum(len(t.nodes()) for t in traces)
    edges = sum(len(list(t.edges())) for t in traces)
    node_bytes = sum(len(json.dumps(r, ensure_ascii=False).encode()) for s in plan if s.writes and s.writes.label
                     for r in s.params["rows"])
    print(f"\nwrite path: one copy's plan, {nodes} nodes ({node_bytes / nodes:,.0f} bytes of properties each on "
          f"average) and {edges} relationships in {len(plan)} statements, one transaction")
    for name, uri in targets.items():
        folder = Path(tempfile.mkdtemp(prefix="tg-bench-"))
        load_before = os.getloadavg()[0]
        try:
            def one_pass(statements, folder=folder, uri=uri) -> float:
                store = fresh_store(folder, uri)
                started = time.perf_counter()
                store.execute(statements)
                spent = time.perf_counter() - started
                store.close()
                return spent

            cold = one_pass(plan)
            seconds, graph = [], []
            if uri:
                for _ in range(WARM_UP_PASSES):
                    one_pass(plan)
                small = neo4j_small_anchor(uri)
                anchor_plan = graph_anchor_plan(traces)
                for _ in range(WRITE_PATH_REPEATS):
                    seconds.append(one_pass(plan))
                    graph.append(one_pass(anchor_plan))
            else:
                seconds = [one_pass(plan) for _ in range(WRITE_PATH_REPEATS)]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        warm = min(seconds)
        print(f"  {name:40s} {nodes / warm:10,.0f} nodes/s {edges / warm:10,.0f} relationships/s warm "
              f"({warm:.2f} s; cold {nodes / cold:,.0f} nodes/s); load average {load_before:.1f} → "
              f"{os.getloadavg()[0]:.1f}")
        if uri:
            best = min(graph)
            print(f"  {'  anchor: small nodes':40s} {small:10,.0f} nodes/s (plain UNWIND CREATE of "
                  f"{ANCHOR_NODES:,} nodes of 3 small properties, one label, no index); write path / anchor "
                  f"{nodes / warm / small:.2f}")
            print(f"  {'  anchor: this graph, plainest Cypher':40s} {nodes / best:10,.0f} nodes/s "
                  f"{edges / best:10,.0f} relationships/s (the same nodes and relationships: UNWIND CREATE by label, "
                  f"relationships by element id, same schema); write path / anchor {best / warm:.2f}")
            print(f"  {'  driver packstream':40s} {neo4j_packstream()}")


def graph_anchor_plan(traces) -> list[Statement]:
    """The nodes and relationships of `traces` as the plainest batched writes: every node by UNWIND CREATE per label
    (shared File and Task nodes once), every relationship between nodes found by element id (as Neo4jStore writes
    them); nothing else."""
    rows: dict[str, dict[str, dict]] = defaultdict(dict)
    for trace in traces:
        for node in trace.nodes():
            row = node_row(node)
            rows[node.LABEL][row[LABELS[node.LABEL].KEY]] = row
    plan = []
    for label, by_key in rows.items():
        cypher = create_nodes_cypher(label)
        values = list(by_key.values())
        plan += [Statement(cypher, {"rows": values[i:i + BATCH_ROWS]}, Writes(label=label))
                 for i in range(0, len(values), BATCH_ROWS)]
    return plan + edges_statements((e for t in traces for e in t.edges()), fresh_runs=True)


def neo4j_small_anchor(uri: str) -> float:
    """Nodes/s of the simplest batched write on this server: what "~42k nodes/s for UNWIND inserts" is measured on."""
    rows = [{"id": f"n{i}", "run_id": f"r{i // 50}", "k": i} for i in range(ANCHOR_NODES)]
    store = open_store(uri)
    try:
        best = float("inf")
        for _ in range(1 + WRITE_PATH_REPEATS):
            store.reset()
            started = time.perf_counter()
            store.execute([Statement("UNWIND $rows AS r CREATE (n:BenchAnchor) SET n = r",
                                     {"rows": rows[i:i + BATCH_ROWS]}) for i in range(0, len(rows), BATCH_ROWS)])
            best = min(best, time.perf_counter() - started)
        store.reset()
    finally:
        store.close()
    return ANCHOR_NODES / best


def neo4j_packstream() -> str:
    try:
        import neo4j._rust  # noqa: F401  (neo4j-rust-ext: the driver's packstream in Rust)
    except ImportError:
        return "pure Python (neo4j-rust-ext not installed)"
    return "Rust (neo4j-rust-ext)"


def stage_costs(fixtures: Path) -> None:
    """Each stage alone over one copy of the fixtures (the pipeline overlaps the store write with parsing)."""
    seconds: dict[str, float] = defaultdict(float)
    by_parser: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    started = time.perf_counter()
    units = discover([fixtures]).units
    seconds["discover"] = time.perf_counter() - started
    traces = []
    for unit in units:
        started = time.perf_counter()
        parsed = [trace for trace, _ in parse_units([unit], Limits(), [])]
        spent = time.perf_counter() - started
        seconds["parse"] += spent
        by_parser[unit.parser.name][0] += sum(len(t.steps) for t in parsed)
        by_parser[unit.parser.name][1] += spent
        traces += parsed
    for stage, work in [("redact", lambda: [redact_trace(t) for t in traces]),
                        ("tree", lambda: [build_tree(t) for t in traces]),
                        ("quality gate", lambda: check_batch(traces)),
                        ("write plan", lambda: write_runs_plan(traces))]:
        started = time.perf_counter()
        plan = work()
        seconds[stage] = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp(prefix="tg-bench-"))
    try:
        store = open_store(str(folder / "store"))
        started = time.perf_counter()
        store.execute(plan)
        seconds["store write"] = time.perf_counter() - started
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    steps = sum(len(t.steps) for t in traces)
    print(f"\nwhere the time goes ({steps} steps, one copy; µs per step)")
    for stage, spent in seconds.items():
        print(f"  {stage:16s} {spent / steps * 1e6:8.0f}")
    print("parse, per parser (µs per step)")
    for name, (count, spent) in sorted(by_parser.items(), key=lambda item: -item[1][1]):
        print(f"  {name:16s} {spent / max(count, 1) * 1e6:8.0f}   ({count} steps)")


if __name__ == "__main__":
    main()
