"""Service-quality cards (服务质量卡): the quarterly view, a CSV import and a form for one card.
A team lead sees and records cards for their own team's agents only."""

import streamlit as st

from lib.guard import require_page
from lib.i18n import t
from lib.kpis import views
from lib.kpis.scope import team_scope, visible_teams

engine, user = require_page("kpi_surveys")
st.title(t("kpi.page.surveys"))
teams = visible_teams(engine, user)
if teams.empty:
    st.info(t("kpi.no_teams"))
    st.stop()
names = dict(zip(teams["id"].astype(int), teams["name"], strict=True))
c1, c2 = st.columns(2)
team_id = c1.selectbox(t("kpi.team"), list(names), format_func=names.get, key="kpi_surveys_team")
quarter = c2.selectbox(t("kpi.surveys.quarter"), views.quarter_options(engine), key="kpi_surveys_quarter")
scope = team_scope(user, team_id)

tab_view, tab_import, tab_form = st.tabs([t("kpi.surveys.view"), t("kpi.surveys.import"), t("kpi.surveys.form")])
with tab_view:
    views.survey_quarter_table(engine, scope, quarter, key="kpi_surveys_q", user=user, download_key="kpi_surveys")
with tab_import:
    views.survey_import(engine, scope, user, key="kpi_surveys_import")
with tab_form:
    views.survey_form(engine, scope, user, views.agent_names(engine, scope), key="kpi_surveys_form")
