"""The one computation of every KPI: SQL sums over the rollups, finished by the catalogue's formulas.

``compute(engine, scope, start, end, by=...)`` returns one row per group
(the whole scope, each agent, team, day or month) with the summed rollup
counts and one column per KPI of ``lib.kpis.catalog.KPIS``. Every page,
download and export calls it; nothing else computes a KPI.

First-response median and 90th percentile are exact: the rollup keeps, per
agent and day, how many chats had each first-response time in whole seconds;
a percentile of any scope is the smallest time whose cumulative count reaches
the share (the nearest-rank definition, i.e. PostgreSQL's percentile_disc),
computed with window functions on both backends.
"""
# SQL here is assembled from fixed fragments of this module (column names, dialect helpers);
# every value, including the viewer's scope, is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from lib.kpis.catalog import KPI_BY_KEY, KPIS, target_for
from lib.kpis.rollups import COUNTS
from lib.kpis.scope import Scope, agents_in
from lib.kpis.sql import month_of, q

BY = (None, "agent", "team", "day", "month")


def month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def previous_month(month: str) -> str:
    start, _ = month_bounds(month)
    prev = start - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def comparison_period(start: date, end: date, as_of: date | None = None) -> tuple[date, date]:
    """The period to compare with: the previous calendar month, cut to the same number of days when
    ``start``..``end`` is a month still running on ``as_of``."""
    prev_end = start - timedelta(days=1)
    prev_start = prev_end.replace(day=1)
    if as_of is not None and start <= as_of < end:
        elapsed = (as_of - start).days
        prev_end = min(prev_end, prev_start + timedelta(days=elapsed))
    return prev_start, prev_end


def _group_expr(conn, by: str | None, day_col: str) -> str:
    return {None: "", "agent": "a.id", "team": "a.team_id", "day": day_col,
            "month": month_of(conn, day_col)}[by]


def _sums(conn, scope: Scope, start: date, end: date, by: str | None) -> list:
    cond, params = scope.where()
    g = _group_expr(conn, by, "r.day")
    cols = ", ".join(f"SUM(r.{c}) AS {c}" for c in COUNTS)
    return conn.execute(q(f"""
        SELECT {g or '0'} AS g, {cols} FROM rollup_agent_day r JOIN agents a ON a.id = r.agent_id
        WHERE r.day >= :start AND r.day <= :end AND {cond}{f' GROUP BY {g}' if g else ''}""", expanding=scope.expanding),
        params | {"start": start, "end": end}).all()


def _percentiles(conn, scope: Scope, start: date, end: date, by: str | None) -> list:
    """(group, first-response median, 90th percentile) rows."""
    cond, params = scope.where()
    g = _group_expr(conn, by, "h.day")
    return conn.execute(q(f"""
        WITH s AS (
            SELECT {g or '0'} AS g, h.first_response_s AS secs, SUM(h.chats) AS n
            FROM rollup_frt_agent_day h JOIN agents a ON a.id = h.agent_id
            WHERE h.day >= :start AND h.day <= :end AND {cond}
            GROUP BY {g + ', ' if g else ''}h.first_response_s
        ), c AS (
            SELECT g, secs,
                   SUM(n) OVER (PARTITION BY g ORDER BY secs ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
                   SUM(n) OVER (PARTITION BY g) AS tot
            FROM s
        )
        SELECT g, MIN(CASE WHEN cum * 100 >= tot * 50 THEN secs END) AS first_response_median_s,
                  MIN(CASE WHEN cum * 100 >= tot * 90 THEN secs END) AS first_response_p90_s
        FROM c GROUP BY g""", expanding=scope.expanding), params | {"start": start, "end": end}).all()


def _overdue(conn, scope: Scope, start: date, end: date, by: str | None, now: datetime) -> list:
    """(group, replies overdue, follow-ups overdue) rows: still open with the deadline passed by ``now``
    (they count as missed)."""
    cond, params = scope.where()
    g = _group_expr(conn, by, "k.day")
    return conn.execute(q(f"""
        SELECT {g or '0'} AS g,
               SUM(CASE WHEN k.reply_state = 'open' AND k.reply_due_at < :now THEN 1 ELSE 0 END) AS reply_overdue,
               SUM(CASE WHEN k.fu_state = 'open' AND k.follow_up_due_at < :now THEN 1 ELSE 0 END) AS fu_overdue
        FROM kpi_complaint_facts k JOIN agents a ON a.id = k.agent_id
        WHERE k.day >= :start AND k.day <= :end AND (k.reply_state = 'open' OR k.fu_state = 'open') AND {cond}
        {f'GROUP BY {g}' if g else ''}""", expanding=scope.expanding),
        params | {"start": start, "end": end, "now": now}).all()


