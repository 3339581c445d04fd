"""The sandbox on hostile parsers: each escape is refused with a clear problem and leaves nothing on the host."""

from __future__ import annotations

import ast
import os
import socket
import struct
import threading

from tests.learn.support import UNKNOWN, needs_bwrap, parser_code
from tests.support import live_children
from tracegraph.learn.sandbox import SandboxConfig, run_parser, seccomp_filter

pytestmark = needs_bwrap
SAMPLE = UNKNOWN / "gemini-cli-session" / "agent-sessions__schema-coverage-large.json"
QUICK = SandboxConfig(wall_seconds=3, cpu_seconds=2)


def error_of(result):
    assert result.problem is None, result.problem
    [entry] = result.output["files"]
    assert entry["run"] is None
    return entry["error"]


def test_a_correct_parser_returns_its_run_as_json():
    result = run_parser(parser_code("gemini_session"), [SAMPLE], "parse")
    assert result.problem is None
    [entry] = result.output["files"]
    assert entry["path"] == f"/input/0/{SAMPLE.name}" and entry["detected"] is True and entry["error"] is None
    assert [s["command"] for s in entry["run"]["steps"]] == ["printf 'line1\\nline2\\nline3\\n'",
                                                             "ls /non-existent-directory"]


def test_no_socket_reaches_a_server_on_the_host():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    connected = []

    def accept():
        try:
            connected.append(listener.accept())
        except OSError:
            pass

    waiter = threading.Thread(target=accept)
    waiter.start()
    try:
        result = run_parser(parser_code("malicious_socket", PORT=listener.getsockname()[1]), [SAMPLE], "parse")
        waiter.join()
    finally:
        listener.close()
    assert "PermissionError: [Errno 1] Operation not permitted" in error_of(result)
    assert connected == []


def test_home_and_ssh_keys_are_not_visible(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    key.write_text("PRIVATE KEY MATERIAL")
    monkeypatch.setenv("HOME", str(home))
    result = run_parser(parser_code("malicious_ssh", KEY=str(key)), [SAMPLE], "parse")
    error = error_of(result)
    # At the top the parser sees the read-only system and interpreter, its input and work folder; no /home, /etc.
    top = set(error.rsplit("no key visible: ", 1)[1].split(", "))
    assert {"usr", "input", "sandbox", "work", "tmp", "proc", "dev"} <= top and not top & {"home", "etc", "mnt"}
    assert "PRIVATE KEY" not in result.stderr + str(result.output)


def test_writes_outside_the_work_folder_fail_and_leave_nothing(tmp_path):
    target = tmp_path / "escaped.txt"
    sample = tmp_path / "inputs" / SAMPLE.name
    sample.parent.mkdir()
    sample.write_bytes(SAMPLE.read_bytes())  # writable on the host: the sandbox's view must still be read-only
    error = error_of(run_parser(parser_code("malicious_write", TARGET=str(target)), [sample], "parse"))
    assert "/input/0/planted.py: Read-only file system" in error
    assert f"/input/0/{SAMPLE.name}: Read-only file system" in error
    assert f"{target}: No such file or directory" in error
    assert "/usr/planted: Read-only file system" in error
    assert not target.exists() and sample.read_bytes() == SAMPLE.read_bytes()
    assert sorted(p.name for p in sample.parent.iterdir()) == [SAMPLE.name]


def test_a_fork_bomb_cannot_fork():
    error = error_of(run_parser(parser_code("malicious_fork"), [SAMPLE], "parse", QUICK))
    assert "os.fork()" in error and "PermissionError: [Errno 1] Operation not permitted" in error
    assert not [cmd for _, cmd in live_children(os.getpid()) if b"bwrap" in cmd]


def test_an_endless_loop_is_killed_at_the_time_limit():
    result = run_parser(parser_code("malicious_loop"), [SAMPLE], "parse", QUICK)
    assert result.problem in ("the parser ran longer than 3 s and was killed",
                              "the parser process used more than 2 s of CPU (signal SIGXCPU)")
    assert result.output is None


def test_memory_beyond_the_limit_is_refused():
    error = error_of(run_parser(parser_code("malicious_memory"), [SAMPLE], "parse"))
    assert error.endswith("MemoryError: ")


def test_environment_is_minimal(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    code = "import os\ndef detect(path):\n    return True\ndef parse(path):\n    raise ValueError(sorted(os.environ))\n"
    error = error_of(run_parser(code, [SAMPLE], "parse"))
    names = set(ast.literal_eval(error.rsplit("ValueError: ", 1)[1]))
    assert names <= {"HOME", "LANG", "LC_CTYPE", "PATH", "PWD"} and "HOME" in names


def test_the_seccomp_filter_checks_the_architecture_first():
    program = seccomp_filter("x86_64")
    instructions = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert instructions[0] == (0x20, 0, 0, 4) and instructions[1] == (0x15, 1, 0, 0xC000003E)
    assert instructions[-2:] == [(0x06, 0, 0, 0x7FFF0000), (0x06, 0, 0, 0x00050001)]
    denied = {k for code, _, _, k in instructions[5:-2]}
    assert {57, 58, 56, 435, 41, 42, 101} <= denied  # fork, vfork, clone, clone3, socket, connect, ptrace
    # Every check jumps to the same EPERM return.
    assert all(i + 1 + jt == len(instructions) - 1 for i, (code, jt, _, _) in enumerate(instructions)
               if code in (0x15, 0x35) and i > 1)
