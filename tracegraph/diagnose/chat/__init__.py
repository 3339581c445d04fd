"""Diagnosis of multi-agent conversations (Who&When-style chats): rules that read what agents say, not tool calls.

Each rule is a unit like those in diagnose/rules (name, category, weight from one config object, `fire(facts)`),
over `ChatFacts`. A step's score is the sum of the weights of the rules firing on it; the best step is the onset
(ties: the earlier), and when no rule fires the config's fallback step is blamed. The agent blamed is the one
that spoke at the onset."""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from tracegraph.diagnose.chat.answer_completion import AnswerCompletion
from tracegraph.diagnose.chat.answer_origin import AnswerOrigin
from tracegraph.diagnose.chat.config import ChatConfig
from tracegraph.diagnose.chat.facts import ChatFacts, chat_facts, is_chat
from tracegraph.diagnose.chat.judged_unproductive import JudgedUnproductive
from tracegraph.diagnose.chat.repeated_message import RepeatedMessage
from tracegraph.diagnose.chat.unfounded_assumption import UnfoundedAssumption
from tracegraph.diagnose.result import Candidate, DiagnosisResult, Evidence
from tracegraph.diagnose.rules.facts import Firing
from tracegraph.schema import Category, RunTrace


class ChatRule(Protocol):
    """One conversation rule. `weight` is its score from the config; `fire` returns the steps it points at."""

    name: str
    category: Category
    config: ChatConfig

    @property
    def weight(self) -> float: ...

    def fire(self, facts: ChatFacts) -> list[Firing]: ...


CHAT_RULE_TYPES = (AnswerOrigin, AnswerCompletion, UnfoundedAssumption, JudgedUnproductive, RepeatedMessage)


def chat_rules(config: ChatConfig) -> list[ChatRule]:
    """Every chat rule, weighted by `config`."""
    return [t(config) for t in CHAT_RULE_TYPES]


def fire_chat(facts: ChatFacts, config: ChatConfig) -> list[Firing]:
    """Every chat rule's firings for one run (rules weighted 0 still fire: their evidence is shown, not scored)."""
    return [f for rule in chat_rules(config) for f in rule.fire(facts)]


def pick_onset(firings: list[Firing], steps: int, config: ChatConfig) -> tuple[int, float, list[Candidate]]:
    """(onset step, its score, ranked candidates): the step with the largest summed weight, else the fallback."""
    score: dict[int, float] = defaultdict(float)
    reasons: dict[int, list[str]] = defaultdict(list)
    for f in firings:
        score[f.k] += f.score
        reasons[f.k].append(f.reason)
    candidates = sorted((Candidate(k=k, score=round(s, 3), reasons=reasons[k]) for k, s in score.items() if s > 0),
                        key=lambda c: (-c.score, c.k))
    if candidates:
        return candidates[0].k, candidates[0].score, candidates
    return max(1, min(config.fallback_step, steps)), 0.0, []


def diagnose_chat(trace: RunTrace, config: ChatConfig | None = None,
                  facts: ChatFacts | None = None) -> DiagnosisResult:
    """Heuristic diagnosis of one conversation run: the onset step, the agent that spoke there, the evidence."""
    config = config or ChatConfig()
    facts = facts or chat_facts(trace)
    firings = fire_chat(facts, config)
    onset, score, candidates = pick_onset(firings, len(trace.steps), config)
    scored = sorted((f for f in firings if f.k == onset and f.score > 0), key=lambda f: -f.score)
    step = trace.step(onset)
    if scored:
        category, why = scored[0].category, scored[0].reason
    else:
        category, why = Category.incorrect_hypothesis, f"no chat rule fired; step {onset} is the fallback"
    chain = [onset] + ([facts.answer_step] if facts.answer_step and facts.answer_step > onset else [])
    return DiagnosisResult(
        run_id=trace.run_id, method="heuristic", onset_k=onset, onset_stage=step.stage, category=category,
        confidence=round(min(1.0, score), 3), incorrect_ks=chain, unuseful_ks=[], chain_ks=chain,
        reasoning=f"Onset at step {onset} ({step.role or step.tool}): {why}.",
        evidence=[Evidence(rule=f.rule, steps=f.steps or [f.k], reason=f.reason) for f in firings],
        candidates=candidates)


__all__ = ["CHAT_RULE_TYPES", "ChatConfig", "ChatFacts", "ChatRule", "chat_facts", "chat_rules", "diagnose_chat",
           "fire_chat", "is_chat", "pick_onset"]
