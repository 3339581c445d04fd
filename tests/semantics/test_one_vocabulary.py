"""The parsers' command effects and the trace tree's activities give one answer for what a command does; the
cases where the two classifiers used to disagree are pinned here."""

from __future__ import annotations

import pytest

from tracegraph.diagnose.rules.silent_change import intended_changes
from tracegraph.ingest.builder import TraceBuilder
from tracegraph.schema import DeltaOp
from tracegraph.semantics.activity import Act, Workspace
from tracegraph.semantics.commands import shell_activities
from tracegraph.semantics.shell import command_effects
from tracegraph.semantics.writes import is_file_write, is_write

INSTALLS = ["python -m pip install requests", "python3 -m pip install -U numpy", "pip install x", "uv add httpx",
            "uv pip install x", "npm i left-pad", "go install golang.org/x/tools/gopls@latest", "apt-get install -y jq"]


@pytest.mark.parametrize("command", INSTALLS)
def test_an_install_is_an_install_to_both_the_parsers_and_the_tree(command):
    assert [(e.op, e.effect) for e in command_effects(command)] == [(DeltaOp.modify, "install")]
    assert [a.act for a in shell_activities(command, Workspace())] == [Act.install]


@pytest.mark.parametrize("command", ["go build ./...", "cargo build --release"])
def test_a_build_installs_nothing(command):
    assert [(e.op, e.effect) for e in command_effects(command)] == [(DeltaOp.modify, "build")]
    assert Act.install not in [a.act for a in shell_activities(command, Workspace())]


@pytest.mark.parametrize("command", ["python -m pytest tests/test_x.py -q", "pytest -x", "go test ./...",
                                     "make test"])
def test_a_test_run_is_a_test_to_both(command):
    assert (DeltaOp.execute, "test") in [(e.op, e.effect) for e in command_effects(command)]
    assert [a.act for a in shell_activities(command, Workspace())] == [Act.test]


def test_a_colon_prefixed_install_changes_nothing_but_its_intent_is_seen():
    b = TraceBuilder(framework="synthetic", source="/tmp/noop", name="noop", content_hash="0123456789abcdef")
    b.add_step("bash", {"command": ": python -m pip install requests"}, observation="")
    step = b.build().steps[0]
    assert step.is_noop and command_effects(step.command) == []
    assert intended_changes(step) == ["install"]


def test_one_write_test():
    assert is_write(DeltaOp.create, "a.py") and is_write(DeltaOp.modify, None, "install")
    assert is_write(DeltaOp.modify, None, "git-commit") and not is_write(DeltaOp.modify, None, "chmod")
    assert not is_write(DeltaOp.read, "a.py") and not is_write(DeltaOp.execute, None, "test")
    assert is_file_write(DeltaOp.delete, "a.py") and not is_file_write(DeltaOp.modify, None)


@pytest.mark.parametrize("command", ["nginx -t", "systemctl status nginx", "service nginx status"])
def test_a_service_asked_for_its_status_is_no_service_change_to_either(command):
    assert [e for e in command_effects(command) if e.effect == "service"] == []
    assert [a.act for a in shell_activities(command, Workspace())] == [Act.probe]


@pytest.mark.parametrize("command", ["systemctl restart nginx", "pkill -f gunicorn", "pm2 start app.js",
                                     "supervisorctl restart web", "rabbitmqctl stop"])
def test_a_service_control_is_one_to_both(command):
    assert [(e.op, e.effect) for e in command_effects(command)] == [(DeltaOp.modify, "service")]
    assert [a.act for a in shell_activities(command, Workspace())] == [Act.service]


@pytest.mark.parametrize("command", ["go build ./...", "cargo build --release", "make", "gcc -o app main.c"])
def test_a_build_is_a_change_to_both(command):
    assert (DeltaOp.modify, "build") in [(e.op, e.effect) for e in command_effects(command)]
    assert [a.act for a in shell_activities(command, Workspace())] == [Act.write]


@pytest.mark.parametrize("command, program", [
    ("uv run pytest -q", "test"), ("poetry run python -m pytest", "test"), ("sudo -E timeout 30 pytest", "test"),
    ("env PYTHONPATH=src pytest", "test"), ("nice -n 5 pip install x", "install")])
def test_wrappers_are_looked_through_by_both(command, program):
    effects = [e.effect for e in command_effects(command)]
    assert program in effects
    assert [a.act for a in shell_activities(command, Workspace())] == [Act(program)]


@pytest.mark.parametrize("command, path", [("tac /var/log/app.log", "/var/log/app.log"),
                                           ("cmp a.bin b.bin", "a.bin"), ("ag TODO src/main.py", "src/main.py"),
                                           ("sha1sum /app/out.tar", "/app/out.tar")])
def test_a_reader_reads_its_file_to_both(command, path):
    assert (DeltaOp.read, path) in [(e.op, e.path) for e in command_effects(command)]
    assert [a.act for a in shell_activities(command, Workspace())] == [Act.read]
