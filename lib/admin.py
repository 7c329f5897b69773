"""Queries and commands of the administrator's pages: users, calendar, audit log."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, insert, select

from db.models import AuditLog, CalendarDay, User, UserRole
from lib import audit
from lib.auth import CurrentUser


def users_frame(engine: Engine) -> pd.DataFrame:
    roles = (
        select(UserRole.user_id, UserRole.role).subquery()
    )
    with engine.connect() as conn:
        users = pd.DataFrame(conn.execute(
            select(User.id, User.username, User.display_name, User.is_active, User.language,
                   User.failed_attempts, User.locked_until, User.created_at).order_by(User.username)
        ).mappings().all())
        r = pd.DataFrame(conn.execute(select(roles.c.user_id, roles.c.role)).mappings().all())
    if users.empty:
        return pd.DataFrame(columns=["id", "username", "display_name", "roles", "is_active", "language",
                                     "failed_attempts", "locked_until", "created_at"])
    grouped = r.groupby("user_id")["role"].apply(lambda s: sorted(s)) if not r.empty else pd.Series(dtype=object)
    users["roles"] = users["id"].map(grouped).apply(lambda v: v if isinstance(v, list) else [])
    return users[["id", "username", "display_name", "roles", "is_active", "language", "failed_attempts",
                  "locked_until", "created_at"]]


def unlock(engine: Engine, user_id: int, *, actor: CurrentUser) -> None:
    from sqlalchemy import update

    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(failed_attempts=0, locked_until=None))
        audit.record(conn, user_id=actor.id, username=actor.username, action="user.unlock", entity="user",
                     entity_id=user_id)


# --- calendar -----------------------------------------------------------------------------

def calendar_frame(engine: Engine, year: int) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        ).mappings().all()
    return pd.DataFrame(rows, columns=["day", "kind", "name"])


def set_calendar_day(engine: Engine, day: date, kind: str | None, name: str | None, *, actor: CurrentUser) -> None:
    """Mark ``day`` a public holiday or a make-up working day; kind None returns it to the normal week."""
    if kind not in (None, "holiday", "workday"):
        raise ValueError("A calendar day is a holiday or a make-up working day.")
    with engine.begin() as conn:
        before = conn.execute(select(CalendarDay.kind).where(CalendarDay.day == day)).scalar()
        conn.execute(delete(CalendarDay).where(CalendarDay.day == day))
        if kind:
            conn.execute(insert(CalendarDay).values(day=day, kind=kind, name=(name or "").strip() or None))
        audit.record(conn, user_id=actor.id, username=actor.username, action="calendar.change",
                     entity="calendar_day", entity_id=day.isoformat(), detail={"from": before, "to": kind, "name": name})


# --- audit log ----------------------------------------------------------------------------

def _audit_filter(action: str | None = None, username: str | None = None, entity: str | None = None,
                  start: datetime | None = None, end: datetime | None = None):
    conds = []
    if action:
        conds.append(AuditLog.action.startswith(action, autoescape=True))
    if username:
        conds.append(AuditLog.username == username)
    if entity:
        conds.append(AuditLog.entity == entity)
    if start:
        conds.append(AuditLog.at >= start)
    if end:
        conds.append(AuditLog.at < end)
    return and_(*conds) if conds else None


def audit_page(engine: Engine, *, action=None, username=None, entity=None, start=None, end=None,
               before_id: int | None = None, limit: int = 50) -> pd.DataFrame:
    """One page of the audit log, newest first, by keyset on id (``before_id``)."""
    q = select(AuditLog.id, AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.entity,
               AuditLog.entity_id, AuditLog.detail_json)
    cond = _audit_filter(action, username, entity, start, end)
    if cond is not None:
        q = q.where(cond)
    if before_id:
        q = q.where(AuditLog.id < before_id)
    q = q.order_by(AuditLog.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame(rows, columns=["id", "at", "username", "action", "entity", "entity_id", "detail_json"])


def audit_count(engine: Engine, **filters) -> int:
    q = select(func.count()).select_from(AuditLog)
    cond = _audit_filter(**filters)
    if cond is not None:
        q = q.where(cond)
    with engine.connect() as conn:
        return conn.execute(q).scalar_one()


def audit_export(engine: Engine, **filters) -> pd.DataFrame:
    q = select(AuditLog.id, AuditLog.at, AuditLog.user_id, AuditLog.username, AuditLog.action, AuditLog.entity,
               AuditLog.entity_id, AuditLog.detail_json)
    cond = _audit_filter(**filters)
    if cond is not None:
        q = q.where(cond)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(AuditLog.id)).mappings().all()
    return pd.DataFrame(rows, columns=["id", "at", "user_id", "username", "action", "entity", "entity_id",
                                       "detail_json"])


def detail_text(detail_json) -> str:
    if not isinstance(detail_json, str) or not detail_json:
        return ""
    try:
        return json.dumps(json.loads(detail_json), ensure_ascii=False)
    except ValueError:
        return detail_json


def log_download(engine: Engine, user: CurrentUser, what: str, detail: dict | None = None) -> None:
    """Audit a download (who took which table, with which filters)."""
    with engine.begin() as conn:
        audit.record(conn, user_id=user.id, username=user.username, action="download", entity=what, detail=detail)
