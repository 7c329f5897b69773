"""``python -m db export complaints-month YYYY-MM [--format csv|xlsx]``: the monthly complaint report."""

from __future__ import annotations

from lib.auth import CurrentUser
from lib.exports import Report, register

# The command line is the administrator's (shell access): the whole department, no row limit.
CLI_VIEWER = CurrentUser(id=0, username="cli", display_name="command line", roles=frozenset({"admin"}))


def _build(engine, month: str | None):
    from lib.complaints.report import monthly_report

    return monthly_report(engine, CLI_VIEWER, month).tables()


register(Report("complaints-month", "the monthly complaint report (counts, timeliness, trend, top causes)", True,
                _build))
