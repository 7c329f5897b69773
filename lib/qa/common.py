"""Small helpers every QA module shares: clock, bank time zone, viewer scope."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from db.models import Agent
from lib.auth import CurrentUser

SEE_ALL_ROLES = frozenset({"qa", "manager", "admin"})


class QAError(ValueError):
    """Bad input a person can fix: ``key`` names the label (lib/i18n/qa.py), ``fields`` fill it in."""

    def __init__(self, key: str, **fields):
        from lib.i18n import t

        self.key = key
        self.fields = fields
        super().__init__(t(key, lang="en", **fields))

    def text(self) -> str:
        from lib.i18n import t

        return t(self.key, **self.fields)


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def bank_zone(settings) -> ZoneInfo:
    return ZoneInfo(settings["ui.timezone"])


def bank_today(settings) -> date:
    return datetime.now(bank_zone(settings)).date()


def to_bank(ts: datetime | None, settings) -> datetime | None:
    """A naive-UTC database time as naive local time of the bank, for display."""
    if ts is None:
        return None
    return ts.replace(tzinfo=timezone.utc).astimezone(bank_zone(settings)).replace(tzinfo=None)


def month_bounds(month: str) -> tuple[date, date]:
    """First day of ``month`` (YYYY-MM) and first day of the next month."""
    try:
        y, m = (int(x) for x in month.split("-"))
        start = date(y, m, 1)
    except (ValueError, TypeError):
        raise ValueError(f"{month!r} is not a month (YYYY-MM)") from None
    end = date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    return start, end


def scope_agent_ids(engine_or_conn, viewer: CurrentUser | None) -> list[int] | None:
    """Agents whose QA records ``viewer`` may see: None = all; a list (maybe empty) otherwise.

    qa, manager and admin see all agents; a team lead the agents of the led team(s);
    an agent only themself. ``viewer`` None means the system itself (CLI, exports).
    """
    if viewer is None or viewer.roles & SEE_ALL_ROLES:
        return None
    ids: set[int] = set()
    if "team_lead" in viewer.roles and viewer.led_team_ids:
        q = select(Agent.id).where(Agent.team_id.in_(viewer.led_team_ids))
        if isinstance(engine_or_conn, Engine):
            with engine_or_conn.connect() as conn:
                ids.update(conn.execute(q).scalars())
        else:
            ids.update(engine_or_conn.execute(q).scalars())
    if "agent" in viewer.roles and viewer.agent_id is not None:
        ids.add(viewer.agent_id)
    return sorted(ids)


def scope_key(engine, viewer: CurrentUser | None) -> tuple:
    """A hashable description of the viewer's scope, for cache keys."""
    ids = scope_agent_ids(engine, viewer)
    return ("all",) if ids is None else tuple(ids)


def restrict(column, agent_ids: list[int] | None):
    """A WHERE clause limiting ``column`` to the scope (True when the scope is all)."""
    from sqlalchemy import false, true

    if agent_ids is None:
        return true()
    if not agent_ids:
        return false()
    return column.in_(agent_ids)
