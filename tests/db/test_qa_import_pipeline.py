"""The chat import's fast machinery against its plain rules.

- The fast paths of parsing (times in the common shape, plain turns) accept only what the plain
  rules accept, with the same result (hypothesis, in two zones, one with summer time).
- An import in many small chunks with the parsing thread gives exactly what the plain rules in one
  piece and no thread give: report, bad lines, rows.
- A failure anywhere while chunks are parsed ahead and written (a bad line in the last chunk, an
  error in the worker, an error while writing, the user leaving the page) leaves nothing written and
  no thread behind; progress is reported from the calling thread only.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from db.models import AuditLog, Chat, ChatCheck, ChatMessage
from lib import settings as settings_mod
from lib.fileio import ImportRefused
from lib.qa import importer
from lib.qa.importer import _Bad, _Reader, _ts, import_chats
from tests.lib.qa.world import World

NOW = datetime(2026, 11, 23, 12, 0, 0)


def reader(zone: str = "Asia/Shanghai") -> _Reader:
    s = dict(settings_mod.defaults())
    s["ui.timezone"] = zone
    return _Reader(s, NOW)


def plain(rd: _Reader) -> _Reader:
    """The same reader with its fast paths switched off: the plain rules only."""
    rd.fast_ts = lambda s: None
    rd.fast_turns = lambda turns: None
    return rd


# --- parsing: fast paths against the plain rules ------------------------------------------------

digits = st.integers(0, 99).map(lambda n: f"{n:02d}")
time_str = st.one_of(
    st.builds(lambda y, mo, d, sep, h, mi, s, frac, suffix: f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{suffix}",
              st.sampled_from(["1999", "2000", "2026", "2099", "0001"]),
              st.sampled_from(["01", "03", "10", "11", "13"]), st.sampled_from(["01", "02", "29", "31", "00"]),
              st.sampled_from(["T", " ", "t", "x"]), digits, digits, digits,
              st.sampled_from(["", ".5", ".123456", ",25"]),
              st.sampled_from(["", "Z", "z", "+08:00", "-05:00", "+00:00", "-00:00", "+14:00", "+25:00", "+0800",
                               "+08:00:30", "+08", " ", "+08:00Z"])),
    st.sampled_from(["2026-11-02", "2026-11-02T09", "2026-W45-1T09:00:00", " 2026-11-02T09:00:00",
                     "2026-11-02T09:00:00 ", "2026-03-08T02:30:00", "2026-11-01T01:30:00", "20261102T090000+0800",
                     "2026-11-02T09-00:00+08:00", ""]),
    st.text(max_size=30))


def plain_ts(rd: _Reader, s: str):
    try:
        return _ts(s, "ts", rd.zone, rd.now)
    except _Bad as exc:
        return str(exc)


@settings(max_examples=400, deadline=None)
@given(s=time_str, zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "UTC"]))
def test_the_fast_time_path_gives_the_plain_time_or_steps_aside(s, zone):
    rd = reader(zone)
    fast = rd.fast_ts(s)
    if fast is not None:
        assert fast == plain_ts(rd, s)
    assert (rd.ts(s, "ts") if not isinstance(plain_ts(rd, s), str) else plain_ts(rd, s)) == plain_ts(rd, s)


def test_the_common_shapes_take_the_fast_path():
    rd = reader("America/New_York")
    assert rd.fast_ts("2026-11-02T09:00:00+08:00") == datetime(2026, 11, 2, 1)
    assert rd.fast_ts("2026-11-02 09:00:00.250Z") == datetime(2026, 11, 2, 9, 0, 0, 250000)
    assert rd.fast_ts("2026-07-02T09:00:00") == datetime(2026, 7, 2, 13)  # summer time in the bank's zone
    assert rd.fast_ts("2026-01-02T09:00:00") == datetime(2026, 1, 2, 14)
    assert rd.fast_ts("2026-12-02T09:00:00") is None  # in the future: the plain rule says so


turn = st.fixed_dictionaries({
    "speaker": st.one_of(st.sampled_from(["agent", "customer", "客服", "顾客", "Agent", " agent", "a", "robot"]),
                         st.none(), st.integers(), st.lists(st.integers(), max_size=1)),
    "text": st.one_of(st.text(max_size=12), st.just("x" * 10_001), st.integers(), st.none()),
}, optional={"ts": st.one_of(st.none(), time_str, st.integers(0, 2_000_000_000), st.booleans())})


@settings(max_examples=400, deadline=None)
@given(turns=st.lists(st.one_of(turn, st.integers()), min_size=1, max_size=5),
       zone=st.sampled_from(["Asia/Shanghai", "America/New_York"]))
def test_the_fast_turns_path_gives_the_plain_turns_or_steps_aside(turns, zone):
    fast = reader(zone).fast_turns(turns)
    try:
        want = plain(reader(zone)).turns(turns)
    except _Bad as exc:
        want = str(exc)
    if fast is not None:
        assert fast == want
    try:
        got = reader(zone).turns(turns)
    except _Bad as exc:
        got = str(exc)
    assert got == want


def test_a_line_with_a_nul_or_surrogate_escape_is_checked_by_the_plain_rules():
    rd = reader()
    nul = '{"conversation_id": "n", "turns": [{"speaker": "agent", "text": "a\\u0000b"}]}'
    sur = '{"conversation_id": "s", "turns": [{"speaker": "agent", "text": "\\uD800"}]}'
    for raw in (nul, sur):
        assert importer._RISKY.search(raw)
        with pytest.raises(_Bad, match="NUL|not valid Unicode"):
            rd.conversation(raw, 1, False)
    # an emoji written as an escaped surrogate pair is fine text
    ok = '{"conversation_id": "e", "turns": [{"speaker": "agent", "text": "\\ud83d\\ude00"}]}'
    assert rd.conversation(ok, 1, False).turns == [("agent", "\U0001f600", None)]


# --- importing: chunked with the thread against plain in one piece ------------------------------

def conversations(n: int) -> list[str]:
    """A file's lines: good conversations of every kind, and bad lines among them."""
    lines = []
    t0 = datetime(2026, 11, 2, 1, 0)
    for i in range(n):
        at = t0 + timedelta(minutes=37 * i)
        turns = []
        for k in range(1 + i % 6):
            sp = "customer" if k % 2 == 0 else ("agent" if i % 4 else "客服")
            ts = at + timedelta(seconds=40 * k + i % 50)
            shape = i % 5
            stamp = (None if i % 9 == 0 else ts.isoformat() + "Z" if shape == 0
                     else (ts + timedelta(hours=8)).isoformat() + "+08:00" if shape == 1
                     else (ts + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S") if shape == 2
                     else ts.timestamp() if shape == 3 else ts.isoformat() + ".5Z")
            body = ["您好，请问有什么可以帮您", "我不知道，你自己看", "Hello, how can I help? Sorry for the wait",
                    "再见，祝您生活愉快", "\U0001f600 ok", "ΑΣ"][(i + k) % 6]
            turns.append({"speaker": sp, "text": body, "ts": stamp})
        d = {"conversation_id": f"pipe-{i}", "turns": turns, "agent": ["A0001", "A0002", "nobody", None][i % 4]}
        if i % 7 == 3:
            d["language"] = "en"
        if i % 11 == 5:
            d["started_at"] = (t0 + timedelta(hours=i)).isoformat()
        lines.append(json.dumps(d, ensure_ascii=i % 3 == 0))
        if i % 17 == 8:
            lines.append("{broken")
        if i % 23 == 11:
            lines.append(json.dumps({"conversation_id": f"pipe-{i}", "turns": turns}))  # the same id again
        if i % 29 == 13:
            lines.append(json.dumps({"conversation_id": f"late-{i}", "turns": [
                {"speaker": "agent", "text": "a", "ts": "2026-11-02T10:00:00Z"},
                {"speaker": "agent", "text": "b", "ts": "2026-11-02T09:00:00Z"}]}))
    return lines


def rows(engine) -> dict:
    def dump(sql):
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql)).all()]
    return {
        "chats": dump("SELECT id, conversation_id, source, language, agent_id, agent_ref, channel, client_id, "
                      "started_at, ended_at, work_date, message_count, has_timestamps FROM chats ORDER BY id"),
        "messages": dump("SELECT id, chat_id, seq, speaker, ts, text FROM chat_messages ORDER BY id"),
        "checks": dump("SELECT chat_id, greeting_ok, closing_ok, first_response_s, slow_replies, max_wait_s, "
                       "agent_replies, forbidden_hits, apology_needed, apology_ok FROM chat_checks ORDER BY chat_id"),
        "facts": dump("SELECT * FROM kpi_chat_facts ORDER BY chat_id"),
        "qa_days": dump("SELECT * FROM qa_checks_agent_day ORDER BY work_date, agent_id"),
    }


