"""Run a generated parser over input files in a bubblewrap sandbox; only JSON comes back.

The parser runs in a separate Python process (the interpreter's own stdlib, `-I -S`: no site-packages, no
tracegraph) inside new user, PID, network, IPC, UTS and cgroup namespaces. It sees a read-only /usr and Python
install, read-only copies of its input files under /input, a writable empty /work (its output goes there) and /tmp,
and nothing else of the host: no /home, /root, /etc. A seccomp filter refuses process creation (fork, vfork, clone),
sockets and namespace/mount/ptrace calls; rlimits cap CPU time, address space, file size and open files; a wall-clock
timeout kills the whole process group. What it does not stop is listed in learn/README.md.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tracegraph.errors import TracegraphError

RUNNER = Path(__file__).with_name("runner.py")


class SandboxUnavailableError(TracegraphError):
    """No working sandbox on this machine (bubblewrap missing or namespaces refused): generated code never runs."""


class SandboxConfig(BaseModel):
    """Limits of one sandboxed parser run."""

    wall_seconds: float = 30.0
    """Wall-clock time before the process group is killed."""
    cpu_seconds: int = 20
    """CPU time (RLIMIT_CPU)."""
    memory_bytes: int = 1 << 30
    """Address space (RLIMIT_AS)."""
    output_bytes: int = 64 << 20
    """Largest file the parser may write, its JSON result included (RLIMIT_FSIZE)."""
    open_files: int = 64
    """Open file descriptors (RLIMIT_NOFILE)."""


@dataclass
class SandboxResult:
    """What came back from one run: the runner's JSON (None when it wrote none) and why, when it failed."""

    output: dict[str, Any] | None
    problem: str | None
    stderr: str


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailableError("bubblewrap (bwrap) is not installed; learned parsers run only inside it "
                                      "(Debian: apt-get install bubblewrap)")
    return path


def run_parser(parser_code: str, inputs: list[Path], mode: str, config: SandboxConfig | None = None) -> SandboxResult:
    """Run `parser_code` over `inputs` in the sandbox: `mode` "detect" calls detect() only, "parse" both."""
    config = config or SandboxConfig()
    bwrap = bwrap_path()
    with tempfile.TemporaryDirectory(prefix="tracegraph-sandbox-") as tmp:
        root = Path(tmp)
        code = root / "code"
        work = root / "work"
        code.mkdir()
        work.mkdir()
        (code / "parser.py").write_text(parser_code, encoding="utf-8")
        shutil.copyfile(RUNNER, code / "runner.py")
        filter_path = root / "seccomp.bpf"
        filter_path.write_bytes(seccomp_filter())
        mounts: list[str] = []
        inside: list[str] = []
        for i, path in enumerate(inputs):
            target = f"/input/{i}/{path.name}"
            mounts += ["--ro-bind", str(path.resolve()), target]
            inside.append(target)
        with open(filter_path, "rb") as bpf, open(root / "stdout", "wb") as out, open(root / "stderr", "wb") as err:
            args = [bwrap, *_namespace_args(), *_filesystem_args(), *mounts,
                    "--ro-bind", str(code), "/sandbox", "--bind", str(work), "/work", "--remount-ro", "/",
                    "--chdir", "/work",
                    "--seccomp", str(bpf.fileno()),
                    _python(), "-I", "-S", "-B", "/sandbox/runner.py", mode, "/work/result.json",
                    json.dumps(_rlimits(config)), *inside]
            problem = _run(args, config, bpf.fileno(), out, err)
        stderr = (root / "stderr").read_text(encoding="utf-8", errors="replace")[-4000:]
        output = None
        result = work / "result.json"
        if problem is None:
            if not result.is_file():
                problem = "the parser process wrote no result" + (f": {_last_line(stderr)}" if stderr.strip() else "")
            else:
                try:
                    output = json.loads(result.read_text(encoding="utf-8"))
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    problem = f"the parser's result is not JSON ({exc})"
        return SandboxResult(output=output if isinstance(output, dict) else None, problem=problem, stderr=stderr)


def _rlimits(config: SandboxConfig) -> dict[str, int]:
    """Set by the runner inside the sandbox before the parser loads (a preexec_fn is unsafe in a threaded process)."""
    return {"RLIMIT_CPU": config.cpu_seconds, "RLIMIT_AS": config.memory_bytes, "RLIMIT_FSIZE": config.output_bytes,
            "RLIMIT_NOFILE": config.open_files, "RLIMIT_CORE": 0}


