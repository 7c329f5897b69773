"""Small dialect helpers so that one SQL text runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Integer, bindparam, text
from sqlalchemy.sql.elements import TextClause


def is_pg(conn) -> bool:
    return conn.dialect.name == "postgresql"


def seconds_between(conn, later: str, earlier: str) -> str:
    """SQL for the seconds from ``earlier`` to ``later`` (two timestamp expressions)."""
    if is_pg(conn):
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def days_between(conn, later: str, earlier: str) -> str:
    """SQL for the whole days from ``earlier`` to ``later`` (two date expressions)."""
    if is_pg(conn):
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def local_date(conn, ts: str, offset_minutes: int) -> str:
    """SQL for the calendar day of a naive-UTC timestamp in the bank's zone (fixed offset)."""
    off = int(offset_minutes)
    if is_pg(conn):
        return f"CAST({ts} + INTERVAL '{off} minutes' AS DATE)"
    return f"date({ts}, '{off:+d} minutes')"


def month_of(conn, day: str) -> str:
    if is_pg(conn):
        return f"to_char({day}, 'YYYY-MM')"
    return f"strftime('%Y-%m', {day})"


def tz_offset_minutes(tz_name: str) -> int:
    """The zone's current UTC offset in minutes (Asia/Shanghai has no daylight saving: +480)."""
    off = datetime.now(timezone.utc).astimezone(ZoneInfo(tz_name)).utcoffset()
    return int(off.total_seconds() // 60) if off else 0


DATE_PARAMS = ("start", "end", "d0", "d1")
DATETIME_PARAMS = ("now",)


def q(sql: str, *, expanding: tuple[str, ...] = (), date_lists: tuple[str, ...] = ()) -> TextClause:
    """A text query whose date, timestamp and list parameters are typed for both backends."""
    stmt = text(sql)
    binds = []
    for name in DATE_PARAMS:
        if f":{name}" in sql:
            binds.append(bindparam(name, type_=Date))
    for name in DATETIME_PARAMS:
        if f":{name}" in sql:
            binds.append(bindparam(name, type_=DateTime))
    for name in expanding:
        binds.append(bindparam(name, expanding=True, type_=Integer))
    for name in date_lists:
        binds.append(bindparam(name, expanding=True, type_=Date))
    return stmt.bindparams(*binds) if binds else stmt


def setting(conn, key: str):
    """A setting's current value read through ``conn`` (usable inside a writer's transaction)."""
    import json

    from lib.settings import CATALOG

    row = conn.execute(text(
        "SELECT value_json FROM setting_values WHERE key = :k ORDER BY version_id DESC LIMIT 1"), {"k": key}).first()
    return json.loads(row[0]) if row else CATALOG[key].default
