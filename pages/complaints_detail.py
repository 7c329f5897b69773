"""One complaint: its clocks, its facts (masked per role), the actions the workflow allows, its history."""

from datetime import datetime

import streamlit as st

from lib.calendar import to_utc
from lib.complaints import DEPARTMENTS, OUTCOMES, cache, queue, service, workflow
from lib.complaints import ui as cui
from lib.guard import require_page
from lib.i18n import t
from lib.settings import load as load_settings

engine, user = require_page("complaints_detail")
settings = load_settings(engine)
tz = settings["ui.timezone"]

st.title(t("complaints.page.detail"))
ref = st.text_input(t("complaints.detail.ref"), value=st.query_params.get("ref", ""), key="cd_ref",
                    placeholder="TS20261122000123")
cid = queue.find_id(engine, user, ref) if ref else None
if not ref:
    st.info(t("complaints.detail.pick"))
    st.markdown(f":material/inbox: [{t('complaints.home.open_queue')}](complaints-queue)")
    st.stop()
d = queue.detail(engine, user, cid) if cid else None
if d is None:
    st.warning(t("complaints.detail.not_found", ref=ref))
    st.stop()
if st.query_params.get("ref") != d["ref_no"]:
    st.query_params["ref"] = d["ref_no"]

# the version this user is looking at: kept across reruns so that a form submitted after someone
# else's change is refused (optimistic concurrency) instead of silently overwriting it
seen_key = f"cd_seen_{cid}"
if seen_key not in st.session_state:
    st.session_state[seen_key] = {"version": d["version"], "status": d["status"]}
seen = st.session_state[seen_key]["version"]
flash = st.session_state.pop("cd_flash", None)
if flash:
    st.success(flash)
if d["version"] != seen:
    st.warning(t("complaints.detail.changed"), icon=":material/sync_problem:")
    if st.button(t("complaints.detail.reload"), key="cd_reload", icon=":material/refresh:"):
        st.session_state.pop(seen_key, None)
        st.rerun()


def done(message: str, new_version: int | None = None) -> None:
    # our own write: the next run shows (and guards) the version it produced
    st.session_state.pop(seen_key, None)
    st.session_state["cd_flash"] = message
    cache.clear()
    st.rerun()


def attempt(fn, *args, **kwargs):
    """Run a write; show why it was refused (the typed input stays in its widgets)."""
    try:
        return True, fn(*args, **kwargs)
    except service.StaleComplaint as exc:
        st.error(str(exc), icon=":material/sync_problem:")
    except (service.ComplaintError, workflow.TransitionRefused) as exc:
        for msg in getattr(exc, "errors", [str(exc)]):
            st.error(msg)
    return False, None


# --- header: state, flags, clocks ----------------------------------------------------------
st.subheader(f"{d['ref_no']} · {cui.label('status', d['status'])}")
flags = []
if d["regulator_referral"]:
    flags.append(t("complaints.flag.regulator"))
if d["media_risk"]:
    flags.append(t("complaints.flag.media"))
if d["vulnerable_customer"]:
    flags.append(t("complaints.flag.vulnerable"))
if d["repeat_ref"]:
    flags.append(t("complaints.flag.repeat_of", ref=d["repeat_ref"]))
if flags:
    st.error(" · ".join(flags), icon=":material/flag:")
if d["escalation_level"]:
    st.warning(t(f"complaints.escalated.{min(d['escalation_level'], 2)}"), icon=":material/priority_high:")

left = d["time_left"]
if left is not None:
    msg = t("complaints.detail.active_clock", clock=cui.label("clock", d["due_kind"]),
            due=d["due_at_local"].strftime("%Y-%m-%d %H:%M"))
    (st.error if left.total_seconds() < 0 else st.info)(msg + " · " + [c for c in d["clocks"]
                                                                     if c["clock"] == d["due_kind"]][0]["left"])
clock_rows = [{"clock": cui.label("clock", c["clock"]), "due": c["due"], "done": c["done"],
               "on_time": c["on_time"], "left": c["left"]} for c in d["clocks"]]
st.dataframe(clock_rows, hide_index=True, width="stretch", column_config={
    "clock": st.column_config.TextColumn(t("complaints.col.clock")),
    "due": st.column_config.DatetimeColumn(t("complaints.col.due_at"), format="YYYY-MM-DD HH:mm"),
    "done": st.column_config.DatetimeColumn(t("complaints.col.done_at"), format="YYYY-MM-DD HH:mm"),
    "on_time": st.column_config.CheckboxColumn(t("complaints.col.on_time")),
    "left": st.column_config.TextColumn(t("complaints.col.time_left")),
})

