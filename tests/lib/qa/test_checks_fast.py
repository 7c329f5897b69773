"""The checks' fast path (check_tuples: one search of all agent texts joined before looking turn by
turn) gives what the plain rules give: a reference copy of the plain rules, turn by turn, is compared
with it on generated chats, Greek final sigma and case-changing letters included."""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lib import settings as settings_mod
from lib.qa.checks import CheckResult, Phrases, Turn, check_tuples, contains_any, run_checks

T0 = datetime(2026, 11, 2, 2, 0, 0)


def reference(turns: list[Turn], phrases: Phrases) -> CheckResult:
    """The checks as first written: every rule applied turn by turn."""
    res = CheckResult(waits=[None] * len(turns))
    agent_idx = [i for i, t in enumerate(turns) if t.speaker == "agent"]
    if agent_idx:
        res.greeting_ok = bool(contains_any(turns[agent_idx[0]].text, phrases.greeting))
        res.closing_ok = bool(contains_any(turns[agent_idx[-1]].text, phrases.closing))
        hits: list[str] = []
        for i in agent_idx:
            for p in contains_any(turns[i].text, phrases.forbidden):
                if p not in hits:
                    hits.append(p)
        res.forbidden_hits = hits
    if not turns or any(t.ts is None for t in turns):
        return res
    pending = None
    waits: list[int] = []
    long_waits = apologised = 0
    for i, t in enumerate(turns):
        if t.speaker == "customer":
            if pending is None:
                pending = t.ts
        elif pending is not None:
            wait = int((t.ts - pending).total_seconds())
            res.waits[i] = wait
            waits.append(wait)
            if wait > phrases.long_wait_s:
                long_waits += 1
                if contains_any(t.text, phrases.apology):
                    apologised += 1
            pending = None
    res.agent_replies = len(waits)
    res.slow_replies = sum(1 for w in waits if w > phrases.limit_s)
    res.max_wait_s = max(waits) if waits else None
    res.first_response_s = waits[0] if waits else None
    res.apology_needed = long_waits > 0
    res.apology_ok = (apologised == long_waits) if long_waits else None
    return res


PHRASE_BITS = ["不知道", "没办法", "您好", "再见", "抱歉", "ΑΣ", "σ", "ς", "İ", "i̇", "ǅ", "ß", "SS", "ﬀ", "hello",
               "Thank you", "\n"]
phrase = st.lists(st.sampled_from(PHRASE_BITS), min_size=1, max_size=2).map("".join)
text_ = st.lists(st.one_of(st.sampled_from(PHRASE_BITS + [" ", "Σ", "ΣΑ", "Α", "'", "\u0301", "x"]),
                           st.text(max_size=4)), max_size=6).map("".join)
turn = st.tuples(st.sampled_from(["agent", "customer"]), text_, st.integers(0, 400))


@settings(max_examples=300, deadline=None)
@given(turns=st.lists(turn, max_size=8), forbidden=st.lists(phrase, max_size=4),
       greeting=st.lists(phrase, max_size=3), timed=st.booleans())
def test_check_tuples_equals_the_turn_by_turn_rules(turns, forbidden, greeting, timed):
    s = dict(settings_mod.defaults())
    s["qa.forbidden_phrases"] = forbidden
    s["qa.greeting_phrases"] = greeting
    s["qa.closing_phrases"] = greeting[::-1]
    s["qa.apology_phrases"] = forbidden[:1]
    phrases = Phrases(s)
    at, built = T0, []
    for sp, tx, gap in turns:
        at += timedelta(seconds=gap)
        built.append(Turn(sp, tx, at if timed else None))
    want = reference(built, phrases)
    assert check_tuples([(t.speaker, t.text, t.ts) for t in built], phrases) == want
    assert run_checks(built, phrases) == want


def test_a_final_sigma_at_the_end_of_one_text_is_found_as_in_that_text_alone():
    # "ΑΣ" alone lower-cases to "ας"; run into the next text ("ΑΣΒ") it would be "ασβ"
    s = dict(settings_mod.defaults())
    s["qa.forbidden_phrases"] = ["ας"]
    phrases = Phrases(s)
    turns = [Turn("agent", "ΑΣ", None), Turn("agent", "Β", None)]
    assert run_checks(turns, phrases).forbidden_hits == reference(turns, phrases).forbidden_hits == ["ας"]
