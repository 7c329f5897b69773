"""Inter-rater agreement for calibration: Cohen's kappa (two raters) and Fleiss' kappa (more).

Formulas as in J. Cohen (1960), "A coefficient of agreement for nominal scales", and
J. L. Fleiss (1971), "Measuring nominal scale agreement among many raters"; the worked
examples in the unit tests are the ones on the Wikipedia pages "Cohen's kappa" and
"Fleiss' kappa".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when undefined (no items, or one category only)."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    n = len(a)
    if n == 0:
        return None
    po = sum(1 for x, y in zip(a, b, strict=True) if x == y) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    if pe >= 1.0:
        return None
    return (po - pe) / (1 - pe)


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' kappa from an items × categories table of rater counts (same number of raters per item)."""
    rows = [list(r) for r in counts if sum(r) > 0]
    if not rows:
        return None
    n = sum(rows[0])
    if n < 2 or any(sum(r) != n for r in rows):
        raise ValueError("every item needs the same number (at least two) of ratings")
    big_n = len(rows)
    k = len(rows[0])
    p_j = [sum(r[j] for r in rows) / (big_n * n) for j in range(k)]
    p_i = [(sum(x * x for x in r) - n) / (n * (n - 1)) for r in rows]
    p_bar = sum(p_i) / big_n
    pe = sum(p * p for p in p_j)
    if pe >= 1.0:
        return None
    return (p_bar - pe) / (1 - pe)


def kappa(ratings: Sequence[Sequence[Hashable]]) -> tuple[str, float | None]:
    """Agreement for ``ratings`` (one list per item, one rating per rater, raters in the same order).

    Two raters → ("cohen", κ); three or more → ("fleiss", κ).
    """
    if not ratings:
        return ("none", None)
    m = len(ratings[0])
    if m == 2:
        return ("cohen", cohen_kappa([r[0] for r in ratings], [r[1] for r in ratings]))
    cats = sorted({x for r in ratings for x in r}, key=str)
    table = [[Counter(r)[c] for c in cats] for r in ratings]
    return ("fleiss", fleiss_kappa(table))