# --- facts ----------------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
c1.markdown(f"**{t('complaints.col.channel')}**: {cui.label('channel', d['channel'])}  \n"
            f"**{t('complaints.col.category')}**: {cui.label('category', d['category'])} / "
            f"{cui.label('subcategory', d['subcategory'])}  \n"
            f"**{t('complaints.col.cause')}**: {cui.label('cause', d['cause_code'])}  \n"
            f"**{t('complaints.col.severity')}**: {cui.label('severity', d['severity'])}")
c2.markdown(f"**{t('complaints.col.client')}**: {d['client_name'] or '—'}  \n"
            f"**{t('complaints.col.client_id_number')}**: {d['client_id_number'] or '—'}  \n"
            f"**{t('complaints.col.client_phone')}**: {d['client_phone'] or '—'}  \n"
            f"**{t('complaints.col.product')}**: {d['product'] or '—'}")
c3.markdown(f"**{t('complaints.col.assignee')}**: {d['assignee'] or t('complaints.unassigned')}  \n"
            f"**{t('complaints.col.subject')}**: {d['subject_agent'] or d['subject_rm'] or '—'}"
            f" · {d['subject_branch'] or '—'}  \n"
            f"**{t('complaints.col.dept_at_fault')}**: {cui.label('dept', d['dept_at_fault'])}  \n"
            f"**{t('complaints.col.accepted_at')}**: {d['accepted_at_local']:%Y-%m-%d %H:%M}")
st.markdown(f"**{t('complaints.col.narrative')}**")
st.text(d["narrative"] or "")
if d["repeated_by"]:
    st.caption(t("complaints.detail.repeated_by", refs=", ".join(d["repeated_by"])))

# --- actions --------------------------------------------------------------------------------
# the forms of the state this user is looking at, so that what they typed survives someone else's change
actions = workflow.allowed_actions(st.session_state[seen_key]["status"], user.roles,
                                   is_assignee=d["assigned_to"] == user.id)
