"""Working days and business hours, from the administrator's calendar.

The week has rest days (setting ``calendar.weekend_days``, default Saturday and
Sunday); the ``calendar_days`` table lists the exceptions: public holidays
(rest on a weekday) and make-up working days (调休: work on a rest day).

Every function here works on naive *local* datetimes (the bank's time zone);
callers holding UTC convert first (``to_local`` / ``to_utc``).
"""

from __future__ import annotations

import threading
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(value: str) -> time:
    h, m = value.split(":")
    return time(int(h), int(m))


@dataclass(frozen=True)
class WorkCalendar:
    """Rest days of the week plus dated exceptions (holidays, make-up working days)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday() numbers

    @classmethod
    def from_codes(cls, weekend_codes, holidays=(), workdays=()) -> WorkCalendar:
        bad = [c for c in weekend_codes if c not in WEEKDAY_CODES]
        if bad:
            raise ValueError(f"unknown weekday code {bad[0]!r}; use {', '.join(WEEKDAY_CODES)}")
        return cls(frozenset(holidays), frozenset(workdays), frozenset(WEEKDAY_CODES.index(c) for c in weekend_codes))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def next_working_day(self, day: date, *, include: bool = False) -> date:
        d = day if include else day + timedelta(days=1)
        for _ in range(3660):  # ten years: a calendar with no working day at all is a configuration error
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        raise ValueError("the calendar has no working day in the next ten years")

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n >= 0; n == 0 gives ``day`` itself if it works, else the next)."""
        d = self.next_working_day(day, include=True) if n == 0 else day
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in [start, end]."""
        n, d = 0, start
        while d <= end:
            n += self.is_working_day(d)
            d += timedelta(days=1)
        return n

    # --- business hours -------------------------------------------------------------

    def add_business_hours(self, start: datetime, hours: float, day_start: time = time(9), day_end: time = time(17)
                           ) -> datetime:
        """The local time ``hours`` business hours after ``start``.

        Business hours run from ``day_start`` to ``day_end`` on working days. A
        start outside them counts from the next opening; a deadline that falls
        exactly on the close of a day is that close, not the next opening.
        """
        if day_end <= day_start:
            raise ValueError("the business day must end after it starts")
        remaining = timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError("hours must not be negative")
        cur = self._clamp_forward(start, day_start, day_end)
        while True:
            close = datetime.combine(cur.date(), day_end)
            left_today = close - cur
            if remaining <= left_today:
                return cur + remaining
            remaining -= left_today
            cur = datetime.combine(self.next_working_day(cur.date()), day_start)

    def business_hours_between(self, start: datetime, end: datetime, day_start: time = time(9),
                               day_end: time = time(17)) -> float:
        """Business hours from ``start`` to ``end`` (negative when end is before start)."""
        if end < start:
            return -self.business_hours_between(end, start, day_start, day_end)
        total = timedelta(0)
        d = start.date()
        while d <= end.date():
            if self.is_working_day(d):
                lo = max(start, datetime.combine(d, day_start))
                hi = min(end, datetime.combine(d, day_end))
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total.total_seconds() / 3600

    def _clamp_forward(self, moment: datetime, day_start: time, day_end: time) -> datetime:
        d = moment.date()
        if self.is_working_day(d):
            if moment.time() < day_start:
                return datetime.combine(d, day_start)
            if moment.time() < day_end:
                return moment
        return datetime.combine(self.next_working_day(d), day_start)


# --- time zones ---------------------------------------------------------------------------

def to_local(utc_naive: datetime, tz: str) -> datetime:
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def to_utc(local_naive: datetime, tz: str) -> datetime:
    return local_naive.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)


# --- loading ------------------------------------------------------------------------------

_CACHE: dict[tuple[str, tuple], tuple[float, WorkCalendar]] = {}
_LOCK = threading.Lock()
CACHE_SECONDS = 30.0


def load(engine_or_conn, weekend_codes=None) -> WorkCalendar:
    """The calendar from ``calendar_days`` and the ``calendar.weekend_days`` setting.

    Given an Engine the result is cached briefly per database (the table is
    small and changes rarely); given a Connection it is read inside that
    transaction.
    """
    from db.models import CalendarDay

    if weekend_codes is None:
        from lib import settings

        eng = engine_or_conn if isinstance(engine_or_conn, Engine) else engine_or_conn.engine
        weekend_codes = settings.load(eng)["calendar.weekend_days"]
    codes = tuple(weekend_codes)

    def read(conn) -> WorkCalendar:
        rows = conn.execute(select(CalendarDay.day, CalendarDay.kind)).all()
        return WorkCalendar.from_codes(codes, [d for d, k in rows if k == "holiday"],
                                       [d for d, k in rows if k == "workday"])

    if not isinstance(engine_or_conn, Engine):
        return read(engine_or_conn)
    key = (str(engine_or_conn.url), codes)
    now = _time.monotonic()
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    with engine_or_conn.connect() as conn:
        cal = read(conn)
    with _LOCK:
        _CACHE[key] = (now, cal)
    return cal


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
