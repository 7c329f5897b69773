"""Automatic checks in Chinese and English: greeting, closing, waits, forbidden phrases, apology."""

from datetime import datetime, timedelta

from lib import settings as settings_mod
from lib.qa.checks import Phrases, Turn, run_checks, suggestions

P = Phrases(settings_mod.defaults())
T0 = datetime(2026, 11, 2, 2, 0, 0)


def at(s):
    return T0 + timedelta(seconds=s)


def test_greeting_and_closing_in_chinese():
    r = run_checks([Turn("customer", "在吗", at(0)), Turn("agent", "您好，很高兴为您服务", at(5)),
                    Turn("customer", "查账单", at(10)), Turn("agent", "请稍等。祝您生活愉快，再见", at(20))], P)
    assert r.greeting_ok is True and r.closing_ok is True and r.forbidden_hits == []


def test_greeting_only_counts_in_the_first_agent_message_closing_in_the_last():
    r = run_checks([Turn("agent", "请讲", None), Turn("agent", "您好", None), Turn("agent", "再见", None),
                    Turn("agent", "好的", None)], P)
    assert r.greeting_ok is False and r.closing_ok is False


def test_english_is_matched_case_insensitively():
    r = run_checks([Turn("agent", "Hi! How can I help you?", None), Turn("customer", "refund", None),
                    Turn("agent", "Done. Thank you, have a nice day", None)], P)
    assert r.greeting_ok and r.closing_ok


def test_waits_are_measured_from_the_first_unanswered_customer_message():
    r = run_checks([Turn("customer", "a", at(0)), Turn("customer", "b", at(30)), Turn("agent", "您好", at(61)),
                    Turn("customer", "c", at(100)), Turn("agent", "好的", at(160)),
                    Turn("customer", "d", at(200)), Turn("agent", "再见", at(261))], P)
    assert r.waits == [None, None, 61, None, 60, None, 61]
    assert r.first_response_s == 61
    assert r.slow_replies == 2  # 61 s is slow, exactly 60 s is not
    assert r.max_wait_s == 61 and r.agent_replies == 3


def test_an_apology_is_needed_after_a_long_wait():
    base = [Turn("customer", "a", at(0))]
    r = run_checks(base + [Turn("agent", "您好，让您久等了", at(90))], P)
    assert r.apology_needed is True and r.apology_ok is True
    r = run_checks(base + [Turn("agent", "您好", at(90))], P)
    assert r.apology_needed is True and r.apology_ok is False
    r = run_checks(base + [Turn("agent", "您好", at(9))], P)
    assert r.apology_needed is False and r.apology_ok is None


def test_forbidden_phrases_in_agent_messages_only():
    r = run_checks([Turn("customer", "你们没办法吗", None), Turn("agent", "这个我不知道，你自己看", None)], P)
    assert r.forbidden_hits == ["不知道", "你自己看"]


def test_without_timestamps_the_response_checks_are_na():
    r = run_checks([Turn("customer", "a", at(0)), Turn("agent", "您好", None)], P)
    assert r.first_response_s is None and r.slow_replies is None and r.apology_needed is None


def test_suggestions_map_checks_to_criteria():
    s = suggestions({"greeting_ok": True, "closing_ok": False, "slow_replies": 1, "forbidden_hits": "[]",
                     "apology_ok": None})
    assert s["greeting"] == "pass" and s["closing"] == "fail" and s["response_60s"] == "fail"
    assert s["wording"] == "pass" and s["attitude"] is None
    s = suggestions({"greeting_ok": None, "closing_ok": None, "slow_replies": None, "forbidden_hits": ["不知道"]})
    assert s["response_60s"] == "na" and s["wording"] == "fail" and s["greeting"] is None


def test_phrase_lists_are_settings():
    class S(dict):
        def __getitem__(self, k):
            return dict.get(self, k, settings_mod.defaults()[k])

    p = Phrases(S({"qa.greeting_phrases": ["早上好"]}))
    assert run_checks([Turn("agent", "早上好", None)], p).greeting_ok is True
    assert run_checks([Turn("agent", "您好", None)], p).greeting_ok is False
