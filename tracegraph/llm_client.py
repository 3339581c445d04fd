"""litellm completions with our own retries and one-line errors, for every part that asks a model.

Diagnosis (llm, hybrid) and format learning both use it; it sits above no stage, so neither imports the other.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from tracegraph.errors import TracegraphError


def secret_free(text: str) -> str:
    """Error text without any value of a *_KEY / *_TOKEN / *_SECRET / *_PASSWORD environment variable, one line."""
    for name, value in os.environ.items():
        if len(value) >= 8 and re.search(r"(KEY|TOKEN|SECRET|PASSWORD)$", name.upper()):
            text = text.replace(value, "***")
    return " ".join(text.split())[:300]


def is_transient(exc: Exception) -> bool:
    """HTTP 5xx, 408, 429 or a dropped connection: worth another try."""
    import litellm

    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status >= 500 or status in (408, 429)
    return isinstance(exc, (litellm.APIConnectionError, litellm.Timeout))


def complete(error: type[TracegraphError], *, retries: int, backoff_s: float, **request: Any) -> Any:
    """litellm.completion(**request), retried `retries` times on transient failures with doubling delays.

    litellm's and the SDK's own retries are off so the count is ours. A context-window overflow is raised as is (the
    caller can shorten and ask again); any other failure becomes `error` with one line naming the model.
    """
    import litellm

    litellm.suppress_debug_info = True
    model = request["model"]
    for attempt in range(retries + 1):
        try:
            return litellm.completion(num_retries=0, max_retries=0, **request)
        except Exception as exc:
            if isinstance(exc, litellm.ContextWindowExceededError):
                raise
            if attempt < retries and is_transient(exc):
                time.sleep(backoff_s * 2 ** attempt)
                continue
            if isinstance(exc, litellm.AuthenticationError):
                raise error(f"{model}: authentication failed; set the provider's API key variable") from None
            raise error(f"{model}: {type(exc).__name__}: {secret_free(str(exc))}") from None
    raise AssertionError("unreachable")
