"""The result every diagnosis method returns: onset, category, step labels, chain, and the evidence behind them."""

from __future__ import annotations

import json
from typing import Any, Self

from pydantic import BaseModel, Field, field_validator

from tracegraph.schema.nodes import DiagnosisVerdict


class Evidence(BaseModel):
    """One checkable fact: which rule fired, on which steps, and why (one line)."""

    rule: str
    steps: list[int]
    """Each step once, in the order first cited."""
    reason: str

    @field_validator("steps")
    @classmethod
    def _once_each(cls, steps: list[int]) -> list[int]:
        return list(dict.fromkeys(steps))


class Candidate(BaseModel):
    """A ranked onset candidate with its score and the rules that support it."""

    k: int
    score: float
    reasons: list[str] = []


class DiagnosisResult(DiagnosisVerdict):
    """Failure onset localization for one run: the verdict, and the evidence and candidates behind it."""

    evidence: list[Evidence] = []
    candidates: list[Candidate] = Field(default_factory=list)
    """Top onset candidates, best first."""

    @classmethod
    def from_properties(cls, props: dict[str, Any]) -> Self:
        """Read back from a Diagnosis node's properties: JSON columns parsed, nulls left to the defaults."""
        fields = {k: v for k, v in props.items() if k in cls.model_fields and v is not None}
        for name in ("chain_ks", "incorrect_ks", "unuseful_ks", "notes"):
            if isinstance(fields.get(name), str):  # lists that came back as JSON text
                fields[name] = json.loads(fields[name])
        fields["evidence"] = json.loads(props.get("evidence_json") or "[]")
        fields["candidates"] = json.loads(props.get("candidates_json") or "[]")
        return cls(**fields)
