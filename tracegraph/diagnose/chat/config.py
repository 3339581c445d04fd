"""Every weight and threshold of the conversation diagnosis, in one config object (what `--labels source --cv`
tunes on training folds). A weight of 0 turns its rule off."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ChatConfig(BaseModel):
    """Chat rule weights (a step's score is the sum of the weights of the rules firing on it) and the fallback."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    answer_origin: float = 0.0
    """The first message that states a value the wrong final answer repeats."""
    answer_completion: float = 1.0
    """The message by which every value of the final answer that was stated before it had been stated."""
    unfounded_assumption: float = 0.0
    """The first message that assumes, simulates or makes up what it should have looked up."""
    judged_unproductive: float = 0.0
    """The first message a later message judges wrong, unproductive or looping."""
    repeated_message: float = 0.0
    """The first message that repeats an earlier message of the same agent."""
    repeat_similarity: float = 0.8
    """Share of words two messages of one agent have in common for the later to count as a repeat."""
    repeat_min_chars: int = 100
    """Messages shorter than this (turn-taking, "TERMINATE") never count as repeats."""
    fallback_step: int = 3
    """The step blamed when no rule fires (clipped to the run's length): "always step k" as a last resort."""
