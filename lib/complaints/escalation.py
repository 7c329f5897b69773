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

import json
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update

from db.models import AuditLog, Complaint, ComplaintEvent
from lib import audit
from lib import settings as settings_mod
from lib.complaints import clocks, rollup

C = Complaint.__table__.c
_LAST: dict[str, float] = {}
_LOCK = threading.Lock()
MIN_INTERVAL_S = 60.0


def run(engine: Engine, now: datetime | None = None) -> dict[int, int]:
    """Escalate what is due; returns {complaint id: new level}.

    Only complaints that can rise are read (``due_at`` is the active clock's deadline, so a
    complaint below level 1 overdue by the lead's hours, or below level 2 overdue by the manager's:
    two ranges of the open-complaints index), and the changes are written a statement per step
    (0→1, 0→2, 1→2), not per complaint."""
    from lib.complaints.service import utcnow

    now = now or utcnow()
    s = settings_mod.load(engine)
    lead_h, mgr_h = s["complaints.escalate_lead_after_hours"], s["complaints.escalate_manager_after_hours"]
    candidates = or_(
        and_(C.escalation_level < 1, C.due_at <= now - timedelta(hours=lead_h)),
        and_(C.escalation_level < 2, C.due_at <= now - timedelta(hours=mgr_h)),
    )
    changed: dict[int, int] = {}
    with engine.begin() as conn:
        rows = conn.execute(
            select(C.id, C.status, C.reply_due_at, C.follow_up_due_at, C.outer_due_at, C.escalation_level)
            # the outer bound makes it one range of the index on SQLite too (without it: 200-330 ms at l)
            .where(C.due_at.is_not(None), C.due_at <= now - timedelta(hours=min(lead_h, mgr_h)), candidates)
            .order_by(C.id)
        ).mappings().all()
        steps: dict[tuple[int, int], list] = defaultdict(list)
        for r in rows:
            since = clocks.overdue_since(r["status"], now, r["reply_due_at"], r["follow_up_due_at"], r["outer_due_at"])
            level = clocks.escalation_level(since, now, lead_h, mgr_h)
            if level > r["escalation_level"]:
                steps[(r["escalation_level"], level)].append(r)
        if not steps:
            return changed
        rollup.before_change(conn, [r["id"] for group in steps.values() for r in group])
        ev_rows, audit_rows = [], []
        for (old, level), group in sorted(steps.items()):
            ids = [r["id"] for r in group]
            done: set[int] = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                done.update(conn.execute(update(Complaint).where(C.id.in_(chunk), C.escalation_level == old)
                                         .values(escalation_level=level).returning(C.id)).scalars())
            for r in group:
                if r["id"] not in done:
                    continue
                kind = clocks.active_clock(r["status"], r["reply_due_at"], r["follow_up_due_at"],
                                           r["outer_due_at"])[0]
                for lvl in range(old + 1, level + 1):
                    ev_rows.append({"complaint_id": r["id"], "at": now, "actor_user_id": None, "kind": "escalated",
                                    "from_status": None, "to_status": None,
                                    "detail_json": f'{{"level": {lvl}, "clock": "{kind}"}}'})
                audit_rows.append({"at": audit._now(), "user_id": None, "username": "system",
                                   "action": "complaint.escalate", "entity": "complaint", "entity_id": str(r["id"]),
                                   "detail_json": json.dumps({"from": old, "to": level, "clock": kind},
                                                             ensure_ascii=False)})
                changed[r["id"]] = level
        if ev_rows:
            conn.execute(ComplaintEvent.__table__.insert(), ev_rows)
        if audit_rows:
            conn.execute(AuditLog.__table__.insert(), audit_rows)
        rollup.changed(conn, sorted({r["id"] for g in steps.values() for r in g}))
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
