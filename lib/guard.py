"""The one guard every page calls first.

Streamlit can serve ``pages/*.py`` without running app.py (see the foundation
issue), so a page never trusts that app.py checked anything: it boots, signs
the user in (or draws the sign-in form and stops) and checks the policy table.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy import Engine

from lib import auth, policy
from lib.boot import BootError, boot
from lib.db import get_engine
from lib.i18n import t
from lib.session import require_login

_BOOT_OK: dict[str, tuple[float, Engine, str]] = {}
_BOOT_TTL_S = 60.0


def booted() -> tuple[Engine, str]:
    """Engine and cookie key, checked at most once a minute; stops the page with one sentence on failure."""
    from db.engine import database_url

    url = database_url()
    hit = _BOOT_OK.get(url)
    if hit and time.monotonic() - hit[0] < _BOOT_TTL_S:
        return hit[1], hit[2]
    try:
        engine, key = boot(get_engine)
    except BootError as exc:
        st.error(str(exc))
        st.stop()
    _BOOT_OK[url] = (time.monotonic(), engine, key)
    return engine, key


def reset_boot_cache() -> None:
    _BOOT_OK.clear()


def require_page(page_key: str) -> tuple[Engine, auth.CurrentUser]:
    """Return (engine, user) when the signed-in user may open ``page_key``; else stop the page."""
    engine, key = booted()
    user = require_login(engine, key)
    st.session_state[_CHECKS] = {}
    if not policy.can_open(user.roles, page_key):
        st.error(t("guard.forbidden"))
        st.stop()
    return engine, user


_CHECKS = "_download_checks"


def require_download(user: auth.CurrentUser, key: str) -> bool:
    """Whether a download may be offered to ``user`` (policy.DOWNLOADS).

    Each check is noted for the page run, so tests can prove that every
    download button a page shows was allowed by the policy table.
    """
    allowed = policy.can_download(user.roles, key)
    st.session_state.setdefault(_CHECKS, {})[key] = allowed
    return allowed
