"""The complaints section of the home page: a handler's own due items; the team lead's and
manager's supervision (escalated and overdue complaints stand out, 督办)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from lib import home
from lib.auth import CurrentUser
from lib.complaints import cache, escalation, queue
from lib.complaints.ui import queue_display
from lib.i18n import t

# URL paths of the pages (lib.policy PageSpec.url_path); links work whether or not app.py ran
QUEUE_URL = "complaints-queue"


def _table(df):
    """A short list of complaints, codes shown as labels in the viewer's language (as in the queue)."""
    st.dataframe(
        queue_display(df)[["ref_no", "status", "category", "client_name", "due_kind", "due_at", "time_left", "assignee",
            "escalation_level"]],
        hide_index=True, width="stretch",
        column_config={
            "ref_no": st.column_config.TextColumn(t("complaints.col.ref_no")),
            "status": st.column_config.TextColumn(t("complaints.col.status")),
            "category": st.column_config.TextColumn(t("complaints.col.category")),
            "client_name": st.column_config.TextColumn(t("complaints.col.client")),
            "due_kind": st.column_config.TextColumn(t("complaints.col.due_kind")),
            "due_at": st.column_config.DatetimeColumn(t("complaints.col.due_at"), format="YYYY-MM-DD HH:mm"),
            "time_left": st.column_config.TextColumn(t("complaints.col.time_left")),
            "assignee": st.column_config.TextColumn(t("complaints.col.assignee")),
            "escalation_level": st.column_config.NumberColumn(t("complaints.col.escalation")),
        })


def handler_section(engine: Engine, user: CurrentUser) -> None:
    escalation.run_if_due(engine)
    counts = cache.counts_for(engine, user)
    mine = queue.queue_page(engine, user, queue.QueueFilter(view="mine"), limit=10)
    st.subheader(t("complaints.home.mine"))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("complaints.view.mine"), counts["mine"])
    over_mine = int(mine.rows["overdue"].sum()) if len(mine.rows) else 0
    c2.metric(t("complaints.home.my_overdue"), over_mine)
    c3.metric(t("complaints.view.unassigned"), counts["unassigned"])
    if over_mine:
        st.error(t("complaints.home.my_overdue_alert", n=over_mine), icon=":material/alarm:")
    if len(mine.rows):
        _table(mine.rows)
    else:
        st.caption(t("complaints.home.nothing_due"))
    st.markdown(f":material/inbox: [{t('complaints.home.open_queue')}]({QUEUE_URL})")


def supervisor_section(engine: Engine, user: CurrentUser) -> None:
    escalation.run_if_due(engine)
    counts = cache.counts_for(engine, user)
    st.subheader(t("complaints.home.supervision"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("complaints.view.escalated"), counts["escalated"])
    c2.metric(t("complaints.view.overdue"), counts["overdue"])
    c3.metric(t("complaints.view.flagged"), counts["flagged"])
    c4.metric(t("complaints.view.unassigned"), counts["unassigned"])
    if counts["escalated"] or counts["flagged"]:
        st.error(t("complaints.home.escalated_alert", n=counts["escalated"], f=counts["flagged"]),
                 icon=":material/priority_high:")
        esc = queue.queue_page(engine, user, queue.QueueFilter(view="escalated"), limit=10)
        if len(esc.rows):
            _table(esc.rows)
    else:
        st.success(t("complaints.home.all_clear"), icon=":material/check_circle:")
    st.markdown(f":material/inbox: [{t('complaints.home.open_queue')}]({QUEUE_URL})")


home.register({"complaint_handler"}, handler_section)
home.register({"team_lead", "manager"}, supervisor_section)
