"""Logging a visit, call, e-mail or dinner (联系客户 / 宴请报告), with validation and audit.

``validate`` is pure: it returns the i18n keys of every problem, so the form
can show them all at once. ``log_contact`` validates again inside the write
transaction (the client must be in the RM's own book at that moment), inserts
the contact, moves ``clients.last_contact_at`` forward (keeping the precomputed
overdue-visit and dormant counts exact: rollup.flags_follow) and writes the
audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Engine, insert, select, update

from db.models import Client, Contact
from lib import audit
from lib.portfolio.rollup import flags_follow
from lib.portfolio.rules import CONTACT_KINDS
from lib.portfolio.scope import Scope, scope_condition, to_utc

SUMMARY_MAX = 2000
FIELD_MAX = 256


class ContactError(ValueError):
    """The contact was not saved; ``keys`` are the i18n keys of the problems."""

    def __init__(self, keys: list[str]):
        super().__init__("; ".join(keys))
        self.keys = keys


@dataclass(frozen=True)
class ContactInput:
    client_id: int
    kind: str
    occurred_on: date
    occurred_time: time | None
    summary: str
    surprise: bool = False
    dinner_with: str = ""
    dinner_purpose: str = ""
    dinner_relationship: str = ""
    follow_up_on: date | None = None


def validate(inp: ContactInput, *, now_local: datetime, in_book: bool) -> list[str]:
    """Every problem with ``inp`` as an i18n key; empty when it may be saved. ``now_local``: bank time."""
    errs: list[str] = []
    if not in_book:
        errs.append("portfolio.err.client_not_in_book")
    if inp.kind not in CONTACT_KINDS:
        errs.append("portfolio.err.kind")
    if not isinstance(inp.occurred_on, date):
        errs.append("portfolio.err.date_missing")
    else:
        at = datetime.combine(inp.occurred_on, inp.occurred_time or time(0, 0))
        if inp.occurred_on > now_local.date() or at > now_local:
            errs.append("portfolio.err.future")
        if inp.follow_up_on is not None and inp.follow_up_on < inp.occurred_on:
            errs.append("portfolio.err.follow_up_before")
    summary = (inp.summary or "").strip()
    if not summary:
        errs.append("portfolio.err.summary_required")
    elif len(summary) > SUMMARY_MAX:
        errs.append("portfolio.err.summary_long")
    if inp.surprise and inp.kind != "visit":
        errs.append("portfolio.err.surprise_visit_only")
    if inp.kind == "dinner":
        for field, key in (("dinner_with", "portfolio.err.dinner_with"), ("dinner_purpose", "portfolio.err.dinner_purpose"),
                           ("dinner_relationship", "portfolio.err.dinner_relationship")):
            v = (getattr(inp, field) or "").strip()
            if not v:
                errs.append(key)
            elif len(v) > FIELD_MAX:
                errs.append("portfolio.err.field_long")
    return errs


def log_contact(engine: Engine, scope: Scope, inp: ContactInput, *, tz: str, now_local: datetime,
                user_id: int) -> int:
    """Save the contact (one transaction, audited) and return its id; raises ContactError."""
    if not scope.own_book:
        raise ContactError(["portfolio.err.only_own_rm"])
    c = Client.__table__
    with engine.begin() as conn:
        # locked (PostgreSQL) until the end: a second contact for the client waits and then sees this one's date
        row = conn.execute(select(c.c.id, c.c.rm_id, c.c.last_contact_at)
                           .where(c.c.id == int(inp.client_id), scope_condition(scope, c))
                           .with_for_update()).first()
        errs = validate(inp, now_local=now_local, in_book=row is not None)
        if errs:
            raise ContactError(errs)
        occurred_utc = to_utc(datetime.combine(inp.occurred_on, inp.occurred_time or time(12, 0)), tz)
        created = to_utc(now_local, tz)
        dinner = inp.kind == "dinner"
        cid = conn.execute(
            insert(Contact).values(
                client_id=row.id, rm_id=row.rm_id, kind=inp.kind, surprise=bool(inp.surprise),
                occurred_at=occurred_utc, summary=inp.summary.strip(),
                dinner_with=inp.dinner_with.strip() if dinner else None,
                dinner_purpose=inp.dinner_purpose.strip() if dinner else None,
                dinner_relationship=inp.dinner_relationship.strip() if dinner else None,
                follow_up_on=inp.follow_up_on, created_by=user_id, created_at=created,
            ).returning(Contact.id)
        ).scalar_one()
        if row.last_contact_at is None or occurred_utc > row.last_contact_at:
            with flags_follow(conn, row.id):
                conn.execute(update(Client).where(Client.id == row.id).values(last_contact_at=occurred_utc))
        audit.record(conn, user_id=user_id, username=scope.username, action="contact.create", entity="client",
                     entity_id=row.id, detail={"contact_id": cid, "kind": inp.kind,
                                               "occurred_at": occurred_utc.isoformat()})
    return cid
