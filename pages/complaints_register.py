"""Register a complaint (the form), or import a CSV file of them (own columns or the CFPB export)."""

import pandas as pd
import streamlit as st

from lib.complaints import CHANNELS, SEVERITIES, cache, importer, queue, service
from lib.complaints import ui as cui
from lib.fileio import ImportRefused
from lib.guard import require_page
from lib.i18n import current_language, t
from lib.settings import load as load_settings

engine, user = require_page("complaints_register")
settings = load_settings(engine)
cats = settings["complaints.categories"]

st.title(t("complaints.page.register"))
tab_form, tab_import = st.tabs([t("complaints.register.form"), t("complaints.register.import")])

with tab_form:
    last = st.session_state.get("cr_last")
    if last:
        st.success(t("complaints.register.done", ref=last))
        st.markdown(f":material/assignment: [{t('complaints.register.open', ref=last)}](complaints-detail?ref={last})")

    c1, c2 = st.columns(2)
    channel = c1.selectbox(t("complaints.col.channel"), CHANNELS, key="cr_channel",
                           format_func=cui.fmt("channel"))
    severity = c2.selectbox(t("complaints.col.severity"), SEVERITIES, index=1, key="cr_severity",
                            format_func=cui.fmt("severity"))

    st.markdown(f"**{t('complaints.col.client')}**")
    q = st.text_input(t("complaints.register.client_search"), key="cr_client_q",
                      placeholder=t("complaints.register.client_search_hint"))
    found = queue.find_clients(engine, user, q) if q else pd.DataFrame()
    client_id = None
    if len(found):
        client_id = st.selectbox(
            t("complaints.register.client_pick"), [None] + list(found["id"]), key="cr_client_id",
            format_func=lambda i, none=t("complaints.register.client_none"): none if i is None else
            " · ".join(str(x) for x in found.set_index("id").loc[i, ["name", "id_masked", "branch"]] if x))
    elif q:
        st.caption(t("complaints.register.client_not_found"))
    client_name = st.text_input(t("complaints.register.client_name"), key="cr_client_name",
                                disabled=client_id is not None)

    c1, c2 = st.columns(2)
    category = c1.selectbox(t("complaints.col.category"), list(cats), key="cr_category",
                            format_func=cui.fmt("category"))
    subcategory = c2.selectbox(t("complaints.col.subcategory"), [None] + list(cats[category]), key="cr_subcategory",
                               format_func=cui.fmt("subcategory"))
    prods = queue.products(engine)
    pname = "name_zh" if current_language() == "zh" else "name_en"
    product_id = c1.selectbox(t("complaints.col.product"), [None] + [p["id"] for p in prods], key="cr_product",
                              format_func=lambda i: "—" if i is None else
                              next(p[pname] for p in prods if p["id"] == i))
    product_text = c2.text_input(t("complaints.register.product_text"), key="cr_product_text",
                                 disabled=product_id is not None)
    cause = c1.selectbox(t("complaints.col.cause"), [None] + list(settings["complaints.causes"]), key="cr_cause",
                         format_func=cui.fmt("cause"))

    narrative = st.text_area(t("complaints.col.narrative"), key="cr_narrative", height=150,
                             max_chars=service.NARRATIVE_MAX)
    f1, f2, f3 = st.columns(3)
    regulator = f1.checkbox(t("complaints.flag.regulator"), key="cr_regulator")
    media = f2.checkbox(t("complaints.flag.media"), key="cr_media")
    vulnerable = f3.checkbox(t("complaints.flag.vulnerable"), key="cr_vulnerable")

    with st.expander(t("complaints.register.subject"), icon=":material/person_search:"):
        st.caption(t("complaints.register.subject_help"))
        agents = queue.agents(engine)
        rms = queue.rms(engine)
        s1, s2, s3 = st.columns(3)
        agent_id = s1.selectbox(t("complaints.register.subject_agent"), [None] + [a["id"] for a in agents],
                                key="cr_agent", format_func=lambda i: "—" if i is None else
                                next(f"{a['employee_no']} {a['name']}" for a in agents if a["id"] == i))
        rm_id = s2.selectbox(t("complaints.register.subject_rm"), [None] + [r["id"] for r in rms], key="cr_rm",
                             format_func=lambda i: "—" if i is None else
                             next(f"{r['employee_no']} {r['name']}" for r in rms if r["id"] == i))
        branch = s3.selectbox(t("complaints.register.subject_branch"), [None] + queue.branches(engine),
                              key="cr_branch", format_func=lambda b: "—" if b is None else b)
    auto = st.checkbox(t("complaints.register.auto_assign"), key="cr_auto", value=False)

    if st.button(t("complaints.register.submit"), type="primary", key="cr_submit", icon=":material/save:"):
        new = service.NewComplaint(
            channel=channel, category=category, subcategory=subcategory, cause_code=cause, narrative=narrative,
            severity=severity, client_id=client_id, client_name=None if client_id else client_name,
            product_id=product_id, product_text=None if product_id else (product_text or None),
            regulator_referral=regulator, media_risk=media, vulnerable_customer=vulnerable,
            subject_agent_id=agent_id, subject_rm_id=rm_id, subject_branch=branch)
        try:
            cid = service.register(engine, user, new, auto_assign=auto)
        except service.ComplaintError as exc:
            for msg in exc.errors:
                st.error(msg)
        else:
            cache.clear()
            d = queue.detail(engine, user, cid)
            st.session_state["cr_last"] = d["ref_no"]
            for k in ("cr_narrative", "cr_client_name", "cr_client_q", "cr_product_text"):
                st.session_state.pop(k, None)
            st.rerun()

with tab_import:
    st.caption(t("complaints.import.help"))
    preset = st.radio(t("complaints.import.preset"), importer.PRESETS, horizontal=True, key="ci_preset",
                      format_func=cui.fmt_key("complaints.import.preset_"))
    up = st.file_uploader(t("complaints.import.file"), type=["csv", "txt"], key="ci_file")
    skip = st.checkbox(t("complaints.import.skip_bad"), key="ci_skip")
    if st.button(t("complaints.import.run"), disabled=up is None, key="ci_run", icon=":material/upload_file:"):
        bar = st.progress(0.0)
        try:
            rep = importer.import_complaints(engine, up.getvalue(), preset=preset, skip_bad=skip, user=user,
                                             lang=current_language(),
                                             progress=lambda done, total: bar.progress(done / max(total, 1)))
        except ImportRefused as exc:
            st.error(t("complaints.import.refused", reason=str(exc)))
            if exc.issues:
                st.dataframe(pd.DataFrame([{"line": i.line, "problem": i.message} for i in exc.issues]),
                             hide_index=True, width="stretch")
        else:
            cache.clear()
            bar.progress(1.0)
            st.success(t("complaints.import.done", inserted=rep.inserted, skipped=rep.skipped,
                         rejected=len(rep.rejected)))
            if rep.rejected:
                st.dataframe(pd.DataFrame([{"line": i.line, "problem": i.message} for i in rep.rejected]),
                             hide_index=True, width="stretch")
