"""render_hint on a real run's trace with diagnoses shaped the way each method can return them."""

from __future__ import annotations

import pytest

from tests.support import FIXTURES
from tracegraph.diagnose import Candidate, DiagnosisResult, Evidence, load_trace
from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph import ingest_paths
from tracegraph.replay.hint import ordered_evidence, render_hint
from tracegraph.replay.quoting import QUOTE_LABEL
from tracegraph.schema import Category


@pytest.fixture
def trace(store):
    run = ingest_paths([FIXTURES / "swe-agent" / "coder"], store).runs
    run_id = next(r.run_id for r in run if r.name == "astropy__astropy-6938")
    return load_trace(store, run_id)


def test_heuristic_hint_sections_in_order(trace):
    diagnosis = diagnose_trace(trace)
    hint = render_hint(trace, diagnosis)
    headings = [line for line in hint.splitlines() if line.startswith("#")]
    assert headings == ["# Hint from a failed attempt at astropy__astropy-6938", "## What went wrong", "## Evidence",
                        "## What to do instead", "## Do not repeat"]
    assert f"The failure began at step {diagnosis.onset_k} of 7, in the implementation stage, calling `edit`" in hint
    assert "encode_ascii('D')" in hint  # the onset step's action is quoted
    assert "- failing checks: astropy/io/fits/tests/" in hint
    assert hint == render_hint(trace, diagnosis)
    assert all(line == line.rstrip() for line in hint.splitlines())


def test_llm_shaped_diagnosis(trace):
    diagnosis = DiagnosisResult(
        run_id=trace.run_id, method="llm", onset_k=3, category=Category.mislocalized_edit, confidence=0.7,
        chain_ks=[3, 5, 7], unuseful_ks=[], reasoning="The agent edited the wrong function at step 3.",
        evidence=[Evidence(rule="llm_judgement", steps=[3], reason="edit targets the wrong function"),
                  Evidence(rule="model_note", steps=[], reason="tests never ran")],
        candidates=[Candidate(k=3, score=0.7, reasons=["wrong function edited"])])
    hint = render_hint(trace, diagnosis)
    assert f"{QUOTE_LABEL}, why step 3 was chosen:\n\n```text\nwrong function edited\n```" in hint
    assert "- step 3 (llm_judgement): edit targets the wrong function" in hint
    assert "- (model_note): tests never ran" in hint
    assert "The error carried on through steps 3 → 5 → 7." in hint
    assert (f"{QUOTE_LABEL}, the diagnosis's reasoning:\n\n```text\nThe agent edited the wrong function at step 3.\n```"
            in hint)
    assert "- step 5 — carried the error on" in hint and f"{QUOTE_LABEL}, the command of step 5:" in hint
    # unknown rules are shown as evidence but get no canned advice
    instead = hint.split("## What to do instead")[1].split("## Do not repeat")[0]
    assert "wrong function" not in instead and "Find the exact place to change" in instead


def test_evidence_on_the_onset_comes_first_then_by_step():
    diagnosis = DiagnosisResult(run_id="r", method="heuristic", onset_k=9, category=Category.premature_stop,
                                evidence=[Evidence(rule="a", steps=[12], reason="x"),
                                          Evidence(rule="b", steps=[2], reason="y"),
                                          Evidence(rule="c", steps=[9], reason="z"),
                                          Evidence(rule="c", steps=[9], reason="z")])
    assert [e.rule for e in ordered_evidence(diagnosis)] == ["c", "b", "a"]


def test_backticks_in_actions_do_not_break_the_markdown(trace):
    step = trace.steps[0]
    step.action = "printf '```' && echo `date`"
    diagnosis = DiagnosisResult(run_id=trace.run_id, method="heuristic", onset_k=1,
                                category=Category.incorrect_hypothesis, chain_ks=[1])
    hint = render_hint(trace, diagnosis)
    assert f"{QUOTE_LABEL}, the command of step 1:\n\n````text\nprintf '```' && echo `date`\n````" in hint
    assert "- step 1 — where the failure began (its command is quoted above)" in hint
