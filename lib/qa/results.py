"""Results for team leads, QA, the manager — and each agent for themself: per agent and team,
by day and month; points, unqualified rate, the criteria that fail most, automatic-check hit
rates, disputes. Every query takes the viewer and limits rows to the viewer's scope."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from db.models import Agent, Dispute, Review, Team
from lib.qa import points, rollup
from lib.qa.common import month_bounds, restrict, scope_agent_ids

AGENT_COLUMNS = ["agent_id", "employee_no", "agent", "team", "working_days", "points", "days_without_sample",
                 "reviews", "unqualified", "unqualified_rate", "tier", "deduction_yuan", "no_bonus", "disputes"]


def _agents(conn, ids) -> pd.DataFrame:
    rows = conn.execute(select(Agent.id.label("agent_id"), Agent.employee_no, Agent.name.label("agent"),
                               Team.name.label("team"), Team.id.label("team_id"))
                        .join(Team, Team.id == Agent.team_id).where(Agent.id.in_(ids))).mappings().all()
    return pd.DataFrame(rows, columns=["agent_id", "employee_no", "agent", "team", "team_id"])


def month_table(engine: Engine, viewer, month: str) -> pd.DataFrame:
    """One row per agent in scope: the month's points, tier and deduction, unqualified rate, disputes."""
    scope = scope_agent_ids(engine, viewer)
    df = points.agent_month(engine, month, scope if scope is not None else None)
    if scope is not None and df.empty is False:
        df = df[df["reviews"] > 0] if "agent" not in viewer.roles or viewer.agent_id is None else df
    if df.empty:
        return pd.DataFrame(columns=AGENT_COLUMNS + ["team_id"])
    start, end = month_bounds(month)
    with engine.connect() as conn:
        names = _agents(conn, [int(a) for a in df["agent_id"]])
        disp = dict(conn.execute(select(Dispute.agent_id, func.count()).join(Review, Review.id == Dispute.review_id)
                                 .where(Review.work_date >= start, Review.work_date < end,
                                        restrict(Dispute.agent_id, scope))
                                 .group_by(Dispute.agent_id)).all())
    out = df.merge(names, on="agent_id", how="left")
    out["unqualified_rate"] = (out["unqualified"] / out["reviews"].where(out["reviews"] > 0)).fillna(0.0)
    out["deduction_yuan"] = out["deduction_fen"] / 100
    out["disputes"] = out["agent_id"].map(lambda a: int(disp.get(int(a), 0)))
    return out[AGENT_COLUMNS + ["team_id"]].sort_values(["team", "employee_no"]).reset_index(drop=True)


def team_table(agent_table: pd.DataFrame) -> pd.DataFrame:
    """Per team from the agent rows: agents, average points, unqualified rate, tiers, deductions."""
    if agent_table.empty:
        return pd.DataFrame(columns=["team", "agents", "avg_points", "unqualified_rate", "full", "deducted",
                                     "no_bonus", "deduction_yuan"])
    g = agent_table.groupby("team")
    return pd.DataFrame({
        "agents": g.size(),
        "avg_points": g["points"].mean().round(1),
        "unqualified_rate": (g["unqualified"].sum() / g["reviews"].sum().where(g["reviews"].sum() > 0)).fillna(0.0),
        "full": g["tier"].apply(lambda s: int((s == "full").sum())),
        "deducted": g["tier"].apply(lambda s: int(s.isin(["deduct1", "deduct2"]).sum())),
        "no_bonus": g["no_bonus"].apply(lambda s: int(s.sum())),
        "deduction_yuan": g["deduction_yuan"].sum(),
    }).reset_index()


def criteria_failures(engine: Engine, viewer, start: date, end: date, lang: str = "zh") -> pd.DataFrame:
    """The criteria that fail most among sampled reviews from ``start`` to ``end`` (included), from the
    per agent-day rollup (lib/qa/rollup.py), which the writers keep exact."""
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        rows = rollup.criteria_rows(conn, scope, start, end, lang)
    df = pd.DataFrame(rows, columns=["code", "criterion", "failed", "rated"])
    if df.empty:
        return df.assign(fail_rate=pd.Series(dtype=float))
    df["failed"] = df["failed"].astype(int)
    df["rated"] = df["rated"].astype(int)
    df["fail_rate"] = (df["failed"] / df["rated"].where(df["rated"] > 0)).fillna(0.0)
    return df.sort_values(["failed", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)


def check_rates(engine: Engine, viewer, start: date, end: date) -> dict:
    """Automatic-check hit rates over the chats in scope from ``start`` to ``end`` (that have a check
    row), from the per agent-day rollup (lib/qa/rollup.py)."""
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        r = rollup.check_counts(conn, scope, start, end)
    n = int(r["chats"] or 0)
    out = {"chats": n, "avg_first_response_s": None if r["avg_first_response_s"] is None
           else float(r["avg_first_response_s"])}
    for k in rollup.RATES:
        out[k] = (int(r[k] or 0) / n) if n else 0.0
    return out


def daily(engine: Engine, viewer, start: date, end: date, agent_id: int | None = None) -> pd.DataFrame:
    """Per day: reviews, unqualified, agents who lost the point (from agent_days), in scope."""
    scope = scope_agent_ids(engine, viewer)
    ids = scope
    if agent_id is not None:
        if scope is not None and agent_id not in scope:
            return pd.DataFrame(columns=["work_date", "reviews", "unqualified", "points", "lost"])
        ids = [agent_id]
    d = points.agent_days(engine, ids, start, end)
    if d.empty:
        return pd.DataFrame(columns=["work_date", "reviews", "unqualified", "points", "lost"])
    d["got"] = d["point"].map(lambda p: 1 if p == 1 else 0)
    d["lost_"] = d["point"].map(lambda p: 1 if p == 0 else 0)
    g = d.groupby("work_date").agg(reviews=("reviews", "sum"), unqualified=("unqualified", "sum"),
                                   points=("got", "sum"), lost=("lost_", "sum")).reset_index()
    return g[g["reviews"] > 0].reset_index(drop=True)


def months_with_data(engine: Engine, today: date, n: int = 7) -> list[str]:
    """The last ``n`` months up to ``today``, newest first."""
    out = []
    d = today.replace(day=1)
    for _ in range(n):
        out.append(d.strftime("%Y-%m"))
        d = (d - timedelta(days=1)).replace(day=1)
    return out


def agent_choices(engine: Engine, viewer) -> list[tuple[int, str]]:
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        rows = conn.execute(select(Agent.id, Agent.employee_no, Agent.name)
                            .join(Team, Team.id == Agent.team_id)
                            .where(and_(restrict(Agent.id, scope), Team.kind == "chat"))
                            .order_by(Agent.employee_no)).all()
    return [(r.id, f"{r.employee_no} {r.name}") for r in rows]


def log_download(engine: Engine, viewer, what: str, month: str) -> None:
    """Audit a download of a QA table (who took which month)."""
    from lib import admin

    admin.log_download(engine, viewer, what, {"month": month})
