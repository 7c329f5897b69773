"""The monthly report's rollup (lib/complaints/rollup.py) equals the raw computation: after seeding,
after every kind of write (register, assign, reply, follow-up, close, escalation, import), for every
scope (all rows, a team lead's team), and a month missing from the rollup is built on demand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import delete, select

from db.models import ComplaintMonthRollup
from lib import auth
from lib import settings as settings_mod
from lib.complaints import escalation, importer, report, rollup, service
from lib.complaints.service import NewComplaint

NOW = datetime(2026, 11, 23, 2, 0)
R = ComplaintMonthRollup.__table__
VIEWERS = ("demo_admin", "demo_manager", "demo_lead", "demo_handler")


def user(engine, name):
    return auth.load_user(engine, username=name)


def months(engine) -> list[str]:
    with engine.connect() as c:
        return rollup.all_months(c, settings_mod.load(engine)["ui.timezone"])


def assert_report_equals_raw(engine, month: str) -> None:
    for name in VIEWERS:
        u = user(engine, name)
        fast = report.monthly_report(engine, u, month)
        slow = report.monthly_report(engine, u, month, raw=True)
        assert fast.summary == slow.summary, (name, month)
        for key, frame in slow.tables().items():
            pd.testing.assert_frame_equal(fast.tables()[key], frame, check_dtype=False, obj=f"{name} {month} {key}")


def table(engine, month: str) -> set[tuple]:
    cols = [c for c in R.c if c.name != "id"]
    with engine.connect() as c:
        return {tuple(r) for r in c.execute(select(*cols).where(R.c.month == month, R.c.complaints != 0)).all()} | {
            tuple(r) for r in c.execute(select(*cols).where(R.c.month == month, R.c.dim == rollup.BUILT)).all()}


def assert_table_equals_rebuild(engine, month: str) -> None:
    """The incrementally kept rows of ``month`` are exactly what building it from scratch gives."""
    tz = settings_mod.load(engine)["ui.timezone"]
    kept = table(engine, month)
    with engine.begin() as c:
        rollup.build_month(c, month, tz)
    assert kept == table(engine, month)


def test_seeded_rollup_equals_the_raw_report(demo_db):
    ms = months(demo_db)
    assert len(ms) >= 6
    with demo_db.connect() as c:
        tz = settings_mod.load(demo_db)["ui.timezone"]
        assert rollup.built_months(c, ms, tz) == set(ms)
    for m in ms[-3:]:
        assert_report_equals_raw(demo_db, m)
    assert_table_equals_rebuild(demo_db, ms[-1])


def new(**kw) -> NewComplaint:
    base = dict(channel="hotline", category="fees", narrative="客户反映年费多收。", client_name="测试客户甲",
                product_text="信用卡年费", accepted_at=NOW)
    base.update(kw)
    return NewComplaint(**base)


def test_rollup_stays_exact_through_the_workflow(demo_db):
    h = user(demo_db, "demo_handler")
    month = "2026-11"
    before = report.monthly_report(demo_db, h, month).summary["complaints"]
    cid = service.register(demo_db, h, new(regulator_referral=True), now=NOW)
    assert report.monthly_report(demo_db, h, month).summary["complaints"] == before + 1
    assert_report_equals_raw(demo_db, month)
    service.assign(demo_db, h, cid, 1, h.id, now=NOW + timedelta(minutes=5))
    v = service.transition(demo_db, h, cid, "start", 2, now=NOW + timedelta(minutes=10))
    v = service.transition(demo_db, h, cid, "reply", v, text="已退还年费", cause_code="staff_error",
                           dept_at_fault="card_center", now=NOW + timedelta(hours=30))
    assert_report_equals_raw(demo_db, month)
    v = service.transition(demo_db, h, cid, "follow_up", v, outcome="satisfied", text="满意",
                           now=NOW + timedelta(days=2))
    v = service.transition(demo_db, h, cid, "close", v, now=NOW + timedelta(days=2, hours=1))
    assert_report_equals_raw(demo_db, month)
    assert_table_equals_rebuild(demo_db, month)


def test_rollup_stays_exact_after_escalation_and_reassignment(demo_db):
    h = user(demo_db, "demo_handler")
    month = "2026-11"
    cids = [service.register(demo_db, h, new(client_name=f"客户{i}", accepted_at=NOW - timedelta(days=3)),
                            now=NOW - timedelta(days=3)) for i in range(3)]
    changed = escalation.run(demo_db, now=NOW + timedelta(days=2))
    assert set(cids) <= set(changed)
    assert_report_equals_raw(demo_db, month)
    other = [x for x in service.handlers(demo_db) if x["id"] != h.id][0]
    service.assign(demo_db, h, cids[0], None, other["id"], now=NOW)
    service.assign(demo_db, h, cids[0], None, h.id, now=NOW + timedelta(minutes=1))
    assert_report_equals_raw(demo_db, month)
    assert_table_equals_rebuild(demo_db, month)


def test_rollup_counts_imported_complaints(demo_db):
    admin = user(demo_db, "demo_admin")
    data = ("channel,category,narrative,client_name,accepted_at\n"
            "hotline,fees,多收年费,导入客户甲,2026-10-05\n"
            "email,service,态度差,导入客户乙,2026-11-02\n").encode()
    importer.import_complaints(demo_db, data, user=admin)
    for m in ("2026-10", "2026-11"):
        assert_report_equals_raw(demo_db, m)
        assert_table_equals_rebuild(demo_db, m)


def test_a_month_missing_from_the_rollup_is_built_on_demand(demo_db):
    month = months(demo_db)[-2]
    with demo_db.begin() as c:
        c.execute(delete(R).where(R.c.month == month))
    assert_report_equals_raw(demo_db, month)
    with demo_db.connect() as c:
        assert rollup.built_months(c, [month], settings_mod.load(demo_db)["ui.timezone"]) == {month}


def test_a_write_the_rollup_missed_is_not_counted_wrong(demo_db, monkeypatch):
    """A write whose event no rollup listener heard (e.g. a test replacing listeners) leaves the month to be
    rebuilt rather than wrong."""
    from lib import events

    h = user(demo_db, "demo_handler")
    month = "2026-11"
    monkeypatch.setitem(events._LISTENERS, "complaints_changed", [])
    cid = service.register(demo_db, h, new(), now=NOW)
    service.assign(demo_db, h, cid, 1, h.id, now=NOW)
    monkeypatch.undo()
    assert_report_equals_raw(demo_db, month)


@pytest.mark.parametrize("month", ["2030-01"])
def test_an_empty_month(demo_db, month):
    assert_report_equals_raw(demo_db, month)
    assert report.monthly_report(demo_db, user(demo_db, "demo_admin"), month).summary["complaints"] == 0


def test_the_open_only_scope_test_selects_the_same_complaints(demo_db):
    """scope.clause(open_only=True) (written for the open-complaints index) is the same test."""
    from sqlalchemy import func

    from db.models import Complaint
    from lib.complaints import queue, scope

    c = Complaint.__table__.c
    for name in ("demo_lead", "demo_manager"):
        u = user(demo_db, name)
        with demo_db.connect() as conn:
            plain = set(conn.execute(select(c.id).where(c.due_at.is_not(None), scope.clause(u))).scalars())
            fast = set(conn.execute(select(c.id).where(c.due_at.is_not(None), scope.clause(u, open_only=True)))
                       .scalars())
            assert conn.execute(select(func.count()).where(c.due_at.is_not(None))).scalar() > len(plain) > 0 \
                or name != "demo_lead"
        assert plain == fast
        assert queue.view_counts(demo_db, u)["open"] == len(plain)
