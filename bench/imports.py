"""Chat import speed at scale: a generated file of ``n`` conversations (about 15 messages each, the
shape of the seed's chats) imported with lib.qa.importer into a throwaway copy of a bench database.

The copy keeps the bench database's rows as they are (PostgreSQL: CREATE DATABASE ... TEMPLATE;
SQLite: a file copy), so the import pays for the indexes and the data of that size; it is dropped
afterwards. The time covers everything ``python -m db import-chats`` does: decoding and parsing,
the automatic checks, the bulk insert (COPY on PostgreSQL), the KPI rollups of the agent-days it
touched, the audit row, the commit.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from db.seed.qa import CLOSINGS, FOLLOW_UPS, GREETINGS, QUESTIONS, REPLIES


def make_file(n: int, agents: list[str], seed: int = 7, start: datetime | None = None) -> tuple[bytes, int]:
    """``n`` conversations as JSON Lines; returns (bytes, number of messages)."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
    lines, msgs = [], 0
    for i in range(n):
        t0 = start + timedelta(seconds=rng.randint(0, 20 * 86_400))
        turns = [{"speaker": "customer", "text": rng.choice(QUESTIONS), "ts": t0.isoformat()}]
        t = t0
        for k in range(rng.randint(6, 12)):
            t += timedelta(seconds=rng.randint(5, 90))
            turns.append({"speaker": "agent", "text": rng.choice(GREETINGS if k == 0 else REPLIES),
                          "ts": t.isoformat()})
            t += timedelta(seconds=rng.randint(5, 90))
            turns.append({"speaker": "customer", "text": rng.choice(FOLLOW_UPS), "ts": t.isoformat()})
        t += timedelta(seconds=rng.randint(5, 60))
        turns.append({"speaker": "agent", "text": rng.choice(CLOSINGS), "ts": t.isoformat()})
        msgs += len(turns)
        lines.append(json.dumps({"conversation_id": f"BENCH-IMPORT-{seed}-{i:08d}", "source": "bench",
                                 "agent": rng.choice(agents), "channel": "web", "turns": turns},
                                ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8"), msgs


def _copy(url: str, admin_url: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        dst = Path(u.database).with_name(Path(u.database).stem + "_import_copy.db")
        src = create_engine(url)
        with src.connect() as c:  # fold the WAL into the file first
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        src.dispose()
        shutil.copyfile(u.database, dst)
        return f"sqlite:///{dst}"
    name = f"{u.database}_import_copy"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> "
                       "pg_backend_pid()"), {"d": u.database})
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{u.database}"'))
    admin.dispose()
    return u.set(database=name).render_as_string(hide_password=False)


def _drop(url: str, admin_url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(u.database + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
    admin.dispose()


def time_chat_import(url: str, admin_url: str, n: int = 20_000) -> dict:
    """Import ``n`` generated conversations into a copy of ``url``; returns the figures."""
    from db.models import Agent
    from lib.db import engine_for
    from lib.qa.importer import import_chats

    copy = _copy(url, admin_url)
    try:
        eng = engine_for(copy)
        with eng.connect() as c:
            agents = list(c.execute(select(Agent.employee_no).order_by(Agent.id)).scalars())
        data, msgs = make_file(n, agents)
        t0 = time.perf_counter()
        rep = import_chats(eng, data, "bench.jsonl")
        spent = time.perf_counter() - t0
        eng.dispose()
    finally:
        _drop(copy, admin_url)
    return {"conversations": rep.inserted, "messages": msgs, "mb": round(len(data) / 2**20, 1),
            "seconds": round(spent, 2), "messages_per_s": round(msgs / spent)}