def _norm_key(v, by):
    if by == "day" and v is not None and not isinstance(v, date):
        return date.fromisoformat(str(v)[:10])
    if by in ("agent", "team", None) and v is not None:
        return int(v)
    return v


def _div(num, den, scale: float = 1.0):
    num = pd.to_numeric(np.asarray(num, dtype=object), errors="coerce").astype(float)
    den = pd.to_numeric(np.asarray(den, dtype=object), errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num * scale / np.where(den > 0, den, 1.0), np.nan)
    return out


def _kpi_columns(c: dict, n: int) -> dict[str, np.ndarray]:
    """The catalogue's formulas (in one place) on column arrays: one float array per KPI."""
    def num(k):
        return pd.to_numeric(np.asarray(c[k], dtype=object), errors="coerce").astype(float) if k in c else \
            np.full(n, np.nan)

    new = {
        "chats_handled": num("chats"),
        "replies_within_limit_pct": _div(c["replies_within"], c["replies_timed"], 100),
        "unqualified_rate_pct": _div(c["unqualified"], c["reviews"], 100),
        "complaints_against": num("complaints"),
        "complaints_replied_24h_pct": _div(c["reply_on_time"], num("reply_on_time") + num("reply_late")
                                           + num("reply_overdue"), 100),
        "follow_ups_3d_pct": _div(c["fu_on_time"], num("fu_on_time") + num("fu_late") + num("fu_overdue"), 100),
        "follow_up_satisfaction_pct": _div(c["fu_satisfied"], c["fu_reached"], 100),
        "contacts_per_resolution": _div(c["tracked_chats"], c["resolving_chats"]),
        "survey_satisfaction": _div(c["survey_score_sum"], c["surveys_answered"]),
        "work_accuracy_pct": np.clip(100.0 - _div(c["work_errors"], c["scheduled"], 100), 0, 100),
    }
    for k in ("first_response_median_s", "first_response_p90_s", "qa_monthly_points"):
        new[k] = num(k)
    return new


def finish(df: pd.DataFrame) -> pd.DataFrame:
    """Add one column per KPI to a frame of summed counts (``_kpi_columns``), replacing any already there."""
    new = _kpi_columns({k: df[k].to_numpy() for k in df.columns}, len(df))
    kept = df.drop(columns=[k for k in new if k in df.columns])
    return pd.concat([kept, pd.DataFrame(new, index=df.index)], axis=1)


_FILLED = (*COUNTS, "reply_overdue", "fu_overdue")


