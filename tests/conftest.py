"""Shared fixtures: a throwaway database per backend, migrated, empty or seeded.

The backend comes from TEST_DB_BACKEND (sqlite, the default, or postgresql);
`make test` runs the suite once for each. PostgreSQL tests use
TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
only to create and drop databases of their own; without a reachable server
they skip, saying so.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault("DASHBOARD_LOGIN_SLEEP", "0")

BACKEND = os.environ.get("TEST_DB_BACKEND", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[2] / "shared"
# The demo seed's last day in tests, fixed so that figures are reproducible.
DEMO_TODAY = date(2026, 11, 22)


def pytest_report_header(config):
    return f"database backend: {BACKEND}"


def _pg_admin():
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("select 1"))
        return eng
    except Exception as exc:  # noqa: BLE001 - any failure means: no server here
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); PostgreSQL tests skipped")


class DatabaseFactory:
    """Creates throwaway databases (and copies of templates) on the chosen backend."""

    def __init__(self, tmp_root: Path):
        self.tmp_root = tmp_root
        self.pg = _pg_admin() if BACKEND == "postgresql" else None
        self.created: list[str] = []

    def new_url(self, template: str | None = None) -> str:
        name = f"dash_test_{uuid.uuid4().hex[:12]}"
        if self.pg is None:
            path = self.tmp_root / f"{name}.db"
            if template:
                src = Path(make_url(template).database)
                shutil.copy(src, path)
            return f"sqlite:///{path}"
        with self.pg.connect() as c:
            if template:
                # PostgreSQL copies a template only while nobody is connected to it
                self.release(template)
                tname = make_url(template).database
                c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": tname})
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tname}"'))
            else:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def release(self, url: str) -> None:
        """Close every pooled connection to ``url`` (a PostgreSQL template must have none)."""
        from lib.db import _ENGINES, _LOCK

        with _LOCK:
            eng = _ENGINES.pop(url, None)
        if eng is not None:
            eng.dispose()

    def drop(self, url: str) -> None:
        """Remove a throwaway database now (a demo copy is ~160 MB: hundreds would fill the disk)."""
        self.release(url)
        if self.pg is None:
            path = Path(make_url(url).database)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return
        name = make_url(url).database
        with self.pg.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        from lib.db import dispose_all

        dispose_all()
        if self.pg is None:
            return
        with self.pg.connect() as c:
            for name in self.created:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.pg.dispose()


@pytest.fixture(scope="session")
def db_factory(tmp_path_factory):
    f = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield f
    f.drop_all()


def _migrated(factory: DatabaseFactory) -> str:
    from db.migrate import upgrade
    from lib.db import engine_for

    url = factory.new_url()
    upgrade(engine_for(url))
    factory.release(url)
    return url


@pytest.fixture(scope="session")
def migrated_template(db_factory) -> str:
    return _migrated(db_factory)


@pytest.fixture(scope="session")
def demo_template(db_factory, migrated_template) -> str:
    """A migrated database with the demo seed (seed 42, last day DEMO_TODAY); never written to."""
    from db.seed import seed
    from lib.db import engine_for

    url = db_factory.new_url(migrated_template)
    seed(engine_for(url), "demo", 42, today=DEMO_TODAY)
    db_factory.release(url)
    return url


@pytest.fixture
def empty_db(db_factory, migrated_template, monkeypatch):
    """A fresh migrated, empty database; DATABASE_URL points at it. Returns its engine."""
    from lib.db import engine_for

    url = db_factory.new_url(migrated_template)
    monkeypatch.setenv("DATABASE_URL", url)
    _reset_process_caches()
    yield engine_for(url)
    db_factory.drop(url)


@pytest.fixture
def demo_db(db_factory, demo_template, monkeypatch):
    """A fresh copy of the seeded demo database (free to write to); DATABASE_URL points at it."""
    from lib.db import engine_for

    url = db_factory.new_url(demo_template)
    monkeypatch.setenv("DATABASE_URL", url)
    _reset_process_caches()
    yield engine_for(url)
    db_factory.drop(url)


def _reset_process_caches() -> None:
    import streamlit as st

    from lib.guard import reset_boot_cache

    reset_boot_cache()
    st.cache_data.clear()


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared/data is not beside the project (a user's fresh clone has none)")
    return SHARED / "data"
