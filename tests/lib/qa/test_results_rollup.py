"""The QA results rollups (lib/qa/rollup.py): the criteria tab's figures read from them equal the live
computation over the raw rows (the SQL the page ran before the rollups), for the manager, a team lead
and an agent, on the demo seed and after each kind of write; and the maintained rows are exactly
what a full rebuild gives."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import case, func, select

from db.models import (
    Agent,
    Chat,
    ChatCheck,
    Dispute,
    Review,
    ReviewResult,
    RubricCriterion,
    Sample,
    Team,
    User,
)
from lib import settings as settings_mod
from lib.auth import load_user
from lib.qa import checks_db, disputes, results, reviews, rollup
from lib.qa import rubric as rubric_mod
from lib.qa.common import restrict, scope_agent_ids
from lib.qa.importer import assign_agent, import_chats
from tests.conftest import DEMO_TODAY

THIS_MONTH = (DEMO_TODAY.replace(day=1), DEMO_TODAY)
RANGES = [THIS_MONTH, (date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 9, 15), date(2026, 10, 10))]


# --- the reference: the live queries the page ran before the rollups (verbatim) ---------------------

def raw_criteria_failures(engine, viewer, start, end, lang="zh") -> pd.DataFrame:
    scope = scope_agent_ids(engine, viewer)
    name = RubricCriterion.name_zh if lang == "zh" else RubricCriterion.name_en
    with engine.connect() as conn:
        rows = conn.execute(
            select(RubricCriterion.code, func.min(name).label("criterion"),
                   func.sum(case((ReviewResult.result == "fail", 1), else_=0)).label("failed"),
                   func.sum(case((ReviewResult.result != "na", 1), else_=0)).label("rated"))
            .select_from(ReviewResult).join(Review, Review.id == ReviewResult.review_id)
            .join(RubricCriterion, RubricCriterion.id == ReviewResult.criterion_id)
            .where(Review.sample_id.is_not(None), Review.work_date >= start, Review.work_date <= end,
                   restrict(Review.agent_id, scope))
            .group_by(RubricCriterion.code)).mappings().all()
    df = pd.DataFrame(rows, columns=["code", "criterion", "failed", "rated"])
    if df.empty:
        return df.assign(fail_rate=pd.Series(dtype=float))
    df["failed"] = df["failed"].astype(int)
    df["rated"] = df["rated"].astype(int)
    df["fail_rate"] = (df["failed"] / df["rated"].where(df["rated"] > 0)).fillna(0.0)
    return df


def raw_check_rates(engine, viewer, start, end) -> dict:
    scope = scope_agent_ids(engine, viewer)

    def share(cond):
        return func.sum(case((cond, 1), else_=0))

    with engine.connect() as conn:
        r = conn.execute(
            select(func.count().label("chats"),
                   share(ChatCheck.greeting_ok.is_(False)).label("no_greeting"),
                   share(ChatCheck.closing_ok.is_(False)).label("no_closing"),
                   share(ChatCheck.slow_replies > 0).label("slow"),
                   share(ChatCheck.slow_replies.is_(None)).label("no_timestamps"),
                   share(ChatCheck.forbidden_hits.is_not(None)).label("forbidden"),
                   share(ChatCheck.apology_ok.is_(False)).label("no_apology"),
                   func.avg(ChatCheck.first_response_s).label("avg_first_response_s"))
            .select_from(Chat).join(ChatCheck, ChatCheck.chat_id == Chat.id)
            .where(Chat.work_date >= start, Chat.work_date <= end, restrict(Chat.agent_id, scope))).mappings().one()
    n = int(r["chats"] or 0)
    out = {"chats": n, "avg_first_response_s": None if r["avg_first_response_s"] is None
           else float(r["avg_first_response_s"])}
    for k in ("no_greeting", "no_closing", "slow", "no_timestamps", "forbidden", "no_apology"):
        out[k] = (int(r[k] or 0) / n) if n else 0.0
    return out


# --- helpers ------------------------------------------------------------------------------------------

def _by_code(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("code").reset_index(drop=True)


def _table_rows(conn) -> dict:
    return {t.name: sorted(tuple(r) for r in conn.execute(select(t))) for t in (rollup.CRIT, rollup.CHECKS)}


def assert_exact(engine, viewers, ranges=RANGES) -> dict:
    """The page's figures equal the live ones for every viewer and range, and the rollup rows equal a
    full rebuild's. Returns the figures, keyed (username, range), for the caller's own checks."""
    figures = {}
    for v in viewers:
        for start, end in ranges:
            crit = results.criteria_failures(engine, v, start, end, "zh")
            pd.testing.assert_frame_equal(_by_code(crit), _by_code(raw_criteria_failures(engine, v, start, end)))
            rates = results.check_rates(engine, v, start, end)
            assert rates == raw_check_rates(engine, v, start, end), (v.username, start, end)
            figures[(v.username, start)] = (crit, rates)
    with engine.connect() as conn:
        tx = conn.begin()
        kept = _table_rows(conn)
        rollup.rebuild(conn)
        rebuilt = _table_rows(conn)
        tx.rollback()
    assert kept == rebuilt
    return figures


def viewers_of(engine, agent_id: int) -> list:
    """The manager, the lead of ``agent_id``'s team and the agent themself."""
    with engine.connect() as c:
        lead = c.execute(select(User.username).join(Team, Team.lead_user_id == User.id)
                         .join(Agent, Agent.team_id == Team.id).where(Agent.id == agent_id)).scalar_one()
        agent = c.execute(select(User.username).join(Agent, Agent.user_id == User.id)
                          .where(Agent.id == agent_id)).scalar_one()
    return [load_user(engine, username=u) for u in ("demo_manager", lead, agent)]


