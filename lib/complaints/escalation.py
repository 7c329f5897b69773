"""Supervision (督办): overdue complaints escalate to the team lead, then to the manager.

``run`` raises ``complaints.escalation_level`` of every open complaint whose active
clock is overdue by at least ``complaints.escalate_lead_after_hours`` (level 1) or
``complaints.escalate_manager_after_hours`` (level 2), writing an ``escalated`` event
and an audit row for each step. It never lowers a level (a fresh clock does that, in
the service) and does not bump ``version``: it is the system's own bookkeeping, so a
handler's edit in progress is not refused because of it. Idempotent.

The queue and the home pages call ``run_if_due`` (at most once a minute per database);
``python -m db escalate-complaints`` runs it from a scheduler.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from db.models import Complaint
from lib import audit, events
from lib import settings as settings_mod
from lib.complaints import clocks

C = Complaint.__table__.c
_LAST: dict[str, float] = {}
_LOCK = threading.Lock()
MIN_INTERVAL_S = 60.0


def run(engine: Engine, now: datetime | None = None) -> dict[int, int]:
    """Escalate what is due; returns {complaint id: new level}."""
    from lib.complaints.service import utcnow

    now = now or utcnow()
    s = settings_mod.load(engine)
    lead_h, mgr_h = s["complaints.escalate_lead_after_hours"], s["complaints.escalate_manager_after_hours"]
    first = min(lead_h, mgr_h)
    changed: dict[int, int] = {}
    with engine.begin() as conn:
        rows = conn.execute(
            select(C.id, C.status, C.reply_due_at, C.follow_up_due_at, C.outer_due_at, C.escalation_level)
            .where(C.due_at.is_not(None), C.due_at <= now - timedelta(hours=first), C.escalation_level < 2)
        ).mappings().all()
        for r in rows:
            since = clocks.overdue_since(r["status"], now, r["reply_due_at"], r["follow_up_due_at"], r["outer_due_at"])
            level = clocks.escalation_level(since, now, lead_h, mgr_h)
            if level <= r["escalation_level"]:
                continue
            res = conn.execute(update(Complaint).where(C.id == r["id"], C.escalation_level == r["escalation_level"])
                               .values(escalation_level=level))
            if res.rowcount != 1:
                continue
            kind = clocks.active_clock(r["status"], r["reply_due_at"], r["follow_up_due_at"], r["outer_due_at"])[0]
            for lvl in range(r["escalation_level"] + 1, level + 1):
                conn.execute(Complaint.metadata.tables["complaint_events"].insert().values(
                    complaint_id=r["id"], at=now, actor_user_id=None, kind="escalated", from_status=None,
                    to_status=None, detail_json=f'{{"level": {lvl}, "clock": "{kind}"}}'))
            audit.record(conn, user_id=None, username="system", action="complaint.escalate", entity="complaint",
                         entity_id=r["id"], detail={"from": r["escalation_level"], "to": level, "clock": kind})
            changed[r["id"]] = level
        if changed:
            events.emit("complaints_changed", conn, complaint_ids=list(changed))
    return changed


def run_if_due(engine: Engine) -> dict[int, int]:
    """``run`` at most once a minute per database (called from the pages that show supervision)."""
    key = str(engine.url)
    with _LOCK:
        last = _LAST.get(key, 0.0)
        if time.monotonic() - last < MIN_INTERVAL_S:
            return {}
        _LAST[key] = time.monotonic()
    return run(engine)
