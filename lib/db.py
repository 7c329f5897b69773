"""One engine per database URL for the whole process (the app's connection pool)."""

from __future__ import annotations

import threading

from sqlalchemy import Connection, Engine, text

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


# Keys of the transaction-scoped locks below, one per family of derived tables that writers refresh
# by deleting and re-inserting rows.
LOCK_KPI_ROLLUPS = 7001


def serialise(conn: Connection, key: int) -> None:
    """Hold lock ``key`` until ``conn``'s transaction ends, waiting for any other transaction holding it.

    For refreshes that delete a key's rows and insert them again: two such transactions at once on
    PostgreSQL each miss the other's uncommitted rows, and the second insert breaks the primary key.
    A PostgreSQL advisory lock (re-entrant within the transaction); SQLite admits one writer at a time
    already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def id_runs(ids, min_run: int = 9) -> tuple[list[tuple[int, int]], list[int]]:
    """Ids as (runs of at least ``min_run`` consecutive ids as (first, last), the other ids), sorted:
    an import's new rows are one run, selected with BETWEEN; a statement with thousands of
    placeholders costs more to send than to run."""
    ids = sorted({int(i) for i in ids if i is not None})
    ranges: list[tuple[int, int]] = []
    single: list[int] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        if j - i + 1 >= min_run:
            ranges.append((ids[i], ids[j]))
        else:
            single.extend(ids[i:j + 1])
        i = j + 1
    return ranges, single

