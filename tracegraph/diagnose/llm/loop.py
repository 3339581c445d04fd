"""The tool-calling loop: ask the model, run its tool calls, validate its answer, stop at a budget."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from tracegraph.diagnose.llm.answer import SUBMIT_SCHEMA, InvalidAnswer, Submission, json_in_text, parse_submission
from tracegraph.diagnose.llm.prompts import SYSTEM, last_turn, repair
from tracegraph.diagnose.llm.tools import GraphTools
from tracegraph.errors import TracegraphError
from tracegraph.llm_client import complete


class LLMError(TracegraphError):
    """The model could not be reached or refused the request (bad key, unknown model, server down)."""


class LLMConfig(BaseModel):
    """Knobs of the llm and hybrid methods."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    model: str
    """Any litellm model string: openai/gpt-4o-mini, anthropic/claude-..., ollama/qwen2.5, ..."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible server; keys come from the provider's usual environment variable."""
    max_turns: int = 12
    """Most model requests per run."""
    max_tokens: int = 60_000
    """Most prompt plus completion tokens per run."""
    max_cost_usd: float = 0.25
    """Most spend per run, when litellm knows the model's price."""
    max_completion_tokens: int = 4_096
    """Longest single response (reasoning models count their reasoning here)."""
    temperature: float | None = 0.0
    """Sampling temperature; dropped for models that take none."""
    timeout_s: float = 120.0
    """Per request."""
    retries: int = 3
    """Retries of a request that failed transiently (HTTP 5xx, 429, connection)."""
    backoff_s: float = 1.0
    """First retry delay; doubles each time."""
    page_chars: int = 1500
    """Observation characters per step_detail page."""


@dataclass
class Usage:
    """Tokens and spend over one run's requests, as the responses report them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    """None once any response's price is unknown."""
    requests: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class LoopOutcome:
    """A valid submission, or None with notes saying which budget or rule ended the loop."""

    submission: Submission | None
    usage: Usage
    notes: list[str] = field(default_factory=list)


class Client:
    """litellm.completion with our own retries (litellm's and the SDK's are turned off so the count is ours)."""

    def __init__(self, config: LLMConfig) -> None:
        import litellm

        litellm.suppress_debug_info = True
        self.config = config
        # litellm ≥1.80 imports the optional `mcp` package whenever tools are passed; without it, skip that handler.
        self._skip_mcp = importlib.util.find_spec("mcp") is None

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        c = self.config
        kwargs: dict[str, Any] = dict(
            model=c.model, messages=messages, tools=tools, api_base=c.api_base, timeout=c.timeout_s,
            max_tokens=c.max_completion_tokens, temperature=c.temperature, drop_params=True)
        if self._skip_mcp:
            kwargs["_skip_mcp_handler"] = True
        return complete(LLMError, retries=c.retries, backoff_s=c.backoff_s, **kwargs)


def _count(usage: Usage, response: Any) -> None:
    import litellm

    usage.requests += 1
    u = getattr(response, "usage", None)
    usage.prompt_tokens += getattr(u, "prompt_tokens", 0) or 0
    usage.completion_tokens += getattr(u, "completion_tokens", 0) or 0
    if usage.cost_usd is not None:
        try:
            usage.cost_usd += litellm.completion_cost(completion_response=response)
        except Exception:  # litellm raises for models missing from its price map (local servers)
            usage.cost_usd = None


def _assistant_message(msg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": msg.content or ""}
    if msg.tool_calls:
        out["tool_calls"] = [{"id": t.id, "type": "function",
                              "function": {"name": t.function.name, "arguments": t.function.arguments or "{}"}}
                             for t in msg.tool_calls]
    return out


def run_loop(tools: GraphTools, opening: str, config: LLMConfig, step_count: int,
             allowed_onsets: list[int] | None) -> LoopOutcome:
    """Converse until the model submits a valid answer or a budget runs out (then submission is None)."""
    import litellm

    client = Client(config)
    schemas = tools.schemas() + [{"type": "function", "function": SUBMIT_SCHEMA}]
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM},
                                      {"role": "user", "content": opening}]
    usage = Usage()
    repaired = False
    next_prompt = 0
    for turn in range(1, config.max_turns + 1):
        if usage.total + next_prompt > config.max_tokens:
            return LoopOutcome(None, usage, [f"token budget ({config.max_tokens}) would be exceeded by request "
                                             f"{turn} (~{next_prompt} prompt tokens)"])
        if turn == config.max_turns:
            _append_text(messages, last_turn())
        try:
            response = client.complete(messages, schemas)
        except litellm.ContextWindowExceededError:
            return LoopOutcome(None, usage, [f"the conversation outgrew {config.model}'s context at request {turn}"])
        _count(usage, response)
        msg = response.choices[0].message
        messages.append(_assistant_message(msg))
        problem = None
        sent_before = sum(len(str(m.get("content") or "")) for m in messages)
        for call in msg.tool_calls or []:
            if call.function.name == SUBMIT_SCHEMA["name"]:
                try:
                    return LoopOutcome(parse_submission(call.function.arguments, step_count, allowed_onsets), usage)
                except InvalidAnswer as exc:
                    problem = str(exc)
                    content = repair(problem)
            else:
                try:
                    args = json.loads(call.function.arguments or "{}")
                    content = tools.call(call.function.name, args) if isinstance(args, dict) else \
                        "error: arguments must be a JSON object"
                except json.JSONDecodeError as exc:
                    content = f"error: arguments are not JSON ({exc.msg})"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
        if not msg.tool_calls:
            answer = json_in_text(msg.content)
            try:
                if answer is None:
                    raise InvalidAnswer("no tool call and no JSON answer")
                return LoopOutcome(parse_submission(answer, step_count, allowed_onsets), usage)
            except InvalidAnswer as exc:
                problem = str(exc)
                messages.append({"role": "user", "content": repair(problem)})
        if problem is not None:
            if repaired:
                return LoopOutcome(None, usage, [f"answer still invalid after one repair: {problem}"])
            repaired = True
        if usage.cost_usd is not None and usage.cost_usd >= config.max_cost_usd:
            return LoopOutcome(None, usage, [f"cost budget (${config.max_cost_usd}) spent after {turn} requests"])
        added = sum(len(str(m.get("content") or "")) for m in messages) - sent_before
        last = getattr(response.usage, "prompt_tokens", 0) or 0
        next_prompt = last + (getattr(response.usage, "completion_tokens", 0) or 0) + added // 3
    return LoopOutcome(None, usage, [f"turn budget ({config.max_turns} requests) ran out before an answer"])


def _append_text(messages: list[dict[str, Any]], text: str) -> None:
    last = messages[-1]
    if last["role"] in ("tool", "user") and isinstance(last.get("content"), str):
        last["content"] = f"{last['content']}\n{text}"
    else:
        messages.append({"role": "user", "content": text})
