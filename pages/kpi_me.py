"""My KPIs (agent: self only): my figures this month against target, my QA points and the points still at risk."""

import streamlit as st

from lib.guard import require_page
from lib.i18n import t
from lib.kpis import views
from lib.kpis.scope import self_scope

engine, user = require_page("kpi_me")
st.title(t("kpi.page.me"))
if user.agent_id is None:
    st.info(t("kpi.not_agent"))
    st.stop()
scope = self_scope(user)
month, start, end, as_of = views.month_picker(engine, "kpi_me_month")
DRILL = "kpi_me_drill"

st.subheader(t("kpi.me.points_title"))
views.points_at_risk(engine, scope, month, as_of, key="kpi_me_points", user=user, download_key="kpi_me")

views.tiles(engine, scope, start, end, as_of, drill_key=DRILL)

st.subheader(t("kpi.trend"))
views.trend(engine, scope, start, end, key="kpi_me_trend", drill_key=DRILL)

st.subheader(t("kpi.drill"))
views.drill_section(engine, scope, start, end, drill_key=DRILL, user=user, download_key="kpi_me")
