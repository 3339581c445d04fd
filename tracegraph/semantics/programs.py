"""Which programs install packages and which run tests: the one answer both a command's effects (shell.py) and a
step's activities (commands.py) use."""

from __future__ import annotations

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
