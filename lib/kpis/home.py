"""Home-page sections of the KPI area: a lead sees their team's tiles; an agent their own points at risk."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from lib import home
from lib.auth import CurrentUser
from lib.i18n import t
from lib.kpis import metrics, views
from lib.kpis.scope import ScopeError, self_scope, team_scope

HOME_KPIS = ("chats_handled", "first_response_median_s", "replies_within_limit_pct", "qa_monthly_points",
             "complaints_against", "work_accuracy_pct")


def lead_section(engine: Engine, user: CurrentUser) -> None:
    if not user.led_team_ids:
        return
    try:
        scope = team_scope(user, user.led_team_ids[0])
    except ScopeError:
        return
    last = views.latest_day(engine)
    month = f"{last.year:04d}-{last.month:02d}"
    start, end = metrics.month_bounds(month)
    st.subheader(t("kpi.home.team"))
    views.tiles(engine, scope, start, end, last, drill_key="kpi_home_drill", keys=HOME_KPIS, columns=3,
                with_drill=False)


def agent_section(engine: Engine, user: CurrentUser) -> None:
    if user.agent_id is None:
        return
    last = views.latest_day(engine)
    month = f"{last.year:04d}-{last.month:02d}"
    st.subheader(t("kpi.home.me"))
    views.points_at_risk(engine, self_scope(user), month, last, key="kpi_home_points", user=user,
                         download_key="kpi_me", with_days=False)


home.register({"team_lead"}, lead_section)
home.register({"agent"}, agent_section)