@pytest.fixture
def second_db(db_factory, migrated_template):
    from lib.db import engine_for

    url = db_factory.new_url(migrated_template)
    yield engine_for(url)
    db_factory.drop(url)


def report_of(rep):
    return (rep.inserted, rep.skipped, [(i.line, i.message) for i in rep.rejected], rep.extra)


def test_chunked_with_the_thread_equals_plain_in_one_piece(empty_db, second_db, monkeypatch):
    World(empty_db)
    World(second_db)
    data = ("\n".join(conversations(120)) + "\n").encode()
    seen = []
    fast = import_chats(empty_db, data, "f.jsonl", skip_bad=True, _chunk_messages=7, _ahead=True,
                        progress=lambda d, n: seen.append((d, n)))
    again = import_chats(empty_db, data, "f.jsonl", skip_bad=True, _chunk_messages=7, _ahead=True)
    monkeypatch.setattr(importer._Reader, "fast_ts", lambda self, s: None)
    monkeypatch.setattr(importer._Reader, "fast_turns", lambda self, turns: None)
    slow = import_chats(second_db, data, "f.jsonl", skip_bad=True, _chunk_messages=10**9, _ahead=False)
    assert report_of(fast) == report_of(slow)
    assert fast.inserted > 100 and len(fast.rejected) >= 10 and fast.extra["without_timestamps"] > 5
    assert (again.inserted, again.skipped) == (0, fast.inserted)
    assert rows(empty_db) == rows(second_db)
    assert seen[-1] == (fast.inserted, fast.inserted) and len(seen) > 10
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_csv_in_chunks_equals_csv_in_one_piece(empty_db, second_db):
    head = "会话ID,发言方,内容,时间,客服\n"
    body = "".join(f"c{i % 13},{'顾客' if i % 2 else '客服'},第{i}句,2026-11-03 10:{i // 60:02d}:{i % 60:02d},A0001\n"
                   for i in range(80))
    data = (head + body + "c99,wizard,x,,\n").encode("gb18030")
    a = import_chats(empty_db, data, "x.csv", skip_bad=True, _chunk_messages=3, _ahead=True)
    b = import_chats(second_db, data, "x.csv", skip_bad=True, _chunk_messages=10**9, _ahead=False)
    assert report_of(a) == report_of(b) and a.inserted == 13
    assert rows(empty_db) == rows(second_db)


