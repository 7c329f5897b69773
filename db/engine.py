"""Engine and sessions from ``DATABASE_URL``.

SQLite (the default, ``sqlite:///data/dashboard.db``) and PostgreSQL
(``postgresql+psycopg://...``) are both first-class.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///data/dashboard.db"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseConfigError(RuntimeError):
    """The database URL is wrong or the database cannot be reached: one sentence for the user."""


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"DATABASE_URL {url!r} is not a database URL; use sqlite:///path.db or "
            "postgresql+psycopg://user@host:5432/name."
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            path = Path(db)
            if not path.is_absolute():
                path = PROJECT_ROOT / path
                parsed = parsed.set(database=str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise DatabaseConfigError(
        f"DATABASE_URL uses {backend!r}; this dashboard supports sqlite and postgresql+psycopg."
    )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_SESSIONMAKERS: dict[int, sessionmaker] = {}


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: commits at the end, rolls back everything on any error."""
    maker = _SESSIONMAKERS.get(id(engine))
    if maker is None:
        maker = _SESSIONMAKERS[id(engine)] = sessionmaker(engine, expire_on_commit=False)
    session = maker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
