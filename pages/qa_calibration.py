"""Calibration: a team lead (or the manager) picks chats for several QA reviewers to score blind;
agreement per criterion as Cohen's kappa (two reviewers) or Fleiss' kappa (more). These reviews
never count for points."""

import streamlit as st

from lib.guard import require_page
from lib.i18n import current_language, t
from lib.qa import calibration
from lib.qa import ui as qa_ui
from lib.qa.common import QAError

engine, user = require_page("qa_calibration")
lang = current_language()
st.title(t("qa.page.calibration"))
st.caption(t("qa.cal.intro"))

if user.has("team_lead", "manager"):
    with st.expander(t("qa.cal.new"), expanded=False):
        cands = calibration.candidate_chats(engine, user)
        people = dict(calibration.qa_users(engine))
        with st.form("qa_cal_new"):
            name = st.text_input(t("qa.cal.name"), key="qa_cal_name")
            chat_labels = {int(r.chat_id): f"{r.work_date} · {r.agent} · {r.conversation_id}"
                           for r in cands.itertuples()}
            chats = st.multiselect(t("qa.cal.chats"), list(chat_labels), format_func=chat_labels.get,
                                   key="qa_cal_chats")
            who = st.multiselect(t("qa.cal.reviewers"), list(people), format_func=people.get, key="qa_cal_who")
            if st.form_submit_button(t("qa.cal.create"), type="primary"):
                try:
                    sid = calibration.create_session(engine, name, chats, who, actor=user)
                except QAError as exc:
                    st.error(exc.text())
                else:
                    st.success(t("qa.cal.created", id=sid))

sessions = calibration.sessions(engine, user)
if sessions.empty:
    st.info(t("qa.cal.none"))
    st.stop()
labels = {int(r.id): f"#{r.id} · {r.name} · {r.chats} {t('qa.cal.chats_n')}" for r in sessions.itertuples()}
sid = st.selectbox(t("qa.cal.session"), list(labels), format_func=labels.get, key="qa_cal_session")

if "qa" in user.roles:
    try:
        items = calibration.my_items(engine, sid, user)
    except QAError:
        items = None
    if items is not None:
        todo = items[~items["done"]]
        st.progress(1 - len(todo) / max(len(items), 1),
                    text=t("qa.cal.progress", done=int(items["done"].sum()), total=len(items)))
        if not todo.empty:
            chat_id = int(todo.iloc[0]["chat_id"])
            st.subheader(t("qa.cal.score_blind", conv=todo.iloc[0]["conversation_id"]))
            rub = calibration.rubric_mod.by_id(engine, calibration.session_rubric(engine, sid))
            left, right = st.columns([3, 2])
            with left:
                qa_ui.transcript(engine, chat_id)
            with right:
                submitted, results, comment = qa_ui.rubric_form(rub, f"qa_cal_{sid}_{chat_id}", {},
                                                                t("qa.wb.submit"))
                if submitted:
                    try:
                        calibration.submit(engine, sid, chat_id, results, comment, actor=user)
                    except QAError as exc:
                        st.error(exc.text())
                    else:
                        st.rerun()

st.subheader(t("qa.cal.agreement"))
if not calibration.may_see_agreement(engine, sid, user):
    st.info(t("qa.cal.blind"))
    st.stop()
agree, complete = calibration.agreement(engine, sid, lang)
st.caption(t("qa.cal.complete", n=complete))
st.dataframe(agree.assign(method=agree["method"].map(lambda m: t(f"qa.cal.method.{m}"))), hide_index=True,
             column_config={"criterion": t("qa.res.criterion"), "method": t("qa.cal.method"),
                            "kappa": st.column_config.NumberColumn("κ", format="%.3f"),
                            "all_agree": st.column_config.NumberColumn(t("qa.cal.all_agree"), format="percent")})
st.caption(t("qa.cal.kappa_help"))
