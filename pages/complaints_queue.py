"""The complaint queue: saved views, filters, due times, keyset paging, bulk assignment."""

import streamlit as st

from lib.complaints import CHANNELS, cache, escalation, queue, service, workflow
from lib.complaints import ui as cui
from lib.guard import require_download, require_page
from lib.i18n import t
from lib.settings import load as load_settings
from lib.ui import download_buttons

engine, user = require_page("complaints_queue")

st.title(t("complaints.page.queue"))
escalation.run_if_due(engine)
settings = load_settings(engine)
counts = cache.counts_for(engine, user)

views = [v for v in queue.VIEWS if v != "mine" or "complaint_handler" in user.roles]
default_view = "mine" if "complaint_handler" in user.roles else "open"
# labels without the counts: a label that changes would make Streamlit treat the control as a new one
view = st.segmented_control(t("complaints.views"), views, default=default_view, key="cq_view",
                            format_func=cui.fmt_key("complaints.view.")) or default_view
st.caption(" · ".join(f"{t('complaints.view.' + v)} **{counts[v]}**" for v in views if v in counts))

with st.expander(t("complaints.filters"), icon=":material/filter_list:"):
    f1, f2, f3 = st.columns(3)
    channels = f1.multiselect(t("complaints.col.channel"), CHANNELS, key="cq_channels",
                              format_func=cui.fmt("channel"))
    categories = f2.multiselect(t("complaints.col.category"), list(settings["complaints.categories"]),
                                key="cq_categories", format_func=cui.fmt("category"))
    statuses = f3.multiselect(t("complaints.col.status"), workflow.STATUSES, key="cq_statuses",
                              format_func=cui.fmt("status"))
    search = st.text_input(t("complaints.search"), key="cq_search", placeholder=t("complaints.search_hint"))

flt = queue.QueueFilter(view=view, channels=tuple(channels), categories=tuple(categories),
                        statuses=tuple(statuses), search=search)
# keyset paging: a stack of cursors, reset whenever the view or a filter changes
if st.session_state.get("cq_filter") != flt:
    st.session_state["cq_filter"] = flt
    st.session_state["cq_cursors"] = [None]
cursors = st.session_state["cq_cursors"]
page = queue.queue_page(engine, user, flt, after=cursors[-1])
rows = page.rows

can_assign = bool(workflow.ACTION_ROLES["assign"] & user.roles)
if rows.empty:
    st.info(t("ui.no_rows"))
    event = None
else:
    overdue = int(rows["overdue"].sum())
    if overdue:
        st.error(t("complaints.queue.overdue_on_page", n=overdue), icon=":material/alarm:")
    event = st.dataframe(
        cui.queue_display(rows), hide_index=True, width="stretch", key="cq_table",
        column_config=cui.queue_column_config(),
        on_select="rerun" if can_assign else "ignore", selection_mode="multi-row",
    )

nav1, nav2, nav3 = st.columns([1, 1, 4])
if nav1.button(t("ui.prev_page"), disabled=len(cursors) <= 1, key="cq_prev", icon=":material/chevron_left:"):
    cursors.pop()
    st.rerun()
if nav2.button(t("ui.next_page"), disabled=page.next_cursor is None, key="cq_next", icon=":material/chevron_right:"):
    cursors.append(page.next_cursor)
    st.rerun()
nav3.caption(t("complaints.queue.page_n", page=len(cursors), n=len(rows)))

selected = list(event.selection.rows) if event is not None and can_assign else []
if len(selected) == 1 and st.button(t("complaints.queue.open_selected"), key="cq_open", icon=":material/open_in_new:"):
    st.switch_page("pages/complaints_detail.py", query_params={"ref": rows.iloc[selected[0]]["ref_no"]})

if can_assign and not rows.empty:
    st.subheader(t("complaints.assign.title"))
    handlers = cache.handlers_for(engine)
    options = [None] + [h["id"] for h in handlers]
    names = {h["id"]: f"{h['display_name']} ({t('complaints.assign.open_n', n=h['open'])})" for h in handlers}
    a1, a2 = st.columns([3, 1])
    target = a1.selectbox(t("complaints.assign.to"), options, key="cq_assign_to",
                          format_func=lambda h, b=t("complaints.assign.balanced"): b if h is None else names[h])
    if a2.button(t("complaints.assign.button", n=len(selected)), disabled=not selected, key="cq_assign",
                 type="primary", icon=":material/person_add:"):
        items = [(int(rows.iloc[i]["id"]), int(rows.iloc[i]["version"])) for i in selected]
        res = service.bulk_assign(engine, user, items, target)
        cache.clear()
        if res.assigned:
            st.success(t("complaints.assign.done", n=len(res.assigned)))
        for cid, why in res.refused.items():
            ref = rows.loc[rows["id"] == cid, "ref_no"].iloc[0]
            st.warning(f"{ref}: {why}")
        if not res.refused:
            st.rerun()

if require_download(user, "complaints_queue") and not rows.empty:
    download_buttons(lambda: cui.queue_display(rows).drop(columns=["link", "version"]), "complaint_queue", "cq_dl",
                     on_download=lambda: cui.record_download(engine, user, "complaints_queue", {"view": view}))
