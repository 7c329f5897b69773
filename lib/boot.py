"""Start-up checks: a wrong DATABASE_URL, an unmigrated database or a missing
cookie key stop the app with one sentence that says what to do."""

from __future__ import annotations

import os

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from db.engine import DatabaseConfigError
from db.migrate import current_revision, head_revision
from lib import auth

COOKIE_ENV = "DASHBOARD_COOKIE_KEY"


class BootError(RuntimeError):
    """Why the app cannot start, as one sentence for the person starting it."""


def check_database(engine: Engine) -> None:
    try:
        rev = current_revision(engine)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise BootError(
            f"Cannot open the database at {engine.url.render_as_string(hide_password=True)}: "
            "check DATABASE_URL and that the server is running."
        ) from exc
    if rev is None:
        raise BootError("The database has no schema yet: run `python -m db migrate` (or `make run`).")
    if rev != head_revision():
        raise BootError(f"The database schema is at {rev}, not the latest: run `python -m db migrate`.")


def cookie_key(engine: Engine, secrets_get=None) -> str:
    """The login cookie's signing key: environment, then .streamlit/secrets.toml, then (demo only) the database's."""
    key = os.environ.get(COOKIE_ENV)
    if not key and secrets_get is not None:
        try:
            key = secrets_get("cookie_key")
        except Exception:  # no secrets file, or no such entry
            key = None
    if key:
        if len(key) < 16:
            raise BootError(f"The cookie key is too short: use at least 16 random characters in {COOKIE_ENV}.")
        return key
    if auth.is_demo(engine):
        with engine.begin() as conn:
            return auth.demo_cookie_key(conn)
    raise BootError(
        f"No login cookie key: set {COOKIE_ENV} or cookie_key in .streamlit/secrets.toml "
        "(outside demo mode the dashboard will not start without one)."
    )


def boot(engine_getter) -> tuple[Engine, str]:
    """Engine and cookie key, or BootError."""
    try:
        engine = engine_getter()
    except DatabaseConfigError as exc:
        raise BootError(str(exc)) from exc
    check_database(engine)
    import streamlit as st

    return engine, cookie_key(engine, lambda k: st.secrets[k])
