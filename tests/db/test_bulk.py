"""db.bulk.insert_rows: the fast paths (binary COPY on PostgreSQL, a plain executemany on SQLite)
store exactly what SQLAlchemy Core stores; streaming takes a generator batch by batch."""

from datetime import date, datetime

from sqlalchemy import select, text

from db.bulk import insert_rows
from db.models import Chat, ChatMessage

COLS = ["id", "conversation_id", "source", "language", "agent_id", "agent_ref", "channel", "client_id", "started_at",
        "ended_at", "work_date", "message_count", "has_timestamps", "imported_at"]


def chat(i: int, k: int | None = None) -> tuple:
    """Chat ``i`` with the values of variant ``k`` (nulls, microseconds or none, true and false)."""
    k = i if k is None else k
    return (i, f"bulk-{i}", "来源" if k % 2 else None, "zh-CN", None, f"A{k}" if k % 3 else None, "web", None,
            datetime(2026, 11, 2, 9, 0, k % 60, 0 if k % 2 else 123456), None if k % 2 else datetime(2026, 11, 2, 10),
            date(2026, 11, 2), k, bool(k % 2), datetime(2026, 11, 22, 1, 2, 3))


def stored(engine, ids) -> list[tuple]:
    """The rows as the database holds them (SQLite: its own text and integer values)."""
    cols = ", ".join(c for c in COLS if c not in ("id", "conversation_id"))
    if engine.dialect.name == "sqlite":
        cols = ", ".join(f"typeof({c}), {c}" for c in COLS if c not in ("id", "conversation_id"))
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(f"SELECT {cols} FROM chats WHERE id IN ({','.join(map(str, ids))}) "
                                                 "ORDER BY id")).all()]


def test_fast_rows_are_stored_as_core_stores_them(empty_db):
    with empty_db.begin() as c:
        assert insert_rows(c, Chat.__table__, COLS, [chat(i) for i in range(1, 7)]) == 6
        assert insert_rows(c, Chat.__table__, COLS, [chat(i + 100, i) for i in range(1, 7)], fast=True) == 6
    assert stored(empty_db, range(1, 7)) == stored(empty_db, range(101, 107))
    with empty_db.connect() as c:
        back = c.execute(select(Chat.started_at, Chat.work_date, Chat.has_timestamps).where(Chat.id == 102)).one()
    assert back == (datetime(2026, 11, 2, 9, 0, 2, 123456), date(2026, 11, 2), False)


def test_streaming_takes_a_generator_batch_by_batch(empty_db):
    made = []

    def rows():
        for i in range(1, 8):
            made.append(i)
            yield chat(i)

    with empty_db.begin() as c:
        assert insert_rows(c, Chat.__table__, COLS, rows(), batch=3, fast=True, stream=True) == 7
        msgs = ((k, 1 + k % 7, k, "agent", None, f"第{k}句") for k in range(1, 50))
        assert insert_rows(c, ChatMessage.__table__, ["id", "chat_id", "seq", "speaker", "ts", "text"], msgs,
                           batch=10, fast=True, stream=True) == 49
    assert made == list(range(1, 8))
    with empty_db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM chat_messages")).scalar() == 49
        assert c.execute(select(ChatMessage.text).where(ChatMessage.id == 12)).scalar() == "第12句"
