"""The QA summaries on the home page: the QA reviewer's queue, an agent's month, the lead's
open disputes, the manager's tier counts."""

from __future__ import annotations

import streamlit as st

from lib import home
from lib import settings as settings_mod
from lib.i18n import t
from lib.qa.common import bank_today
from lib.ui import page_link


def _month(engine) -> str:
    return bank_today(settings_mod.load(engine)).strftime("%Y-%m")


def qa_queue(engine, user) -> None:
    from lib.qa import reviews

    c = reviews.queue_counts(engine, user)
    st.subheader(t("qa.home.title"))
    a, b = st.columns(2)
    a.metric(t("qa.home.pending"), c["pending"])
    b.metric(t("qa.home.overdue"), c["overdue"])
    page_link(st, "qa_workbench", label=t("qa.home.open_workbench"))


def agent_month(engine, user) -> None:
    from lib.qa import points

    if user.agent_id is None:
        return
    m = _month(engine)
    df = points.agent_month(engine, m, [user.agent_id])
    if df.empty:
        return
    r = df.iloc[0]
    st.subheader(t("qa.home.my_month", month=m))
    a, b, c = st.columns(3)
    a.metric(t("qa.col.points"), f"{int(r['points'])} / {int(r['working_days'])}")
    b.metric(t("qa.col.unqualified"), int(r["unqualified"]))
    c.metric(t("qa.col.tier"), t(f"qa.tier.{r['tier']}"))


def lead_disputes(engine, user) -> None:
    from lib.qa import disputes

    n = disputes.open_count(engine, user)
    st.subheader(t("qa.home.disputes"))
    st.metric(t("qa.home.open_disputes"), n)
    page_link(st, "qa_disputes")


def manager_tiers(engine, user) -> None:
    from lib.qa import cached

    m = _month(engine)
    df = cached.month_table(engine, user, m)
    st.subheader(t("qa.home.tiers", month=m))
    cols = st.columns(5)
    for col, tier in zip(cols, ("full", "standard", "deduct1", "deduct2", "no_bonus"), strict=True):
        col.metric(t(f"qa.tier.{tier}"), int((df["tier"] == tier).sum()) if len(df) else 0)


home.register({"qa"}, qa_queue)
home.register({"agent"}, agent_month)
home.register({"team_lead"}, lead_disputes)
home.register({"manager"}, manager_tiers)
