"""Helpers to run the app or one page under AppTest as a given user."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib import auth

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def page(path: str) -> AppTest:
    return AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)


def sign_in_state(at: AppTest, engine, username: str) -> auth.CurrentUser:
    """Give the AppTest session a valid server-side session for ``username`` (skips the form)."""
    user = auth.load_user(engine, username=username)
    assert user is not None, username
    tok = auth.token_hash(username, datetime.now().timestamp())
    sid = auth.start_session(engine, user.id, username, tok, datetime.utcnow() + timedelta(days=1))
    at.session_state["_auth"] = {"user_id": user.id, "session_id": sid}
    at.session_state["lang"] = "en"
    return user


def login_with_form(at: AppTest, username: str, password: str) -> AppTest:
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    if "_auth" in at.session_state and at.session_state["_auth"]:
        at.run()  # in a browser the cookie component reruns the script after sign-in
    return at


def texts(at: AppTest) -> str:
    """All visible text of the last run, for 'contains' checks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "text", "metric"):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "") or ""))
    return "\n".join(parts)


def offered_pages(at: AppTest) -> set[str]:
    """The page files st.navigation registered for this session, relative to the project."""
    out = set()
    for info in at._registered_pages.values():
        path = info.get("script_path")
        if path:
            out.add(str(Path(path).resolve().relative_to(ROOT)))
    return out


DEMO_LOGINS = {
    "admin": "demo_admin",
    "manager": "demo_manager",
    "team_lead": "demo_lead",
    "qa": "demo_qa",
    "complaint_handler": "demo_handler",
    "rm": "demo_rm",
    "agent": "demo_agent",
}
