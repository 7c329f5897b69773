"""RM performance (manager): each RM against the targets of their grade, grouped by grade."""

import streamlit as st

from lib.guard import require_download, require_page
from lib.i18n import t
from lib.portfolio import service as svc
from lib.portfolio import views as v
from lib.ui import download_buttons

engine, user = require_page("portfolio_performance")
scope, a, r, tz = svc.context(engine, user)

st.title(t("portfolio.page.performance"))
v.as_of_caption(a)
st.caption(t("portfolio.targets_note"))
f = v.filters_bar(engine, scope, key="ppf", client_level=False)
perf = svc.performance(engine, scope, f, a, r)

st.subheader(t("portfolio.by_grade"))
st.dataframe(v.grade_table(perf), hide_index=True, column_config=v.grade_columns())

for grade, part in v.perf_groups(perf):
    st.subheader(svc.label("grade", grade))
    ev = st.dataframe(v.perf_table(part), hide_index=True, key=f"ppf_{grade}", on_select="rerun",
                      selection_mode="single-row", column_config=v.perf_columns())
    row = v.selected_row(ev)
    if row is not None:
        v.goto_book(int(part.iloc[row]["rm_id"]))

if require_download(user, "portfolio_performance"):
    with st.expander(t("ui.download")):
        download_buttons(lambda: v.perf_download(perf), "portfolio_performance", "ppf_dl",
                         on_download=lambda: svc.log_download(engine, scope, "portfolio_performance", [],
                                                              {"filters": f.__dict__}))
