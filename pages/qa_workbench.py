"""Scoring workbench (QA): my queue (today, overdue), the transcript with the wait before each
agent reply, the automatic suggestions beside the rubric, submit → qualified or unqualified."""

import streamlit as st

from lib import settings as settings_mod
from lib import ui
from lib.guard import require_page
from lib.i18n import t
from lib.qa import cached, checks_db, reviews
from lib.qa import rubric as rubric_mod
from lib.qa import ui as qa_ui
from lib.qa.common import QAError

engine, user = require_page("qa_workbench")

st.title(t("qa.page.workbench"))
cached.daily_sampling(engine)

last = st.session_state.get("qa_wb_last")
if last:
    st.success(t("qa.wb.recorded", verdict=t("qa.verdict.qualified" if last["qualified"] else "qa.verdict.unqualified"),
                 score=last["score"], agent=last["agent"], day=last["day"], point=last["point"],
                 reviews=last["reviews"], unqualified=last["unqualified"]), icon=":material/check_circle:")

counts = reviews.queue_counts(engine, user)
m1, m2 = st.columns(2)
m1.metric(t("qa.home.pending"), counts["pending"])
m2.metric(t("qa.home.overdue"), counts["overdue"])

which = qa_ui.choose(st.radio, t("qa.wb.show"), ["all", "overdue", "today"], lambda w: t(f"qa.wb.which.{w}"),
                     horizontal=True, key="qa_wb_which")
size = int(settings_mod.load(engine)["ui.page_size"])
total = counts["pending"] if which == "all" else counts["overdue"] if which == "overdue" else \
    counts["pending"] - counts["overdue"]
offset = ui.pager(total, size, key="qa_wb_page")
q = reviews.queue(engine, user, which=which, limit=size, offset=offset)
if q.empty:
    st.info(t("qa.wb.empty"))
    if st.session_state.get("qa_wb_sample") is None:
        st.stop()

st.dataframe(q.drop(columns=["sample_id"]), hide_index=True, height=220, column_config={
    "work_date": st.column_config.DateColumn(t("qa.col.day")),
    "employee_no": t("qa.col.employee_no"), "agent": t("qa.col.agent"),
    "conversation_id": t("qa.col.conversation"), "message_count": t("qa.col.messages"),
    "greeting_ok": st.column_config.CheckboxColumn(t("qa.check.greeting")),
    "closing_ok": st.column_config.CheckboxColumn(t("qa.check.closing")),
    "slow_replies": t("qa.check.slow_replies"), "forbidden_hits": t("qa.check.forbidden"),
    "overdue": st.column_config.CheckboxColumn(t("qa.home.overdue")),
})

labels = {int(r.sample_id): f"{r.work_date} · {r.employee_no} {r.agent} · {r.conversation_id}" for r in q.itertuples()}
opened = st.session_state.get("qa_wb_sample")
if opened is not None and opened not in labels:
    # the sample this reviewer has open left the queue (someone else scored it): keep it open, with
    # what they typed, so that submitting tells them instead of silently switching chats
    labels = {opened: t("qa.wb.left_queue", id=opened)} | labels
sample_id = st.selectbox(t("qa.wb.pick"), list(labels), format_func=labels.get, key="qa_wb_sample")
try:
    view = reviews.sample_view(engine, sample_id, user)
except QAError as exc:
    st.error(exc.text())
    st.stop()
s = view["sample"]
st.subheader(t("qa.wb.chat_of", agent=s["agent"], day=s["work_date"]))
if view["review"] is not None:
    st.warning(t("qa.err.already_scored", who=view["review"]["reviewer"]))
if not s["has_timestamps"]:
    st.caption(t("qa.wb.no_timestamps"))

left, right = st.columns([3, 2])
with left:
    qa_ui.transcript(engine, s["chat_id"])
with right:
    qa_ui.checks_panel(view["check"])
    if st.button(t("qa.wb.recheck"), key=f"qa_wb_recheck_{sample_id}", icon=":material/refresh:"):
        checks_db.recheck_chat(engine, s["chat_id"])
        st.rerun()
    rub = rubric_mod.current(engine)
    submitted, results, comment = qa_ui.rubric_form(rub, f"qa_wb_{sample_id}", view["suggestions"],
                                                    t("qa.wb.submit"))
    if submitted:
        try:
            out = reviews.submit(engine, sample_id, results, comment, actor=user)
        except QAError as exc:
            # the choices and the comment stay in their widgets: nothing typed is lost
            st.error(exc.text())
        else:
            cached.clear()
            st.session_state.pop("qa_wb_sample", None)
            st.session_state["qa_wb_last"] = {
                "qualified": out.qualified, "score": "—" if out.score is None else f"{out.score:g}",
                "agent": f"{s['employee_no']} {s['agent']}", "day": str(out.work_date),
                "point": t("qa.point.none") if out.day_point is None else str(out.day_point),
                "reviews": out.day_reviews, "unqualified": out.day_unqualified}
            st.rerun()
