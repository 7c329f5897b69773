"""One engine per database URL for the whole process (the app's connection pool)."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from db.engine import database_url, make_engine

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def engine_for(url: str | None = None) -> Engine:
    url = url or database_url()
    with _LOCK:
        eng = _ENGINES.get(url)
        if eng is None:
            eng = _ENGINES[url] = make_engine(url)
        return eng


def get_engine() -> Engine:
    """The engine of the current DATABASE_URL."""
    return engine_for(database_url())


def dispose_all() -> None:
    with _LOCK:
        for eng in _ENGINES.values():
            eng.dispose()
        _ENGINES.clear()
