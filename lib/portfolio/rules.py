"""The portfolio rules of domain.md §1 as pure, typed functions (no database, no Streamlit).

The numbers (visit intervals, dormant days, near-limit %, targets) are settings;
these functions take them as arguments so that a caller passes the settings
that apply. The SQL queries of lib.portfolio.queries implement the same rules
set-wise; tests check both on the same hand-made data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Client tiers, highest first (分级管理: 重点客户 / 大客户 / VIP / 普通)
TIERS: tuple[str, ...] = ("key", "large", "vip", "ordinary")
# Tiers whose visits a manager watches (大户及重点户排队探访)
KEY_TIERS: tuple[str, ...] = ("key", "large")
CLIENT_TYPES: tuple[str, ...] = ("individual", "corporate")
# Credit ratings (客户信用分级), best first
RATINGS: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
RM_GRADES: tuple[str, ...] = ("junior", "intermediate", "senior")
# Five-category loan classification (五级分类), best first
LOAN_CLASSES: tuple[str, ...] = ("pass", "special_mention", "substandard", "doubtful", "loss")
# Non-performing: substandard, doubtful, loss (次级、可疑、损失 — the regulator's NPL definition)
NPL_CLASSES: tuple[str, ...] = ("substandard", "doubtful", "loss")
# Acquisition channels of §1 (客户开发)
CHANNELS: tuple[str, ...] = ("referral", "friends", "revisit_dormant", "press", "event", "association", "cold_call")
CONTACT_KINDS: tuple[str, ...] = ("visit", "call", "email", "dinner")
PRODUCT_CATEGORIES: tuple[str, ...] = ("deposit", "settlement", "loan", "credit_line", "wealth", "card", "fee_service")
# Balance categories that make up what a banker calls deposits (存款 + 结算)
DEPOSIT_CATEGORIES: tuple[str, ...] = ("deposit", "settlement")

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 万元 = 10,000 yuan


def class_rank(classification: str) -> int:
    """0 for pass … 4 for loss; raises ValueError on an unknown class."""
    try:
        return LOAN_CLASSES.index(classification)
    except ValueError:
        raise ValueError(f"unknown loan classification {classification!r}") from None


def is_worse(before: str | None, after: str) -> bool:
    """Whether a loan moved to a worse class (a loan without an earlier class did not move)."""
    return before is not None and class_rank(after) > class_rank(before)


def is_npl(classification: str) -> bool:
    return classification in NPL_CLASSES


# --- the period -------------------------------------------------------------------------

def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_bounds(today: date, kind: str = "quarter") -> tuple[date, date]:
    """First and last day of the period (quarter or month) to date that contains ``today``."""
    if kind == "quarter":
        return quarter_start(today), today
    if kind == "month":
        return date(today.year, today.month, 1), today
    raise ValueError(f"unknown period {kind!r}; use quarter or month")


def month_ends(last_day: date, n: int) -> list[date]:
    """The last ``n`` month-end dates strictly before the month of ``last_day``'s successor day.

    A month-end counts once the month is over: on 2026-11-22 the latest is 2026-10-31.
    """
    out: list[date] = []
    d = date(last_day.year, last_day.month, 1) - timedelta(days=1)
    if (last_day + timedelta(days=1)).month != last_day.month:
        d = last_day  # today is itself a month-end
    while len(out) < n:
        out.append(d)
        d = date(d.year, d.month, 1) - timedelta(days=1)
    return sorted(out)


# --- flags ------------------------------------------------------------------------------

def visit_cutoff(today: date, tier: str, intervals: dict[str, int]) -> datetime:
    """Contacts before this moment no longer count: the client is overdue for a visit."""
    days = int(intervals[tier])
    return datetime.combine(today - timedelta(days=days), datetime.min.time())


def visit_overdue(tier: str, last_contact_at: datetime | None, today: date, intervals: dict[str, int]) -> bool:
    """Not contacted for longer than its tier allows (a client never contacted is overdue)."""
    return last_contact_at is None or last_contact_at < visit_cutoff(today, tier, intervals)


def days_since(moment: datetime | date | None, today: date) -> int | None:
    if moment is None:
        return None
    d = moment.date() if isinstance(moment, datetime) else moment
    return (today - d).days


def is_dormant(last_contact_at: datetime | None, last_txn_on: date | None, today: date, dormant_days: int) -> bool:
    """No contact and no transaction for ``dormant_days`` (不活跃客户)."""
    cutoff = today - timedelta(days=dormant_days)
    no_contact = last_contact_at is None or last_contact_at.date() < cutoff
    no_txn = last_txn_on is None or last_txn_on < cutoff
    return no_contact and no_txn


def is_single_product(products_held: int) -> bool:
    """One product only: a cross-selling prospect (交叉销售)."""
    return products_held == 1


def near_limit(used_fen: int, granted_fen: int, pct: int) -> bool:
    """A credit line used to ``pct`` % of its limit or more."""
    return granted_fen > 0 and used_fen * 100 >= granted_fen * pct


def fee_share(fee_fen: int, interest_fen: int) -> float | None:
    """Fee income as a share (0–1) of total income (interest + fee); None without income."""
    total = fee_fen + interest_fen
    return None if total <= 0 else fee_fen / total


def npl_ratio(outstanding_by_class: dict[str, int]) -> float | None:
    """Non-performing loans as a share (0–1) of all outstanding loans; None without loans."""
    total = sum(outstanding_by_class.values())
    if total <= 0:
        return None
    return sum(v for k, v in outstanding_by_class.items() if k in NPL_CLASSES) / total


def follow_up_state(follow_up_on: date | None, done: bool, today: date, horizon_days: int) -> str | None:
    """'overdue', 'due' (within ``horizon_days``) or None for a contact's follow-up (回访)."""
    if follow_up_on is None or done:
        return None
    if follow_up_on < today:
        return "overdue"
    if follow_up_on <= today + timedelta(days=horizon_days):
        return "due"
    return None


def attainment(actual: float, target: float, *, lower_is_better: bool = False) -> float | None:
    """Actual against target as a share (1.0 = met); for a ceiling (NPL ratio), met while under it."""
    if lower_is_better:
        if actual is None:
            return None
        if actual <= target:
            return 1.0
        return target / actual if actual else None
    if not target:
        return None
    return actual / target


@dataclass(frozen=True)
class Flags:
    overdue_visit: bool
    dormant: bool
    single_product: bool
    past_due: bool
    worse_class: bool
    near_limit: bool

    def names(self) -> list[str]:
        return [k for k, v in self.__dict__.items() if v]


FLAG_NAMES: tuple[str, ...] = ("overdue_visit", "dormant", "single_product", "past_due", "worse_class", "near_limit")
