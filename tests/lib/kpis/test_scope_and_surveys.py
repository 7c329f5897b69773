"""Row scoping of every KPI query (a lead never sees another team's agents) and the service-card import."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Survey
from lib.auth import load_user
from lib.fileio import ImportRefused
from lib.kpis import drill, exports, metrics, surveys
from lib.kpis.catalog import KPIS
from lib.kpis.scope import Scope, ScopeError, narrow_to_agent, self_scope, team_scope, visible_teams
from tests.lib.kpis.conftest import D1, LATER, MARCH


def test_a_lead_sees_only_the_team_they_lead(small):
    lead = load_user(small.engine, username="lead_a")
    assert list(visible_teams(small.engine, lead)["id"]) == [small.team_a]
    assert team_scope(lead, None) == Scope((small.team_a,))
    with pytest.raises(ScopeError):
        team_scope(lead, small.team_b)
    scope = team_scope(lead, small.team_a)
    df = metrics.compute(small.engine, scope, *MARCH, by="agent", now=LATER)
    assert set(df["agent_id"]) == {small.alice, small.bob}
    with pytest.raises(ScopeError):
        narrow_to_agent(small.engine, scope, small.carol)
    with pytest.raises(ScopeError):
        drill.records(small.engine, scope, "chats_handled", *MARCH, agent_id=small.carol)
    with pytest.raises(ScopeError):
        drill.transcript(small.engine, scope, small.chats["c5"])
    for k in KPIS:
        rows = drill.records(small.engine, scope, k.key, *MARCH).rows
        assert "carol" not in set(rows.get("agent", [])), k.key


def test_an_agent_sees_only_themselves(small):
    alice = load_user(small.engine, username="alice")
    assert list(visible_teams(small.engine, alice)["id"]) == []
    with pytest.raises(ScopeError):
        team_scope(alice, small.team_a)
    scope = self_scope(alice)
    df = metrics.compute(small.engine, scope, *MARCH, by="agent", now=LATER)
    assert list(df["agent_id"]) == [small.alice]
    rows = drill.records(small.engine, scope, "chats_handled", *MARCH).rows
    assert set(rows["agent"]) == {"alice"}
    with pytest.raises(ScopeError):
        drill.transcript(small.engine, scope, small.chats["c5"])


def test_a_manager_sees_every_team(small):
    boss = load_user(small.engine, username="boss")
    assert set(visible_teams(small.engine, boss)["id"]) == {small.team_a, small.team_b}
    assert team_scope(boss, None) == Scope(None)


def test_drill_down_lists_the_records_behind_each_figure(small):
    scope = Scope((small.team_a,))
    fig = metrics.compute(small.engine, scope, *MARCH, now=LATER).iloc[0]
    chats = drill.records(small.engine, scope, "chats_handled", *MARCH)
    assert chats.total == fig["chats_handled"] == 4
    frt = drill.records(small.engine, scope, "first_response_p90_s", *MARCH)
    assert frt.total == fig["frt_chats"] and frt.rows["first_response_s"].iloc[0] == 100  # worst first
    reviews = drill.records(small.engine, scope, "unqualified_rate_pct", *MARCH)
    assert reviews.total == fig["reviews"] and not reviews.rows["qualified"].iloc[0]
    comp = drill.records(small.engine, scope, "complaints_against", *MARCH)
    assert comp.total == fig["complaints_against"]
    fu = drill.records(small.engine, scope, "follow_up_satisfaction_pct", *MARCH)
    assert fu.total == fig["fu_reached"]
    cards = drill.records(small.engine, scope, "survey_satisfaction", *MARCH)
    assert cards.total == 3
    errs = drill.records(small.engine, scope, "work_accuracy_pct", *MARCH)
    assert errs.total == fig["work_errors"] == 1
    one_day = drill.records(small.engine, scope, "chats_handled", *MARCH, day=D1)
    assert one_day.total == 2
    msgs = drill.transcript(small.engine, scope, small.chats["c1"])
    assert list(msgs["speaker"]) == ["agent", "customer", "customer", "agent", "customer", "agent"]


def test_kpi_month_export(small):
    tables = exports.month_tables(small.engine, "2026-03")
    assert set(tables) == {"agents", "teams"}
    assert len(tables["agents"]) == 3 and len(tables["teams"]) == 2
    assert "chats_handled_target" in tables["agents"]


CSV_OK = ("employee_no,sent_on,score,answered_on,channel,comment,external_id\n"
          "E001,2026-03-05,5,2026-03-06,sms,很满意,Q-1\n"
          "E002,2026-03-05,,,,,Q-2\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_survey_import_encodings_and_idempotence(small, encoding):
    lead = load_user(small.engine, username="lead_a")
    scope = team_scope(lead, small.team_a)
    rep = surveys.import_csv(small.engine, CSV_OK.encode(encoding), scope, actor=lead)
    assert (rep.inserted, rep.skipped) == (2, 0)
    rep = surveys.import_csv(small.engine, CSV_OK.encode(encoding), scope, actor=lead)
    assert (rep.inserted, rep.skipped) == (0, 2)
    with small.engine.connect() as conn:
        assert conn.execute(select(Survey.comment).where(Survey.external_id == "Q-1")).scalar() == "很满意"
        assert conn.execute(select(func.count()).select_from(AuditLog)
                            .where(AuditLog.action == "kpi.surveys_import")).scalar() == 2
    df = metrics.compute(small.engine, Scope(None, (small.alice,)), *MARCH, now=LATER).iloc[0]
    assert df["survey_satisfaction"] == pytest.approx((5 + 3 + 5) / 3)  # the rollup took the new card


def test_survey_import_refuses_bad_lines_whole(small):
    lead = load_user(small.engine, username="lead_a")
    scope = team_scope(lead, small.team_a)
    bad = ("employee_no,sent_on,score\n"
           "E001,2026-03-05,5\n"
           "E001,2026-13-05,5\n"    # line 3: bad date
           "E001,2026-03-05,9\n"    # line 4: score out of range
           "E003,2026-03-05,4\n")   # line 5: carol is in team B, not the lead's
    with pytest.raises(ImportRefused) as exc:
        surveys.import_csv(small.engine, bad.encode(), scope, actor=lead)
    assert [i.line for i in exc.value.issues] == [3, 4, 5]
    with small.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Survey)).scalar() == 3  # the seeded three only
    with pytest.raises(ImportRefused):
        surveys.import_csv(small.engine, b"sent_on,score\n2026-03-01,4\n", scope, actor=lead)
    with pytest.raises(ImportRefused):
        surveys.import_csv(small.engine, b"employee_no,sent_on\nE001,2026-03-01\x00\n", scope, actor=lead)


def test_forms_refuse_agents_outside_the_scope(small):
    lead = load_user(small.engine, username="lead_a")
    scope = team_scope(lead, small.team_a)
    with pytest.raises(ScopeError):
        surveys.record_survey(small.engine, scope, agent_id=small.carol, sent_on=D1, score=4, actor=lead)
    with pytest.raises(ScopeError):
        surveys.record_work_error(small.engine, scope, agent_id=small.carol, day=D1, kind="process", note=None,
                                  actor=lead)
    with pytest.raises(ValueError):
        surveys.record_survey(small.engine, scope, agent_id=small.alice, sent_on=D1, score=6, actor=lead)


def test_quarterly_view(small):
    df = surveys.quarterly(small.engine, Scope((small.team_a,)), "2026-Q1")
    a = df[df["agent_id"] == small.alice].iloc[0]
    assert (a["sent"], a["answered"], a["mean_score"], a["satisfied_pct"]) == (3, 2, 4.0, 50.0)
    assert surveys.quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert surveys.quarter_of(date(2026, 5, 3)) == "2026-Q2"
    assert surveys.quarters_around(date(2026, 2, 1), 3) == ["2026-Q1", "2025-Q4", "2025-Q3"]


def test_drill_totals_from_the_rollup_equal_the_records_counted(small):
    """Chat drill-downs take their total from rollup_agent_day: it must equal counting the rows listed."""
    for scope in (Scope(None), Scope((small.team_a,)), Scope(None, (small.alice,))):
        for key in drill._ROLLUP_TOTAL:
            for day in (None, D1):
                r = drill.records(small.engine, scope, key, *MARCH, day=day, limit=10_000)
                assert r.total == len(r.rows), (scope, key, day)