def compute(engine: Engine, scope: Scope, start: date, end: date, by: str | None = None, *,
            now: datetime | None = None, qa: bool = True, qa_month_fn=None, qa_days_fn=None) -> pd.DataFrame:
    """Every KPI of ``scope`` over ``start``..``end`` (inclusive), per ``by`` group.

    ``by``: None (one row), "agent", "team", "day" or "month". Agents, teams and
    days without any record appear with zero counts (and empty rates).
    The QA monthly score is filled for whole calendar months (from lib.qa.points).
    ``qa_month_fn(scope, month)`` / ``qa_days_fn(scope, start, end)`` replace ``qa_month`` / ``qa_days``
    (the pages pass cached ones, so that every grouping of a page shares one QA month).

    The three result sets are joined on their group key in plain Python and the frame is built once:
    a few dozen groups at most, where pandas merges and per-column conversions cost ~15 ms a call.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {BY}")
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.connect() as conn:
        sums = {_norm_key(r[0], by): r[1:] for r in _sums(conn, scope, start, end, by)}
        pct = {_norm_key(r[0], by): r[1:] for r in _percentiles(conn, scope, start, end, by)}
        over = {_norm_key(r[0], by): r[1:] for r in _overdue(conn, scope, start, end, by, now)}
    # every member of the group appears, even without records
    if by == "agent":
        head = agents_in(engine, scope)
        keys = [int(a) for a in head["agent_id"]]
    elif by == "team":
        members = agents_in(engine, scope)
        head = members.groupby(["team_id", "team"], as_index=False).agg(agents=("agent_id", "count"))
        keys = [int(x) for x in head["team_id"]]
    elif by == "day":
        keys = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        head = pd.DataFrame({"day": pd.Series(keys, dtype=object)})
    elif by == "month":
        keys = sorted(set(sums) | set(pct) | set(over))
        head = pd.DataFrame({"month": pd.Series(keys, dtype="str")})
    else:
        keys, head = [0], pd.DataFrame(index=range(1))
    n = len(keys)
    none3 = (None, None)
    zero = (None,) * len(COUNTS)
    cols: dict[str, np.ndarray] = {}
    srows = [sums.get(k, zero) for k in keys]
    for i, c in enumerate(COUNTS):
        cols[c] = np.array([r[i] or 0 for r in srows], dtype=np.int64)
    orows = [over.get(k, none3) for k in keys]
    cols["reply_overdue"] = np.array([r[0] or 0 for r in orows], dtype=np.int64)
    cols["fu_overdue"] = np.array([r[1] or 0 for r in orows], dtype=np.int64)
    prows = [pct.get(k, none3) for k in keys]
    cols["first_response_median_s"] = np.array([np.nan if r[0] is None else float(r[0]) for r in prows], dtype=float)
    cols["first_response_p90_s"] = np.array([np.nan if r[1] is None else float(r[1]) for r in prows], dtype=float)
    kpi = _kpi_columns(cols, n)
    if qa:
        _add_qa(engine, scope, start, end, by, keys, head, kpi, qa_month_fn or (lambda sc, m: qa_month(engine, sc, m)),
                qa_days_fn or (lambda sc, a, b: qa_days(engine, sc, a, b)))
    body = pd.DataFrame({c: cols[c] for c in _FILLED} | kpi, index=pd.RangeIndex(n))
    return pd.concat([head.reset_index(drop=True), body], axis=1) if len(head.columns) else body


# --- QA points (lib.qa.points, by the QA area: the §3 rules live there) -------------------------

def qa_module():
    """lib.qa.points when the QA area provides it, else None (the QA figures then show as empty)."""
    try:
        from lib.qa import points
    except ImportError:
        return None
    return points if hasattr(points, "agent_month") else None


def whole_month(start: date, end: date) -> str | None:
    if start.day == 1 and end == month_bounds(f"{start.year:04d}-{start.month:02d}")[1]:
        return f"{start.year:04d}-{start.month:02d}"
    return None


def qa_month(engine: Engine, scope: Scope, month: str) -> pd.DataFrame:
    """The QA month of the scope's agents (lib.qa.points.agent_month), with names and teams."""
    cols = ["agent_id", "working_days", "points", "days_without_sample", "reviews", "unqualified", "tier",
            "deduction_fen", "no_bonus"]
    members = agents_in(engine, scope)
    mod = qa_module()
    if mod is None or members.empty:
        out = pd.DataFrame(columns=cols)
    else:
        out = mod.agent_month(engine, month, agent_ids=[int(a) for a in members["agent_id"]])
        out = out[out["agent_id"].isin(members["agent_id"])] if len(out) else pd.DataFrame(columns=cols)
    return members.merge(out, on="agent_id", how="left")


