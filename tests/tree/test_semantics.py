"""What steps do, read from real runs: background servers, scratch repos, toolchain checks, `:` intents."""

from __future__ import annotations

from tests.support import FIXTURES
from tracegraph.semantics.activity import Act
from tracegraph.semantics.commands import is_trivial_code, split_commands
from tracegraph.evaluate.stages import parse_source
from tracegraph.tree.semantics import trace_activities

TB = FIXTURES / "tb-claude-code"
HARBOR = FIXTURES / "harbor-atif"


def _acts(path):
    trace = parse_source(path)
    return trace, trace_activities(trace)


def test_split_commands_keeps_quoted_code_and_marks_background():
    parts = split_commands('python3 -c "\nimport sys\nprint(1)" && echo ok\nqemu -x foo &\nsleep 2 2>&1')
    assert parts[0] == (["python3", "-c", "\nimport sys\nprint(1)"], False)
    assert (["qemu", "-x", "foo"], True) in parts
    # a command cut mid-quote (ingest clips long ones) still splits into words
    assert split_commands('python3 -c "import os\nprint(os.getcwd())… [88 more chars]')[0][0][:2] == ["python3", "-c"]


def test_trivial_code_is_a_toolchain_check_and_real_code_is_not():
    assert is_trivial_code("import pexpect; print('pexpect version:', pexpect.__version__)")
    assert is_trivial_code("print(1+1)")
    assert not is_trivial_code("from notebook.auth import passwd; print(passwd('x'))")


def test_background_server_start_is_a_service():
    trace, acts = _acts(TB / "gpt5/fibonacci-server/fibonacci-server.1-of-1.2025-11-09__14-07-43")
    assert trace.step(8).command == "node /app/server.js"
    assert [a.act for a in acts[7]] == [Act.service]


def test_writes_into_a_throwaway_test_repo_are_scaffolding_for_verification():
    trace, acts = _acts(TB / "c4/git-multibranch/git-multibranch.1-of-1.2025-11-08__13-10-33")
    scratch = [s.k for s, a in zip(trace.steps, acts) if any(x.act == Act.write_scratch for x in a)]
    assert {34, 35, 37, 40, 44, 45, 46, 49, 50} <= set(scratch)  # git init / commits / pushes in /tmp/test-repo
    assert trace.step(29).stage.value == "implementation"  # the real post-receive hook
    assert all(trace.step(k).stage.value == "verification" for k in (35, 40, 46, 50))


def test_colon_prefixed_parts_are_intents_not_actions():
    trace, acts = _acts(HARBOR / "headless-terminal__bemYu3W")
    step = trace.step(11)  # `: python3 -c "from headless_terminal import ..." 2>&1 || echo "FAILED"`
    assert not step.is_noop and step.command.startswith(": python3 -c")
    assert [(a.act, a.ran) for a in acts[10]] == [(Act.run_own, False)]
    assert [a.act for a in acts[7]] == [Act.install] and not acts[7][0].ran  # `: pip install pexpect`
    assert trace.step(8).stage.value == "environment"


def test_an_empty_shell_command_is_a_noop():
    trace = parse_source(HARBOR / "openssl-selfsigned-cert__6aDSXLS")
    step = trace.step(15)  # Bash called with {"command": ""}
    assert (step.command, step.is_noop, step.is_error) == ("", True, False)
    # the run's other no-ops are `:` lines; nothing that runs a program is one
    assert all(s.command.lstrip().startswith(":") for s in trace.steps if s.is_noop and s.k != 15)


def test_a_cut_command_is_read_whole_from_its_tool_call():
    trace, acts = _acts(next((TB / "coder" / "count-dataset-tokens").iterdir()))
    step = trace.step(36)  # a 3,000-character `python -c` whose answer is written near its end
    assert step.command.endswith("more chars]") and "answer.txt" not in step.command
    assert [(a.act, a.detail) for a in acts[35]] == [(Act.write, "python inline code writes files")]
    assert step.kind.value == "change"


def test_case_blind_checks_answer_as_their_patterns_do():
    from tracegraph.tree import semantics

    texts = ["bash: -c: line 1: syntax error near unexpected token `)'", "SYNTAX ERROR", "Syntax Error: x",
             "unexpected EOF while looking for matching", "Unexpected End Of File", "all fine", "",
             "ſyntax error",  # not ASCII: the long s folds to s, which only the pattern itself knows
             "ＳＹＮＴＡＸ error é", "foo: Command Not Found", "cat: x: No Such File Or Directory", "no such file"]
    for words, pattern in ((semantics._UNPARSED_WORDS, semantics._UNPARSED),
                           (semantics._NOT_RUN_WORDS, semantics._NOT_RUN)):
        assert any(pattern.search(text) for text in texts) and not all(pattern.search(text) for text in texts)
        for text in texts:
            assert semantics._says_any(text, words, pattern) == (pattern.search(text) is not None), text


def test_a_command_works_in_the_folder_it_changes_to():
    from tracegraph.semantics.activity import command_cwd

    assert command_cwd("cd /repo && pytest") == "/repo"
    assert command_cwd("git -C '/work/app' status") == "/work/app"
    assert command_cwd("echo git; ls -C /x") is None
    assert command_cwd("legit -C /x") is None