if actions:
    st.subheader(t("complaints.detail.actions"))
    tabs = st.tabs([t(f"complaints.action.{a}") for a in actions])
    for tab, action in zip(tabs, actions, strict=True):
        with tab:
            if action == "assign":
                hs = cache.handlers_for(engine)
                names = {h["id"]: f"{h['display_name']} ({t('complaints.assign.open_n', n=h['open'])})" for h in hs}
                opts = [None] + ([user.id] if user.id in names else []) + [h["id"] for h in hs if h["id"] != user.id]
                with st.form(f"cd_form_assign_{cid}"):
                    to = st.selectbox(t("complaints.assign.to"), opts, key=f"cd_assign_to_{cid}",
                                      format_func=lambda h, n=names, b=t("complaints.assign.balanced"): b if h is None else n[h])
                    if st.form_submit_button(t("complaints.action.assign"), type="primary"):
                        ok, who = attempt(service.assign, engine, user, cid, seen, to)
                        if ok:
                            done(t("complaints.assign.done_one", name=names.get(who, who)), seen + 1)
            elif action in ("start", "close"):
                with st.form(f"cd_form_{action}_{cid}"):
                    st.caption(t(f"complaints.action.{action}_help"))
                    if st.form_submit_button(t(f"complaints.action.{action}"), type="primary"):
                        ok, v = attempt(service.transition, engine, user, cid, action, seen)
                        if ok:
                            done(t("complaints.detail.saved"), v)
            elif action == "reply":
                with st.form(f"cd_form_reply_{cid}"):
                    text = st.text_area(t("complaints.reply.text"), key=f"cd_reply_text_{cid}")
                    causes = [None] + list(settings["complaints.causes"])
                    cause = st.selectbox(t("complaints.col.cause"), causes, key=f"cd_reply_cause_{cid}",
                                         index=causes.index(d["cause_code"]) if d["cause_code"] in causes else 0,
                                         format_func=cui.fmt("cause"))
                    depts = [None] + list(DEPARTMENTS)
                    dept = st.selectbox(t("complaints.col.dept_at_fault"), depts, key=f"cd_reply_dept_{cid}",
                                        format_func=cui.fmt("dept"))
                    if st.form_submit_button(t("complaints.action.reply"), type="primary"):
                        ok, v = attempt(service.transition, engine, user, cid, "reply", seen, text=text,
                                        cause_code=cause, dept_at_fault=dept)
                        if ok:
                            done(t("complaints.detail.saved"), v)
            elif action == "follow_up":
                with st.form(f"cd_form_follow_up_{cid}"):
                    outcome = st.radio(t("complaints.follow_up.outcome"), OUTCOMES, key=f"cd_fu_outcome_{cid}",
                                       format_func=cui.fmt("outcome"), horizontal=True)
                    text = st.text_area(t("complaints.follow_up.text"), key=f"cd_fu_text_{cid}")
                    if st.form_submit_button(t("complaints.action.follow_up"), type="primary"):
                        ok, v = attempt(service.transition, engine, user, cid, "follow_up", seen, text=text,
                                        outcome=outcome)
                        if ok:
                            done(t("complaints.detail.saved"), v)
            elif action == "note":
                with st.form(f"cd_form_note_{cid}"):
                    text = st.text_area(t("complaints.note.text"), key=f"cd_note_text_{cid}")
                    if st.form_submit_button(t("complaints.action.note")):
                        ok, _ = attempt(service.add_note, engine, user, cid, text)
                        if ok:
                            st.session_state.pop(f"cd_note_text_{cid}", None)
                            done(t("complaints.detail.saved"))
            elif action == "dept_request":
                with st.form(f"cd_form_dept_{cid}"):
                    dept = st.selectbox(t("complaints.dept.department"), DEPARTMENTS, key=f"cd_dept_{cid}",
                                        format_func=cui.fmt("dept"))
                    due_day = st.date_input(t("complaints.dept.due"), key=f"cd_dept_due_{cid}",
                                            value=service.suggest_dept_due(engine).date())
                    due_time = st.time_input(t("complaints.dept.due_time"), key=f"cd_dept_time_{cid}",
                                             value=service.suggest_dept_due(engine).time())
                    text = st.text_area(t("complaints.dept.text"), key=f"cd_dept_text_{cid}")
                    if st.form_submit_button(t("complaints.action.dept_request")):
                        due = to_utc(datetime.combine(due_day, due_time), tz)
                        ok, _ = attempt(service.request_department, engine, user, cid, dept, due, text)
                        if ok:
                            done(t("complaints.detail.saved"))
            elif action == "dept_answer":
                open_reqs = d["dept_requests"][d["dept_requests"]["answered_at"].isna()]
                if open_reqs.empty:
                    st.caption(t("complaints.dept.none_open"))
                else:
                    with st.form(f"cd_form_dept_answer_{cid}"):
                        req = st.selectbox(t("complaints.dept.request"), list(open_reqs["id"]),
                                           key=f"cd_dept_req_{cid}",
                                           format_func=lambda r, o=open_reqs: cui.label(
                                               "dept", o.set_index("id").loc[r, "department"]))
                        text = st.text_area(t("complaints.dept.answer"), key=f"cd_dept_answer_{cid}")
                        if st.form_submit_button(t("complaints.action.dept_answer")):
                            ok, _ = attempt(service.answer_department, engine, user, int(req), text)
                            if ok:
                                done(t("complaints.detail.saved"))
            elif action == "extend":
                if d["next_extension_days"] is None:
                    st.caption(t("complaints.extend.none_left"))
                else:
                    with st.form(f"cd_form_extend_{cid}"):
                        st.caption(t("complaints.extend.help", days=d["next_extension_days"]))
                        reason = st.text_area(t("complaints.extend.reason"), key=f"cd_ext_reason_{cid}")
                        told_day = st.date_input(t("complaints.extend.told"), key=f"cd_ext_day_{cid}")
                        told_time = st.time_input(t("complaints.extend.told_time"), key=f"cd_ext_time_{cid}")
                        if st.form_submit_button(t("complaints.action.extend")):
                            told = to_utc(datetime.combine(told_day, told_time), tz)
                            ok, _ = attempt(service.extend, engine, user, cid, seen, reason, told)
                            if ok:
                                done(t("complaints.detail.saved"), seen + 1)

# --- history (append-only) ------------------------------------------------------------------
st.subheader(t("complaints.detail.history"))
hist = cui.labelled(d["history"], {"kind": "event", "from": "status", "to": "status"})
st.dataframe(hist, hide_index=True, width="stretch", column_config={
    "at": st.column_config.DatetimeColumn(t("complaints.col.at"), format="YYYY-MM-DD HH:mm"),
    "actor": st.column_config.TextColumn(t("complaints.col.actor")),
    "kind": st.column_config.TextColumn(t("complaints.col.event")),
    "from": st.column_config.TextColumn(t("complaints.col.from")),
    "to": st.column_config.TextColumn(t("complaints.col.to")),
    "text": st.column_config.TextColumn(t("complaints.col.text"), width="large"),
    "detail": st.column_config.TextColumn(t("complaints.col.detail")),
})
if len(d["extensions"]):
    st.markdown(f"**{t('complaints.detail.extensions')}**")
    st.dataframe(d["extensions"], hide_index=True, width="stretch")
if len(d["dept_requests"]):
    st.markdown(f"**{t('complaints.detail.dept_requests')}**")
    st.dataframe(cui.labelled(d["dept_requests"], {"department": "dept"}), hide_index=True, width="stretch")
