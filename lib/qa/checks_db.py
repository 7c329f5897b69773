"""Running the automatic checks on demand over stored chats (after a phrase-list change, say)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, delete, insert, select

from db.models import Chat, ChatCheck, ChatMessage
from lib import settings as settings_mod
from lib.qa import rollup as qa_rollup
from lib.qa.checks import Phrases, Turn, run_checks
from lib.qa.common import now_utc


def recheck(engine: Engine, start: date, end: date, *, batch: int = 2000) -> int:
    """Re-run the checks for chats of ``start``..``end`` with the current settings; one transaction per batch."""
    settings = settings_mod.load(engine)
    phrases = Phrases(settings)
    now = now_utc()
    with engine.connect() as conn:
        ids = list(conn.execute(select(Chat.id).where(Chat.work_date >= start, Chat.work_date <= end)
                                .order_by(Chat.id)).scalars())
    for i in range(0, len(ids), batch):
        chunk = ids[i:i + batch]
        with engine.begin() as conn:
            turns: dict[int, list[Turn]] = {c: [] for c in chunk}
            for m in conn.execute(select(ChatMessage.chat_id, ChatMessage.speaker, ChatMessage.text, ChatMessage.ts)
                                  .where(ChatMessage.chat_id.in_(chunk))
                                  .order_by(ChatMessage.chat_id, ChatMessage.seq)):
                turns[m.chat_id].append(Turn(m.speaker, m.text, m.ts))
            with qa_rollup.chats_changing(conn, chunk):
                conn.execute(delete(ChatCheck).where(ChatCheck.chat_id.in_(chunk)))
                conn.execute(insert(ChatCheck), [{"chat_id": c, "checked_at": now,
                                                  "settings_version_id": settings.version_id,
                                                  **run_checks(t, phrases).row()} for c, t in turns.items()])
    return len(ids)


def recheck_chat(engine: Engine, chat_id: int) -> dict:
    """Re-run the checks of one chat now; returns the new row."""
    settings = settings_mod.load(engine)
    with engine.begin() as conn:
        t = [Turn(m.speaker, m.text, m.ts) for m in conn.execute(
            select(ChatMessage.speaker, ChatMessage.text, ChatMessage.ts).where(ChatMessage.chat_id == chat_id)
            .order_by(ChatMessage.seq))]
        row = run_checks(t, Phrases(settings)).row()
        with qa_rollup.chats_changing(conn, [chat_id]):
            conn.execute(delete(ChatCheck).where(ChatCheck.chat_id == chat_id))
            conn.execute(insert(ChatCheck).values(chat_id=chat_id, checked_at=now_utc(),
                                                  settings_version_id=settings.version_id, **row))
    return row
