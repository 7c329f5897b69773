"""Each KPI on hand-made data with known answers, an empty period and an agent with no chats."""

from __future__ import annotations

import math
import random
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, text

from db.models import FirstResponseHistogram
from lib.kpis import metrics
from lib.kpis.catalog import KPI_BY_KEY, KPIS, meets, target_for
from lib.kpis.scope import Scope
from tests.lib.kpis.builder import Dept
from tests.lib.kpis.conftest import D1, D2, FEBRUARY, LATER, MARCH


def _row(df, col, val):
    return df[df[col] == val].iloc[0]


def test_every_kpi_of_one_agent(small):
    df = metrics.compute(small.engine, Scope(None), *MARCH, by="agent", now=LATER)
    a = _row(df, "agent_id", small.alice)
    assert a["chats_handled"] == 4
    # first responses 30, 100, 60 (c4 has no timestamps): nearest-rank median 60, p90 100
    assert a["first_response_median_s"] == 60
    assert a["first_response_p90_s"] == 100
    # replies: c1 30 s (in), 80 s (out); c2 100 s (out); c3 60 s (in, exactly the limit)
    assert a["replies_timed"] == 4 and a["replies_within"] == 2
    assert a["replies_within_limit_pct"] == pytest.approx(50.0)
    assert a["reviews"] == 3 and a["unqualified"] == 1
    assert a["unqualified_rate_pct"] == pytest.approx(100 / 3)
    assert a["complaints_against"] == 4
    # replies: k1, k3 on time; k2 late; k4 unanswered past its deadline
    assert a["complaints_replied_24h_pct"] == pytest.approx(50.0)
    # follow-ups: k1 on time; k2 late; k3 not done past its deadline; k4 has none (not replied)
    assert a["follow_ups_3d_pct"] == pytest.approx(100 / 3)
    # reached: k1 satisfied, k2 not satisfied
    assert a["follow_up_satisfaction_pct"] == pytest.approx(50.0)
    # client x twice the same day: two contacts, one resolution; c3 (no client) and c4 not tracked
    assert a["tracked_chats"] == 2 and a["resolving_chats"] == 1
    assert a["contacts_per_resolution"] == pytest.approx(2.0)
    # cards 5 and 3 answered, one unanswered
    assert a["survey_satisfaction"] == pytest.approx(4.0)
    # one error over two rostered days
    assert a["work_accuracy_pct"] == pytest.approx(50.0)


def test_open_clocks_not_yet_due_are_left_out(small):
    df = metrics.compute(small.engine, Scope(None, (small.alice,)), *MARCH, now=datetime(2026, 3, 2, 3, 0))
    r = df.iloc[0]
    # at 11:00 on D1 nothing is overdue yet: k4 and k3 wait
    assert r["complaints_replied_24h_pct"] == pytest.approx(200 / 3)
    assert r["follow_ups_3d_pct"] == pytest.approx(50.0)


def test_agent_with_no_chats_appears_with_zeros(small):
    df = metrics.compute(small.engine, Scope((small.team_a,)), *MARCH, by="agent", now=LATER)
    assert set(df["agent_id"]) == {small.alice, small.bob}
    b = _row(df, "agent_id", small.bob)
    assert b["chats_handled"] == 0 and b["complaints_against"] == 0 and b["scheduled"] == 2
    for key in ("first_response_median_s", "first_response_p90_s", "replies_within_limit_pct",
                "unqualified_rate_pct", "complaints_replied_24h_pct", "contacts_per_resolution",
                "survey_satisfaction"):
        assert math.isnan(b[key]), key
    assert b["work_accuracy_pct"] == 100.0


def test_empty_period(small):
    df = metrics.compute(small.engine, Scope(None), *FEBRUARY, now=LATER)
    assert len(df) == 1
    r = df.iloc[0]
    assert r["chats_handled"] == 0 and r["complaints_against"] == 0
    for k in KPIS:
        if k.key not in ("chats_handled", "complaints_against", "qa_monthly_points"):
            assert math.isnan(r[k.key]), k.key
    by_agent = metrics.compute(small.engine, Scope(None), *FEBRUARY, by="agent", now=LATER)
    assert len(by_agent) == 3 and (by_agent["chats_handled"] == 0).all()


def test_a_scope_without_agents_gives_empty_groups(small):
    """A team with nobody in it (or an agent outside the team asked for) has no rows, not an error
    (the pandas merge this replaced refused to join an empty list of agents)."""
    outside = Scope((small.team_b,), (small.alice,))
    for by in ("agent", "team"):
        df = metrics.compute(small.engine, outside, *MARCH, by=by, now=LATER)
        assert df.empty and {"chats_handled", "qa_monthly_points", f"{by}_id"} <= set(df.columns)
    whole = metrics.compute(small.engine, outside, *MARCH, now=LATER)
    assert len(whole) == 1 and whole.iloc[0]["chats_handled"] == 0


def test_team_and_department_figures(small):
    teams = metrics.compute(small.engine, Scope(None), *MARCH, by="team", now=LATER)
    a, b = _row(teams, "team_id", small.team_a), _row(teams, "team_id", small.team_b)
    assert a["agents"] == 2 and a["chats_handled"] == 4 and a["scheduled"] == 4
    assert a["first_response_median_s"] == 60 and a["first_response_p90_s"] == 100
    assert b["chats_handled"] == 1 and b["first_response_median_s"] == 5
    dept = metrics.compute(small.engine, Scope(None), *MARCH, now=LATER).iloc[0]
    # 5, 30, 60, 100: median is the 2nd value, p90 the 4th
    assert dept["first_response_median_s"] == 30 and dept["first_response_p90_s"] == 100
    assert dept["chats_handled"] == 5
    # a team's work accuracy: one error over four rostered days
    assert a["work_accuracy_pct"] == pytest.approx(75.0)


