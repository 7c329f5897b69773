"""Two writers refreshing the KPI rollups of the same agent-day at once (PostgreSQL; SQLite lets one
writer in at a time). Each refresh deletes the agent-day's rows and inserts them again: without
serialising, the second writer's delete misses the rows the first one inserted (they were not yet
committed when it looked), and its insert then breaks the primary key, so one of two leads recording
an error for the same agent and day at the same moment got an error instead of a saved record."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import insert, text

from db.models import WorkError
from lib.kpis import rollups


def _error(conn, agent_id: int, day: date) -> None:
    conn.execute(insert(WorkError).values(agent_id=agent_id, day=day, kind="other", note="concurrency test",
                                          recorded_at=datetime(2026, 11, 1, 12, 0)))


def _rollup_errors(engine, agent_id: int, day: date) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT work_errors FROM rollup_agent_day WHERE agent_id = :a AND day = :d"),
                         {"a": agent_id, "d": day}).scalar_one()


def test_two_writers_of_the_same_agent_day_both_land(demo_db):
    if demo_db.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time; the race needs two open write transactions")
    with demo_db.connect() as c:
        agent_id, day = c.execute(text("SELECT agent_id, day FROM rollup_agent_day WHERE scheduled > 0 "
                                       "ORDER BY day DESC, agent_id LIMIT 1")).one()
    before = _rollup_errors(demo_db, agent_id, day)
    first = demo_db.connect()
    tx = first.begin()
    _error(first, agent_id, day)
    rollups.refresh_days(first, agent_id, [day])  # holds the agent-day's new rows, uncommitted
    failure: list[BaseException] = []

    def second_writer():
        try:
            with demo_db.begin() as conn:
                _error(conn, agent_id, day)
                rollups.refresh_days(conn, agent_id, [day])
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    worker = threading.Thread(target=second_writer)
    worker.start()
    worker.join(timeout=1.0)  # it waits for the first writer
    assert worker.is_alive(), "the second writer should wait for the first one's transaction"
    tx.commit()
    first.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert not failure, f"the second writer failed: {failure[0]!r}"
    assert _rollup_errors(demo_db, agent_id, day) == before + 2
    # and the rollup still equals a rebuild from the base tables
    with demo_db.connect() as c:
        stored = c.execute(text("SELECT * FROM rollup_agent_day WHERE agent_id = :a AND day = :d"),
                           {"a": agent_id, "d": day}).mappings().one()
    rollups.rebuild(demo_db, day, day)
    with demo_db.connect() as c:
        rebuilt = c.execute(text("SELECT * FROM rollup_agent_day WHERE agent_id = :a AND day = :d"),
                            {"a": agent_id, "d": day}).mappings().one()
    assert dict(stored) == dict(rebuilt)
