"""QA administration: import chats (same behaviour as `python -m db import-chats`), assign chats
without a known agent, run and verify the daily sampling, the rubric (new versions by the
administrator), and closing a month (manager, administrator) with the payroll download."""

import streamlit as st

from lib import settings as settings_mod
from lib.guard import require_download, require_page
from lib.i18n import current_language, t
from lib.qa import admin as qa_admin
from lib.qa import cached, points, rubric, sampling
from lib.qa.common import bank_today
from lib.ui import download_buttons

engine, user = require_page("qa_admin")
lang = current_language()
st.title(t("qa.page.admin"))
today = bank_today(settings_mod.load(engine))

tabs = []
if user.has("admin", "qa"):
    tabs += ["import", "sampling"]
tabs += ["rubric"]
if user.has("admin", "manager"):
    tabs += ["months"]
panes = dict(zip(tabs, st.tabs([t(f"qa.adm.tab.{k}") for k in tabs]), strict=True))

if "import" in panes:
    with panes["import"]:
        st.caption(t("qa.adm.import_help"))
        up = st.file_uploader(t("qa.adm.file"), type=["jsonl", "json", "ndjson", "csv"], key="qa_adm_file")
        skip_bad = st.checkbox(t("qa.adm.skip_bad"), key="qa_adm_skip")
        if up is not None and st.button(t("qa.adm.import"), type="primary", key="qa_adm_go"):
            bar = st.progress(0.0, text=t("qa.adm.importing"))
            outcome = qa_admin.import_upload(engine, up.getvalue(), up.name, skip_bad, user,
                                             lambda d, n: bar.progress(d / max(n, 1), text=t("qa.adm.importing")))
            bar.empty()
            if outcome.refused:
                st.error(t("qa.adm.refused", n=len(outcome.issues)))
            else:
                cached.clear()
                st.success(t("qa.adm.imported", inserted=outcome.report.inserted, skipped=outcome.report.skipped,
                             rejected=len(outcome.report.rejected), messages=outcome.report.extra.get("messages", 0)))
            if outcome.issues:
                st.dataframe(outcome.issues_frame(), hide_index=True,
                             column_config={"line": t("qa.adm.line"), "problem": t("qa.adm.problem")})
        st.divider()
        st.markdown(f"**{t('qa.adm.unassigned')}**")
        un = qa_admin.unassigned(engine)
        st.caption(t("qa.adm.unassigned_n", n=un["total"]))
        if un["total"]:
            st.dataframe(un["rows"], hide_index=True)
            agents = qa_admin.agent_options(engine)
            c1, c2 = st.columns(2)
            ref = c1.selectbox(t("qa.adm.ref"), un["refs"], key="qa_adm_ref")
            aid = c2.selectbox(t("qa.col.agent"), list(agents), format_func=agents.get, key="qa_adm_agent")
            if st.button(t("qa.adm.assign"), key="qa_adm_assign"):
                n = qa_admin.assign_ref(engine, ref, aid, actor=user)
                cached.clear()
                st.success(t("qa.adm.assigned", n=n))

if "sampling" in panes:
    with panes["sampling"]:
        st.caption(t("qa.adm.sampling_help"))
        day = st.date_input(t("qa.col.day"), value=today, key="qa_adm_day")
        if st.button(t("qa.adm.draw"), key="qa_adm_draw"):
            r = sampling.run_day(engine, day, actor=user)
            st.success(t("qa.adm.drawn", samples=r.samples, agents=r.agents, already=r.already_drawn))
        draws = sampling.draws_frame(engine, day, None)
        st.dataframe(draws, hide_index=True, column_config={
            "id": "#", "work_date": t("qa.col.day"), "employee_no": t("qa.col.employee_no"),
            "name": t("qa.col.agent"), "sample_size": t("qa.adm.size"), "seed": t("qa.adm.seed"),
            "drawn": t("qa.adm.drawn_n")})
        if not draws.empty:
            did = st.selectbox(t("qa.adm.verify_pick"), [int(x) for x in draws["id"]], key="qa_adm_verify")
            if st.button(t("qa.adm.verify"), key="qa_adm_verify_go"):
                v = sampling.verify(engine, did)
                (st.success if v.equal else st.error)(
                    t("qa.adm.verified" if v.equal else "qa.adm.not_verified", n=v.candidates, seed=v.seed,
                      stored=", ".join(map(str, v.stored)), redrawn=", ".join(map(str, v.redrawn))))

with panes["rubric"]:
    cur = rubric.current(engine)
    st.caption(t("qa.rubric.legend", pass_mark=f"{float(cur.pass_mark):g}", version=cur.version))
    frame = qa_admin.rubric_frame(cur)
    if "admin" in user.roles:
        edited = st.data_editor(frame, hide_index=True, disabled=["code"], key=f"qa_adm_rubric_{cur.version}",
                                column_config={"code": t("qa.adm.code"), "name_zh": "中文", "name_en": "English",
                                               "weight": st.column_config.NumberColumn(t("qa.rubric.weight"),
                                                                                       min_value=0, max_value=1000),
                                               "critical": st.column_config.CheckboxColumn(t("qa.adm.critical"))})
        pm = st.number_input(t("qa.adm.pass_mark"), 0.0, 100.0, float(cur.pass_mark), key=f"qa_adm_pm_{cur.version}")
        note = st.text_input(t("qa.adm.note"), key=f"qa_adm_note_{cur.version}")
        if st.button(t("qa.adm.save_rubric"), type="primary", key="qa_adm_save_rubric"):
            try:
                new = rubric.save_version(engine, edited.to_dict("records"), pm, actor=user, note=note,
                                          expected_version=cur.version)
            except (ValueError, rubric.StaleRubricError) as exc:
                st.error(str(exc))
            else:
                st.success(t("qa.adm.rubric_saved", version=new.version))
    else:
        st.dataframe(frame, hide_index=True)
    st.dataframe(qa_admin.rubric_versions(engine), hide_index=True)

if "months" in panes:
    with panes["months"]:
        closed = points.closed_months(engine)
        st.caption(t("qa.adm.closed", months=", ".join(closed) or "—"))
        month = st.selectbox(t("qa.res.month"), qa_admin.closable_months(engine, today), key="qa_adm_month")
        force = st.checkbox(t("qa.adm.force"), key="qa_adm_force")
        if month and st.button(t("qa.adm.close"), type="primary", key="qa_adm_close"):
            try:
                n = points.close_month(engine, month, actor=user, force=force)
            except (ValueError, points.MonthClosedError) as exc:
                st.error(str(exc))
            else:
                cached.clear()
                st.success(t("qa.adm.closed_ok", month=month, n=n))
        if require_download(user, "qa_month"):
            m = st.selectbox(t("qa.adm.payroll"), closed or [today.strftime("%Y-%m")], key="qa_adm_payroll")
            df = cached.payroll(engine, m)
            st.dataframe(df, hide_index=True)
            download_buttons(df, f"qa_month_{m}", "qa_adm_dl",
                             on_download=lambda: qa_admin.log_download(engine, user, m))
