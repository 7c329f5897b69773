"""Department KPIs (manager): teams side by side on the same KPIs for a month, each team's QA bonus outcome,
and the records behind any team's figure."""

import streamlit as st

from lib.guard import require_page
from lib.i18n import t
from lib.kpis import views
from lib.kpis.scope import team_scope

engine, user = require_page("kpi_department")
st.title(t("kpi.page.department"))
month, start, end, as_of = views.month_picker(engine, "kpi_dept_month")
scope = team_scope(user, None)
DRILL = "kpi_dept_drill"

views.tiles(engine, scope, start, end, as_of, drill_key=DRILL)

st.subheader(t("kpi.teams_side_by_side"))
picked_team = views.teams_table(engine, scope, start, end, key="kpi_dept_teams", user=user,
                                download_key="kpi_department")

st.subheader(t("kpi.qa_bonus"))
views.qa_bonus_table(engine, scope, month, key="kpi_dept_bonus", user=user, download_key="kpi_department")

st.subheader(t("kpi.trend"))
views.trend(engine, scope, start, end, key="kpi_dept_trend", drill_key=DRILL)

st.subheader(t("kpi.drill"))
teams = views.visible_teams(engine, user)
names = dict(zip(teams["id"].astype(int), teams["name"], strict=True))
options = [None, *names]
team_id = st.selectbox(t("kpi.team"), options, index=options.index(picked_team) if picked_team in options else 0,
                       format_func=lambda i: t("kpi.all_teams") if i is None else names[i], key="kpi_dept_drill_team")
drill_scope = team_scope(user, team_id)
views.drill_section(engine, drill_scope, start, end, drill_key=DRILL, user=user, download_key="kpi_department",
                    agent_names=views.agent_names(engine, drill_scope) if team_id is not None else None)
