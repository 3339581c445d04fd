"""The one table of programs: which read, search, run code, control services, build, install or run tests, and
which only wrap another command. A command's effects (shell.py) and a step's activities (commands.py) both ask here,
so the two never disagree about what a program is."""

from __future__ import annotations

import re

INSTALLERS = {"pip", "pip3", "apt", "apt-get", "yum", "dnf", "apk", "npm", "yarn", "pnpm", "conda", "mamba",
              "micromamba", "gem", "cargo", "brew", "pipx", "poetry", "opam", "cpan", "cpanm", "uv", "bun",
              "snap", "R"}
"""Package managers: `<manager> <verb>` with an install verb installs (`pip install`, `uv add`, `npm i`)."""
INSTALL_VERBS = {"install", "add", "i", "update", "upgrade", "sync", "get"}
"""`build` is not one: `go build`, `cargo build` and `poetry build` make something, they install nothing."""
TEST_RUNNERS = {"pytest", "py.test", "tox", "nox", "nosetests", "jest", "mocha", "vitest", "ctest", "phpunit",
                "rspec", "bats"}
TEST_SUBCOMMANDS = {"npm", "yarn", "pnpm", "go", "cargo", "make", "mvn", "gradle", "dotnet", "mix", "deno", "bun"}
"""Tools whose `test`/`check`/`t` subcommand runs the tests (`go test`, `npm test`, `make check`)."""

READERS = {"cat", "head", "tail", "less", "more", "wc", "grep", "egrep", "fgrep", "rg", "ag", "diff", "file", "stat",
           "md5sum", "sha256sum", "sha1sum", "xxd", "hexdump", "od", "strings", "jq", "awk", "sort", "uniq", "cut",
           "nl", "bat", "ls", "tree", "readlink", "realpath", "du", "sed", "tr", "column", "cmp", "comm", "tac",
           "base64"}
"""Programs that read the files they name and change nothing (`sed` only without -i, which shell.py checks first;
a range it prints is no read of the whole file there)."""
PATTERN_FIRST = {"grep", "egrep", "fgrep", "rg", "ag", "sed", "awk", "jq"}
"""Readers whose first operand is a pattern or program, not a file, unless an option gave it (`grep -e PAT FILE`)."""
PATTERN_OPTIONS = {"-e", "-f", "--regexp", "--file", "--from-file"}
SEARCHERS = {"find", "locate", "fd"}
"""Programs that look for files by name."""
SOURCING = {"source", "."}
"""Read a script into the running shell: the script is read (an effect), the line is shell set-up (no activity)."""
INTERPRETERS = {"python", "python2", "python3", "pypy3", "node", "ruby", "perl", "php", "bash", "sh", "zsh",
                "Rscript", "julia", "deno", "lua"}
"""Programs that run a script file or inline code (`python x.py`, `bash -c '...'`, `node -e`)."""
SERVICES = {"systemctl", "service", "nginx", "apachectl", "supervisorctl", "supervisord", "redis-server", "sshd",
            "dockerd", "mysqld", "postgres", "pg_ctl", "uvicorn", "gunicorn", "flask", "jupyter", "kill", "pkill",
            "killall", "pm2"}
"""Programs that start, stop or signal long-running services (a status query or config test is no control)."""
BUILDERS = {"make", "cmake", "gcc", "g++", "cc", "clang", "rustc", "javac", "mvn", "gradle", "ninja"}
"""Compilers and build tools: they make files they do not name as operands."""
WRAPPERS = {"sudo", "env", "time", "nohup", "exec", "timeout", "command", "stdbuf", "nice", "ionice", "xvfb-run",
            "xargs"}
"""Run the command that follows them (after their own options and durations: `timeout 10 cmd`, `sudo -E cmd`)."""
RUN_SUBCOMMANDS = {"uv", "poetry", "pipenv"}
"""`<tool> run cmd` runs cmd in the tool's environment: cmd is the program."""
NOOPS = {":", "true"}
"""Do nothing, whatever follows (`: rm -rf x` removes nothing)."""

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DURATION = re.compile(r"^\d+(?:\.\d+)?[smhd]?$")


def program_words(words: list[str]) -> list[str]:
    """The words of a simple command from the program that runs: assignments (`X=1`) and wrappers (`sudo -E`,
    `timeout 10`, `uv run`) removed."""
    while True:
        while words and _ASSIGNMENT.match(words[0]):
            words = words[1:]
        if words and words[0] in WRAPPERS:
            words = words[1:]
        elif words[:1] and words[0] in RUN_SUBCOMMANDS and words[1:2] == ["run"]:
            words = words[2:]
        else:
            return words
        while words and (words[0].startswith("-") or _DURATION.match(words[0])):
            words = words[1:]


def is_install(prog: str, args: list[str]) -> bool:
    """`prog args` installs packages: a package manager's install verb, `python -m pip install`, `uv pip install`,
    `dpkg -i`, `go install`/`go get`."""
    ops = [a for a in args if not a.startswith("-")]
    if prog.startswith("python") and args[:2] == ["-m", "pip"]:
        return bool(set(args[2:4]) & INSTALL_VERBS)
    if prog in {"uv", "pipx"} and ops[:1] == ["pip"]:
        ops = ops[1:]
    if prog in {"dpkg", "rpm"}:
        return bool({"-i", "--install"} & set(args))
    if prog == "go":
        return ops[:1] in (["install"], ["get"])
    return prog in INSTALLERS and bool(set(ops[:2]) & INSTALL_VERBS)


def is_test(prog: str, args: list[str]) -> bool:
    """`prog args` runs tests: a test runner, `python -m pytest|unittest|doctest|nose`, `go test`, `npm test`..."""
    if prog in TEST_RUNNERS:
        return True
    if prog.startswith("python") and args[:1] == ["-m"] and args[1:2] and args[1] in {"pytest", "unittest",
                                                                                    "doctest", "nose"}:
        return True
    return prog in TEST_SUBCOMMANDS and bool(args) and args[0] in {"test", "check", "t"}


def is_build(prog: str, args: list[str]) -> bool:
    """`prog args` builds: a compiler or build tool, or `go build` / `<package manager> build`."""
    ops = [a for a in args if not a.startswith("-")]
    return prog in BUILDERS or (prog in INSTALLERS | {"go"} and "build" in ops[:2])


def is_service_control(prog: str, args: list[str]) -> bool:
    """`prog args` starts, stops or signals a service; `systemctl status x` and `nginx -t` only ask."""
    if "status" in args or (prog == "nginx" and "-t" in args):
        return False
    ops = [a for a in args if not a.startswith("-")]
    return prog in SERVICES or (prog.endswith("ctl") and ops[:1] in (["start"], ["restart"], ["reload"], ["stop"]))
