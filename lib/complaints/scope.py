"""Who sees which complaints (row scoping, enforced in every query of lib.complaints).

- complaint handler, manager, administrator: every complaint (the department runs one queue);
- team lead: complaints handled by their team(s), complaints about an agent of their
  team(s), and the unassigned queue;
- everyone else (agent, RM, QA): none (policy.py gives them no complaint page).

Masking is separate: only ``policy.UNMASKED_ROLES`` see ID, phone and card numbers.
"""

from __future__ import annotations

from sqlalchemy import false, func, or_, select, true

from db.models import Agent, Complaint
from lib import masking
from lib.auth import CurrentUser
from lib.policy import UNMASKED_ROLES

ALL_ROWS_ROLES = frozenset({"complaint_handler", "manager", "admin"})


def sees_all(user: CurrentUser) -> bool:
    return bool(user.roles & ALL_ROWS_ROLES)


def clause(user: CurrentUser, table=None, *, open_only: bool = False):
    """A WHERE clause on the complaints table limiting rows to what ``user`` may see.

    ``open_only``: the query reads open complaints only (the small partial index of open
    complaints); the team lead's test is then written so that no index on the team, subject
    agent or assignee is tempting (SQLite otherwise unions those three indexes, which hold every
    complaint ever received: 80-230 ms at size l instead of a few)."""
    c = table if table is not None else Complaint.__table__.c
    if hasattr(c, "c"):
        c = c.c
    if sees_all(user):
        return true()
    if "team_lead" in user.roles:
        teams = list(user.led_team_ids) or ([user.team_id] if user.team_id else [])
        team, agent, assignee = c.team_id, c.subject_agent_id, c.assigned_to
        if open_only:  # the same test on values no index offers (ids are positive)
            team, agent, assignee = (func.coalesce(team, -1), func.coalesce(agent, -1),
                                     func.coalesce(assignee, -1))
        unassigned = assignee == -1 if open_only else assignee.is_(None)
        if not teams:
            return unassigned
        return or_(
            team.in_(teams),
            agent.in_(select(Agent.id).where(Agent.team_id.in_(teams)).scalar_subquery()),
            unassigned,
        )
    return false()


def key(user: CurrentUser) -> tuple:
    """A plain, hashable description of the scope (for cache keys)."""
    if sees_all(user):
        return ("all", unmasked(user))
    if "team_lead" in user.roles:
        return ("teams", tuple(user.led_team_ids) or (user.team_id,), unmasked(user))
    return ("none",)


def unmasked(user: CurrentUser) -> bool:
    return bool(user.roles & UNMASKED_ROLES)


def mask(user: CurrentUser, text: str | None) -> str | None:
    return text if unmasked(user) else masking.mask_text(text)
