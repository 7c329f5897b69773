"""Audit log (administrator): filter, page through and download; nothing here edits it."""

from datetime import datetime, time, timedelta

import streamlit as st

from lib import admin
from lib.guard import require_download, require_page
from lib.i18n import t
from lib.ui import download_buttons

engine, user = require_page("audit")
st.title(t("page.audit"))

c1, c2, c3, c4 = st.columns(4)
action = c1.text_input(t("audit.action"), placeholder="client.view")
username = c2.text_input(t("audit.username"))
entity = c3.text_input(t("audit.entity"))
days = c4.date_input(t("audit.period"), value=())
filters = {"action": action.strip() or None, "username": username.strip() or None, "entity": entity.strip() or None,
           "start": None, "end": None}
if len(days) == 2:
    filters["start"] = datetime.combine(days[0], time.min)
    filters["end"] = datetime.combine(days[1], time.min) + timedelta(days=1)

total = admin.audit_count(engine, **filters)
st.caption(t("audit.count", n=total))
cursor_key = "audit_cursor"
cursors = st.session_state.setdefault(cursor_key, [None])
page = admin.audit_page(engine, before_id=cursors[-1], limit=50, **filters)
page["detail"] = page["detail_json"].map(admin.detail_text)
st.dataframe(page.drop(columns=["detail_json"]), hide_index=True, column_config={
    "id": st.column_config.NumberColumn("#"),
    "at": st.column_config.DatetimeColumn(t("audit.at"), format="YYYY-MM-DD HH:mm:ss"),
    "username": t("audit.username"), "action": t("audit.action"), "entity": t("audit.entity"),
    "entity_id": t("audit.entity_id"), "detail": t("audit.detail"),
})
b1, b2 = st.columns(2)
if b1.button(t("ui.prev_page"), disabled=len(cursors) == 1):
    cursors.pop()
    st.rerun()
if b2.button(t("ui.next_page"), disabled=len(page) < 50):
    cursors.append(int(page["id"].min()))
    st.rerun()

if require_download(user, "audit_log"):
    with st.expander(t("ui.download")):
        if st.toggle(t("audit.prepare_download"), key="audit_prepare"):
            download_buttons(admin.audit_export(engine, **filters), "audit_log", "audit_dl",
                             on_download=lambda: admin.log_download(engine, user, "audit_log", filters))
