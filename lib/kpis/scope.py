"""Whose KPI figures a viewer may see: every KPI query takes a Scope built from the viewer.

- manager (and admin): any team, or the whole department;
- team_lead: only the team(s) they lead (``user.led_team_ids``) — never another team's agents;
- agent: only themselves (``user.agent_id``).
A request outside these limits raises ``ScopeError``; there is no unscoped query.
"""
# SQL here is assembled from fixed fragments of this module (column names, dialect helpers);
# every value, including the viewer's scope, is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from db.models import Agent, Team
from lib.auth import CurrentUser

DEPARTMENT_ROLES = frozenset({"manager", "admin"})


class ScopeError(PermissionError):
    """The viewer may not see the figures asked for."""


@dataclass(frozen=True)
class Scope:
    """A set of agents: those of ``team_ids`` (None = every team), narrowed to ``agent_ids`` if given."""

    team_ids: tuple[int, ...] | None
    agent_ids: tuple[int, ...] | None = None

    def where(self, agent_col: str = "a.id", team_col: str = "a.team_id") -> tuple[str, dict]:
        """SQL condition on the agents table (alias ``a``) and its parameters."""
        parts, params = [], {}
        if self.team_ids is not None:
            parts.append(f"{team_col} IN :scope_teams")
            params["scope_teams"] = list(self.team_ids) or [-1]
        if self.agent_ids is not None:
            parts.append(f"{agent_col} IN :scope_agents")
            params["scope_agents"] = list(self.agent_ids) or [-1]
        return (" AND ".join(parts) if parts else "1 = 1"), params

    @property
    def expanding(self) -> tuple[str, ...]:
        out = []
        if self.team_ids is not None:
            out.append("scope_teams")
        if self.agent_ids is not None:
            out.append("scope_agents")
        return tuple(out)

    @property
    def key(self) -> tuple:
        """A plain, hashable cache key."""
        return (self.team_ids, self.agent_ids)


def is_department_viewer(user: CurrentUser) -> bool:
    return bool(user.roles & DEPARTMENT_ROLES)


def visible_teams(engine: Engine, user: CurrentUser) -> pd.DataFrame:
    """Teams with agents this viewer may see: id, code, name (a lead: own teams; a manager: all)."""
    has_agents = select(Agent.team_id).distinct()
    q = select(Team.id, Team.code, Team.name).where(Team.id.in_(has_agents)).order_by(Team.id)
    if not is_department_viewer(user):
        if not user.has("team_lead"):
            return pd.DataFrame(columns=["id", "code", "name"])
        q = q.where(Team.id.in_(list(user.led_team_ids) or [-1]))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(), columns=["id", "code", "name"])


def team_scope(user: CurrentUser, team_id: int | None) -> Scope:
    """One team (or, for a department viewer, ``None`` = every team)."""
    if is_department_viewer(user):
        return Scope(None if team_id is None else (int(team_id),))
    if user.has("team_lead"):
        led = tuple(user.led_team_ids)
        if team_id is None:
            return Scope(led)
        if int(team_id) not in led:
            raise ScopeError("A team lead sees only the teams they lead.")
        return Scope((int(team_id),))
    raise ScopeError("This role has no team figures.")


def self_scope(user: CurrentUser) -> Scope:
    if user.agent_id is None:
        raise ScopeError("This user is not an agent.")
    return Scope(None, (int(user.agent_id),))


def narrow_to_agent(engine: Engine, scope: Scope, agent_id: int) -> Scope:
    """The scope limited to one of its agents; refused when the agent is outside it."""
    cond, params = scope.where()
    from lib.kpis.sql import q

    with engine.connect() as conn:
        ok = conn.execute(q(f"SELECT a.id FROM agents a WHERE a.id = :aid AND {cond}", expanding=scope.expanding),
                          params | {"aid": int(agent_id)}).first()
    if ok is None:
        raise ScopeError("That agent is outside what you may see.")
    return Scope(scope.team_ids, (int(agent_id),))


def agents_in(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The scope's agents: agent_id, employee_no, name, team_id, team."""
    cond, params = scope.where()
    from lib.kpis.sql import q

    with engine.connect() as conn:
        rows = conn.execute(q(f"""SELECT a.id AS agent_id, a.employee_no, a.name, a.team_id, t.name AS team
                                  FROM agents a JOIN teams t ON t.id = a.team_id WHERE {cond}
                                  ORDER BY a.team_id, a.id""", expanding=scope.expanding), params).mappings().all()
    return pd.DataFrame(rows, columns=["agent_id", "employee_no", "name", "team_id", "team"])
