"""RM performance against the targets of their grade (settings ``portfolio.targets``, per quarter).

Measures (domain.md §1): deposits (存款, latest month-end incl. settlement),
loans outstanding (贷款), new clients won in the period (客户开发), loan quality
(NPL ratio, a ceiling), interest collected on loans in the period (贷款收息),
fee income in the period (中间业务收入) and visits made in the period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from db.models import Balance, Client, Contact, Holding, Product
from lib import settings as settings_mod
from lib.portfolio import queries, rules
from lib.portfolio.scope import Scope, scope_condition, to_utc

# measure -> (column with the actual value, target key, unit divisor to the target's unit, lower is better)
MEASURES: dict[str, tuple[str, str, float, bool]] = {
    "deposits": ("deposits_fen", "deposits_yuan", rules.FEN_PER_YUAN, False),
    "loans": ("loans_fen", "loans_yuan", rules.FEN_PER_YUAN, False),
    "new_clients": ("new_clients", "new_clients", 1, False),
    "npl_ratio": ("npl_pct", "npl_ratio_max_pct", 1, True),
    "interest": ("interest_collected_fen", "interest_yuan", rules.FEN_PER_YUAN, False),
    "fee": ("fee_fen", "fee_yuan", rules.FEN_PER_YUAN, False),
    "visits": ("visits", "visits", 1, False),
}


def interest_collected(engine: Engine, scope: Scope, a: queries.AsOf, r: queries.Rules | None = None, *,
                       use_rollup: bool | None = None) -> pd.DataFrame:
    """Interest collected on loans per RM in the period (month-end income rows of loan holdings)."""
    B, H, P, C = Balance.__table__, Holding.__table__, Product.__table__, Client.__table__
    with engine.connect() as conn:
        if r is not None and queries._use_rollup(conn, a, r, use_rollup):
            BR = queries.BR
            q = (select(BR.c.rm_id, func.sum(BR.c.loan_interest_fen).label("interest_collected_fen"))
                 .where(*queries.rollup_conditions(BR, scope)).group_by(BR.c.rm_id))
        else:
            q = (
                select(C.c.rm_id, func.sum(B.c.interest_income_fen).label("interest_collected_fen"))
                .select_from(B.join(H, H.c.id == B.c.holding_id).join(P, P.c.id == H.c.product_id)
                             .join(C, C.c.id == B.c.client_id))
                .where(scope_condition(scope, C), P.c.category == "loan", B.c.as_of >= a.period_start,
                       B.c.as_of <= a.today)
                .group_by(C.c.rm_id)
            )
        rows = conn.execute(q).all()
    return pd.DataFrame(rows, columns=["rm_id", "interest_collected_fen"])


def visits_made(engine: Engine, scope: Scope, a: queries.AsOf) -> pd.DataFrame:
    """Visits (incl. surprise visits) per RM in the period, on the RM's own clients."""
    CT, C = Contact.__table__, Client.__table__
    tz = settings_mod.load(engine)["ui.timezone"]
    start = to_utc(datetime.combine(a.period_start, datetime.min.time()), tz)
    end = to_utc(datetime.combine(a.today + timedelta(days=1), datetime.min.time()), tz)
    q = (
        select(CT.c.rm_id, func.count().label("visits"))
        .where(CT.c.kind == "visit", CT.c.occurred_at >= start, CT.c.occurred_at < end)
        .group_by(CT.c.rm_id)
    )
    if not scope.all_books:
        # an RM: only visits to clients of their own book (every book: the index alone answers)
        q = q.select_from(CT.join(C, C.c.id == CT.c.client_id)).where(scope_condition(scope, C))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return pd.DataFrame(rows, columns=["rm_id", "visits"])


def performance(engine: Engine, scope: Scope, f: queries.Filters, a: queries.AsOf, r: queries.Rules, *,
                use_rollup: bool | None = None) -> pd.DataFrame:
    """One row per RM: actual, target and attainment (share, 1.0 = met) per measure, ordered by grade."""
    targets = settings_mod.load(engine)["portfolio.targets"]
    ov = queries.overview(engine, scope, f, a, r, use_rollup=use_rollup)
    if ov.empty:
        return pd.DataFrame(columns=performance_columns())
    df = ov[["rm_id", "rm_name", "grade", "branch", "clients", "deposits_fen", "loans_fen", "new_clients", "fee_fen",
             "npl_ratio"]].copy()
    df["npl_pct"] = (df["npl_ratio"].fillna(0.0) * 100).astype("float64")
    df = df.merge(interest_collected(engine, scope, a, r, use_rollup=use_rollup), on="rm_id", how="left")
    df = df.merge(visits_made(engine, scope, a), on="rm_id", how="left")
    df[["interest_collected_fen", "visits"]] = df[["interest_collected_fen", "visits"]].fillna(0).astype("int64")
    for m, (col, tkey, div, lower) in MEASURES.items():
        tgt = df["grade"].map(lambda g, k=tkey: float(targets.get(g, {}).get(k, 0) or 0))
        actual = df[col].astype("float64") / div
        df[f"{m}_actual"] = actual
        df[f"{m}_target"] = tgt
        df[f"{m}_att"] = [rules.attainment(x, t, lower_is_better=lower) for x, t in zip(actual, tgt, strict=True)]
        df[f"{m}_att"] = df[f"{m}_att"].astype("float64")
    att_cols = [f"{m}_att" for m in MEASURES]
    df["overall_att"] = df[att_cols].clip(upper=1.5).mean(axis=1)
    order = {g: i for i, g in enumerate(reversed(rules.RM_GRADES))}
    df["_g"] = df["grade"].map(order)
    df = df.sort_values(["_g", "overall_att"], ascending=[True, False]).drop(columns="_g")
    return df[performance_columns()].reset_index(drop=True)


def performance_columns() -> list[str]:
    cols = ["rm_id", "rm_name", "grade", "branch", "clients"]
    for m in MEASURES:
        cols += [f"{m}_actual", f"{m}_target", f"{m}_att"]
    return cols + ["overall_att"]


def by_grade(perf: pd.DataFrame) -> pd.DataFrame:
    """Mean attainment per RM grade and measure."""
    if perf.empty:
        return pd.DataFrame(columns=["grade", "rms"] + [f"{m}_att" for m in MEASURES] + ["overall_att"])
    att = [f"{m}_att" for m in MEASURES] + ["overall_att"]
    g = perf.groupby("grade", sort=False)
    out = g[att].mean()
    out.insert(0, "rms", g.size())
    return out.reset_index()
