"""Portfolio overview (manager): every RM's book side by side, charts, and the clients that need attention."""

import streamlit as st

from lib.guard import require_download, require_page
from lib.i18n import t
from lib.portfolio import service as svc
from lib.portfolio import views as v
from lib.ui import download_buttons

engine, user = require_page("portfolio_overview")
scope, a, r, tz = svc.context(engine, user)

st.title(t("portfolio.page.overview"))
v.as_of_caption(a)
f = v.filters_bar(engine, scope, key="pov")
ov = svc.overview(engine, scope, f, a, r)
tbl = v.overview_table(ov)

m = st.columns(6)
m[0].metric(t("portfolio.col.clients"), f"{int(ov['clients'].sum()):,}")
m[1].metric(t("portfolio.col.deposits_wan"), f"{svc.wan(ov['deposits_fen'].sum()):,.0f}")
m[2].metric(t("portfolio.col.loans_wan"), f"{svc.wan(ov['loans_fen'].sum()):,.0f}")
m[3].metric(t("portfolio.col.wealth_wan"), f"{svc.wan(ov['wealth_fen'].sum()):,.0f}")
m[4].metric(t("portfolio.col.fee_share"), v.share_text(ov["fee_fen"].sum(), ov["interest_fen"].sum() + ov["fee_fen"].sum()))
m[5].metric(t("portfolio.col.key_overdue"), f"{int(ov['key_overdue'].sum()):,}")

st.subheader(t("portfolio.books"))
c1, c2 = st.columns([3, 1])
sort = c1.selectbox(t("portfolio.sort_by"), v.OVERVIEW_SORTS, format_func=lambda c: t(v.OVERVIEW_LABELS[c]), key="pov_sort")
desc = c2.toggle(t("portfolio.descending"), value=True, key="pov_desc")
page_size = svc.page_size(engine)
tbl = tbl.sort_values(sort, ascending=not desc, kind="stable")
offset = v.pager(len(tbl), page_size, key="pov_page")
shown = tbl.iloc[offset:offset + page_size].reset_index(drop=True)
st.caption(t("portfolio.pick_book"))
ev = st.dataframe(shown, hide_index=True, key="pov_table", on_select="rerun", selection_mode="single-row",
                  column_config=v.overview_columns(), column_order=v.OVERVIEW_ORDER)
row = v.selected_row(ev)
if row is not None:
    v.goto_book(int(shown.loc[row, "rm_id"]))

st.subheader(t("portfolio.charts"))
ch = svc.charts(engine, scope, f, a, r)
# only the open tab's chart is drawn (each chart's data is hashed, marshalled and sent on every run)
tabs = st.tabs([t("portfolio.chart.composition"), t("portfolio.chart.trend"), t("portfolio.chart.migration"),
                t("portfolio.chart.class_by_rm"), t("portfolio.chart.channels")], key="pov_chart_tab",
               on_change="rerun")
for tab, builder, data in zip(tabs, (v.composition_chart, v.trend_chart, v.migration_chart, v.class_by_rm_chart,
                                     v.channel_chart),
                              (ch["composition"], ch["trend"], ch["migration"], ov, ch["channels"]), strict=True):
    if tab.open:
        with tab:
            v.show_chart(builder, data)

st.subheader(t("portfolio.key_overdue_title"))
ko, ko_total = svc.key_overdue(engine, scope, f, a, r, limit=page_size, offset=v.page_offset("pov_ko_page", page_size))
v.pager(ko_total, page_size, key="pov_ko_page")
ev2 = st.dataframe(v.key_overdue_table(ko, tz), hide_index=True, key="pov_ko", on_select="rerun",
                   selection_mode="single-row", column_config=v.key_overdue_columns())
row = v.selected_row(ev2)
if row is not None:
    v.goto_client(int(ko.loc[row, "id"]))

st.subheader(t("portfolio.worse_title"))
wl, wl_total = svc.worse_loans(engine, scope, f, a, r, limit=page_size)
st.caption(t("ui.total_rows", n=wl_total))
ev3 = st.dataframe(v.worse_loans_table(wl), hide_index=True, key="pov_wl", on_select="rerun",
                   selection_mode="single-row", column_config=v.worse_loans_columns())
row = v.selected_row(ev3)
if row is not None:
    v.goto_client(int(wl.loc[row, "client_id"]))

if require_download(user, "portfolio_overview"):
    with st.expander(t("ui.download")):
        download_buttons(lambda: v.overview_download(tbl), "portfolio_overview", "pov_dl",
                         on_download=lambda: svc.log_download(engine, scope, "portfolio_overview", [],
                                                              {"filters": f.__dict__}))
