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


def run_session(db_url: str, username: str, role: str, rounds: int = 2) -> dict:
    """One user's session opening each of their pages ``rounds`` times (for the load test,
    run in its own process: AppTest patches process-wide state and is not thread-safe)."""
    import os
    import time

    from lib import policy
    from lib.db import engine_for

    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DASHBOARD_LOGIN_SLEEP", "0")
    engine = engine_for(db_url)
    first = app()
    user = sign_in_state(first, engine, username)
    first.run(timeout=180)
    auth_state = dict(first.session_state["_auth"])
    times, problems = [], []
    for _ in range(rounds):
        for spec in policy.pages_for({role}):
            at = page(spec.file)
            at.session_state["_auth"] = dict(auth_state)
            at.session_state["lang"] = "en"
            t0 = time.perf_counter()
            at.run(timeout=180)
            times.append(time.perf_counter() - t0)
            if at.exception:
                problems.append(f"{spec.key}: {at.exception[0].value[:200]}")
            if at.session_state["_auth"]["user_id"] != user.id:
                problems.append(f"{spec.key}: session now belongs to user {at.session_state['_auth']['user_id']}")
            shown = texts(at)
            problems += [f"{spec.key}: shows {o}" for o in DEMO_LOGINS.values() if o != username and f"`{o}`" in shown]
    return {"username": username, "times": times, "problems": problems}
