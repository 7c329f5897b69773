"""The monthly complaint report: counts, timeliness, follow-up and satisfaction, repeats, regulator and
media cases, the month-on-month trend and top causes; each chart drills down to its complaints."""

from datetime import datetime

import pandas as pd
import streamlit as st

from lib.complaints import cache, report
from lib.complaints import ui as cui
from lib.guard import require_download, require_page
from lib.i18n import current_language, t
from lib.settings import load as load_settings
from lib.ui import download_buttons

engine, user = require_page("complaints_report")
settings = load_settings(engine)
lang = current_language()

st.title(t("complaints.page.report"))
this_month = datetime.now().strftime("%Y-%m")
months = report.previous_months(this_month, 13)[::-1]
month = st.selectbox(t("complaints.report.month"), months, index=1, key="crp_month")
summary, breakdowns, trend, top = cache.report_for(engine, user, month, lang)


def pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:.1%}"


m = st.columns(6)
m[0].metric(t("complaints.report.total"), summary["complaints"])
m[1].metric(t("complaints.report.replied_24h"), pct(summary["replied_24h_share"]))
m[2].metric(t("complaints.report.followed_up_3d"), pct(summary["followed_up_3d_share"]))
m[3].metric(t("complaints.report.satisfaction"), pct(summary["satisfaction"]))
m[4].metric(t("complaints.report.repeats"), summary["repeats"])
m[5].metric(t("complaints.report.regulator_media"), f"{summary['regulator']} / {summary['media']}")
if summary["regulator"] or summary["media"]:
    st.error(t("complaints.report.zero_tolerance", r=summary["regulator"], m=summary["media"]), icon=":material/campaign:")

# --- trend ------------------------------------------------------------------------------------
st.subheader(t("complaints.report.trend"))
tc1, tc2 = st.columns([3, 2])
# charts as Vega-Lite specs: the same charts as Altair's, without its per-run schema validation (~13 ms a chart)
tr = trend[["month", "complaints", "replied_24h_share"]].rename(columns={"replied_24h_share": "share"})
tc1.vega_lite_chart(tr, {
    "mark": {"type": "line", "point": True},
    "encoding": {
        "x": {"field": "month", "type": "ordinal", "title": t("complaints.report.month")},
        "y": {"field": "complaints", "type": "quantitative", "title": t("complaints.report.total")},
        "tooltip": [{"field": "month", "type": "ordinal"}, {"field": "complaints", "type": "quantitative"},
                    {"field": "share", "type": "quantitative", "format": ".1%",
                     "title": t("complaints.report.replied_24h")}]}}, width="stretch")
tc2.dataframe(trend[["month", "complaints", "change", "change_pct", "replied_24h_share", "followed_up_3d_share",
                     "satisfaction"]], hide_index=True, width="stretch", column_config={
    "month": st.column_config.TextColumn(t("complaints.report.month")),
    "complaints": st.column_config.NumberColumn(t("complaints.report.total")),
    "change": st.column_config.NumberColumn(t("complaints.report.change"), format="%+d"),
    "change_pct": st.column_config.NumberColumn(t("complaints.report.change_pct"), format="percent"),
    "replied_24h_share": st.column_config.NumberColumn(t("complaints.report.replied_24h"), format="percent"),
    "followed_up_3d_share": st.column_config.NumberColumn(t("complaints.report.followed_up_3d"), format="percent"),
    "satisfaction": st.column_config.NumberColumn(t("complaints.report.satisfaction"), format="percent"),
})

# --- breakdowns, each chart drilling down -----------------------------------------------------
st.subheader(t("complaints.report.breakdowns"))
KIND = {"channel": "channel", "category": "category", "cause_code": "cause", "dept_at_fault": "dept"}
dim = st.segmented_control(t("complaints.report.by"), report.DIMENSIONS, default="category", key="crp_dim",
                           format_func=cui.fmt_key("complaints.report.dim.")) or "category"
df = breakdowns[dim]
shown = df.assign(label=df["value"].map(lambda v: cui.label(KIND[dim], v) if dim in KIND else v))
bars = {
    "params": [{"name": "pick", "select": {"type": "point", "fields": ["value"]}}],
    "mark": {"type": "bar"},
    "encoding": {
        "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": "complaints", "type": "quantitative", "title": t("complaints.report.total")},
        "color": {"field": "replied_24h_share", "type": "quantitative", "title": t("complaints.report.replied_24h"),
                  "scale": {"scheme": "redyellowgreen", "domain": [0.5, 1]}},
        "opacity": {"condition": {"param": "pick", "value": 1.0}, "value": 0.45},
        "tooltip": [{"field": "label", "type": "nominal"}, {"field": "complaints", "type": "quantitative"},
                    {"field": "share", "type": "quantitative", "format": ".1%"},
                    {"field": "replied_24h_share", "type": "quantitative", "format": ".1%"},
                    {"field": "satisfaction", "type": "quantitative", "format": ".1%"}]}}
