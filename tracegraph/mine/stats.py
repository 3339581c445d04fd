"""Significance of a pattern: Fisher's exact test on its 2x2 table, and Benjamini-Hochberg over many patterns."""

from __future__ import annotations

from math import comb


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided p-value that the pattern is over-represented in failed runs.

    Table: a failed runs with the pattern, b solved runs with it, c failed without, d solved without. The p-value
    is the hypergeometric probability of a or more failed runs among the a + b that show it, margins fixed.
    """
    failed, shown, total = a + c, a + b, a + b + c + d
    denominator = comb(total, shown)
    numerator = sum(comb(failed, x) * comb(total - failed, shown - x) for x in range(a, min(failed, shown) + 1))
    return min(1.0, numerator / denominator)


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """q-values (false discovery rate adjusted p-values), in the order given."""
    n = len(p_values)
    order = sorted(range(n), key=lambda i: p_values[i])
    q = [0.0] * n
    running = 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * n / rank)
        q[i] = running
    return q
