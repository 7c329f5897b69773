"""Fast bulk loading for seeding and imports: COPY on PostgreSQL, large executemany on SQLite.

Rows are dicts (or tuples in ``columns`` order). Callers that need to link
children to parents assign primary keys themselves and call
``reset_sequences`` afterwards so that later inserts continue after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Connection, Table, func, select, text

BATCH = 20_000


def _pg_copy(conn: Connection, table: Table, columns: Sequence[str], rows: list[Sequence]) -> None:
    raw = conn.connection.dbapi_connection  # psycopg 3 connection inside SQLAlchemy's transaction
    cols = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur:
        with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as cp:
            for r in rows:
                cp.write_row(r)


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable, *, batch: int = BATCH) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, or dicts) in batches; return how many."""
    columns = list(columns)
    n = 0
    buf: list = []
    pg = conn.dialect.name == "postgresql"
    stmt = table.insert()

    def flush() -> None:
        if not buf:
            return
        if pg:
            _pg_copy(conn, table, columns, [_tuple(r, columns) for r in buf])
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


def _tuple(r, columns):
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