b1, b2 = st.columns([3, 2])
with b1:
    ev = st.vega_lite_chart(shown[["label", "value", "complaints", "share", "replied_24h_share", "satisfaction"]],
                            bars, width="stretch", on_select="rerun", key=f"crp_chart_{dim}")
b2.dataframe(shown[["label", "complaints", "share", "replied_24h_share", "followed_up_3d_share", "satisfaction",
                    "repeats"]], hide_index=True, width="stretch", column_config={
    "label": st.column_config.TextColumn(t(f"complaints.report.dim.{dim}")),
    "complaints": st.column_config.NumberColumn(t("complaints.report.total")),
    "share": st.column_config.ProgressColumn(t("complaints.report.share"), format="percent", min_value=0, max_value=1),
    "replied_24h_share": st.column_config.NumberColumn(t("complaints.report.replied_24h"), format="percent"),
    "followed_up_3d_share": st.column_config.NumberColumn(t("complaints.report.followed_up_3d"), format="percent"),
    "satisfaction": st.column_config.NumberColumn(t("complaints.report.satisfaction"), format="percent"),
    "repeats": st.column_config.NumberColumn(t("complaints.report.repeats")),
})
clicked = [p.get("value") for p in (ev.selection.get("pick") or [])] if ev is not None else []
values = list(df["value"])
chosen = st.selectbox(t("complaints.report.drill_value"), [None] + values, key=f"crp_value_{dim}",
                      index=(values.index(clicked[0]) + 1) if clicked and clicked[0] in values else 0,
                      format_func=cui.fmt(KIND[dim]) if dim in KIND else (lambda v: "—" if v is None else v))

# --- top causes -------------------------------------------------------------------------------
st.subheader(t("complaints.report.top_causes"))
st.dataframe(top.assign(value=top["value"].map(cui.fmt("cause"))), hide_index=True, width="stretch",
             column_config={
                 "value": st.column_config.TextColumn(t("complaints.report.dim.cause_code")),
                 "complaints": st.column_config.NumberColumn(t("complaints.report.total")),
                 "share": st.column_config.ProgressColumn(t("complaints.report.share"), format="percent",
                                                          min_value=0, max_value=1),
                 "replied_24h_share": st.column_config.NumberColumn(t("complaints.report.replied_24h"),
                                                                    format="percent"),
             })

# --- drill-down -------------------------------------------------------------------------------
st.subheader(t("complaints.report.drilldown"))
FLAGS = [None, "late_reply", "late_follow_up", "not_satisfied", "repeats", "regulator", "media", "escalated"]
flag = st.selectbox(t("complaints.report.drill_flag"), FLAGS, key="crp_flag",
                    format_func=cui.fmt_key("complaints.report.flag."))
if chosen is None and flag is None:
    st.caption(t("complaints.report.drill_hint"))
else:
    rows = report.drilldown(engine, user, month, dim if chosen is not None else None, chosen, flag=flag, limit=200)
    rows = rows.assign(link=rows["ref_no"].map(lambda r: f"complaints-detail?ref={r}"))
    st.caption(t("complaints.report.drill_count", n=len(rows)))
    st.dataframe(cui.labelled(rows, {"status": "status", "channel": "channel", "category": "category",
                                     "cause_code": "cause", "follow_up_outcome": "outcome"}),
                 hide_index=True, width="stretch", column_config={
                     "id": None,
                     "link": st.column_config.LinkColumn(t("complaints.col.open"), display_text=t("complaints.open_link")),
                     "ref_no": st.column_config.TextColumn(t("complaints.col.ref_no")),
                     "accepted_at": st.column_config.DatetimeColumn(t("complaints.col.accepted_at"),
                                                                    format="YYYY-MM-DD HH:mm"),
                     "narrative": st.column_config.TextColumn(t("complaints.col.narrative"), width="large"),
                     "reply_on_time": st.column_config.CheckboxColumn(t("complaints.col.on_time")),
                 })
    if require_download(user, "complaints_drilldown") and len(rows):
        download_buttons(rows.drop(columns=["link"]), f"complaints_{month}_drilldown", "crp_dl_drill",
                         on_download=lambda: cui.record_download(engine, user, "complaints_drilldown",
                                                                 {"month": month, "dim": dim, "flag": flag}))

if require_download(user, "complaints_month"):
    st.subheader(t("complaints.report.download"))
    tables = report.MonthlyReport(month, summary, breakdowns, trend, top).tables()
    sheet = st.selectbox(t("complaints.report.table"), list(tables), key="crp_sheet")
    download_buttons(tables[sheet], f"complaints_{month}_{sheet}", "crp_dl",
                     on_download=lambda: cui.record_download(engine, user, "complaints_month",
                                                             {"month": month, "table": sheet}))