def failed_of(figures, who, start=THIS_MONTH[0]) -> int:
    return int(figures[(who, start)][0]["failed"].sum())


# --- tests --------------------------------------------------------------------------------------------

def test_rollup_figures_equal_the_live_ones_on_the_demo_seed(demo_db):
    vs = [load_user(demo_db, username=u) for u in ("demo_manager", "demo_lead", "demo_agent", "demo_qa")]
    figures = assert_exact(demo_db, vs)
    # something to compare: every viewer has failures and checked chats this month
    for v in vs:
        crit, rates = figures[(v.username, THIS_MONTH[0])]
        assert len(crit) == 7 and crit["rated"].sum() > 0 and rates["chats"] > 0
    # the page's order: most failures first (ties by code)
    crit = figures[("demo_manager", THIS_MONTH[0])][0]
    assert list(crit["failed"]) == sorted(crit["failed"], reverse=True)
    # an empty range is empty, as before
    empty = date(2020, 1, 1), date(2020, 1, 31)
    assert results.criteria_failures(demo_db, vs[0], *empty).empty
    assert results.check_rates(demo_db, vs[0], *empty) == raw_check_rates(demo_db, vs[0], *empty)


def test_a_submitted_review_is_in_the_rollup_at_once(demo_db):
    with demo_db.connect() as c:
        s = c.execute(select(Sample.id, Sample.agent_id, Sample.work_date).where(Sample.status == "pending")
                      .order_by(Sample.work_date.desc(), Sample.id)).first()
        rub = rubric_mod.current(c)
    assert s is not None, "the demo seed leaves recent samples to score"
    vs = viewers_of(demo_db, s.agent_id)
    day = (s.work_date, s.work_date)
    before = assert_exact(demo_db, vs, [day])
    # every criterion fails but one not applicable: failed +6, rated +6 for this agent-day
    res = {c.code: "fail" for c in rub.criteria}
    res[rub.criteria[-1].code] = "na"
    reviews.submit(demo_db, s.id, res, "rollup test", actor=load_user(demo_db, username="demo_qa"))
    after = assert_exact(demo_db, vs, [day, *RANGES])
    for v in vs:
        assert failed_of(after, v.username, s.work_date) == failed_of(before, v.username, s.work_date) + 6


def test_an_accepted_dispute_changes_the_rollup_and_a_rejected_one_does_not(demo_db):
    with demo_db.connect() as c:
        open_ = c.execute(select(Dispute.id, Dispute.agent_id, Dispute.version, Review.work_date)
                          .join(Review, Review.id == Dispute.review_id).where(Dispute.status == "open")
                          .order_by(Dispute.id)).all()
        failing = {d.id: c.execute(select(func.count()).select_from(ReviewResult)
                                   .join(Dispute, Dispute.review_id == ReviewResult.review_id)
                                   .where(Dispute.id == d.id, ReviewResult.result == "fail")).scalar()
                   for d in open_}
    accept = next(d for d in open_ if failing[d.id] > 0)
    reject = next(d for d in open_ if d.id != accept.id)
    vs = viewers_of(demo_db, accept.agent_id)
    lead = vs[1]
    day = (accept.work_date, accept.work_date)
    before = assert_exact(demo_db, vs, [day])
    disputes.decide(demo_db, accept.id, True, "复核属实", actor=lead, expected_version=accept.version)
    after = assert_exact(demo_db, vs, [day, *RANGES])
    for v in vs:  # the accepted dispute turned every failed criterion of the review into a pass
        assert failed_of(after, v.username, accept.work_date) == (failed_of(before, v.username, accept.work_date)
                                                                  - failing[accept.id])
    rv = viewers_of(demo_db, reject.agent_id)
    disputes.decide(demo_db, reject.id, False, "维持原判", actor=rv[1], expected_version=reject.version)
    assert_exact(demo_db, rv, [(reject.work_date, reject.work_date)])


def _conv(cid: str, agent: str | None, day: date, *, wait_s: int, rude: bool = False) -> dict:
    t0 = f"{day.isoformat()}T10:00:00+08:00"
    t1 = f"{day.isoformat()}T10:{wait_s // 60:02d}:{wait_s % 60:02d}+08:00"
    d = {"conversation_id": cid, "turns": [
        {"speaker": "customer", "text": "你好，查账单", "ts": t0},
        {"speaker": "agent", "text": "我也没办法" if rude else "您好，请稍等。祝您生活愉快，再见", "ts": t1}]}
    if agent:
        d["agent"] = agent
    return d


