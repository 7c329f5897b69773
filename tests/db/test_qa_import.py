"""Importing chats: the shared JDDC and ABCD files, each kind of bad line, each encoding, idempotence."""

import json

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Chat, ChatCheck, ChatMessage
from lib import events
from lib.fileio import ImportRefused
from lib.qa.importer import import_chats
from tests.lib.qa.world import World


def count(engine, model):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(model)).scalar()


def jl(*objs) -> bytes:
    return ("\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objs) + "\n").encode()


def conv(cid="c1", **kw):
    d = {"conversation_id": cid, "turns": [
        {"speaker": "customer", "text": "你好，查账单", "ts": "2026-11-02T09:00:00+08:00"},
        {"speaker": "agent", "text": "您好，请稍等。祝您生活愉快，再见", "ts": "2026-11-02T09:01:30+08:00"}]}
    d.update(kw)
    return d


def test_jddc_sample_imports_994_conversations_and_12136_messages_then_nothing(empty_db, shared_data):
    data = (shared_data / "chats" / "jddc_zh_sample.jsonl").read_bytes()
    rep = import_chats(empty_db, data, "jddc_zh_sample.jsonl")
    assert (rep.inserted, rep.skipped, rep.rejected) == (994, 0, [])
    assert count(empty_db, Chat) == 994 and count(empty_db, ChatMessage) == 12136
    assert count(empty_db, ChatCheck) == 994
    with empty_db.connect() as c:
        # no timestamps and no agent: kept and marked so
        assert c.execute(select(func.count()).where(Chat.has_timestamps.is_(False))).scalar() == 994
        assert c.execute(select(func.count()).where(Chat.agent_id.is_(None))).scalar() == 994
        assert c.execute(select(func.count()).select_from(ChatCheck).where(ChatCheck.slow_replies.is_(None))).scalar() == 994
        # JD's real greeting is in the phrase list
        assert c.execute(select(func.count()).select_from(ChatCheck).where(ChatCheck.greeting_ok.is_(True))).scalar() > 100
    again = import_chats(empty_db, data, "jddc_zh_sample.jsonl")
    assert (again.inserted, again.skipped) == (0, 994)
    assert count(empty_db, ChatMessage) == 12136


def test_abcd_english_sample(empty_db, shared_data):
    rep = import_chats(empty_db, (shared_data / "chats" / "abcd_en_sample.jsonl").read_bytes(), "abcd.jsonl")
    assert rep.inserted == 3
    with empty_db.connect() as c:
        assert set(c.execute(select(Chat.language)).scalars()) == {"en"}


def test_known_agent_timestamps_and_checks(empty_db):
    w = World(empty_db)
    seen = []
    new_ids = []
    events.listen("chats_changed", lambda conn, pairs, new_chat_ids=(): (seen.extend(pairs),
                                                                         new_ids.extend(new_chat_ids)))
    rep = import_chats(empty_db, jl(conv("k1", agent="A0001", channel="web"), conv("k2", agent="nobody")), "x.jsonl")
    assert rep.inserted == 2 and rep.extra["without_agent"] == 1
    with empty_db.connect() as c:
        k1 = c.execute(select(Chat).where(Chat.conversation_id == "k1")).one()
        k2 = c.execute(select(Chat).where(Chat.conversation_id == "k2")).one()
        chk = c.execute(select(ChatCheck).where(ChatCheck.chat_id == k1.id)).one()
        audit = c.execute(select(AuditLog.action)).scalars().all()
    assert k1.agent_id == w.agents["ag1"] and k1.has_timestamps and str(k1.work_date) == "2026-11-02"
    assert str(k1.started_at) == "2026-11-02 01:00:00"  # stored in UTC
    assert k2.agent_id is None and k2.agent_ref == "nobody"
    assert chk.first_response_s == 90 and chk.slow_replies == 1 and chk.greeting_ok and chk.closing_ok
    assert (w.agents["ag1"], k1.work_date) in seen
    assert k1.id in new_ids  # the import names its new chats: only they (and their clients' earlier ones) change
    assert "qa.chats_import" in audit


BAD_LINES = [
    ("{not json", "not valid JSON"),
    ('{"conversation_id": "n", "turns": ' + "1" * 5000 + "}", "a number too long"),
    ('["a list"]', "one JSON object"),
    (json.dumps({"turns": conv()["turns"]}), "conversation_id is missing"),
    (json.dumps(conv("x" * 200)), "longer than 128"),
    (json.dumps(conv("e", turns=[])), "non-empty list"),
    (json.dumps(conv("f", turns=["hi"])), "turn 1 is not an object"),
    (json.dumps(conv("g", turns=[{"speaker": "robot", "text": "x"}])), "speaker must be"),
    (json.dumps(conv("h", turns=[{"speaker": "agent", "text": 5}])), "text must be text"),
    (json.dumps(conv("i", turns=[{"speaker": "agent", "text": "x", "ts": "yesterday"}])), "not an ISO-8601"),
    (json.dumps(conv("j", turns=[{"speaker": "agent", "text": "a", "ts": "2026-11-02T10:00:00"},
                                 {"speaker": "agent", "text": "b", "ts": "2026-11-02T09:00:00"}])), "backwards"),
    (json.dumps(conv("k", turns=[{"speaker": "agent", "text": "a", "ts": "2099-01-01T00:00:00Z"}])), "future"),
    # no UTC time exists for these in the bank's zone (UTC+8): a bad line, not a crash
    (json.dumps(conv("k1", turns=[{"speaker": "agent", "text": "a", "ts": "0001-01-01T00:00:00"}])), "implausibly old"),
    (json.dumps(conv("l", turns=[{"speaker": "agent", "text": "x" * 20000}])), "longer than 10000"),
    (json.dumps(conv("m", client=999999)), "not a known client"),
    (json.dumps(conv("n", client="abc")), "client must be"),
]


@pytest.mark.parametrize("line, message", BAD_LINES, ids=[m for _, m in BAD_LINES])
def test_each_kind_of_bad_line_refuses_the_whole_file_with_its_line_number(empty_db, line, message):
    data = jl(conv("good1"), line, conv("good2"))
    with pytest.raises(ImportRefused) as exc:
        import_chats(empty_db, data, "f.jsonl")
    assert exc.value.issues[0].line == 2 and message in exc.value.issues[0].message
    assert "line 2" in str(exc.value)
    assert count(empty_db, Chat) == 0 and count(empty_db, ChatMessage) == 0


def test_skip_bad_imports_exactly_the_good_lines(empty_db):
    data = jl(conv("g1"), "{broken", conv("g2"), conv("g1"))
    rep = import_chats(empty_db, data, "f.jsonl", skip_bad=True)
    assert rep.inserted == 2 and [i.line for i in rep.rejected] == [2, 4]
    assert "already appears on line 1" in rep.rejected[1].message
    assert count(empty_db, Chat) == 2


def test_utf8_bom_and_gb18030_csv(empty_db):
    csv_text = ("会话ID,发言方,内容,时间\n"
                "z1,顾客,请问信用卡怎么还款,2026-11-03 10:00:00\n"
                "z1,客服,您好，可以在手机银行还款，再见,2026-11-03 10:00:20\n")
    rep = import_chats(empty_db, csv_text.encode("gb18030"), "excel.csv")
    assert rep.inserted == 1 and rep.extra["encoding"] == "gb18030"
    rep = import_chats(empty_db, b"\xef\xbb\xbf" + jl(conv("bom1")), "bom.jsonl")
    assert rep.inserted == 1 and rep.extra["encoding"] == "utf-8-sig"
    with empty_db.connect() as c:
        assert c.execute(select(ChatMessage.text).where(ChatMessage.seq == 1).order_by(ChatMessage.id)).scalars().first() == "请问信用卡怎么还款"


def test_csv_bad_row_names_its_line_and_the_conversation_stays_out(empty_db):
    data = (b"conversation_id,speaker,text,ts\n"
            b"a,customer,hi,2026-11-03T10:00:00\n"
            b"b,customer,\"multi\nline\",2026-11-03T10:00:00\n"
            b"b,wizard,hello,2026-11-03T10:00:05\n"
            b"a,agent,hello goodbye,2026-11-03T10:00:05\n")
    with pytest.raises(ImportRefused) as exc:
        import_chats(empty_db, data, "m.csv")
    assert exc.value.issues[0].line == 3 and exc.value.issues[1].line == 5
    rep = import_chats(empty_db, data, "m.csv", skip_bad=True)
    assert rep.inserted == 1
    with empty_db.connect() as c:
        assert c.execute(select(Chat.conversation_id)).scalars().all() == ["a"]


def test_csv_without_required_columns_and_nul_bytes_are_refused(empty_db):
    with pytest.raises(ImportRefused, match="columns"):
        import_chats(empty_db, b"id,who\n1,2\n", "x.csv")
    with pytest.raises(ImportRefused, match="NUL"):
        import_chats(empty_db, jl(conv("a")) + b"\x00", "x.jsonl", skip_bad=True)
    assert count(empty_db, Chat) == 0


def test_formula_text_is_stored_as_text(empty_db):
    rep = import_chats(empty_db, jl(conv("=HYPERLINK(\"http://x\")", turns=[
        {"speaker": "customer", "text": "=HYPERLINK(\"http://evil\",\"x\")"}])), "f.jsonl")
    assert rep.inserted == 1


def test_the_page_upload_behaves_like_the_command(empty_db):
    from lib.qa.admin import import_upload

    progress = []
    data = jl(conv("u1"), "{bad", conv("u2"))
    out = import_upload(empty_db, data, "up.jsonl", False, None, lambda d, n: progress.append((d, n)))
    assert out.refused and [i.line for i in out.issues] == [2] and count(empty_db, Chat) == 0
    assert list(out.issues_frame()["line"]) == [2]
    out = import_upload(empty_db, data, "up.jsonl", True, None, lambda d, n: progress.append((d, n)))
    assert not out.refused and out.report.inserted == 2 and [i.line for i in out.issues] == [2]
    assert progress[-1] == (2, 2)
