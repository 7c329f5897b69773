"""The §3 rules as pure functions: day point, month score, bonus tier, rubric verdict.

Every number comes from the settings passed in (catalog_qa); nothing here reads
the database, so the same figures can be recomputed later from stored reviews.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TIERS = ("full", "standard", "deduct1", "deduct2", "no_bonus")


def day_point(reviews: int, unqualified: int, settings: Mapping) -> int | None:
    """1 or 0 for a working day with reviewed samples; None when nothing was reviewed that day.

    "有4条不合格者扣一分": ``qa.unqualified_limit`` (default 4) or more unqualified chats lose the point.
    """
    if reviews <= 0:
        return None
    return 0 if unqualified >= int(settings["qa.unqualified_limit"]) else 1


@dataclass(frozen=True)
class Tier:
    tier: str
    deduction_fen: int
    no_bonus: bool


def bonus_tier(points: int, working_days: int, settings: Mapping) -> Tier:
    """The month's bonus consequence (domain.md §3).

    Maximum (points == scheduled working days) → full bonus, considered for extra (an
    agent with every point of a short rostered month is not penalised for its length);
    below ``qa.no_bonus_below`` (or at it, when ``qa.no_bonus_inclusive``) → no bonus;
    below ``qa.tier2_below`` → ``qa.tier2_deduction_yuan``; below ``qa.tier1_below`` →
    ``qa.tier1_deduction_yuan``; otherwise no deduction. Thresholds are absolute points:
    a shorter month scales nothing by itself.
    """
    nb = int(settings["qa.no_bonus_below"])
    lost = points <= nb if settings["qa.no_bonus_inclusive"] else points < nb
    if working_days > 0 and points >= working_days:
        return Tier("full", 0, False)
    if lost:
        return Tier("no_bonus", 0, True)
    if points < int(settings["qa.tier2_below"]):
        return Tier("deduct2", int(settings["qa.tier2_deduction_yuan"]) * 100, False)
    if points < int(settings["qa.tier1_below"]):
        return Tier("deduct1", int(settings["qa.tier1_deduction_yuan"]) * 100, False)
    return Tier("standard", 0, False)


def month_points(day_points: Iterable[int | None], working_days: int) -> tuple[int, int]:
    """(points, days without a sample) over the month's working days; points never exceed the maximum."""
    pts = 0
    missing = 0
    for p in day_points:
        if p is None:
            missing += 1
        else:
            pts += p
    return min(pts, working_days), missing


@dataclass(frozen=True)
class Criterion:
    id: int
    code: str
    weight: Decimal
    critical: bool


def verdict(criteria: Sequence[Criterion], results: Mapping[str, str], pass_mark) -> tuple[Decimal | None, bool]:
    """(score out of 100, qualified) for one review.

    ``results`` maps criterion code -> pass | fail | na. N/A criteria are left out of
    the denominator; a failed critical criterion makes the chat unqualified whatever
    the score; otherwise the chat is qualified when score >= pass mark.
    """
    total = Decimal(0)
    got = Decimal(0)
    critical_failed = False
    for c in criteria:
        r = results.get(c.code)
        if r not in ("pass", "fail", "na"):
            raise ValueError(f"criterion {c.code}: result must be pass, fail or na")
        if r == "na":
            continue
        w = Decimal(str(c.weight))
        total += w
        if r == "pass":
            got += w
        elif c.critical:
            critical_failed = True
    if total == 0:
        return None, not critical_failed
    score = (got * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return score, (not critical_failed) and score >= Decimal(str(pass_mark))
