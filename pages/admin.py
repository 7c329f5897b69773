"""Administration: users and roles, settings (versioned), the working calendar."""

import json
from datetime import date

import streamlit as st

from lib import admin, auth, policy
from lib import settings as settings_mod
from lib.guard import require_page
from lib.i18n import current_language, t
from lib.ui import role_label

engine, user = require_page("admin")
st.title(t("page.admin"))
tab_users, tab_settings, tab_calendar = st.tabs([t("admin.users"), t("admin.settings"), t("admin.calendar")])

with tab_users:
    users = admin.users_frame(engine)
    st.dataframe(
        users,
        hide_index=True,
        column_config={
            "id": None,
            "username": st.column_config.TextColumn(t("admin.username")),
            "display_name": st.column_config.TextColumn(t("admin.display_name")),
            "roles": st.column_config.ListColumn(t("admin.roles")),
            "is_active": st.column_config.CheckboxColumn(t("admin.active")),
            "language": st.column_config.TextColumn(t("ui.language")),
            "failed_attempts": st.column_config.NumberColumn(t("admin.failed_attempts")),
            "locked_until": st.column_config.DatetimeColumn(t("admin.locked_until"), format="YYYY-MM-DD HH:mm"),
            "created_at": st.column_config.DatetimeColumn(t("admin.created_at"), format="YYYY-MM-DD"),
        },
    )
    c1, c2 = st.columns(2)
    with c1, st.form("new_user", clear_on_submit=False):
        st.subheader(t("admin.new_user"))
        nu = st.text_input(t("admin.username"))
        nd = st.text_input(t("admin.display_name"))
        npw = st.text_input(t("auth.password"), type="password")
        nroles = st.multiselect(t("admin.roles"), policy.ROLES, format_func=role_label)
        if st.form_submit_button(t("admin.create")):
            try:
                auth.create_user(engine, nu, npw, nroles, display_name=nd or None, actor_id=user.id,
                                 actor_name=user.username, language=current_language())
            except auth.AuthError as exc:
                st.error(str(exc))
            else:
                st.success(t("admin.created", username=nu.strip().lower()))
    with c2:
        st.subheader(t("admin.edit_user"))
        if not users.empty:
            pick = st.selectbox(t("admin.username"), users["username"].tolist(), key="edit_user_pick")
            row = users[users["username"] == pick].iloc[0]
            uid = int(row["id"])
            with st.form("edit_roles"):
                roles = st.multiselect(t("admin.roles"), policy.ROLES, default=row["roles"], format_func=role_label)
                active = st.checkbox(t("admin.active"), value=bool(row["is_active"]))
                if st.form_submit_button(t("admin.save")):
                    try:
                        if sorted(roles) != sorted(row["roles"]):
                            auth.set_roles(engine, uid, roles, actor=user)
                        if active != bool(row["is_active"]):
                            auth.set_active(engine, uid, active, actor=user)
                    except auth.AuthError as exc:
                        st.error(str(exc))
                    else:
                        st.success(t("admin.saved"))
            with st.form("reset_password", clear_on_submit=True):
                pw = st.text_input(t("auth.new_password"), type="password")
                if st.form_submit_button(t("admin.reset_password")):
                    try:
                        auth.reset_password(engine, uid, pw, actor=user)
                    except auth.AuthError as exc:
                        st.error(str(exc))
                    else:
                        st.success(t("admin.saved"))
            if row["failed_attempts"] and st.button(t("admin.unlock"), key="unlock"):
                admin.unlock(engine, uid, actor=user)
                st.rerun()

with tab_settings:
    current = settings_mod.load(engine)
    # the version this editor started from: a save made meanwhile by someone else is detected
    base = st.session_state.setdefault("settings_base_version", current.version_id)
    st.caption(t("admin.settings_version", version=current.version_id or 0))
    if base != current.version_id:
        st.warning(t("admin.settings_changed_meanwhile"))
        if st.button(t("admin.reload_settings"), key="settings_reload"):
            for k in [k for k in st.session_state if str(k).startswith("set_")]:
                del st.session_state[k]
            st.session_state["settings_base_version"] = current.version_id
            st.rerun()
    areas = sorted({k.split(".")[0] for k in settings_mod.CATALOG})
    area = st.segmented_control(t("admin.settings_area"), areas, default=areas[0], key="settings_area")
    zh = current_language() == "zh"
    with st.form("settings_form"):
        edited = {}
        for key, spec in settings_mod.CATALOG.items():
            if key.split(".")[0] != area:
                continue
            label = (spec.label_zh if zh else spec.label_en) + (f" ({spec.unit})" if spec.unit else "")
            val = current[key]
            help_ = f"{key} · {t('admin.default')}: {json.dumps(spec.default, ensure_ascii=False)}"
            if spec.kind == "int":
                edited[key] = st.number_input(label, value=int(val), step=1, help=help_, key=f"set_{key}")
            elif spec.kind == "float":
                edited[key] = st.number_input(label, value=float(val), help=help_, key=f"set_{key}")
            elif spec.kind == "bool":
                edited[key] = st.checkbox(label, value=bool(val), help=help_, key=f"set_{key}")
            elif spec.kind == "choice":
                edited[key] = st.selectbox(label, spec.choices, index=spec.choices.index(val), help=help_,
                                           key=f"set_{key}")
            elif spec.kind in ("str", "time"):
                edited[key] = st.text_input(label, value=val, help=help_, key=f"set_{key}")
            else:
                edited[key] = st.text_area(label, value=json.dumps(val, ensure_ascii=False, indent=1), help=help_,
                                           key=f"set_{key}")
        note = st.text_input(t("admin.change_note"))
        if st.form_submit_button(t("admin.save")):
            changes, error = {}, None
            for key, v in edited.items():
                spec = settings_mod.CATALOG[key]
                if spec.kind in ("list", "dict"):
                    try:
                        v = json.loads(v)
                    except ValueError:
                        error = t("admin.bad_json", key=key)
                        break
                if v != current[key]:
                    changes[key] = v
            if error:
                st.error(error)
            elif not changes:
                st.info(t("admin.no_changes"))
            else:
                try:
                    vid = settings_mod.save(engine, changes, user_id=user.id, username=user.username,
                                            note=note or None, expected_version_id=base)
                except settings_mod.StaleSettingsError as exc:
                    st.error(str(exc))
                except ValueError as exc:
                    st.error(str(exc))
                else:
                    st.session_state["settings_base_version"] = vid
                    st.success(t("admin.saved"))

with tab_calendar:
    year = st.number_input(t("admin.year"), min_value=2000, max_value=2100, value=date.today().year, step=1)
    st.dataframe(admin.calendar_frame(engine, int(year)), hide_index=True, column_config={
        "day": st.column_config.DateColumn(t("admin.day")),
        "kind": st.column_config.TextColumn(t("admin.day_kind")),
        "name": st.column_config.TextColumn(t("admin.day_name")),
    })
    with st.form("calendar_form"):
        d = st.date_input(t("admin.day"))
        kind = st.selectbox(t("admin.day_kind"), ["holiday", "workday", "normal"],
                            format_func=lambda k: t(f"admin.kind.{k}"))
        name = st.text_input(t("admin.day_name"))
        if st.form_submit_button(t("admin.save")):
            admin.set_calendar_day(engine, d, None if kind == "normal" else kind, name, actor=user)
            st.success(t("admin.saved"))
