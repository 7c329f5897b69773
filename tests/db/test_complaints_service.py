"""Complaint writes and reads on the demo database: the workflow end to end, clocks as stored,
conflicts of interest, balanced assignment, repeats, extensions, concurrency, scoping, masking."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import Agent, AuditLog, Complaint, ComplaintEvent, User
from lib import auth, events
from lib.complaints import escalation, queue, report, service
from lib.complaints.service import ComplaintError, ConflictOfInterest, NewComplaint, StaleComplaint
from lib.complaints.workflow import TransitionRefused

NOW = datetime(2026, 11, 23, 2, 0)


def user(engine, name):
    return auth.load_user(engine, username=name)


def new(**kw) -> NewComplaint:
    base = dict(channel="hotline", category="fees", narrative="客户反映年费多收，电话13800138000，卡号6222021234567890。",
                client_name="测试客户甲", product_text="信用卡年费", accepted_at=NOW)
    base.update(kw)
    return NewComplaint(**base)


def row(engine, cid):
    with engine.connect() as c:
        return c.execute(select(Complaint.__table__).where(Complaint.id == cid)).mappings().one()


def kinds(engine, cid):
    with engine.connect() as c:
        return list(c.execute(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == cid)
                              .order_by(ComplaintEvent.id)).scalars())


@pytest.fixture
def captured(monkeypatch):
    seen = []
    monkeypatch.setitem(events._LISTENERS, "complaints_changed", [lambda conn, complaint_ids: seen.extend(complaint_ids)])
    return seen


def test_register_to_closed(demo_db, captured):
    h = user(demo_db, "demo_handler")
    cid = service.register(demo_db, h, new(), now=NOW)
    r = row(demo_db, cid)
    assert r["status"] == "accepted" and r["ref_no"].startswith("TS20261123")
    assert r["reply_due_at"] == NOW + timedelta(hours=24) and r["outer_due_at"] == NOW + timedelta(days=15)
    assert r["due_at"] == r["reply_due_at"] and captured == [cid]
    service.assign(demo_db, h, cid, 1, h.id, now=NOW + timedelta(minutes=5))
    v = service.transition(demo_db, h, cid, "start", 2, now=NOW + timedelta(minutes=10))
    v = service.transition(demo_db, h, cid, "reply", v, text="已退还年费", cause_code="staff_error",
                           dept_at_fault="card_center", now=NOW + timedelta(hours=23, minutes=59))
    r = row(demo_db, cid)
    assert r["status"] == "replied" and r["reply_on_time"] is True
    assert r["follow_up_due_at"] == NOW + timedelta(hours=23, minutes=59, days=3) == r["due_at"]
    v = service.transition(demo_db, h, cid, "follow_up", v, outcome="satisfied", now=NOW + timedelta(days=2))
    v = service.transition(demo_db, h, cid, "close", v, now=NOW + timedelta(days=2, hours=1))
    r = row(demo_db, cid)
    assert (r["status"], r["due_at"], r["follow_up_on_time"], r["follow_up_outcome"]) == (
        "closed", None, True, "satisfied")
    assert r["version"] == v == 6
    assert kinds(demo_db, cid) == ["created", "assigned", "status", "status", "follow_up", "status"]
    with demo_db.connect() as c:
        actions = list(c.execute(select(AuditLog.action).where(AuditLog.entity == "complaint",
                                                               AuditLog.entity_id == str(cid))).scalars())
    assert actions == ["complaint.register", "complaint.assign", "complaint.start", "complaint.reply",
                       "complaint.follow_up", "complaint.close"]
    assert set(captured) == {cid}
    with pytest.raises(TransitionRefused):
        service.transition(demo_db, h, cid, "reply", v, text="again")


@pytest.mark.parametrize("after, on_time", [(timedelta(hours=24), True), (timedelta(hours=24, minutes=1), False)])
def test_reply_on_time_is_stored_at_the_edge(demo_db, after, on_time):
    h = user(demo_db, "demo_handler")
    cid = service.register(demo_db, h, new(), now=NOW)
    service.assign(demo_db, h, cid, None, h.id, now=NOW)
    service.transition(demo_db, h, cid, "start", None, now=NOW)
    service.transition(demo_db, h, cid, "reply", None, text="ok", now=NOW + after)
    assert row(demo_db, cid)["reply_on_time"] is on_time


def test_unsatisfied_follow_up_reopens_with_a_fresh_reply_clock(demo_db):
    h = user(demo_db, "demo_handler")
    cid = service.register(demo_db, h, new(), now=NOW)
    service.assign(demo_db, h, cid, None, h.id, now=NOW)
    service.transition(demo_db, h, cid, "start", None, now=NOW)
    service.transition(demo_db, h, cid, "reply", None, text="ok", now=NOW + timedelta(hours=2))
    t = NOW + timedelta(days=1)
    service.transition(demo_db, h, cid, "follow_up", None, outcome="not_satisfied", now=t)
    r = row(demo_db, cid)
    assert r["status"] == "handling" and r["reply_due_at"] == t + timedelta(hours=24) == r["due_at"]
    assert r["follow_up_outcome"] == "not_satisfied" and r["replied_at"] == NOW + timedelta(hours=2)
    service.transition(demo_db, h, cid, "reply", None, text="重新处理", now=t + timedelta(hours=3))
    service.transition(demo_db, h, cid, "follow_up", None, outcome="satisfied", now=t + timedelta(days=1))
    r = row(demo_db, cid)
    assert r["status"] == "followed_up" and r["follow_up_outcome"] == "not_satisfied"  # the first follow-up counts


def test_validation_lists_every_problem(demo_db):
    h = user(demo_db, "demo_handler")
    with pytest.raises(ComplaintError) as exc:
        service.register(demo_db, h, new(channel="fax", category="nope", narrative=" ", client_name=""), now=NOW)
    assert len(exc.value.errors) == 4
    with pytest.raises(ComplaintError):
        service.register(demo_db, h, new(accepted_at=NOW + timedelta(days=1)), now=NOW)
    with pytest.raises(ComplaintError):
        service.register(demo_db, user(demo_db, "demo_manager"), new(), now=NOW)


def test_conflict_of_interest_refused_and_avoided(demo_db):
    h = user(demo_db, "demo_handler")
    with demo_db.connect() as c:
        branch = c.execute(select(User.branch).where(User.id == h.id)).scalar()
    cid = service.register(demo_db, h, new(subject_branch=branch), now=NOW)
    with pytest.raises(ConflictOfInterest):
        service.assign(demo_db, h, cid, 1, h.id)
    assert row(demo_db, cid)["assigned_to"] is None
    to = service.assign(demo_db, h, cid, 1, None)
    with demo_db.connect() as c:
        assert c.execute(select(User.branch).where(User.id == to)).scalar() != branch
    # a handler who is also the agent the complaint is about
    uid = auth.create_user(demo_db, "handler_agent", "demo", ["complaint_handler"], demo=True)
    with demo_db.begin() as c:
        aid = c.execute(select(Agent.id).where(Agent.user_id.is_not(None)).order_by(Agent.id.desc())).scalar()
        c.execute(update(Agent).where(Agent.id == aid).values(user_id=uid))
    cid2 = service.register(demo_db, h, new(subject_agent_id=aid, subject_branch=None), now=NOW)
    with pytest.raises(ConflictOfInterest, match="(?i)conflict|利益冲突"):
        service.assign(demo_db, h, cid2, None, uid)


def test_balanced_assignment_goes_to_the_lightest_workload(demo_db):
    h = user(demo_db, "demo_handler")
    loads = {x["id"]: x["open"] for x in service.handlers(demo_db)}
    cid = service.register(demo_db, h, new(), now=NOW)
    to = service.assign(demo_db, h, cid, None, None)
    assert loads[to] == min(loads.values())
    res = service.bulk_assign(demo_db, h, [(service.register(demo_db, h, new(), now=NOW), 1) for _ in range(4)])
    assert len(res.assigned) == 4 and not res.refused
    assert len(set(res.assigned.values())) >= 2  # spread, not piled on one person


def test_cached_workloads_for_the_pickers_follow_a_write_once_cleared(demo_db):
    """The assignment pickers read handlers' workloads through lib.complaints.cache (counting every open
    complaint per handler on each run cost ~15 ms at 1M complaints); a write here clears it."""
    from lib.complaints import cache

    cache.clear()
    h = user(demo_db, "demo_handler")
    before = {x["id"]: x["open"] for x in cache.handlers_for(demo_db)}
    assert before == {x["id"]: x["open"] for x in service.handlers(demo_db)}
    cid = service.register(demo_db, h, new(), now=NOW)
    service.assign(demo_db, h, cid, None, h.id, now=NOW)
    assert {x["id"]: x["open"] for x in cache.handlers_for(demo_db)} == before  # cached within the minute
    cache.clear()  # what the pages do after every write
    after = {x["id"]: x["open"] for x in cache.handlers_for(demo_db)}
    assert after[h.id] == before[h.id] + 1 and after == {x["id"]: x["open"] for x in service.handlers(demo_db)}


def test_bulk_assign_reports_stale_items(demo_db):
    h = user(demo_db, "demo_handler")
    a, b = (service.register(demo_db, h, new(), now=NOW) for _ in range(2))
    res = service.bulk_assign(demo_db, h, [(a, 1), (b, 99)], h.id)
    assert list(res.assigned) == [a] and list(res.refused) == [b]
    assert row(demo_db, b)["assigned_to"] is None


def test_repeat_complaints_are_linked(demo_db):
    h = user(demo_db, "demo_handler")
    first = service.register(demo_db, h, new(client_name="重复客户", accepted_at=NOW - timedelta(days=10)), now=NOW)
    again = service.register(demo_db, h, new(client_name="重复客户"), now=NOW)
    other_cat = service.register(demo_db, h, new(client_name="重复客户", category="service", product_text=None),
                                 now=NOW)
    same_product = service.register(demo_db, h, new(client_name="重复客户", category="technical"), now=NOW)
    old = service.register(demo_db, h, new(client_name="旧客户", accepted_at=NOW - timedelta(days=40)), now=NOW)
    late = service.register(demo_db, h, new(client_name="旧客户"), now=NOW)
    assert row(demo_db, again)["repeat_of_id"] == first
    assert row(demo_db, other_cat)["repeat_of_id"] is None
    assert row(demo_db, same_product)["repeat_of_id"] == again
    assert row(demo_db, late)["repeat_of_id"] is None and row(demo_db, old)["repeat_of_id"] is None


def test_two_handlers_change_one_complaint_at_once(demo_db):
    h, admin = user(demo_db, "demo_handler"), user(demo_db, "demo_admin")
    cid = service.register(demo_db, h, new(), now=NOW)
    service.assign(demo_db, h, cid, 1, h.id)
    service.transition(demo_db, h, cid, "start", 2)
    seen = row(demo_db, cid)["version"]  # both opened the complaint at this version
    before = kinds(demo_db, cid)
    service.transition(demo_db, h, cid, "reply", seen, text="handler's reply")
    with pytest.raises(StaleComplaint):
        service.transition(demo_db, admin, cid, "reply", seen, text="admin's reply")
    with pytest.raises(StaleComplaint):
        service.assign(demo_db, admin, cid, seen, None)
    assert kinds(demo_db, cid) == before + ["status"]
    assert row(demo_db, cid)["version"] == seen + 1


def test_extensions_need_a_supervisor_and_run_out(demo_db):
    h, lead, mgr = user(demo_db, "demo_handler"), user(demo_db, "demo_lead"), user(demo_db, "demo_manager")
    cid = service.register(demo_db, h, new(channel="regulator"), now=NOW)
    assert row(demo_db, cid)["regulator_referral"] is True
    with pytest.raises(TransitionRefused):
        service.extend(demo_db, h, cid, None, "需调查", NOW)
    told = NOW + timedelta(hours=1)
    assert service.extend(demo_db, lead, cid, None, "需调查取证", told, now=told) == NOW + timedelta(days=30)
    assert service.extend(demo_db, mgr, cid, None, "仍需调查", told, now=told) == NOW + timedelta(days=60)
    with pytest.raises(ComplaintError):
        service.extend(demo_db, mgr, cid, None, "再延", told, now=told)
    d = queue.detail(demo_db, mgr, cid)
    assert list(d["extensions"]["days"]) == [15, 30] and d["outer_due_at"] == NOW + timedelta(days=60)


def test_department_request_and_answer(demo_db):
    h = user(demo_db, "demo_handler")
    cid = service.register(demo_db, h, new(), now=NOW)
    service.assign(demo_db, h, cid, None, h.id)
    rid = service.request_department(demo_db, h, cid, "technology", NOW + timedelta(days=1), "请核查", now=NOW)
    service.answer_department(demo_db, h, rid, "已核查", now=NOW + timedelta(hours=3))
    with pytest.raises(ComplaintError):
        service.answer_department(demo_db, h, rid, "again")
    assert kinds(demo_db, cid)[-2:] == ["dept_request", "dept_answer"]
    with pytest.raises(ComplaintError):
        service.request_department(demo_db, h, cid, "technology", NOW - timedelta(days=1), "late", now=NOW)


def test_notes_are_events_and_history_is_append_only(demo_db):
    h, lead = user(demo_db, "demo_handler"), user(demo_db, "demo_lead")
    cid = service.register(demo_db, h, new(), now=NOW)
    service.add_note(demo_db, lead, cid, "请尽快处理（督办）")
    with pytest.raises(ComplaintError):
        service.add_note(demo_db, h, cid, "   ")
    d = queue.detail(demo_db, h, cid)
    assert list(d["history"]["kind"]) == ["created", "note"]
    assert d["history"]["actor"].iloc[-1] == "演示主管"


def test_escalation_to_lead_then_manager(demo_db):
    h = user(demo_db, "demo_handler")
    cid = service.register(demo_db, h, new(), now=NOW)
    due = row(demo_db, cid)["due_at"]
    assert escalation.run(demo_db, now=due - timedelta(minutes=1)).get(cid) is None
    assert escalation.run(demo_db, now=due + timedelta(minutes=1))[cid] == 1
    assert cid not in escalation.run(demo_db, now=due + timedelta(hours=2))
    assert escalation.run(demo_db, now=due + timedelta(hours=25))[cid] == 2
    assert kinds(demo_db, cid).count("escalated") == 2
    mgr = user(demo_db, "demo_manager")
    esc = queue.queue_page(demo_db, mgr, queue.QueueFilter(view="escalated"), limit=500).rows
    assert cid in set(esc["id"])


def test_row_scoping_and_masking(demo_db):
    h, lead, mgr, rm = (user(demo_db, n) for n in ("demo_handler", "demo_lead", "demo_manager", "demo_rm"))
    with demo_db.connect() as c:
        own_agent = c.execute(select(Agent.id).where(Agent.team_id == lead.led_team_ids[0])).scalar()
        foreign_agent = c.execute(select(Agent.id).where(Agent.team_id != lead.led_team_ids[0])).scalar()
    mine = service.register(demo_db, h, new(subject_agent_id=own_agent), now=NOW)
    foreign = service.register(demo_db, h, new(subject_agent_id=foreign_agent), now=NOW)
    service.assign(demo_db, h, foreign, None, None)
    assert queue.detail(demo_db, lead, mine) is not None
    assert queue.detail(demo_db, lead, foreign) is None
    assert queue.detail(demo_db, rm, mine) is None
    open_for_lead = queue.queue_page(demo_db, lead, queue.QueueFilter(view="open"), limit=1000).rows
    assert foreign not in set(open_for_lead["id"])
    assert queue.queue_page(demo_db, rm, queue.QueueFilter(view="open")).rows.empty
    assert "13800138000" in queue.detail(demo_db, h, mine)["narrative"]
    masked = queue.detail(demo_db, mgr, mine)["narrative"]
    assert "13800138000" not in masked and "138****8000" in masked and "6222********7890" in masked


def test_queue_keyset_paging_holds(demo_db):
    mgr = user(demo_db, "demo_manager")
    flt = queue.QueueFilter(view="open")
    total = queue.count(demo_db, mgr, flt)
    ids, after, dues = [], None, []
    while True:
        p = queue.queue_page(demo_db, mgr, flt, after=after, limit=7)
        ids += list(p.rows["id"])
        dues += list(p.rows["due_at"])
        if p.next_cursor is None:
            break
        after = p.next_cursor
    assert len(ids) == len(set(ids)) == total > 20
    assert dues == sorted(dues)
    closed = queue.queue_page(demo_db, mgr, queue.QueueFilter(view="closed"), limit=5)
    more = queue.queue_page(demo_db, mgr, queue.QueueFilter(view="closed"), after=closed.next_cursor, limit=5)
    assert not set(closed.rows["id"]) & set(more.rows["id"])


def test_queue_search_with_sql_metacharacters(demo_db):
    mgr = user(demo_db, "demo_manager")
    h = user(demo_db, "demo_handler")
    cid = service.register(demo_db, h, new(client_name="100%_O'Brien; DROP"), now=NOW)
    for text in ("100%_O'Brien", "%", "; DROP", "_", "O'B"):
        rows = queue.queue_page(demo_db, mgr, queue.QueueFilter(view="open", search=text), limit=500).rows
        assert cid in set(rows["id"]), (text, len(rows))
    assert queue.queue_page(demo_db, mgr, queue.QueueFilter(view="open", search="%%nothing%%")).rows.empty


def test_monthly_report_agrees_with_the_rows(demo_db):
    mgr = user(demo_db, "demo_manager")
    rep = report.monthly_report(demo_db, mgr, "2026-10")
    start, end = report.month_bounds("2026-10", "Asia/Shanghai")
    with demo_db.connect() as c:
        n = c.execute(select(func.count()).select_from(Complaint)
                      .where(Complaint.accepted_at >= start, Complaint.accepted_at < end)).scalar()
        on_time = c.execute(select(func.count()).select_from(Complaint).where(
            Complaint.accepted_at >= start, Complaint.accepted_at < end, Complaint.reply_on_time.is_(True))).scalar()
    assert rep.summary["complaints"] == n > 300
    assert rep.summary["replied_24h"] == on_time
    assert 0.6 < rep.summary["replied_24h_share"] < 1
    for dim, df in rep.breakdowns.items():
        assert df["complaints"].sum() == n, dim
    assert list(rep.trend["month"]) == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert len(rep.top_causes) == 5
    drill = report.drilldown(demo_db, mgr, "2026-10", "channel", "hotline", limit=1000)
    assert len(drill) == int(rep.breakdowns["channel"].set_index("value").loc["hotline", "complaints"])
    tl = report.timeliness(demo_db, datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date())
    assert {"agent_id", "team_id", "replied_on_time", "follow_ups_on_time", "satisfied"} <= set(tl.columns)
    assert (tl["replied_on_time"] <= tl["replied"]).all()


def test_seed_made_a_live_queue(demo_db):
    mgr = user(demo_db, "demo_manager")
    now = datetime(2026, 11, 22, 15, 0)  # the demo's last day (DEMO_TODAY), afternoon UTC
    counts = queue.view_counts(demo_db, mgr, now=now)
    assert counts["unassigned"] >= 2 and counts["overdue"] >= 5 and counts["open"] >= 50
    assert counts["flagged"] >= 1 and counts["follow_up"] >= 10
    with demo_db.connect() as c:
        ev = c.execute(select(func.count(func.distinct(ComplaintEvent.complaint_id)))).scalar()
        n = c.execute(select(func.count()).select_from(Complaint)).scalar()
    assert ev == n  # every complaint has its history


def test_cli_export_and_escalation(demo_db, tmp_path, capsys):
    import openpyxl

    from db.cli import main as cli

    assert cli(["export", "complaints-month", "2026-10", "--format", "xlsx", "-o", str(tmp_path / "m")]) == 0
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    assert {"summary", "by_channel", "by_cause_code", "by_handler", "trend", "top_causes"} <= set(wb.sheetnames)
    assert cli(["export", "complaints-month", "2026-10", "-o", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c_summary.csv").read_text(encoding="utf-8-sig").startswith("month,complaints")
    assert cli(["export", "complaints-month", "2026-13"]) == 2
    capsys.readouterr()
    assert cli(["escalate-complaints"]) == 0
    assert "escalated" in capsys.readouterr().out