def test_imported_chats_and_their_assignment_are_in_the_rollup(demo_db):
    with demo_db.connect() as c:
        me = c.execute(select(Agent.id, Agent.employee_no).join(User, User.id == Agent.user_id)
                       .where(User.username == "demo_agent")).one()
    vs = viewers_of(demo_db, me.id)
    day = DEMO_TODAY - timedelta(days=2)
    before = assert_exact(demo_db, vs, [THIS_MONTH])
    lines = [_conv(f"rollup-{i}", me.employee_no, day, wait_s=30 + 20 * i, rude=i % 2 == 0) for i in range(5)]
    lines += [_conv(f"rollup-x{i}", "nobody-known", day, wait_s=95) for i in range(3)]  # no known agent
    lines += [{"conversation_id": "rollup-nots", "agent": me.employee_no,  # no timestamps
               "turns": [{"speaker": "customer", "text": "在吗"}, {"speaker": "agent", "text": "您好，再见"}]}]
    data = ("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n").encode()
    rep = import_chats(demo_db, data, "rollup.jsonl")
    assert rep.inserted == 9 and rep.extra["without_agent"] == 3
    after = assert_exact(demo_db, vs, [THIS_MONTH, (day, day), *RANGES[1:]])
    mgr, agent = "demo_manager", vs[2].username
    # the chat without timestamps is dated on the day of the import (after THIS_MONTH's range)
    assert after[(mgr, THIS_MONTH[0])][1]["chats"] == before[(mgr, THIS_MONTH[0])][1]["chats"] + 8
    assert after[(agent, THIS_MONTH[0])][1]["chats"] == before[(agent, THIS_MONTH[0])][1]["chats"] + 5
    today = (day, DEMO_TODAY + timedelta(days=30))
    assert_exact(demo_db, vs, [today])
    # the three chats without a known agent move to demo_agent: the manager's figures stay, the agent's grow
    with demo_db.connect() as c:
        ids = list(c.execute(select(Chat.id).where(Chat.conversation_id.like("rollup-x%"))).scalars())
    assign_agent(demo_db, ids, me.id, actor=load_user(demo_db, username="demo_admin"))
    moved = assert_exact(demo_db, vs, [THIS_MONTH, today])
    assert moved[(mgr, THIS_MONTH[0])][1] == after[(mgr, THIS_MONTH[0])][1]
    assert moved[(agent, THIS_MONTH[0])][1]["chats"] == after[(agent, THIS_MONTH[0])][1]["chats"] + 3


def test_rechecking_chats_with_new_settings_is_in_the_rollup(demo_db):
    vs = viewers_of(demo_db, 1)
    before = assert_exact(demo_db, vs, [THIS_MONTH])
    v = settings_mod.save(demo_db, {"qa.response_limit_s": 5}, user_id=None, check_version=False)
    assert v is not None
    n = checks_db.recheck(demo_db, THIS_MONTH[0], THIS_MONTH[0] + timedelta(days=9), batch=500)
    assert n > 0
    with demo_db.connect() as c:
        one = c.execute(select(Chat.id).where(Chat.work_date == THIS_MONTH[0] + timedelta(days=12))
                        .order_by(Chat.id)).scalars().first()
    checks_db.recheck_chat(demo_db, one)
    after = assert_exact(demo_db, vs, [THIS_MONTH, *RANGES[1:]])
    assert after[("demo_manager", THIS_MONTH[0])][1]["slow"] > before[("demo_manager", THIS_MONTH[0])][1]["slow"]


def test_migration_builds_the_rollups_from_the_rows_already_stored(demo_db):
    from db.migrate import downgrade, upgrade

    with demo_db.connect() as c:
        seeded = _table_rows(c)
    assert seeded[rollup.CRIT.name] and seeded[rollup.CHECKS.name]
    downgrade(demo_db, "0007_complaints_rollup")
    upgrade(demo_db)
    with demo_db.connect() as c:
        assert _table_rows(c) == seeded
    assert rollup.build_if_missing(demo_db) is None


def test_build_if_missing_builds_an_empty_rollup(demo_db):
    with demo_db.begin() as c:
        seeded = _table_rows(c)
        c.execute(rollup.CRIT.delete())
        c.execute(rollup.CHECKS.delete())
    counts = rollup.build_if_missing(demo_db)
    assert counts == {rollup.CRIT.name: len(seeded[rollup.CRIT.name]),
                      rollup.CHECKS.name: len(seeded[rollup.CHECKS.name])}
    with demo_db.connect() as c:
        assert _table_rows(c) == seeded


@pytest.mark.parametrize("rows, expected", [
    ([10, 11, 12, 13, 14, 15, 16, 17, 18, 40, 3], [(10, 18), [3, 40]]),
    ([5, 1, 5, 2], [[1, 2, 5]]),
    ([], []),
])
def test_id_conditions_cover_runs_and_singles(rows, expected):
    conds = list(rollup._id_conds(Chat.id, rows))
    got = []
    for c in conds:
        params = c.compile().params
        vals = list(params.values())
        got.append(tuple(vals) if len(vals) == 2 and "between" in str(c).lower() else sorted(vals[0]))
    assert got == expected
