"""LLM diagnosis through litellm: a model reads the run through read-only graph tools, starting from the heuristic.

litellm is imported inside functions only: it takes seconds to import.
"""

from __future__ import annotations

import os

from tracegraph.diagnose.heuristic import diagnose_trace
from tracegraph.diagnose.llm.answer import Submission, to_result
from tracegraph.diagnose.llm.loop import LLMConfig, LLMError, run_loop
from tracegraph.diagnose.llm.prompts import opening
from tracegraph.diagnose.llm.tools import GraphTools, write_clause
from tracegraph.store.read import load_trace
from tracegraph.diagnose.result import DiagnosisResult, Evidence
from tracegraph.store import Store

MODEL_ENV = "TRACEGRAPH_LLM_MODEL"
_DEFAULT = {name: field.default for name, field in LLMConfig.model_fields.items()}


def diagnose_run_llm(store: Store, run_id: str, model: str | None = None, api_base: str | None = None, *,
                     max_turns: int = _DEFAULT["max_turns"], max_tokens: int = _DEFAULT["max_tokens"],
                     max_cost_usd: float = _DEFAULT["max_cost_usd"], **options) -> DiagnosisResult:
    """Diagnose one run with a model that navigates the graph; a spent budget ends with the heuristic's answer.

    `model` is any litellm model string (default $TRACEGRAPH_LLM_MODEL); `options` are further LLMConfig fields.
    """
    return _diagnose(store, run_id, "llm", model, api_base, dict(
        options, max_turns=max_turns, max_tokens=max_tokens, max_cost_usd=max_cost_usd))


def diagnose_run_hybrid(store: Store, run_id: str, model: str | None = None, api_base: str | None = None, *,
                        max_turns: int = _DEFAULT["max_turns"], max_tokens: int = _DEFAULT["max_tokens"],
                        max_cost_usd: float = _DEFAULT["max_cost_usd"], **options) -> DiagnosisResult:
    """Like diagnose_run_llm, but the onset must be one of the heuristic's top candidates."""
    return _diagnose(store, run_id, "hybrid", model, api_base, dict(
        options, max_turns=max_turns, max_tokens=max_tokens, max_cost_usd=max_cost_usd))


def _diagnose(store: Store, run_id: str, method: str, model: str | None, api_base: str | None,
              options: dict) -> DiagnosisResult:
    model = model or os.environ.get(MODEL_ENV)
    if not model:
        raise LLMError(f"the {method} method needs a model: pass --model (a litellm model string such as "
                       f"openai/gpt-4o-mini) or set {MODEL_ENV}")
    config = LLMConfig(model=model, api_base=api_base, **options)
    trace = load_trace(store, run_id)
    heuristic = diagnose_trace(trace)
    fallback = heuristic.model_copy(update={"method": method, "model": model, "prompt_tokens": 0,
                                            "completion_tokens": 0, "cost_usd": 0.0})
    if not trace.steps:
        return fallback.model_copy(update={"notes": ["the run has no steps: nothing for the model to read; "
                                                     "heuristic answer kept"]})
    allowed = [c.k for c in heuristic.candidates] if method == "hybrid" else None
    if allowed == []:
        return fallback.model_copy(update={"notes": ["the heuristic found no candidate onset to choose from; "
                                                     "heuristic answer kept"]})
    tools = GraphTools(store, run_id, heuristic, page_chars=config.page_chars)
    outcome = run_loop(tools, opening(run_id, tools.run_overview(), heuristic, method == "hybrid"), config,
                       len(trace.steps), allowed)
    notes = outcome.notes
    if outcome.submission is not None:
        result = to_result(outcome.submission, heuristic, method, {s.k: s.stage for s in trace.steps})
    else:  # the Diagnosis node has no notes property, so the fallback is also stated as evidence
        notes = [*notes, "heuristic answer used"]
        result = fallback.model_copy(update={
            "evidence": [*fallback.evidence, Evidence(rule=f"{method}_fallback", steps=[], reason="; ".join(notes))]})
    usage = outcome.usage
    return result.model_copy(update={
        "model": model, "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
        "cost_usd": round(usage.cost_usd, 6) if usage.cost_usd is not None else None, "notes": notes})


__all__ = ["GraphTools", "LLMConfig", "LLMError", "Submission", "diagnose_run_hybrid", "diagnose_run_llm",
           "write_clause"]