# --- failures while chunks are parsed ahead and written -------------------------------------------

def counts(engine) -> tuple:
    with engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(m)).scalar()
                     for m in (Chat, ChatMessage, ChatCheck, AuditLog))


def no_worker_left() -> bool:
    return not [t for t in threading.enumerate() if t.name == "chat-import-parse"]


def good_file(n: int) -> bytes:
    return ("\n".join(json.dumps({"conversation_id": f"ok-{i}", "agent": "A0001", "turns": [
        {"speaker": "customer", "text": "在吗", "ts": f"2026-11-02T09:{i % 60:02d}:00+08:00"},
        {"speaker": "agent", "text": "您好，再见", "ts": f"2026-11-02T09:{i % 60:02d}:30+08:00"}]})
        for i in range(n)) + "\n").encode()


def test_a_bad_line_in_the_last_chunk_refuses_the_file_after_earlier_chunks_went_in(empty_db, monkeypatch):
    World(empty_db)
    writes = []
    real = importer.insert_rows
    monkeypatch.setattr(importer, "insert_rows", lambda conn, table, *a, **k: (
        writes.append(table.name), real(conn, table, *a, **k))[1])
    data = good_file(60) + b"{not json\n"
    with pytest.raises(ImportRefused) as exc:
        import_chats(empty_db, data, "f.jsonl", _chunk_messages=10, _ahead=True)
    assert [i.line for i in exc.value.issues] == [61]
    assert writes.count("chat_messages") >= 5  # chunks were written before the bad line was met
    assert counts(empty_db) == (0, 0, 0, 0)  # and rolled back with the rest
    assert no_worker_left()


