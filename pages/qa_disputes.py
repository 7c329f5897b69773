"""Disputes: an agent contests one of their reviews within the window; a team lead (own team) or
the manager accepts — the review changes, audited — or rejects with a reason."""

import pandas as pd
import streamlit as st

from lib.guard import require_page
from lib.i18n import current_language, t
from lib.qa import cached, disputes, reviews
from lib.qa import ui as qa_ui
from lib.qa.common import QAError

engine, user = require_page("qa_disputes")
lang = current_language()
st.title(t("qa.page.disputes"))

if user.agent_id is not None and "agent" in user.roles:
    st.subheader(t("qa.dis.raise"))
    mine = disputes.disputable(engine, user)
    if mine.empty:
        st.info(t("qa.dis.none_disputable"))
    else:
        labels = {int(r.review_id): f"#{r.review_id} · {r.work_date} · "
                  f"{t('qa.verdict.qualified') if r.qualified else t('qa.verdict.unqualified')}"
                  for r in mine.itertuples()}
        with st.form("qa_dis_raise"):
            rid = st.selectbox(t("qa.dis.review"), list(labels), format_func=labels.get, key="qa_dis_review")
            reason = st.text_area(t("qa.dis.reason"), key="qa_dis_reason", max_chars=4000)
            if st.form_submit_button(t("qa.dis.submit"), type="primary"):
                try:
                    did = disputes.raise_dispute(engine, rid, reason, actor=user)
                except QAError as exc:
                    st.error(exc.text())
                else:
                    st.success(t("qa.dis.raised", id=did))

st.subheader(t("qa.dis.list"))
status = qa_ui.choose(st.radio, t("qa.dis.status"), [None, "open", "accepted", "rejected"],
                      lambda s: t("qa.dis.all") if s is None else t(f"qa.dis.status.{s}"), horizontal=True,
                      key="qa_dis_status")
df = disputes.disputes_frame(engine, user, status=status)
if df.empty:
    st.info(t("ui.no_rows"))
    st.stop()
st.dataframe(df.drop(columns=["version"]).assign(status=df["status"].map(lambda s: t(f"qa.dis.status.{s}"))),
             hide_index=True, column_config={
                 "dispute_id": "#", "review_id": t("qa.dis.review"), "status": t("qa.dis.status"),
                 "raised_at": st.column_config.DatetimeColumn(t("qa.dis.raised_at"), format="YYYY-MM-DD HH:mm"),
                 "employee_no": t("qa.col.employee_no"), "agent": t("qa.col.agent"),
                 "work_date": st.column_config.DateColumn(t("qa.col.day")),
                 "qualified": st.column_config.CheckboxColumn(t("qa.verdict.qualified")),
                 "reason": t("qa.dis.reason"), "decision_reason": t("qa.dis.decision_reason"),
                 "decided_at": st.column_config.DatetimeColumn(t("qa.dis.decided_at"), format="YYYY-MM-DD HH:mm")})

if not user.has("team_lead", "manager"):
    st.stop()
open_rows = df[df["status"] == "open"]
if open_rows.empty:
    st.stop()
st.subheader(t("qa.dis.decide"))
labels = {int(r.dispute_id): f"#{r.dispute_id} · {r.employee_no} {r.agent} · {r.work_date}"
          for r in open_rows.itertuples()}
did = st.selectbox(t("qa.dis.pick"), list(labels), format_func=labels.get, key="qa_dis_pick")
row = open_rows[open_rows["dispute_id"] == did].iloc[0]
try:
    d = reviews.review_detail(engine, int(row["review_id"]), user)
except QAError as exc:
    st.error(exc.text())
    st.stop()
st.markdown(f"**{t('qa.dis.reason')}:** ")
st.text(row["reason"])
left, right = st.columns([3, 2])
with left:
    qa_ui.transcript(engine, d["chat_id"])
with right:
    st.dataframe(pd.DataFrame([{"criterion": c.name(lang),
                                "result": t(f"qa.result.{d['results'][c.code]}") if d["results"][c.code] else "—"}
                               for c in d["rubric"].criteria]), hide_index=True,
                 column_config={"criterion": t("qa.res.criterion"), "result": t("qa.wb.result")})
    st.caption(t("qa.dis.accept_help"))
    submitted, new_results, decision = qa_ui.rubric_form(
        d["rubric"], f"qa_dis_{did}", {}, t("qa.dis.accept"),
        initial={k: ("pass" if v == "fail" else v) for k, v in d["results"].items() if v})
    reject_reason = st.text_input(t("qa.dis.reject_reason"), key=f"qa_dis_rej_{did}")
    reject = st.button(t("qa.dis.reject"), key=f"qa_dis_reject_{did}")
    try:
        if submitted:
            disputes.decide(engine, did, True, decision, actor=user, expected_version=int(row["version"]),
                            new_results=new_results)
            cached.clear()
            st.success(t("qa.dis.accepted"))
        elif reject:
            disputes.decide(engine, did, False, reject_reason, actor=user, expected_version=int(row["version"]))
            cached.clear()
            st.success(t("qa.dis.rejected"))
    except QAError as exc:
        st.error(exc.text())
