"""The monthly complaint report (《客户投诉情况及处理月报》) and the timeliness figures the KPIs use.

Everything is aggregated in SQL (GROUP BY over the month's rows, one small result per
dimension); the small results are sorted in Python. Months are calendar months in the
bank's time zone. Scoped to the viewer like every complaint query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, select, union_all

from db.models import Agent, Complaint, Product, User
from lib import settings as settings_mod
from lib.auth import CurrentUser
from lib.calendar import to_local, to_utc
from lib.complaints import rollup, scope
from lib.i18n import current_language

C = Complaint.__table__.c
DIMENSIONS = ("channel", "category", "cause_code", "product", "dept_at_fault", "handler")


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a 'YYYY-MM' month in the bank's zone, as naive UTC."""
    y, m = (int(x) for x in month.split("-"))
    start = date(y, m, 1)
    end = date(y + (m == 12), m % 12 + 1, 1)
    return to_utc(datetime.combine(start, time()), tz), to_utc(datetime.combine(end, time()), tz)


def previous_months(month: str, n: int) -> list[str]:
    y, m = (int(x) for x in month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def _measures(c=C):
    """The figures every breakdown shows (SQL aggregates over the columns ``c``: the complaints
    table, or a subquery that carries the same column names)."""
    C = c  # noqa: N806 - the same expressions over another column set
    one = literal(1)
    return [
        func.count().label("complaints"),
        func.sum(case((C.replied_at.is_not(None), one), else_=0)).label("replied"),
        func.sum(case((C.reply_on_time.is_(True), one), else_=0)).label("replied_24h"),
        func.sum(case((C.followed_up_at.is_not(None), one), else_=0)).label("followed_up"),
        func.sum(case((C.follow_up_on_time.is_(True), one), else_=0)).label("followed_up_3d"),
        func.sum(case((C.follow_up_outcome == "satisfied", one), else_=0)).label("satisfied"),
        func.sum(case((C.follow_up_outcome.in_(("satisfied", "not_satisfied")), one), else_=0)).label("reached"),
        func.sum(case((C.repeat_of_id.is_not(None), one), else_=0)).label("repeats"),
        func.sum(case((C.regulator_referral.is_(True), one), else_=0)).label("regulator"),
        func.sum(case((C.media_risk.is_(True), one), else_=0)).label("media"),
        func.sum(case((C.escalation_level > 0, one), else_=0)).label("escalated"),
        func.sum(case((C.closed_at.is_not(None), one), else_=0)).label("closed"),
    ]


MEASURES = ["complaints", "replied", "replied_24h", "followed_up", "followed_up_3d", "satisfied", "reached",
            "repeats", "regulator", "media", "escalated", "closed"]


def _with_shares(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in MEASURES:
        if c in df:
            df[c] = df[c].fillna(0).astype(int)

    def share(a, b):
        return (df[a] / df[b].where(df[b] > 0)).round(4)

    df["replied_24h_share"] = share("replied_24h", "complaints")
    df["followed_up_3d_share"] = share("followed_up_3d", "replied")
    df["satisfaction"] = share("satisfied", "reached")
    return df


@dataclass
class MonthlyReport:
    month: str
    summary: dict
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    trend: pd.DataFrame | None = None
    top_causes: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report as named tables (for downloads and ``python -m db export complaints-month``)."""
        out = {"summary": pd.DataFrame([self.summary])}
        out.update({f"by_{k}": v for k, v in self.breakdowns.items()})
        out["trend"] = self.trend
        out["top_causes"] = self.top_causes
        return out


def _dim_column(dim: str):
    lang = current_language()
    if dim == "product":
        name = Product.name_zh if lang == "zh" else Product.name_en
        return func.coalesce(name, C.product_text)
    if dim == "handler":
        return User.display_name
    return getattr(C, dim)


def _base(dim: str | None):
    j = Complaint.__table__
    if dim == "product":
        j = j.outerjoin(Product, Product.id == C.product_id)
    elif dim == "handler":
        j = j.outerjoin(User, User.id == C.assigned_to)
    return j


def _breakdowns(engine: Engine, user: CurrentUser, start: datetime, end: datetime) -> dict[str, pd.DataFrame]:
    """Every breakdown of the month in one statement over the raw rows: the month's rows in scope are
    read once (a CTE used by each GROUP BY). The report reads the rollup instead (``_breakdowns_rollup``);
    this is the reference it is tested against."""
    cols = [_dim_column(d).label(d) for d in DIMENSIONS]
    cols += [C.replied_at, C.reply_on_time, C.followed_up_at, C.follow_up_on_time, C.follow_up_outcome,
             C.repeat_of_id, C.regulator_referral, C.media_risk, C.escalation_level, C.closed_at]
    j = (Complaint.__table__.outerjoin(Product, Product.id == C.product_id)
         .outerjoin(User, User.id == C.assigned_to))
    month = select(*cols).select_from(j).where(C.accepted_at >= start, C.accepted_at < end,
                                               scope.clause(user)).cte("month_rows")
    parts = [select(literal(d).label("dim"), month.c[d].label("value"), *_measures(month.c)).group_by(month.c[d])
             for d in DIMENSIONS]
    with engine.connect() as conn:
        rows = conn.execute(union_all(*parts)).mappings().all()
    return _breakdown_frames(rows)


def _breakdowns_rollup(engine: Engine, user: CurrentUser, month: str) -> dict[str, pd.DataFrame]:
    """The breakdowns from the rollup: the month's rows in scope, each dimension's values resolved to
    today's product and handler names, summed per displayed value (as the raw GROUP BY does)."""
    R = rollup.RC  # noqa: N806
    lang = current_language()
    pname = Product.name_zh if lang == "zh" else Product.name_en
    value = case((R.dim == "product", func.coalesce(pname, R.value)),
                 (R.dim == "handler", User.display_name), else_=R.value).label("value")
    j = (rollup.R.outerjoin(Product, and_(R.dim == "product", Product.id == R.ref_id))
         .outerjoin(User, and_(R.dim == "handler", User.id == R.ref_id)))
    q = (select(R.dim, value, *rollup.sums()).select_from(j)
         .where(R.month == month, R.dim.in_(DIMENSIONS), rollup.scope_clause(user))
         .group_by(R.dim, value))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return _breakdown_frames(rows)


def _breakdown_frames(rows) -> dict[str, pd.DataFrame]:
    every = _with_shares(pd.DataFrame(rows, columns=["dim", "value", *MEASURES]))
    every["value"] = every["value"].fillna("—")
    out = {}
    for dim, df in every.groupby("dim", sort=False):
        total = df["complaints"].sum()
        df = df.drop(columns=["dim"]).assign(share=(df["complaints"] / total).round(4) if total else 0.0)
        out[dim] = df.sort_values(["complaints", "value"], ascending=[False, True]).reset_index(drop=True)
    empty = every.drop(columns=["dim"]).iloc[0:0].assign(share=pd.Series(dtype=float))
    return {d: out.get(d, empty.copy()) for d in DIMENSIONS}


def _trend(engine: Engine, user: CurrentUser, months: list[str], tz: str) -> pd.DataFrame:
    """Totals per month for ``months`` (oldest first) over the raw rows in one round trip (the reference
    for ``_trend_rollup``); a month without complaints has zero counts and empty shares."""
    parts = []
    for m in months:
        start, end = month_bounds(m, tz)
        parts.append(select(literal(m).label("month"), *_measures())
                     .where(C.accepted_at >= start, C.accepted_at < end, scope.clause(user)))
    with engine.connect() as conn:
        rows = conn.execute(union_all(*parts)).mappings().all()
    return _trend_frame(rows, months)


def _trend_rollup(engine: Engine, user: CurrentUser, months: list[str]) -> pd.DataFrame:
    R = rollup.RC  # noqa: N806
    q = (select(R.month, *rollup.sums())
         .where(R.month.in_(months), R.dim == rollup.TOTAL, rollup.scope_clause(user)).group_by(R.month))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return _trend_frame(rows, months)


def _trend_frame(rows, months: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["month", *MEASURES]).set_index("month").reindex(months).reset_index()
    df[MEASURES] = df[MEASURES].fillna(0)
    return _with_shares(df)


def _as_summary(row: pd.Series) -> dict:
    return {k: (None if pd.isna(v) else (int(v) if k in MEASURES else float(v)))
            for k, v in row.items() if k != "month"}


def monthly_report(engine: Engine, user: CurrentUser, month: str, *, trend_months: int = 6,
                   raw: bool = False) -> MonthlyReport:
    """The report from the rollup (``raw=True``: from the complaints themselves, the reference)."""
    tz = settings_mod.load(engine)["ui.timezone"]
    start, end = month_bounds(month, tz)
    months = previous_months(month, trend_months)  # oldest first, ``month`` last
    if raw:
        tdf = _trend(engine, user, months, tz)
        breakdowns = _breakdowns(engine, user, start, end)
    else:
        rollup.ensure_months(engine, months, tz)
        tdf = _trend_rollup(engine, user, months)
        breakdowns = _breakdowns_rollup(engine, user, month)
    rep = MonthlyReport(month, {"month": month, **_as_summary(tdf.iloc[-1])})
    rep.breakdowns = breakdowns
    tdf["change"] = tdf["complaints"].diff()
    tdf["change_pct"] = tdf["complaints"].pct_change().replace([float("inf")], float("nan")).round(4)
    rep.trend = tdf
    causes = rep.breakdowns["cause_code"]
    rep.top_causes = causes[["value", "complaints", "share", "replied_24h_share"]].head(5).reset_index(drop=True)
    return rep


def drilldown(engine: Engine, user: CurrentUser, month: str, dim: str | None = None, value: str | None = None, *,
              flag: str | None = None, after_id: int | None = None, limit: int = 50) -> pd.DataFrame:
    """The complaints behind one figure of the report (keyset-paged by id, masked per viewer)."""
    tz = settings_mod.load(engine)["ui.timezone"]
    start, end = month_bounds(month, tz)
    conds = [C.accepted_at >= start, C.accepted_at < end, scope.clause(user)]
    if dim:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}")
        col = _dim_column(dim)
        conds.append(col.is_(None) if value in (None, "—") else col == value)
    flags = {"repeats": C.repeat_of_id.is_not(None), "regulator": C.regulator_referral.is_(True),
             "media": C.media_risk.is_(True), "late_reply": C.reply_on_time.is_(False),
             "late_follow_up": C.follow_up_on_time.is_(False), "not_satisfied": C.follow_up_outcome == "not_satisfied",
             "escalated": C.escalation_level > 0}
    if flag:
        conds.append(flags[flag])
    if after_id is not None:
        conds.append(C.id > after_id)
    q = (select(C.id, C.ref_no, C.accepted_at, C.channel, C.category, C.cause_code, C.status, C.client_name,
                C.reply_on_time, C.follow_up_outcome, C.narrative, User.display_name.label("handler"))
         .select_from(_base(dim if dim == "product" else None).outerjoin(User, User.id == C.assigned_to))
         .where(*conds).order_by(C.id).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    df = pd.DataFrame(rows, columns=["id", "ref_no", "accepted_at", "channel", "category", "cause_code", "status",
                                     "client_name", "reply_on_time", "follow_up_outcome", "narrative", "handler"])
    if len(df):
        df["accepted_at"] = df["accepted_at"].map(lambda x: to_local(x, tz))
        df["narrative"] = df["narrative"].map(lambda x: scope.mask(user, x))
    return df


def timeliness(engine: Engine, start: date, end: date, team_ids=None, by: str = "agent") -> pd.DataFrame:
    """Complaint timeliness per agent (or handler) for complaints accepted from ``start`` to ``end``
    (inclusive local dates) — for the KPI area.

    ``by="agent"``: the agent the complaint is about (complaints against the agent, §4), with
    the agent's team; ``by="handler"``: the complaint handler who worked it. ``team_ids`` limits
    to those teams. Columns: key (agent_id or user_id), team_id, complaints, replied,
    replied_on_time, follow_ups_due, follow_ups_done, follow_ups_on_time, satisfied, not_satisfied,
    unreachable.
    """
    tz = settings_mod.load(engine)["ui.timezone"]
    s = to_utc(datetime.combine(start, time()), tz)
    e = to_utc(datetime.combine(date.fromordinal(end.toordinal() + 1), time()), tz)
    one = literal(1)
    if by == "agent":
        key, team_col = C.subject_agent_id.label("agent_id"), Agent.team_id
        j = Complaint.__table__.join(Agent, Agent.id == C.subject_agent_id)
    elif by == "handler":
        key, team_col = C.assigned_to.label("user_id"), User.team_id
        j = Complaint.__table__.join(User, User.id == C.assigned_to)
    else:
        raise ValueError("by is 'agent' or 'handler'")
    conds = [C.accepted_at >= s, C.accepted_at < e]
    team = team_col.label("team_id")
    if team_ids is not None:
        conds.append(team_col.in_(list(team_ids)))
    q = (select(key, team, func.count().label("complaints"),
                func.sum(case((C.replied_at.is_not(None), one), else_=0)).label("replied"),
                func.sum(case((C.reply_on_time.is_(True), one), else_=0)).label("replied_on_time"),
                func.sum(case((C.follow_up_due_at.is_not(None), one),
                              else_=case((C.followed_up_at.is_not(None), one), else_=0))).label("follow_ups_due"),
                func.sum(case((C.followed_up_at.is_not(None), one), else_=0)).label("follow_ups_done"),
                func.sum(case((C.follow_up_on_time.is_(True), one), else_=0)).label("follow_ups_on_time"),
                func.sum(case((C.follow_up_outcome == "satisfied", one), else_=0)).label("satisfied"),
                func.sum(case((C.follow_up_outcome == "not_satisfied", one), else_=0)).label("not_satisfied"),
                func.sum(case((C.follow_up_outcome == "unreachable", one), else_=0)).label("unreachable"))
         .select_from(j).where(*conds).group_by(key, team))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    cols = [key.name, "team_id", "complaints", "replied", "replied_on_time", "follow_ups_due", "follow_ups_done",
            "follow_ups_on_time", "satisfied", "not_satisfied", "unreachable"]
    df = pd.DataFrame(rows, columns=cols)
    for c in cols[2:]:
        df[c] = df[c].fillna(0).astype(int)
    return df.sort_values(cols[:2]).reset_index(drop=True)
