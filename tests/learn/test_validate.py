"""The checks a generated parser's output and code must pass, on a real fixture and small hand-made runs."""

from __future__ import annotations

from tests.learn.support import UNKNOWN
from tracegraph.learn.prompt import code_in_reply, shape_problems
from tracegraph.learn.validate import InputText, check_run

ROLLOUT = UNKNOWN / "codex-rollout-jsonl" / "vibecodingtracker__codex-vscode-0.39.jsonl"


def step(k, **fields):
    return {"k": k, "tool": "shell", **fields}


def test_text_inside_json_strings_and_argv_lists_counts_as_in_the_input():
    source = InputText(ROLLOUT)
    # The output is JSON text inside a JSON string of the line: it is decoded twice before it is searched.
    run, problems = check_run({"steps": [step(1, command="bash -lc ls -la", observation="total 124\ndrwxrwxr-x 11 "
                                                "ds906659 ds906659  4096 Sep 19 16:55 .",
                                                arguments={"command": ["bash", "-lc", "ls -la"]})]}, source)
    assert problems == [] and run.steps[0].command == "bash -lc ls -la"


def test_invented_or_reworded_text_is_refused_naming_the_step():
    source = InputText(ROLLOUT)
    _, problems = check_run({"steps": [step(1, command="ls -la"), step(2, observation="All tests passed.")],
                             "final_message": "I fixed everything"}, source)
    assert problems == ["step 2: observation is not in the input ('All tests passed.'); copy text verbatim",
                        "final_message is not in the input ('I fixed everything')"]


def test_steps_are_numbered_from_one_in_order_and_the_count_is_plausible():
    source = InputText(ROLLOUT)
    _, problems = check_run({"steps": [step(0), step(2), step(2)]}, source)
    assert problems == ["step 1: k is 0; steps are numbered 1..N in order", "step 3: k is 2; steps are numbered "
                        "1..N in order"]
    _, problems = check_run({"steps": []}, source)
    assert problems == ["no steps: every run of this format holds tool calls"]
    _, problems = check_run({"steps": [step(k) for k in range(1, 1000)]}, source)
    assert problems[0].startswith("999 steps from ") and "more steps than the input has records" in problems[0]


def test_the_model_refuses_unknown_keys_and_wrong_types():
    _, problems = check_run({"steps": [{"k": "one", "tool": "", "extra": 1}]}, InputText(ROLLOUT))
    assert problems == ["steps.0.k: Input should be a valid integer, unable to parse string as an integer",
                        "steps.0.tool: String should have at least 1 character",
                        "steps.0.extra: Extra inputs are not permitted"]
    assert check_run([1, 2], InputText(ROLLOUT))[1] == ["parse() returned list, not a JSON object with 'steps'"]


def test_crlf_and_trailing_blanks_do_not_count_as_changes(tmp_path):
    log = tmp_path / "session.md"
    log.write_bytes(b"> Applied edit to a.py  \r\n> Commit 1a2b fix  \r\n")
    _, problems = check_run({"steps": [step(1, observation="Applied edit to a.py\nCommit 1a2b fix")]}, InputText(log))
    assert problems == []


def test_module_shape_allows_imports_constants_and_functions_only():
    good = "import re\nX = re.compile(r'a', re.M | re.S)\nN = 3\ndef _h(x):\n    return x\ndef detect(p):\n" \
           "    return True\ndef parse(p):\n    return {}\n"
    assert shape_problems(good) == []
    bad = "import os\nos.system('id')\nHOME = open('/etc/passwd').read()\ndef helper():\n    pass\ndef parse(p):\n" \
          "    return {}\n"
    assert shape_problems(bad) == [
        "line 2: Expr runs at import time; only imports, constants and functions are allowed",
        "line 3: Assign runs at import time; only imports, constants and functions are allowed",
        "line 4: public function helper; only detect and parse are public", "no function detect(path)"]
    assert shape_problems("def parse(:\n") == ["SyntaxError: invalid syntax (line 1)"]


def test_the_module_is_the_fenced_block_even_when_it_holds_fences():
    reply = 'Sure.\n```python\nFENCE = "```bash"\ndef parse(p):\n    return {}\n```\nThat is all.'
    assert code_in_reply(reply) == 'FENCE = "```bash"\ndef parse(p):\n    return {}\n'
    assert code_in_reply("no code here") is None
