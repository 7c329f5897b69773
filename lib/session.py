"""Sign-in in the browser: streamlit-authenticator's form and cookie, checked
against the server-side session records of lib.auth on every run."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import Engine
from streamlit_authenticator.utilities import LoginError

from lib import auth
from lib import settings as settings_mod
from lib.i18n import LANGUAGE_NAMES, LANGUAGES, current_language, set_language, t

AUTH_KEY = "_auth"
ENDED_KEY = "_auth_ended"
COOKIE_NAME = "cs_dashboard_auth"


def _login_sleep() -> float:
    # streamlit-authenticator sleeps before drawing the form to slow guessing;
    # the test suite sets DASHBOARD_LOGIN_SLEEP=0.
    try:
        return float(os.environ.get("DASHBOARD_LOGIN_SLEEP", "0.7"))
    except ValueError:
        return 0.7


def _authenticator(engine: Engine, cookie_key: str, creds: dict | None = None) -> stauth.Authenticate:
    s = settings_mod.load(engine)
    return stauth.Authenticate(
        creds if creds is not None else auth.credentials(engine),
        cookie_name=COOKIE_NAME,
        cookie_key=cookie_key,
        cookie_expiry_days=float(s["auth.cookie_expiry_days"]),
        auto_hash=False,
        login_sleep_time=_login_sleep(),
    )


def _clear() -> None:
    # set to None rather than deleted: AppTest (and reruns) keep the key but see it empty
    for k in (AUTH_KEY, "name", "username", "authentication_status", "email", "roles"):
        st.session_state[k] = None


def signed_in(engine: Engine) -> auth.CurrentUser | None:
    """The validated user of this browser session, drawing nothing; None when signed out."""
    a = st.session_state.get(AUTH_KEY)
    if not a:
        return None
    reason = auth.check_session(engine, a["session_id"])
    user = None if reason else auth.load_user(engine, user_id=a["user_id"])
    if user is None:
        _clear()
        st.session_state["logout"] = True  # the authenticator must not re-read the cookie
        st.session_state[ENDED_KEY] = reason or "revoked"
        return None
    return user


def language_picker(container=st.sidebar, engine: Engine | None = None, user_id: int | None = None) -> None:
    lang = current_language()
    choice = container.selectbox(
        t("ui.language"), LANGUAGES, index=LANGUAGES.index(lang), format_func=LANGUAGE_NAMES.get, key="lang_picker"
    )
    if choice != lang:
        set_language(choice)
        if engine is not None and user_id is not None:
            auth.set_language(engine, user_id, choice)
        st.rerun()


def require_login(engine: Engine, cookie_key: str) -> auth.CurrentUser:
    """Return the signed-in user, or draw the sign-in form and stop the script."""
    user = signed_in(engine)
    if user is not None:
        return user
    s = settings_mod.load(engine)
    limit = s["auth.max_failed_attempts"]
    creds = auth.credentials(engine)
    for username in creds["usernames"]:
        if auth.lock_state(engine, username):
            creds["usernames"][username]["failed_login_attempts"] = limit
    before = {u: c["failed_login_attempts"] for u, c in creds["usernames"].items()}

    ended = st.session_state.get(ENDED_KEY)  # kept until the next sign-in: components may rerun the script
    if ended:
        st.info(t(f"auth.ended.{ended}") if f"auth.ended.{ended}" in _ended_keys() else t("auth.ended.revoked"))

    authenticator = _authenticator(engine, cookie_key, creds)
    fields = {"Form name": t("auth.form"), "Username": t("auth.username"), "Password": t("auth.password"),
              "Login": t("auth.submit")}
    locked_msg = None
    try:
        authenticator.login(location="main", max_login_attempts=limit, fields=fields, key="login")
    except LoginError:  # raised for an account we marked as locked
        locked_msg = t("auth.locked")
    status = st.session_state.get("authentication_status")
    if status:
        username = st.session_state["username"]
        cm = authenticator.cookie_controller.cookie_model
        user = auth.load_user(engine, username=username)
        if cm.exp_date is not None and user is not None:  # signed in through the form just now
            sid = auth.start_session(engine, user.id, username, auth.token_hash(username, cm.exp_date),
                                     datetime.fromtimestamp(cm.exp_date, timezone.utc).replace(tzinfo=None))
            _signed_in(user, sid)
            # No rerun here: the cookie component must reach the browser to store the
            # cookie; it reruns the script itself once the cookie is written.
            st.success(t("auth.signed_in"))
            st.button(t("auth.continue"), key="after_login")
            st.stop()
        token = cm.token if isinstance(cm.token, dict) else {}
        sid = auth.find_session(engine, auth.token_hash(token.get("username", ""), token.get("exp_date", 0.0)))
        if user is None or sid is None or auth.check_session(engine, sid):
            # a cookie whose server session was revoked (logout, password change, idle): refuse it
            authenticator.authentication_controller.logout()
            try:
                authenticator.cookie_controller.delete_cookie()
            except Exception:  # noqa: BLE001 - the server-side refusal is what counts
                pass
            _clear()
            st.session_state["logout"] = True
            st.session_state[ENDED_KEY] = "revoked"
            st.rerun()
        # signed in by a live cookie: go on in this same run, so that the page the
        # browser asked for (a deep link) is the one st.navigation opens
        _signed_in(user, sid)
        return user
    if status is False:
        for username, count in before.items():
            if creds["usernames"][username]["failed_login_attempts"] > count:
                if auth.record_failed_attempt(engine, username):
                    locked_msg = t("auth.locked")
        st.error(locked_msg or t("auth.bad_credentials"))
    elif locked_msg:
        st.error(locked_msg)
    language_picker()
    st.stop()


def _signed_in(user: auth.CurrentUser, session_id: int) -> None:
    st.session_state[AUTH_KEY] = {"user_id": user.id, "session_id": session_id}
    st.session_state.pop(ENDED_KEY, None)
    set_language(user.language if user.language in LANGUAGES else current_language())


def _ended_keys() -> set[str]:
    from lib.i18n import STRINGS

    return {k for k in STRINGS if k.startswith("auth.ended.")}


def logout(engine: Engine, cookie_key: str) -> None:
    a = st.session_state.get(AUTH_KEY)
    if a:
        auth.revoke_session(engine, a["session_id"], "logout")
    authenticator = _authenticator(engine, cookie_key, {"usernames": {}})
    try:
        authenticator.cookie_controller.delete_cookie()
    except Exception:
        pass
    _clear()
    st.session_state["logout"] = True
    st.session_state[ENDED_KEY] = "logout"
