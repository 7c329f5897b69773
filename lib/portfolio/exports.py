"""``python -m db export portfolio_overview`` / ``portfolio_performance``: the figures the manager's pages show.

The command line is the administrator's (shell access); every export is written to the audit log.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from lib import audit
from lib import settings as settings_mod
from lib.exports import Report, register
from lib.portfolio import performance as perf_q
from lib.portfolio import queries as q
from lib.portfolio.scope import Scope, bank_today

CLI_SCOPE = Scope(viewer_id=0, username="cli", rm_id=None, own_book=False)


def _inputs(engine: Engine):
    today = bank_today(settings_mod.load(engine)["ui.timezone"])
    return q.as_of(engine, today), q.load_rules(engine)


def _log(engine: Engine, report: str) -> None:
    with engine.begin() as conn:
        audit.record(conn, user_id=None, username="cli", action="portfolio.export", entity="report", entity_id=report)


def overview_report(engine: Engine, month: str | None = None) -> dict[str, pd.DataFrame]:
    a, r = _inputs(engine)
    _log(engine, "portfolio_overview")
    return {"overview": q.overview(engine, CLI_SCOPE, q.Filters(), a, r)}


def performance_report(engine: Engine, month: str | None = None) -> dict[str, pd.DataFrame]:
    a, r = _inputs(engine)
    _log(engine, "portfolio_performance")
    perf = perf_q.performance(engine, CLI_SCOPE, q.Filters(), a, r)
    return {"performance": perf, "by_grade": perf_q.by_grade(perf)}


register(Report("portfolio_overview", "every RM's book side by side, quarter to date (money in fen)", False,
                overview_report))
register(Report("portfolio_performance", "each RM against the targets of their grade, quarter to date", False,
                performance_report))