def qa_days(engine: Engine, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Daily QA points of the scope's agents (lib.qa.points.agent_days)."""
    cols = ["agent_id", "work_date", "reviews", "unqualified", "point"]
    members = agents_in(engine, scope)
    mod = qa_module()
    if mod is None or members.empty or not hasattr(mod, "agent_days"):
        return pd.DataFrame(columns=cols)
    out = mod.agent_days(engine, [int(a) for a in members["agent_id"]], start, end)
    return out[out["agent_id"].isin(members["agent_id"])].reset_index(drop=True) if len(out) else \
        pd.DataFrame(columns=cols)


def _mean(values) -> float:
    """The mean of the numbers among ``values`` (None and NaN skipped); NaN when there are none."""
    nums = [float(v) for v in values if v is not None and not pd.isna(v)]
    return sum(nums) / len(nums) if nums else np.nan


def _points_by(m: pd.DataFrame, key: str) -> dict:
    """Each ``key`` value of a QA month frame -> its agents' values of ``points``."""
    out: dict = {}
    for k, p in zip(m[key], pd.to_numeric(m["points"], errors="coerce"), strict=True):
        out.setdefault(int(k), []).append(p)
    return out


def _add_qa(engine: Engine, scope: Scope, start: date, end: date, by: str | None, keys: list, head: pd.DataFrame,
            kpi: dict, month_fn, days_fn) -> None:
    """Fill ``kpi["qa_monthly_points"]`` for the groups ``keys``: the monthly points of whole months (the
    agent's, or the mean of the group's agents), or per day the mean daily point."""
    if qa_module() is None:
        return
    if by in (None, "agent", "team"):
        month = whole_month(start, end)
        if month is None:
            return
        m = month_fn(scope, month)
        if by is None:
            vals = [_mean(pd.to_numeric(m["points"], errors="coerce"))]
        else:
            per = _points_by(m, "agent_id" if by == "agent" else "team_id")
            vals = [_mean(per.get(k, ())) for k in keys]
    elif by == "month":
        vals = [_mean(pd.to_numeric(month_fn(scope, month)["points"], errors="coerce")) for month in keys]
    elif by == "day":
        d = days_fn(scope, start, end)
        if not len(d):
            return
        per: dict = {}
        for day, point in zip(d["work_date"], d["point"], strict=True):
            per.setdefault(_norm_key(day, "day"), []).append(point)
        vals = [_mean(per.get(k, ())) for k in keys]  # the day's mean daily point
    else:
        return
    kpi["qa_monthly_points"] = np.array(vals, dtype=float)


def targets_for(engine: Engine, df: pd.DataFrame, *, working_days: int | None = None) -> dict[str, pd.Series]:
    """Per KPI, the target of each row of a ``compute`` frame (counts pro rata to rostered agent-days)."""
    from lib import settings as settings_mod

    s = settings_mod.load(engine)
    targets, per_month = s["kpi.targets"], int(s["qa.working_days_default"])
    days = [float(r) for r in df["scheduled"].tolist()]
    # one Series per KPI from a float array (None -> NaN): building each from a list of objects and
    # iterating the pandas column again per KPI cost ~10 ms a call, on every run of a KPI page
    return {k.key: pd.Series(np.array([target_for(k, targets, agent_days=d, days_per_month=per_month,
                                                  working_days=working_days) for d in days], dtype=float),
                             index=df.index)
            for k in KPIS}


def kpi(key: str):
    return KPI_BY_KEY[key]


def points_at_risk(engine: Engine, scope: Scope, month: str, *, qa_month_fn=None, qa_days_fn=None) -> dict | None:
    """For one agent's month: points earned, lost, still at risk, the best case and how many more
    points can be lost before a bonus deduction (the tiers are lib.qa.rules.bonus_tier's)."""
    mod = qa_module()
    if mod is None:
        return None
    from lib import settings as settings_mod
    from lib.qa.rules import bonus_tier

    start, end = month_bounds(month)
    days = (qa_days_fn or (lambda sc, a, b: qa_days(engine, sc, a, b)))(scope, start, end)
    m = (qa_month_fn or (lambda sc, mo: qa_month(engine, sc, mo)))(scope, month)
    working_days = int(m["working_days"].iloc[0]) if len(m) and pd.notna(m["working_days"].iloc[0]) else len(days)
    pts = [p for p in days["point"]] if len(days) else []
    earned = sum(1 for p in pts if p is not None and not pd.isna(p) and int(p) == 1)
    lost = sum(1 for p in pts if p is not None and not pd.isna(p) and int(p) == 0)
    at_risk = max(working_days - earned - lost, 0)
    best = earned + at_risk
    s = settings_mod.load(engine)
    deducting = {"deduct1", "deduct2", "no_bonus"}
    margin = None
    if bonus_tier(best, working_days, s).tier in deducting:
        margin = -1
    else:
        margin = 0
        while margin < at_risk and bonus_tier(best - margin - 1, working_days, s).tier not in deducting:
            margin += 1
    return {"working_days": working_days, "earned": earned, "lost": lost, "at_risk": at_risk, "best": best,
            "margin": margin, "tier_best": bonus_tier(best, working_days, s).tier, "days": days}
