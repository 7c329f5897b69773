"""Hostile input, property-based (hypothesis): both importers take random and hostile
files and end either in a clear refusal with the database unchanged, or — with
skip_bad — with exactly the good records in; nothing crashes."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import Chat, ChatMessage, Complaint, ComplaintEvent
from lib.fileio import ImportRefused

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
NOW = datetime(2026, 11, 20, 8, 0, 0)
# text a person or an attacker might type: Chinese, formulas, quotes, SQL, control characters (not NUL)
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=60),
    st.sampled_from(['=HYPERLINK("http://evil","点我")', "'; DROP TABLE chats; --", "您好，请问有什么可以帮您？",
                     "@SUM(1+1)", "+86 138 1234 5678", "\u202e反向", "a\r\nb"]),
).filter(lambda s: s.strip())


def _counts(engine, *models):
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(m)).scalar() for m in models)


# --- chats -------------------------------------------------------------------------------

def good_chat(i: int, texts: list[str]) -> str:
    t0 = NOW - timedelta(days=2, minutes=i)
    turns = [{"speaker": "customer" if k % 2 == 0 else "agent", "text": tx,
              "ts": (t0 + timedelta(seconds=20 * k)).isoformat() + "Z"} for k, tx in enumerate(texts)]
    return json.dumps({"conversation_id": f"hyp-{i}", "source": "test", "language": "zh", "turns": turns},
                      ensure_ascii=False)


BAD_CHAT_LINES = [
    '{"conversation_id": "x1", "turns": [',  # broken JSON
    '{"conversation_id": 12, "turns": "hello"}',  # wrong types
    '["not", "an", "object"]',
    '{"conversation_id": "x2", "turns": []}',  # no turns
    '{"conversation_id": "x3", "turns": [{"speaker": "robot", "text": "hi", "ts": null}]}',
    json.dumps({"conversation_id": "x4", "turns": [{"speaker": "agent", "text": "x" * 200_000, "ts": None}]}),
    json.dumps({"conversation_id": "x5", "turns": [
        {"speaker": "customer", "text": "a", "ts": "2026-11-10T10:00:00Z"},
        {"speaker": "agent", "text": "b", "ts": "2026-11-10T09:00:00Z"}]}),  # out of order
    json.dumps({"conversation_id": "x6", "turns": [
        {"speaker": "customer", "text": "a", "ts": "2099-01-01T00:00:00Z"}]}),  # in the future
    json.dumps({"conversation_id": "x7", "turns": [{"speaker": "agent", "text": "b", "ts": "yesterday"}]}),
    json.dumps({"conversation_id": "y" * 500, "turns": [{"speaker": "agent", "text": "b", "ts": None}]}),
]


@SETTINGS
@given(good=st.lists(st.lists(TEXT, min_size=1, max_size=4), min_size=1, max_size=5),
       bad=st.lists(st.sampled_from(BAD_CHAT_LINES), min_size=1, max_size=4),
       positions=st.randoms(use_true_random=False),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
@pytest.mark.usefixtures("empty_db")
def test_chat_import_refuses_whole_or_takes_exactly_the_good_lines(empty_db, good, bad, positions, encoding):
    import uuid

    from lib.qa.importer import import_chats

    tag = uuid.uuid4().hex[:6]  # the database lives across examples; ids must not repeat
    lines = [(good_chat(i, g).replace('"hyp-', f'"hyp-{tag}-'), True) for i, g in enumerate(good)] + [(b, False) for b in bad]
    positions.shuffle(lines)
    try:
        data = "\n".join(x for x, _ in lines).encode(encoding)
    except UnicodeEncodeError:
        data = "\n".join(x for x, _ in lines).encode("utf-8")
    before = _counts(empty_db, Chat, ChatMessage)
    with pytest.raises(ImportRefused) as refused:
        import_chats(empty_db, data, "hostile.jsonl")
    assert refused.value.issues and str(refused.value)
    assert _counts(empty_db, Chat, ChatMessage) == before  # nothing half-written

    bad_lines = sorted(i + 1 for i, (_, ok) in enumerate(lines) if not ok)
    rep = import_chats(empty_db, data, "hostile.jsonl", skip_bad=True)
    assert sorted(issue.line for issue in rep.rejected) == bad_lines
    assert rep.inserted == len(good)
    with empty_db.connect() as conn:
        ids = set(conn.execute(select(Chat.conversation_id)).scalars())
    assert {f"hyp-{tag}-{i}" for i in range(len(good))} <= ids
    assert not any(i.startswith(("x", "yyy")) for i in ids)


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_chat_import_of_random_bytes_never_crashes(empty_db, data):
    from lib.qa.importer import import_chats

    before = _counts(empty_db, Chat, ChatMessage)
    try:
        import_chats(empty_db, data, "random.jsonl")
    except ImportRefused as exc:
        assert str(exc)
        assert _counts(empty_db, Chat, ChatMessage) == before


# --- complaints ----------------------------------------------------------------------------

OWN_HEADER = ["external_id", "accepted_at", "channel", "client_name", "category", "narrative"]


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(OWN_HEADER)
    w.writerows(rows)
    return buf.getvalue()


def good_complaint(i: int, narrative: str, tag: str) -> list[str]:
    return [f"H{tag}{i:04d}", (NOW - timedelta(days=3, hours=i)).strftime("%Y-%m-%d %H:%M"), "hotline", "王芳",
            "service", narrative]


BAD_COMPLAINTS = [
    ["B1", "2026-13-45 25:00", "hotline", "王芳", "service", "impossible date"],
    ["B2", "2026-11-01 10:00", "carrier pigeon", "王芳", "service", "unknown channel"],
    ["B3", "2026-11-01 10:00", "hotline", "王芳", "no_such_category", "unknown category"],
    ["B4", "2099-11-01 10:00", "hotline", "王芳", "service", "in the future"],
    ["B5", "2026-11-01 10:00", "hotline", "王芳", "service"],  # a field short
    ["B6", "2026-11-01 10:00", "hotline", "", "service", ""],  # required fields empty
]


@SETTINGS
@given(good=st.lists(TEXT, min_size=1, max_size=5), bad=st.lists(st.sampled_from(BAD_COMPLAINTS), min_size=1,
       max_size=3), positions=st.randoms(use_true_random=False),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_complaint_import_refuses_whole_or_takes_exactly_the_good_rows(empty_db, good, bad, positions, encoding):
    import uuid

    from lib.complaints.importer import import_complaints

    tag = uuid.uuid4().hex[:6]  # the database lives across examples; ids must not repeat
    good = [g.replace("\r", " ") for g in good]  # physical lines are counted by \n
    rows = [(good_complaint(i, g, tag), True) for i, g in enumerate(good)] + [(b, False) for b in bad]
    positions.shuffle(rows)
    text_ = _csv([r for r, _ in rows])
    try:
        data = text_.encode(encoding)
    except UnicodeEncodeError:
        data = text_.encode("utf-8")
    before = _counts(empty_db, Complaint, ComplaintEvent)
    with pytest.raises(ImportRefused) as refused:
        import_complaints(empty_db, data)
    assert str(refused.value)
    assert _counts(empty_db, Complaint, ComplaintEvent) == before

    # line numbers count physical lines: a narrative may span several
    starts, line = [], 2
    for r, _ in rows:
        starts.append(line)
        line += _csv([r]).count("\n") - 1
    bad_lines = sorted(s for s, (_, ok) in zip(starts, rows, strict=True) if not ok)
    rep = import_complaints(empty_db, data, skip_bad=True)
    assert sorted(i.line for i in rep.rejected) == bad_lines
    assert rep.inserted == len(good)
    with empty_db.connect() as conn:
        ext = set(conn.execute(select(Complaint.external_id)).scalars())
    assert {f"H{tag}{i:04d}" for i in range(len(good))} <= ext
    assert not any(e.startswith("B") for e in ext)


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_complaint_import_of_random_bytes_never_crashes(empty_db, data):
    from lib.complaints.importer import import_complaints

    before = _counts(empty_db, Complaint, ComplaintEvent)
    try:
        import_complaints(empty_db, data)
    except ImportRefused as exc:
        assert str(exc)
        assert _counts(empty_db, Complaint, ComplaintEvent) == before
