"""DEPENDS_ON and REPEATS on real runs: writer → runner, change → check, failed attempt → retry, no-op loops."""

from __future__ import annotations

from tests.support import FIXTURES
from tracegraph.evaluate.stages import parse_source

HARBOR = FIXTURES / "harbor-atif"
VIM = FIXTURES / "tb-claude-code/gpt5/vim-terminal-task/vim-terminal-task.1-of-1.2025-11-09__14-07-43"
GRID = FIXTURES / "tb-claude-code/c4/grid-pattern-transform/grid-pattern-transform.1-of-1.2025-11-08__13-10-33"


def _deps(trace) -> dict[tuple[int, int], str]:
    return {(d.src_k, d.dst_k): d.reason for d in trace.dependencies}


def test_running_a_written_file_depends_on_the_write():
    trace = parse_source(GRID)
    assert trace.step(6).tool == "Write" and trace.step(7).command == "python test_transform.py"
    deps = _deps(trace)
    assert deps[(7, 6)] == "runs /app/test_transform.py written at step 6"
    assert deps[(7, 4)] == "checks the change made at step 4"  # the test checks the solution written before it
    assert deps[(9, 8)] == "checks the change made at step 8"  # and re-checks the edit that followed
    assert deps[(8, 4)].startswith("changes /app/grid_transform.py again")


def test_running_and_reading_back_the_agents_script_depend_on_its_writer():
    trace = parse_source(VIM)
    deps = _deps(trace)
    assert deps[(6, 2)] == "runs /app/text_processor.py written at step 2"
    assert deps[(8, 2)] == "reads /app/text_processor.py written at step 2"


def test_colon_noops_repeat_and_depend_on_nothing():
    for name, loop in [("openssl-selfsigned-cert__6aDSXLS", [(6, 5), (7, 6)]),
                       ("headless-terminal__bemYu3W", [(16, 15), (17, 16)]),
                       ("install-windows-3.11__sVtnj8d", [(24, 23)])]:
        trace = parse_source(HARBOR / name)
        repeats = {(r.src_k, r.dst_k) for r in trace.repeats}
        for src, dst in loop:
            assert trace.step(src).is_noop and trace.step(dst).is_noop, (name, src)
            assert (src, dst) in repeats, (name, src)
        noops = {s.k for s in trace.steps if s.is_noop}
        assert not [d for d in trace.dependencies if d.src_k in noops and not d.reason.startswith("retries")], name


def test_retry_of_a_failed_action_depends_on_it():
    trace = parse_source(HARBOR / "headless-terminal__bemYu3W")
    assert trace.step(31).is_error and not trace.step(32).is_error
    assert _deps(trace)[(32, 31)] == "retries the failed action of step 31"
    assert (32, 31) in {(r.src_k, r.dst_k) for r in trace.repeats}


def test_every_edge_points_backwards():
    trace = parse_source(HARBOR / "install-windows-3.11__sVtnj8d")
    assert trace.dependencies and trace.repeats
    assert all(d.src_k > d.dst_k for d in trace.dependencies)
    assert all(r.src_k == r.dst_k + 1 for r in trace.repeats)


def test_repeat_similarity_counts_the_blocks_difflib_finds():
    import difflib
    import random

    from tracegraph.tree.causal import difflib_matches

    rng = random.Random(21)
    pairs = [("", ""), ("abc", ""), ("ls -la /app", "ls -la /app/"), ("abcXabc", "abcabcY"), ("aaaa", "aa")]
    for _ in range(3000):
        alphabet = rng.choice(["ab", "abc ", "abcdefgh0 /-"])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        b = list(a)
        for _ in range(rng.randint(0, 5)):  # a near copy (a retry) or, below, an unrelated text
            b.insert(rng.randint(0, len(b)), rng.choice(alphabet))
            if len(b) > 1:
                b.pop(rng.randint(0, len(b) - 1))
        pairs.append((a, "".join(b) if rng.random() < 0.7 else "".join(rng.choice(alphabet) for _ in a)))
    for a, b in pairs:
        blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        assert difflib_matches(a, b) == sum(block.size for block in blocks), (a, b)


def test_actions_fold_whitespace_as_the_regex_did():
    import re
    import sys

    from tracegraph.tree.causal import SIMILARITY_CHARS, normalized_action

    every_space = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    actions = [f" a{every_space}b\t\tc 12  3\n", every_space, "", "x" * 3000 + " 1 2",
               "pytest  -x\u00a0tests/ 0x1F\u3000"]
    for action in actions:
        text = re.sub(r"\s+", " ", action[:4 * SIMILARITY_CHARS].strip())
        assert normalized_action(action) == re.sub(r"\d+", "0", text)[:SIMILARITY_CHARS]
