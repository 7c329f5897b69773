"""``python -m db export qa-month YYYY-MM [--format csv|xlsx]``: each agent's points, tier and
deduction for payroll — the same figures as the results page."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from lib.exports import Report, register


def payroll_frame(engine: Engine, month: str, viewer=None) -> pd.DataFrame:
    from lib.qa import points, results

    t = results.month_table(engine, viewer, month)
    closed = points.closure(engine, month) is not None
    return pd.DataFrame({
        "month": month,
        "employee_no": t["employee_no"],
        "agent": t["agent"],
        "team": t["team"],
        "working_days": t["working_days"].astype(int),
        "points": t["points"].astype(int),
        "days_without_sample": t["days_without_sample"].astype(int),
        "reviews": t["reviews"].astype(int),
        "unqualified": t["unqualified"].astype(int),
        "tier": t["tier"],
        "deduction_yuan": t["deduction_yuan"],
        "no_bonus": t["no_bonus"].astype(bool),
        "closed": closed,
    })


def _build(engine: Engine, month: str | None) -> dict[str, pd.DataFrame]:
    return {"qa_month": payroll_frame(engine, month)}


register(Report("qa-month", "QA points, bonus tier and deduction per agent for payroll (YYYY-MM)", True, _build))
