"""learn_format: ask a model for a parser, check it in the sandbox on the samples, send failures back, save it.

Each reply is checked in order: a module in the reply, its shape (only detect/parse and helpers), a sandboxed run
over every sample (detected, parsed, no error), the validation of each run, the quality gate. The first problems
found go back to the model with a request for the whole module; after `max_repairs` repairs the format is not
learned and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tracegraph.errors import TracegraphError
from tracegraph.learn.fingerprint import fingerprint
from tracegraph.learn.prompt import PROMPT_VERSION, code_in_reply, first_request, repair_request, shape_problems
from tracegraph.learn.sandbox import SandboxConfig, run_parser
from tracegraph.learn.storage import (
    LearnedFormat, SampleCheck, code_hash, format_name, now_iso, save_format,
)
from tracegraph.learn.validate import InputText, ParsedRun, build_trace, check_run, quality_problems
from tracegraph.llm_client import complete


class LearnError(TracegraphError):
    """No parser passed the checks within the repair budget, or the model could not be asked."""


class LearnConfig(BaseModel):
    """How a format is learned."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    model: str
    """Any litellm model string (openai/gpt-4o-mini, anthropic/claude-..., ollama/qwen2.5-coder, ...)."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible server; keys come from the provider's usual environment variable."""
    max_repairs: int = 2
    """Replies sent back with their problems before giving up (so at most 1 + max_repairs model calls)."""
    max_completion_tokens: int = 8_000
    timeout_s: float = 180.0
    retries: int = 2
    """Retries of a request that failed transiently (HTTP 5xx, 429, connection)."""
    backoff_s: float = 1.0
    sandbox: SandboxConfig = SandboxConfig()


@dataclass
class Attempt:
    problems: list[str]


@dataclass
class LearnReport:
    """The accepted format and the attempts it took (each with the problems sent back)."""

    format: LearnedFormat
    folder: Path
    attempts: list[Attempt] = field(default_factory=list)


def learn_format(samples: list[Path], config: LearnConfig, *, name: str | None = None,
                 directory: Path | None = None) -> LearnReport:
    """Learn the format of `samples` (files of one format) and save the accepted parser."""
    if not samples:
        raise LearnError("no sample files given")
    prints = [fingerprint(p) for p in samples]
    if len({(f.layout, f.suffix) for f in prints}) > 1:
        raise LearnError("the samples are not of one layout: " + ", ".join(f"{p.name} is {f.layout}"
                                                                            for p, f in zip(samples, prints)))
    messages = first_request(samples)
    attempts: list[Attempt] = []
    for _ in range(config.max_repairs + 1):
        reply = _ask(messages, config)
        code = code_in_reply(reply)
        problems, checks = (["no Python module in the reply"], []) if code is None else check_parser(
            code, samples, config.sandbox)
        attempts.append(Attempt(problems))
        if not problems:
            meta = LearnedFormat(name=name or format_name(prints[0], samples[0].stem), fingerprints=prints,
                                 model=config.model,
                                 prompt_version=PROMPT_VERSION, created_at=now_iso(), attempts=len(attempts),
                                 samples=checks, parser_sha256=code_hash(code))
            return LearnReport(meta, save_format(meta, code, directory), attempts)
        messages += [{"role": "assistant", "content": reply}, repair_request(problems)]
    raise LearnError(f"no parser passed the checks after {len(attempts)} model replies; last problems: "
                     + "; ".join(attempts[-1].problems[:3]))


def check_parser(code: str, samples: list[Path], sandbox: SandboxConfig | None = None,
                 ) -> tuple[list[str], list[SampleCheck]]:
    """Problems of a parser on the samples (empty: accepted), and the step count it gave each sample."""
    problems = shape_problems(code)
    if problems:
        return problems, []
    runs, problems = parse_in_sandbox(code, samples, sandbox)
    checks = []
    for path, run in zip(samples, runs):
        if run is None:
            continue
        trace = build_trace(run, path, "candidate")
        problems += [f"{path.name}: {p}" for p in quality_problems(trace)]
        checks.append(SampleCheck(file=path.name, steps=len(run.steps)))
    return problems, checks


def parse_in_sandbox(code: str, paths: list[Path], sandbox: SandboxConfig | None = None,
                     ) -> tuple[list[ParsedRun | None], list[str]]:
    """Each file's checked run (None where it failed) and the problems, each naming its file."""
    result = run_parser(code, paths, "parse", sandbox)
    if result.problem:
        return [None] * len(paths), [result.problem]
    out = result.output or {}
    if not out.get("loaded"):
        return [None] * len(paths), [str(out.get("error") or "the parser did not load")]
    entries = out.get("files")
    if not isinstance(entries, list) or len(entries) != len(paths):
        return [None] * len(paths), ["the sandbox result lists other files than were given"]
    runs: list[ParsedRun | None] = []
    problems: list[str] = []
    for path, entry in zip(paths, entries):
        entry = entry if isinstance(entry, dict) else {}
        run = None
        if entry.get("error"):
            problems.append(f"{path.name}: {entry['error']}")
        elif entry.get("detected") is not True:
            problems.append(f"{path.name}: detect() returned False for a file of this format")
        else:
            run, found = check_run(entry.get("run"), InputText(path))
            problems += [f"{path.name}: {p}" for p in found]
            run = run if not found else None
        runs.append(run)
    return runs, problems


def _ask(messages: list[dict[str, Any]], config: LearnConfig) -> str:
    """The model's reply text, with our own retries of transient failures."""
    import litellm

    try:
        response = complete(LearnError, retries=config.retries, backoff_s=config.backoff_s, model=config.model,
                            messages=messages, api_base=config.api_base, timeout=config.timeout_s,
                            max_tokens=config.max_completion_tokens, temperature=0.0, drop_params=True)
    except litellm.ContextWindowExceededError:
        raise LearnError(f"{config.model}: the request does not fit the model's context window") from None
    return response.choices[0].message.content or ""
