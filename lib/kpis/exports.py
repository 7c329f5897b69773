"""``python -m db export kpi-month YYYY-MM``: every KPI per agent and per team, as the pages show them."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from lib.exports import Report, register
from lib.kpis import metrics
from lib.kpis.catalog import KPIS
from lib.kpis.scope import Scope


def month_tables(engine: Engine, month: str, scope: Scope | None = None) -> dict[str, pd.DataFrame]:
    """Agents and teams of the month (scope: the whole department unless given), with each KPI's target."""
    scope = scope or Scope(None)
    start, end = metrics.month_bounds(month)
    out = {}
    for by, ident in (("agent", ["agent_id", "employee_no", "name", "team"]), ("team", ["team_id", "team", "agents"])):
        df = metrics.compute(engine, scope, start, end, by=by)
        tg = metrics.targets_for(engine, df)
        cols = {c: df[c] for c in ident}
        cols["rostered_days"] = df["scheduled"]
        for k in KPIS:
            cols[k.key] = df[k.key].round(2)
            cols[f"{k.key}_target"] = tg[k.key].round(2)
        out["agents" if by == "agent" else "teams"] = pd.DataFrame(cols)
    return out


register(Report("kpi-month", "team KPIs of a month per agent and per team, with targets", True,
                lambda engine, month: month_tables(engine, month)))