def _run(args: list[str], config: SandboxConfig, bpf_fd: int, out: Any, err: Any) -> str | None:
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, pass_fds=(bpf_fd,),
                            start_new_session=True, env={"PATH": "/usr/bin:/bin"})
    try:
        code = proc.wait(timeout=config.wall_seconds)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return f"the parser ran longer than {config.wall_seconds:g} s and was killed"
    if code == 0:
        return None
    if code < 0 or code > 128:
        sig = -code if code < 0 else code - 128
        reason = {signal.SIGXCPU: f"used more than {config.cpu_seconds} s of CPU",
                  signal.SIGXFSZ: f"wrote a file over {config.output_bytes} bytes",
                  signal.SIGKILL: "was killed", signal.SIGSYS: "made a forbidden system call"}.get(sig, "crashed")
        return f"the parser process {reason} (signal {signal.Signals(sig).name})"
    stderr = Path(err.name).read_text(encoding="utf-8", errors="replace")
    if "bwrap:" in stderr:
        raise SandboxUnavailableError(f"bubblewrap could not start the sandbox: {_last_line(stderr)}")
    return f"the parser process exited with status {code}: {_last_line(stderr)}"


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "(no message)"


def _python() -> str:
    """The base interpreter (a venv's python would pull in its site-packages and the venv path)."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base if base.exists() else Path(sys.executable).resolve())


def _namespace_args() -> list[str]:
    return ["--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/work", "--setenv", "LANG", "C.UTF-8"]


def _filesystem_args() -> list[str]:
    """/usr, the interpreter's install and the usual /lib, /bin links, read-only; fresh /proc, /dev, /tmp."""
    args = ["--ro-bind", "/usr", "/usr"]
    for link in ("lib", "lib64", "lib32", "bin", "sbin"):
        top = Path("/") / link
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    prefix = Path(sys.base_prefix).resolve()
    if not prefix.is_relative_to("/usr"):
        args += ["--ro-bind", str(prefix), str(prefix)]
    return args + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]


# --- seccomp: a classic BPF filter, built here so no library is needed ----------------------------------------------

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# Process creation, sockets, and what could reach outside the namespaces. Threads use clone too: a parser needs none.
_DENIED = {
    "x86_64": {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "socket": 41, "socketpair": 53, "connect": 42,
               "bind": 49, "listen": 50, "accept": 43, "accept4": 288, "ptrace": 101, "mount": 165, "umount2": 166,
               "unshare": 272, "setns": 308, "keyctl": 250, "bpf": 321, "perf_event_open": 298, "io_uring_setup": 425,
               "process_vm_readv": 310, "process_vm_writev": 311},
    "aarch64": {"clone": 220, "clone3": 435, "socket": 198, "socketpair": 199, "connect": 203, "bind": 200,
                "listen": 201, "accept": 202, "accept4": 242, "ptrace": 117, "mount": 40, "umount2": 39,
                "unshare": 97, "setns": 268, "keyctl": 219, "bpf": 280, "perf_event_open": 241,
                "io_uring_setup": 425, "process_vm_readv": 270, "process_vm_writev": 271},
}
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_RET_KILL, _RET_ALLOW, _RET_EPERM = 0x80000000, 0x7FFF0000, 0x00050000 | 1


def seccomp_filter(machine: str | None = None) -> bytes:
    """The BPF program bwrap loads: other architectures are killed, denied calls fail with EPERM."""
    machine = machine or platform.machine()
    if machine not in _AUDIT_ARCH:
        raise SandboxUnavailableError(f"no seccomp filter for {machine}; learned parsers run on x86_64 or aarch64")
    denied = sorted(_DENIED[machine].values())
    prog = [(_LD_W_ABS, 0, 0, 4), (_JEQ_K, 1, 0, _AUDIT_ARCH[machine]), (_RET_K, 0, 0, _RET_KILL),
            (_LD_W_ABS, 0, 0, 0)]
    checks = [(_JGE_K, 0, 0, 0x40000000)] if machine == "x86_64" else []  # the x32 ABI's numbers
    checks += [(_JEQ_K, 0, 0, nr) for nr in denied]
    deny_at = len(checks) + 1  # after the checks: ALLOW, then EPERM
    prog += [(code, deny_at - i - 1, 0, k) for i, (code, _, _, k) in enumerate(checks)]
    prog += [(_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, _RET_EPERM)]
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)
