"""Hostile files for the chat importer (hypothesis): every run ends in a clear refusal with the
database unchanged, or — with skip_bad — exactly the good conversations; nothing crashes."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import Chat, ChatMessage
from lib.fileio import ImportRefused
from lib.qa.importer import import_chats

GOOD = {"conversation_id": "ok-1", "turns": [{"speaker": "customer", "text": "你好", "ts": None},
                                             {"speaker": "agent", "text": "您好，再见", "ts": None}]}

junk_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
                        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                             max_size=2))
turn = st.fixed_dictionaries({"speaker": st.one_of(st.sampled_from(["agent", "customer", "客服", "x"]), junk_values),
                              "text": st.one_of(st.text(max_size=60), junk_values),
                              "ts": st.one_of(st.none(), st.sampled_from(["2026-11-02T09:00:00", "2099-01-01T00:00:00Z",
                                                                          "not a time", "2026-13-40"]), junk_values)})
conversation = st.fixed_dictionaries({"conversation_id": st.one_of(st.text(min_size=1, max_size=20), junk_values),
                                      "turns": st.one_of(st.lists(turn, max_size=4), junk_values)},
                                     optional={"agent": junk_values, "client": junk_values,
                                               "started_at": junk_values, "channel": junk_values})
line = st.one_of(conversation.map(lambda d: json.dumps(d, ensure_ascii=False)),
                 st.text(max_size=80).filter(lambda s: "\n" not in s and "\r" not in s),
                 st.just('{"conversation_id": "=HYPERLINK(\\"http://x\\")", "turns": [{"speaker": "agent", '
                         '"text": "\\u0000"}]}'),
                 st.just('{"conversation_id": "s", "turns": [{"speaker": "agent", "text": "\\ud800"}]}'))


def counts(engine):
    with engine.connect() as c:
        return (c.execute(select(func.count()).select_from(Chat)).scalar(),
                c.execute(select(func.count()).select_from(ChatMessage)).scalar())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(line, max_size=6), skip_bad=st.booleans(), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_hostile_jsonl_never_crashes(empty_db, lines, skip_bad, encoding):
    before = counts(empty_db)
    text = "\n".join([json.dumps(GOOD, ensure_ascii=False)] + lines) + "\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", errors="surrogatepass")
    try:
        rep = import_chats(empty_db, data, "hostile.jsonl", skip_bad=skip_bad)
    except ImportRefused as exc:
        assert str(exc)
        assert counts(empty_db) == before
        return
    after = counts(empty_db)
    assert after[0] - before[0] == rep.inserted
    assert after[1] - before[1] == rep.extra["messages"]
    if not skip_bad:
        assert rep.rejected == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.text(max_size=15).filter(lambda s: "\x00" not in s), min_size=0, max_size=5),
                     max_size=6), skip_bad=st.booleans())
def test_hostile_csv_never_crashes(empty_db, rows, skip_bad):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["conversation_id", "speaker", "text", "ts"])
    w.writerow(["good", "agent", "您好", ""])
    for r in rows:
        w.writerow(r)
    before = counts(empty_db)
    try:
        rep = import_chats(empty_db, buf.getvalue().encode("utf-8"), "hostile.csv", skip_bad=skip_bad)
    except ImportRefused as exc:
        assert str(exc) and counts(empty_db) == before
        return
    assert counts(empty_db)[0] - before[0] == rep.inserted
