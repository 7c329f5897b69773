"""The complaint clocks: reply, follow-up and the regulator's outer limit.

Pure functions over a ``ClockPolicy`` (read from settings, per category) and a
``WorkCalendar``. Times in and out are naive UTC; business-hours arithmetic is
done in the bank's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from lib.calendar import WorkCalendar, parse_hhmm, to_local, to_utc

POLICY_KEYS = ("reply_hours", "follow_up_days", "outer_limit_days", "extension_days", "hours_mode")


@dataclass(frozen=True)
class ClockPolicy:
    reply_hours: float
    follow_up_days: float
    outer_limit_days: int
    extension_days: tuple[int, ...]
    hours_mode: str  # clock | business
    day_start: time
    day_end: time
    tz: str

    @property
    def business_day_hours(self) -> float:
        d = datetime.combine(datetime.min.date(), self.day_end) - datetime.combine(datetime.min.date(), self.day_start)
        return d.total_seconds() / 3600


def policy_for(settings: Mapping[str, Any], category: str | None) -> ClockPolicy:
    """The clocks of ``category``: the defaults, overridden by ``complaints.category_policy[category]``.

    A per-category entry may set any of reply_hours, follow_up_days, outer_limit_days,
    extension_days and hours_mode (domain.md §2: deadlines are a per-category policy).
    """
    base: dict[str, Any] = {
        "reply_hours": settings["complaints.reply_hours"],
        "follow_up_days": settings["complaints.follow_up_days"],
        "outer_limit_days": settings["complaints.outer_limit_days"],
        "extension_days": settings["complaints.extension_days"],
        "hours_mode": settings["complaints.hours_mode"],
    }
    override = (settings["complaints.category_policy"] or {}).get(category or "", {}) or {}
    for k in POLICY_KEYS:
        if k in override:
            base[k] = override[k]
    if base["hours_mode"] not in ("clock", "business"):
        raise ValueError(f"complaints.category_policy[{category!r}].hours_mode must be clock or business")
    return ClockPolicy(
        reply_hours=float(base["reply_hours"]),
        follow_up_days=float(base["follow_up_days"]),
        outer_limit_days=int(base["outer_limit_days"]),
        extension_days=tuple(int(x) for x in base["extension_days"]),
        hours_mode=base["hours_mode"],
        day_start=parse_hhmm(settings["complaints.business_day_start"]),
        day_end=parse_hhmm(settings["complaints.business_day_end"]),
        tz=settings["ui.timezone"],
    )


def add_hours(start_utc: datetime, hours: float, policy: ClockPolicy, cal: WorkCalendar) -> datetime:
    """``hours`` after ``start_utc``: clock hours, or business hours on the calendar."""
    if policy.hours_mode == "clock":
        return start_utc + timedelta(hours=hours)
    local = to_local(start_utc, policy.tz)
    return to_utc(cal.add_business_hours(local, hours, policy.day_start, policy.day_end), policy.tz)


def add_days(start_utc: datetime, days: float, policy: ClockPolicy, cal: WorkCalendar) -> datetime:
    """``days`` after ``start_utc``: calendar days, or working days (as business days' hours)."""
    if policy.hours_mode == "clock":
        return start_utc + timedelta(days=days)
    return add_hours(start_utc, days * policy.business_day_hours, policy, cal)


def reply_due(accepted_at: datetime, policy: ClockPolicy, cal: WorkCalendar) -> datetime:
    return add_hours(accepted_at, policy.reply_hours, policy, cal)


def follow_up_due(replied_at: datetime, policy: ClockPolicy, cal: WorkCalendar) -> datetime:
    return add_days(replied_at, policy.follow_up_days, policy, cal)


def outer_due(accepted_at: datetime, policy: ClockPolicy, cal: WorkCalendar, extensions_granted: int = 0) -> datetime:
    """The regulator's outer limit after ``extensions_granted`` approved extensions.

    The outer limit counts calendar days in both modes (a regulator's days), e.g.
    15, then +15 (30), then +30 (60) with the default settings.
    """
    days = policy.outer_limit_days + sum(policy.extension_days[:extensions_granted])
    return accepted_at + timedelta(days=days)


def next_extension_days(policy: ClockPolicy, extensions_granted: int) -> int | None:
    """Days the next extension adds, or None when no further extension is allowed."""
    if extensions_granted >= len(policy.extension_days):
        return None
    return policy.extension_days[extensions_granted]


def on_time(done_at: datetime | None, due_at: datetime | None) -> bool | None:
    """Done no later than due (exactly at the deadline counts as on time)."""
    if done_at is None or due_at is None:
        return None
    return done_at <= due_at


# --- the active deadline of an open complaint ------------------------------------------------

AWAITING_REPLY = ("accepted", "assigned", "handling")


def active_clock(status: str, reply_due_at, follow_up_due_at, outer_due_at) -> tuple[str | None, datetime | None]:
    """(which clock, its due time) that governs a complaint now: the earliest pending one."""
    if status == "closed":
        return None, None
    pending: list[tuple[datetime, str]] = []
    if status in AWAITING_REPLY and reply_due_at is not None:
        pending.append((reply_due_at, "reply"))
    if status == "replied" and follow_up_due_at is not None:
        pending.append((follow_up_due_at, "follow_up"))
    if outer_due_at is not None:
        pending.append((outer_due_at, "outer"))
    if not pending:
        return None, None
    due, kind = min(pending)
    return kind, due


def due_at(status: str, reply_due_at, follow_up_due_at, outer_due_at) -> datetime | None:
    return active_clock(status, reply_due_at, follow_up_due_at, outer_due_at)[1]


def time_left(due: datetime | None, now: datetime) -> timedelta | None:
    """Positive: time left; negative: how far overdue."""
    return None if due is None else due - now


def format_left(delta: timedelta | None, lang: str = "zh") -> str:
    """'3 h 20 min left' / '2 d 4 h overdue' (and the Chinese forms)."""
    if delta is None:
        return ""
    over = delta < timedelta(0)
    secs = abs(int(delta.total_seconds()))
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if lang == "zh":
        parts = ([f"{d}天"] if d else []) + ([f"{h}小时"] if h or d else []) + ([] if d else [f"{m}分"])
        return ("已逾期 " if over else "剩余 ") + "".join(parts)
    parts = ([f"{d} d"] if d else []) + ([f"{h} h"] if h or d else []) + ([] if d else [f"{m} min"])
    return " ".join(parts) + (" overdue" if over else " left")


def overdue_since(status: str, now: datetime, reply_due_at, follow_up_due_at, outer_due_at) -> datetime | None:
    """The earliest breached pending deadline, or None when nothing is overdue."""
    kind, due = active_clock(status, reply_due_at, follow_up_due_at, outer_due_at)
    return due if due is not None and due < now else None


def escalation_level(overdue_from: datetime | None, now: datetime, lead_after_h: float, manager_after_h: float) -> int:
    """0 none, 1 team lead, 2 manager — from how long a complaint has been overdue (督办)."""
    if overdue_from is None:
        return 0
    late = now - overdue_from
    if late >= timedelta(hours=manager_after_h):
        return 2
    if late >= timedelta(hours=lead_after_h):
        return 1
    return 0


def extension_sequence(policy: ClockPolicy) -> Sequence[int]:
    return policy.extension_days
