"""The rollups kept current by change events equal a full rebuild; a rebuild of a range leaves the rest."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import text, update

from db.models import Complaint
from lib import events
from lib.auth import load_user
from lib.kpis import metrics, rollups, surveys
from lib.kpis.scope import Scope
from tests.lib.kpis.builder import Dept
from tests.lib.kpis.conftest import D1, D2, LATER, MARCH

TABLES = {
    "kpi_chat_facts": "chat_id",
    "kpi_complaint_facts": "complaint_id",
    "rollup_agent_day": "agent_id, day",
    "rollup_frt_agent_day": "agent_id, day, first_response_s",
}


def snapshot(engine) -> dict[str, pd.DataFrame]:
    out = {}
    with engine.connect() as conn:
        for table, order in TABLES.items():
            df = pd.DataFrame(conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")).mappings().all())  # noqa: S608
            out[table] = df.astype(str).reset_index(drop=True)
    return out


def assert_same(a: dict, b: dict) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def test_events_keep_rollups_equal_to_a_rebuild(small):
    eng = small.engine
    lead = load_user(eng, username="lead_a")
    with eng.begin() as conn:
        d = Dept(conn)
        d._ids = dict(small.dept._ids)
        d.users = dict(small.dept.users)
        # client of c1/c2 comes back on D2 to carol: c2 no longer resolved the problem
        client_x = conn.execute(text("SELECT client_id FROM chats WHERE id = :c"), {"c": small.chats["c1"]}).scalar()
        new_chat = d.chat(small.carol, D2, [("customer", 0), ("agent", 45)], client_id=client_x)
        events.emit("chats_changed", conn, pairs=[(small.carol, D2)])
        # a review of carol's chat
        d.review(small.carol, D2, False, chat_id=new_chat)
        events.emit("reviews_changed", conn, pairs=[(small.carol, D2)])
        # k1 was about alice; it turns out to be about bob
        conn.execute(update(Complaint).where(Complaint.id == small.complaints["k1"]).values(subject_agent_id=small.bob))
        events.emit("complaints_changed", conn, complaint_ids=[small.complaints["k1"]])
        d.finish()
    surveys.record_survey(eng, Scope((small.team_a,)), agent_id=small.bob, sent_on=D2, score=2, actor=lead)
    surveys.record_work_error(eng, Scope((small.team_a,)), agent_id=small.bob, day=D2, kind="process", note="x",
                              actor=lead)

    df = metrics.compute(eng, Scope(None), *MARCH, by="agent", now=LATER).set_index("agent_id")
    assert df.loc[small.alice, "resolving_chats"] == 0  # c1 and c2 are both followed by a new contact
    assert df.loc[small.carol, "chats_handled"] == 2 and df.loc[small.carol, "unqualified"] == 1
    assert df.loc[small.alice, "complaints_against"] == 3 and df.loc[small.bob, "complaints_against"] == 1
    assert df.loc[small.bob, "survey_satisfaction"] == 2 and df.loc[small.bob, "work_accuracy_pct"] == 50

    incremental = snapshot(eng)
    rollups.rebuild(eng)
    assert_same(incremental, snapshot(eng))


def test_rebuild_of_a_range_keeps_other_days(small):
    eng = small.engine
    before = snapshot(eng)
    counts = rollups.rebuild(eng, D2, D2)
    assert counts["rollup_agent_day"] == 2  # alice and bob were rostered on D2
    assert_same(before, snapshot(eng))
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM rollup_agent_day WHERE day = :d"), {"d": D1.isoformat()}
                     if eng.dialect.name == "sqlite" else {"d": D1})
    rollups.rebuild(eng, D1, D1)
    assert_same(before, snapshot(eng))


def test_chat_moved_to_another_agent(small):
    """A chat reassigned to another agent leaves the old agent's day when both pairs are announced."""
    eng = small.engine
    with eng.begin() as conn:
        conn.execute(text("UPDATE chats SET agent_id = :b WHERE id = :c"), {"b": small.bob, "c": small.chats["c3"]})
        events.emit("chats_changed", conn, pairs=[(small.alice, D2), (small.bob, D2)])
    df = metrics.compute(eng, Scope((small.team_a,)), D2, D2, by="agent", now=LATER).set_index("agent_id")
    assert df.loc[small.alice, "chats_handled"] == 1 and df.loc[small.bob, "chats_handled"] == 1
    assert df.loc[small.bob, "first_response_median_s"] == 60
    incremental = snapshot(eng)
    rollups.rebuild(eng)
    assert_same(incremental, snapshot(eng))


def test_rebuild_on_an_empty_database(empty_db):
    counts = rollups.rebuild(empty_db)
    assert counts == {"kpi_chat_facts": 0, "kpi_complaint_facts": 0, "rollup_agent_day": 0,
                      "rollup_frt_agent_day": 0}
    df = metrics.compute(empty_db, Scope(None), date(2026, 3, 1), date(2026, 3, 31), now=datetime(2026, 4, 1))
    assert df.iloc[0]["chats_handled"] == 0


def test_new_chats_of_an_import_refresh_only_what_they_change(small):
    """The import's path: facts for the new chats and the same clients' earlier ones, rollups of their
    agent-days; equal to a full rebuild (an earlier chat of the returning client stops 'resolving')."""
    eng = small.engine
    with eng.begin() as conn:
        d = Dept(conn)
        d._ids = dict(small.dept._ids)
        d.users = dict(small.dept.users)
        client_x = conn.execute(text("SELECT client_id FROM chats WHERE id = :c"), {"c": small.chats["c1"]}).scalar()
        before = conn.execute(text("SELECT COUNT(*) FROM kpi_chat_facts WHERE client_id = :x AND resolving"),
                              {"x": client_x}).scalar()
        new_chat = d.chat(small.carol, D2, [("customer", 0), ("agent", 45)], client_id=client_x)
        others = [d.chat(small.bob, D2, [("customer", 0), ("agent", 30 + 10 * k)]) for k in range(12)]
        assert others == list(range(others[0], others[0] + 12))  # one run of ids: read as a range
        events.emit("chats_changed", conn, pairs=[(small.carol, D2), (small.bob, D2)],
                    new_chat_ids=[new_chat, *others])
        d.finish()
        after = conn.execute(text("SELECT COUNT(*) FROM kpi_chat_facts WHERE client_id = :x AND resolving"),
                             {"x": client_x}).scalar()
    assert after < before + 1  # the returning client's earlier chat no longer resolves
    incremental = snapshot(eng)
    rollups.rebuild(eng)
    assert_same(incremental, snapshot(eng))