def test_an_error_in_the_worker_reaches_the_caller_and_nothing_is_written(empty_db, monkeypatch):
    World(empty_db)
    real, calls = importer._prepare, []

    def failing(c, *a):
        calls.append(threading.current_thread().name)
        if len(calls) == 37:
            raise RuntimeError("worker broke")
        return real(c, *a)

    monkeypatch.setattr(importer, "_prepare", failing)
    with pytest.raises(RuntimeError, match="worker broke"):
        import_chats(empty_db, good_file(80), "f.jsonl", _chunk_messages=10, _ahead=True)
    assert set(calls) == {"chat-import-parse"}
    assert counts(empty_db) == (0, 0, 0, 0) and no_worker_left()


def test_an_error_while_writing_stops_the_worker_early(empty_db, monkeypatch):
    World(empty_db)
    real, prepared, writes = importer._prepare, [], []
    monkeypatch.setattr(importer, "_prepare", lambda c, *a: (prepared.append(1), real(c, *a))[1])

    def insert(conn, table, *a, **k):
        writes.append(table.name)
        if writes.count("chat_messages") == 2:
            raise RuntimeError("disk full")
        return importer.__dict__["_real_insert"](conn, table, *a, **k)

    monkeypatch.setattr(importer, "_real_insert", importer.insert_rows, raising=False)
    monkeypatch.setattr(importer, "insert_rows", insert)
    with pytest.raises(RuntimeError, match="disk full"):
        import_chats(empty_db, good_file(400), "f.jsonl", _chunk_messages=10, _ahead=True)
    assert counts(empty_db) == (0, 0, 0, 0) and no_worker_left()
    assert len(prepared) < 100  # the worker stopped a few chunks ahead, not at the end of the file


class LeftThePage(BaseException):
    """What Streamlit raises in the script's thread when the user stops or leaves the page."""


def test_leaving_the_page_during_the_import_writes_nothing_and_stops_the_worker(empty_db):
    World(empty_db)
    threads = []

    def progress(done, total):
        threads.append(threading.get_ident())
        if done >= 30:
            raise LeftThePage

    with pytest.raises(LeftThePage):
        import_chats(empty_db, good_file(200), "f.jsonl", _chunk_messages=10, _ahead=True, progress=progress)
    assert counts(empty_db) == (0, 0, 0, 0) and no_worker_left()
    assert set(threads) == {threading.get_ident()}  # progress only ever from the calling thread


def test_the_worker_waits_while_paused_and_a_paused_worker_can_be_closed():
    import time

    ticks: list[int] = []

    def make(gate):
        def gen():
            for i in range(10_000):
                gate()
                ticks.append(i)
                time.sleep(0.0005)  # a slow parse: it cannot reach the end while the test looks
                if i % 10 == 9:
                    yield i
        return gen()

    ahead = importer._Ahead(make, depth=10_000)
    first = next(iter(ahead))
    assert first == 9
    resume = ahead.pause()
    time.sleep(0.05)
    seen = len(ticks)
    time.sleep(0.2)
    assert len(ticks) <= seen + 1  # at most the step under way when the pause came
    resume()
    time.sleep(0.05)
    assert len(ticks) > seen + 1
    ahead.pause()
    ahead.close()  # a paused worker is let go to stop
    assert no_worker_left()
