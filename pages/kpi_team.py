"""Team KPIs (team lead: own team only; manager: any team): tiles against target with the change from the
previous period, trend, agents ranked, and the records behind every figure."""

import streamlit as st

from lib.guard import require_page
from lib.i18n import t
from lib.kpis import views
from lib.kpis.scope import is_department_viewer, team_scope

engine, user = require_page("kpi_team")
st.title(t("kpi.page.team"))

teams = views.visible_teams(engine, user)
if teams.empty:
    st.info(t("kpi.no_teams"))
    st.stop()
c1, c2 = st.columns(2)
names = dict(zip(teams["id"].astype(int), teams["name"], strict=True))
team_id = c1.selectbox(t("kpi.team"), list(names), format_func=names.get, key="kpi_team_team")
month, start, end, as_of = views.month_picker(engine, "kpi_team_month", c2)
scope = team_scope(user, team_id)
DRILL = "kpi_team_drill"

views.tiles(engine, scope, start, end, as_of, drill_key=DRILL)

st.subheader(t("kpi.trend"))
views.trend(engine, scope, start, end, key="kpi_team_trend", drill_key=DRILL)

st.subheader(t("kpi.ranking"))
views.ranking(engine, scope, start, end, key="kpi_team_rank", user=user, download_key="kpi_team", drill_key=DRILL)

st.subheader(t("kpi.drill"))
st.caption(t("kpi.drill_hint"))
agents = views.agent_names(engine, scope)
views.drill_section(engine, scope, start, end, drill_key=DRILL, user=user, download_key="kpi_team",
                    agent_names=agents)

if user.has("team_lead") and not is_department_viewer(user):
    views.work_error_form(engine, scope, user, agents, key="kpi_team_error")