def test_by_day_and_by_month(small):
    days = metrics.compute(small.engine, Scope((small.team_a,)), *MARCH, by="day", now=LATER)
    assert len(days) == 31
    assert _row(days, "day", D1)["chats_handled"] == 2 and _row(days, "day", D2)["chats_handled"] == 2
    assert _row(days, "day", date(2026, 3, 4))["chats_handled"] == 0
    months = metrics.compute(small.engine, Scope(None), date(2026, 1, 1), date(2026, 3, 31), by="month", now=LATER)
    assert list(months["month"]) == ["2026-03"]


def test_qa_points_come_from_the_qa_area(small):
    from lib.qa import points

    qa = points.agent_month(small.engine, "2026-03", [small.alice, small.bob])
    df = metrics.compute(small.engine, Scope((small.team_a,)), *MARCH, by="agent", now=LATER)
    for aid in (small.alice, small.bob):
        assert _row(df, "agent_id", aid)["qa_monthly_points"] == float(_row(qa, "agent_id", aid)["points"])
    team = metrics.compute(small.engine, Scope((small.team_a,)), *MARCH, now=LATER).iloc[0]
    assert team["qa_monthly_points"] == pytest.approx(float(qa["points"].mean()))
    # a part of a month has no monthly score
    part = metrics.compute(small.engine, Scope((small.team_a,)), D1, D2, now=LATER).iloc[0]
    assert math.isnan(part["qa_monthly_points"])


def test_points_at_risk(small):
    r = metrics.points_at_risk(small.engine, Scope(None, (small.alice,)), "2026-03")
    assert r["earned"] + r["lost"] + r["at_risk"] == r["working_days"]
    assert r["best"] == r["earned"] + r["at_risk"]


def test_targets_pro_rata_and_direction():
    targets = {"chats_handled": 520, "first_response_median_s": 20, "qa_monthly_points": 26}
    k = KPI_BY_KEY["chats_handled"]
    assert target_for(k, targets, agent_days=13, days_per_month=26) == 260
    assert target_for(k, targets, agent_days=0) is None
    assert target_for(KPI_BY_KEY["qa_monthly_points"], targets, working_days=22) == 22
    assert meets(KPI_BY_KEY["first_response_median_s"], 20, 20) is True
    assert meets(KPI_BY_KEY["first_response_median_s"], 21, 20) is False
    assert meets(k, 300, 260) is True
    assert meets(k, float("nan"), 260) is None


def test_comparison_period():
    assert metrics.comparison_period(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    # a running month compares with the same number of days of the month before
    assert metrics.comparison_period(date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 10)) == \
        (date(2026, 2, 1), date(2026, 2, 10))


def test_percentiles_are_exact_nearest_rank(empty_db):
    """Random first-response histograms: the SQL percentile equals numpy's inverted-CDF (percentile_disc)."""
    rng = random.Random(7)
    with empty_db.begin() as conn:
        d = Dept(conn)
        teams = [d.team(f"T{i}") for i in range(2)]
        agents = [d.agent(teams[i % 2], f"a{i}") for i in range(5)]
        rows, values = [], {t: [] for t in teams}
        for a in agents:
            for day in range(1, 6):
                for secs in rng.sample(range(0, 400), rng.randint(1, 12)):
                    n = rng.randint(1, 5)
                    rows.append({"agent_id": a, "day": date(2026, 5, day), "first_response_s": secs, "chats": n})
                    values[teams[agents.index(a) % 2]].extend([secs] * n)
        conn.execute(insert(FirstResponseHistogram), rows)
    df = metrics.compute(empty_db, Scope(None), date(2026, 5, 1), date(2026, 5, 31), by="team", qa=False)
    for t, vals in values.items():
        r = _row(df, "team_id", t)
        assert r["first_response_median_s"] == np.percentile(vals, 50, method="inverted_cdf")
        assert r["first_response_p90_s"] == np.percentile(vals, 90, method="inverted_cdf")
        if empty_db.dialect.name == "postgresql":
            with empty_db.connect() as conn:
                pg = conn.execute(text(
                    "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY v), "
                    "percentile_disc(0.9) WITHIN GROUP (ORDER BY v) FROM unnest(CAST(:vals AS int[])) AS v"),
                    {"vals": vals}).one()
            assert (r["first_response_median_s"], r["first_response_p90_s"]) == tuple(pg)


def test_qa_bonus_per_team_counts_tiers_means_points_and_sums_deductions():
    from lib.kpis.views import bonus_by_team

    m = pd.DataFrame({
        "agent_id": [1, 2, 3, 4, 5],
        "team_id": [2, 1, 1, 2, 1],
        "team": ["B", "A", "A", "B", "A"],
        "points": [20, 26, None, 18, 24],
        "tier": ["deduct1", "full", None, "no_bonus", "full"],
        "deduction_fen": [10000, 0, None, 50000, 0],
    })
    out = bonus_by_team(m)
    assert list(out["team"]) == ["A", "B"]  # team order, not first appearance
    a, b = out.iloc[0], out.iloc[1]
    assert a["agents"] == 3 and a["points_mean"] == pytest.approx(25.0)  # the agent without points is left out
    assert (a["full"], a["tier1"], a["tier2"], a["no_bonus"]) == (2, 0, 0, 0) and a["deduction_yuan"] == 0.0
    assert b["agents"] == 2 and b["points_mean"] == pytest.approx(19.0)
    assert (b["full"], b["tier1"], b["no_bonus"]) == (0, 1, 1) and b["deduction_yuan"] == pytest.approx(600.0)
    assert bonus_by_team(m.iloc[0:0]).empty
