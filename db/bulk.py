"""Fast bulk loading for seeding and imports: COPY on PostgreSQL, large executemany on SQLite.

Rows are dicts (or tuples in ``columns`` order). Callers that need to link
children to parents assign primary keys themselves and call
``reset_sequences`` afterwards so that later inserts continue after them.

``fast=True`` takes values that are exactly of their columns' Python types (str
for text, int for integers, naive datetime for timestamps, date, bool) and skips
every conversion on the way: PostgreSQL gets COPY's binary format, typed from the
table's columns (the client does not format each value as text; the server's work
is about the same); SQLite gets a plain executemany of tuples in SQLAlchemy's
storage format (Core's per-row dict processing costs more than the insert). The
text COPY would convert an int for a text column; these paths refuse it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import chain, islice

from sqlalchemy import Connection, Table, func, select, text

BATCH = 20_000


def _pg_types(table: Table, columns: Sequence[str]) -> list[str] | None:
    """PostgreSQL type names of ``columns`` for a binary COPY, or None when one is not a plain type."""
    from psycopg import postgres
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    out = []
    for c in columns:
        name = table.c[c].type.compile(dialect=dialect).lower().split("(")[0]
        info = postgres.types.get(name)
        if info is None:
            return None
        out.append(info.name)
    return out


def _pg_copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable,
             types: list[str] | None = None) -> int:
    raw = conn.connection.dbapi_connection  # psycopg 3 connection inside SQLAlchemy's transaction
    cols = ", ".join(f'"{c}"' for c in columns)
    n = 0
    with raw.cursor() as cur:
        with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN' + (" (FORMAT BINARY)" if types else "")) as cp:
            if types:
                cp.set_types(types)
            write = cp.write_row
            for r in rows:
                write(r if type(r) is tuple else _tuple(r, columns))
                n += 1
    return n


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable, *, batch: int = BATCH,
                fast: bool = False, stream: bool = False) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, or dicts) in batches; return how many.

    ``stream`` (PostgreSQL): each batch's COPY takes the rows as ``rows`` yields them, so that a
    generator's first rows reach the server while it makes the rest; such a generator must not use
    ``conn`` (it is busy with the COPY). Otherwise a batch is collected before its COPY starts."""
    columns = list(columns)
    if conn.dialect.name == "postgresql":
        types = _pg_types(table, columns) if fast else None
        n = 0
        it = iter(rows)
        for first in it:
            part = chain((first,), islice(it, batch - 1))
            n += _pg_copy(conn, table, columns, part if stream else list(part), types)
        return n
    n = 0
    buf: list = []
    stmt = table.insert()
    raw = _sqlite_raw(conn, table, columns) if fast and conn.dialect.name == "sqlite" else None

    def flush() -> None:
        if buf:
            if raw:
                raw(buf)
            else:
                conn.execute(stmt, [_dict(r, columns) for r in buf])
            buf.clear()

    for r in rows:
        buf.append(r)
        n += 1
        if len(buf) >= batch:
            flush()
    flush()
    return n


def _sqlite_raw(conn: Connection, table: Table, columns: Sequence[str]):
    """An executemany of tuples on the connection's own sqlite3 cursor (same transaction), values
    stored as SQLAlchemy stores them: DateTime as 'YYYY-MM-DD HH:MM:SS.ffffff', Date as ISO, bool
    as 1/0 (sqlite3's own); None for a table with any other column type."""
    from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, Text

    types = [table.c[c].type for c in columns]
    if any(type(t) not in (BigInteger, Boolean, Date, DateTime, Integer, String, Text) for t in types):
        return None  # a type with its own conversion: Core's path
    dt_idx = [i for i, t in enumerate(types) if isinstance(t, DateTime)]
    d_idx = [i for i, t in enumerate(types) if isinstance(t, Date) and not isinstance(t, DateTime)]
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608

    def conv(r):
        r = list(_tuple(r, columns))
        for i in dt_idx:
            v = r[i]
            if v is not None:
                r[i] = v.isoformat(" ") if v.microsecond else v.isoformat(" ") + ".000000"
        for i in d_idx:
            if r[i] is not None:
                r[i] = r[i].isoformat()
        return r

    def run(rows: list) -> None:
        cur = conn.connection.dbapi_connection.cursor()
        try:
            cur.executemany(sql, [conv(r) for r in rows] if dt_idx or d_idx else [_tuple(r, columns) for r in rows])
        finally:
            cur.close()

    return run


def _tuple(r, columns):
    if type(r) is tuple:
        return r
    if isinstance(r, dict):
        return tuple(r.get(c) for c in columns)
    return r


def _dict(r, columns):
    if isinstance(r, dict):
        return r
    return dict(zip(columns, r, strict=True))


def next_id(conn: Connection, table: Table) -> int:
    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def reset_sequences(conn: Connection, *tables: Table) -> None:
    """After explicit ids on PostgreSQL, move each serial sequence past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        # table names come from our own models, never from input
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), COALESCE((SELECT MAX(id) FROM \"{t.name}\"), 0) + 1, false)"  # noqa: S608
        ))


__all__ = ["insert_rows", "next_id", "reset_sequences", "date", "datetime"]
