"""The facts chat rules read, computed once per run: each agent message with what a tool returned for it, the task,
and the values the run's final answer states (numbers, quoted or bold strings, codes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracegraph.schema import RunTrace

_NUMBER = re.compile(r"(?<![\w.])\$?\d[\d,]*(?:\.\d+)?(?!\w)")
_BOLD = re.compile(r"\*\*([^*\n]{1,40})\*\*")
_QUOTED = re.compile(r"[\"“]([^\"”\n]{2,40})[\"”]")
_CODE = re.compile(r"\b[A-Z]{2,6}\b")
_FINAL_ANSWER = re.compile(r"FINAL ANSWER:\s*(.+)")
# Words a chat uses to run itself, never an answer: AG2 ends a chat by saying TERMINATE.
_CHAT_CONTROL = {"terminate"}

Value = tuple[str, str]
"""("number", digits without separators) or ("text", lower-cased string)."""


@dataclass(frozen=True)
class Message:
    """One step of a conversation: who spoke, what they said, and what a tool returned for it ("" if nothing)."""

    k: int
    agent: str
    text: str
    result: str

    @property
    def content(self) -> str:
        return f"{self.text}\n{self.result}"


@dataclass(frozen=True)
class ChatFacts:
    """One conversation run and what every chat rule asks of it."""

    trace: RunTrace
    messages: list[Message]
    task: str
    answer_step: int | None
    """The last message that states a value not in the task: where the run gave its (wrong) answer."""
    answer_values: frozenset[Value]
    """The values that message states, minus those the task already holds."""


def is_chat(trace: RunTrace) -> bool:
    """A multi-agent conversation: every step is an agent's message (tool = the agent speaking), no tool calls."""
    return bool(trace.steps) and all(s.role and s.tool == s.role for s in trace.steps)


def numbers_in(text: str, min_digits: int = 2) -> set[str]:
    """Numbers in `text` with separators and currency dropped; one-digit numbers only when asked (list markers)."""
    out = set()
    for match in _NUMBER.findall(text):
        value = match.replace("$", "").replace(",", "").rstrip(".")
        if len(value.replace(".", "")) >= min_digits:
            out.add(value)
    return out


def values_in(text: str, task: str) -> set[Value]:
    """The values a message states that the task does not: numbers, bold numbers, quoted strings, codes."""
    values: set[Value] = {("number", n) for n in numbers_in(text)}
    for bold in _BOLD.findall(text):
        # A bold number is an answer even when it is one digit ("**4**").
        if re.fullmatch(r"\$?\d[\d,.]*", bold.strip()):
            values.add(("number", bold.strip().replace("$", "").replace(",", "").rstrip(".")))
    values |= {("text", q.strip().lower()) for q in _QUOTED.findall(text)}
    values |= {("text", c.lower()) for c in _CODE.findall(text)}
    values |= {("text", a.strip().lower()) for a in _FINAL_ANSWER.findall(text)}
    task_numbers, task_text = numbers_in(task, 1), task.lower()
    return {v for v in values if v[1] not in _CHAT_CONTROL and v[1]
            and not (v[0] == "number" and v[1] in task_numbers) and not (v[0] == "text" and v[1] in task_text)}


def mentions(text: str, value: Value) -> bool:
    kind, v = value
    return v in numbers_in(text, 1) if kind == "number" else v in text.lower()


def chat_facts(trace: RunTrace) -> ChatFacts:
    """Compute the facts of one conversation run (rules never recompute them)."""
    # A trace read back from the graph carries results in observation_full only; one just parsed has both.
    results = {o.k: o.content for o in trace.observations} | trace.observation_full
    messages = [Message(s.k, s.role or s.tool, s.action or "", results.get(s.k, "")) for s in trace.steps]
    task = trace.run.task_text or ""
    answer_step, values = None, set()
    for m in reversed(messages):
        values = values_in(m.text, task)
        if values:
            answer_step = m.k
            break
    return ChatFacts(trace=trace, messages=messages, task=task, answer_step=answer_step,
                     answer_values=frozenset(values))
