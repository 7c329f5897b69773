"""Scoring, points and months against a database: submit and its race, the rubric kept per review,
the month from rosters, closing and recomputing, calibration never counting, row scoping."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import AuditLog, MonthResult, Review, Sample
from lib import events
from lib import settings as settings_mod
from lib.qa import points, reviews, rubric, sampling
from lib.qa.common import scope_agent_ids
from lib.qa.reviews import NotAllowed, ReviewConflict
from tests.lib.qa.world import World

D = date(2026, 10, 5)
ALL_PASS = {c: "pass" for c in rubric.CODES}


def first_sample(engine, agent_id=None):
    with engine.connect() as c:
        q = select(Sample.id).where(Sample.status == "pending").order_by(Sample.id)
        if agent_id:
            q = q.where(Sample.agent_id == agent_id)
        return c.execute(q).scalars().first()


def test_submit_scores_with_the_current_rubric_and_the_second_submit_loses(empty_db):
    w = World(empty_db)
    w.chats("ag1", D, 3)
    sampling.run_day(empty_db, D)
    sid = first_sample(empty_db)
    seen = []
    events.listen("reviews_changed", lambda conn, pairs: seen.extend(pairs))
    out = reviews.submit(empty_db, sid, ALL_PASS | {"attitude": "fail"}, "态度生硬", actor=w.user("qa1"))
    assert out.qualified is False and out.day_reviews == 1 and out.day_unqualified == 1 and out.day_point == 1
    assert (w.agents["ag1"], D) in seen
    with pytest.raises(ReviewConflict) as exc:
        reviews.submit(empty_db, sid, ALL_PASS, "", actor=w.user("qa2"))
    assert exc.value.fields["who"] == "QA1"
    with empty_db.connect() as c:
        assert c.execute(select(func.count()).select_from(Review)).scalar() == 1
        assert c.execute(select(func.count()).select_from(AuditLog)
                         .where(AuditLog.action == "qa.review_submit")).scalar() == 1


def test_incomplete_results_and_non_qa_users_are_refused(empty_db):
    w = World(empty_db)
    w.chats("ag1", D, 1)
    sampling.run_day(empty_db, D)
    sid = first_sample(empty_db)
    with pytest.raises(ValueError, match="missing"):
        reviews.submit(empty_db, sid, {"greeting": "pass"}, "", actor=w.user("qa1"))
    with pytest.raises(NotAllowed):
        reviews.submit(empty_db, sid, ALL_PASS, "", actor=w.user("lead1"))
    with empty_db.connect() as c:
        assert c.execute(select(Sample.status).where(Sample.id == sid)).scalar() == "pending"


def test_a_rubric_change_mid_month_leaves_earlier_reviews_on_their_version(empty_db):
    w = World(empty_db)
    w.chats("ag1", D, 2)
    sampling.run_day(empty_db, D)
    s1 = first_sample(empty_db)
    reviews.submit(empty_db, s1, ALL_PASS | {"greeting": "fail"}, "", actor=w.user("qa1"))  # 90 → qualified
    v1 = rubric.current(empty_db)
    crit = [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "weight": c.weight,
             "critical": c.critical or c.code == "greeting"} for c in v1.criteria]
    with pytest.raises(PermissionError):
        rubric.save_version(empty_db, crit, 90, actor=w.user("qa1"), note="x", expected_version=v1.version)
    v2 = rubric.save_version(empty_db, crit, 90, actor=w.user("root"), note="问候语改为关键项",
                             expected_version=v1.version)
    with pytest.raises(rubric.StaleRubricError):
        rubric.save_version(empty_db, crit, 90, actor=w.user("root"), note="again", expected_version=v1.version)
    s2 = first_sample(empty_db)
    out = reviews.submit(empty_db, s2, ALL_PASS | {"greeting": "fail"}, "", actor=w.user("qa1"))
    assert out.qualified is False  # greeting is critical from v2
    with empty_db.connect() as c:
        versions = dict(c.execute(select(Review.sample_id, Review.rubric_version_id)).all())
        first = c.execute(select(Review.qualified).where(Review.sample_id == s1)).scalar()
    assert versions == {s1: v1.id, s2: v2.id} and first is True


def test_month_from_the_roster_with_days_without_sample(empty_db):
    w = World(empty_db)
    days = [date(2026, 10, d) for d in range(1, 23)]  # a 22-working-day month
    w.schedule("ag1", days)
    for d in days[:19]:
        w.reviewed_day("ag1", d, 5, 0)
    w.reviewed_day("ag1", days[19], 5, 3)   # exactly 3: keeps the point
    w.reviewed_day("ag1", days[20], 5, 4)   # exactly 4: loses it
    # days[21]: rostered, nothing sampled
    m = points.agent_month(empty_db, "2026-10", [w.agents["ag1"]]).iloc[0]
    assert (m.working_days, m.points, m.days_without_sample, m.reviews, m.unqualified) == (22, 20, 1, 105, 7)
    assert (m.tier, m.deduction_fen, m.no_bonus) == ("standard", 0, False)
    d = points.agent_days(empty_db, [w.agents["ag1"]], days[18], days[21])
    assert list(d["point"]) == [1, 1, 0, None]


def test_without_a_roster_the_month_has_the_default_working_days(empty_db):
    w = World(empty_db)
    for k in range(1, 12):
        w.reviewed_day("ag2", date(2026, 10, k), 2, 0)
    m = points.agent_month(empty_db, "2026-10", [w.agents["ag2"]]).iloc[0]
    assert (m.working_days, m.points, m.days_without_sample) == (26, 11, 15)
    assert m.tier == "no_bonus" and m.no_bonus


def test_calibration_reviews_never_count(empty_db):
    from lib.qa import calibration

    w = World(empty_db)
    w.schedule("ag1", [D])
    cids = w.chats("ag1", D, 2)
    sid = calibration.create_session(empty_db, "校准", cids, [w.users["qa1"][0], w.users["qa2"][0]],
                                     actor=w.user("lead1"))
    for who in ("qa1", "qa2"):
        for cid in cids:
            calibration.submit(empty_db, sid, cid, ALL_PASS | {"attitude": "fail"}, None, actor=w.user(who))
    m = points.agent_month(empty_db, "2026-10", [w.agents["ag1"]]).iloc[0]
    assert (m.reviews, m.unqualified, m.points) == (0, 0, 0)
    table, complete = calibration.agreement(empty_db, sid, "en")
    assert complete == 2 and set(table["method"]) == {"cohen"}


def test_closing_freezes_the_month_and_recomputing_gives_the_same_figures(empty_db):
    w = World(empty_db)
    days = [date(2026, 10, d) for d in range(1, 27)]
    w.schedule("ag1", days)
    for i, d in enumerate(days):
        w.reviewed_day("ag1", d, 4, 4 if i < 8 else 0)  # 18 points
    live = points.agent_month(empty_db, "2026-10")
    assert live.iloc[0].points == 18 and live.iloc[0].deduction_fen == 5000
    with pytest.raises(PermissionError):
        points.close_month(empty_db, "2026-10", actor=w.user("qa1"), today=date(2026, 11, 5))
    with pytest.raises(ValueError, match="not over"):
        points.close_month(empty_db, "2026-10", actor=w.user("boss"), today=date(2026, 10, 20))
    assert points.close_month(empty_db, "2026-10", actor=w.user("boss"), today=date(2026, 11, 5)) == 1
    with pytest.raises(points.MonthClosedError):
        points.close_month(empty_db, "2026-10", actor=w.user("boss"), today=date(2026, 11, 5))
    # the rules change afterwards: the closed month keeps its figures
    settings_mod.save(empty_db, {"qa.tier1_below": 25, "qa.tier1_deduction_yuan": 70}, user_id=None,
                      expected_version_id=settings_mod.latest_version_id(empty_db.connect()))
    frozen = points.agent_month(empty_db, "2026-10")
    assert frozen.equals(live)
    assert points.recompute(empty_db, "2026-10").equals(frozen)
    with empty_db.connect() as c:
        assert c.execute(select(MonthResult.deduction_fen)).scalar() == 5000


def test_closing_with_pending_samples_needs_force(empty_db):
    w = World(empty_db)
    w.chats("ag1", D, 2)
    sampling.run_day(empty_db, D)
    with pytest.raises(ValueError, match="waiting"):
        points.close_month(empty_db, "2026-10", today=date(2026, 11, 2))
    assert points.close_month(empty_db, "2026-10", today=date(2026, 11, 2), force=True) == 1


def test_scope_per_role(empty_db):
    w = World(empty_db)
    assert scope_agent_ids(empty_db, w.user("qa1")) is None
    assert scope_agent_ids(empty_db, w.user("boss")) is None
    assert scope_agent_ids(empty_db, w.user("lead1")) == sorted([w.agents["ag1"], w.agents["ag2"]])
    assert scope_agent_ids(empty_db, w.user("ag3")) == [w.agents["ag3"]]


def test_an_agent_cannot_open_another_agents_sample_or_review(empty_db):
    w = World(empty_db)
    rid = w.reviewed_day("ag1", D, 1, 1)[0]
    with empty_db.connect() as c:
        sid = c.execute(select(Review.sample_id).where(Review.id == rid)).scalar()
    assert reviews.review_detail(empty_db, rid, w.user("ag1"))["qualified"] is False
    for who in ("ag2", "ag3", "lead2"):
        with pytest.raises(NotAllowed):
            reviews.review_detail(empty_db, rid, w.user(who))
        with pytest.raises(NotAllowed):
            reviews.sample_view(empty_db, sid, w.user(who))
    page, total = reviews.reviews_page(empty_db, w.user("ag3"), start=D, end=D)
    assert total == 0 and page.empty


def test_queue_today_and_overdue(empty_db):
    w = World(empty_db)
    w.chats("ag1", date(2026, 11, 1), 2)
    w.chats("ag1", date(2026, 11, 4), 2)
    sampling.run_day(empty_db, date(2026, 11, 1))
    sampling.run_day(empty_db, date(2026, 11, 4))
    with empty_db.begin() as c:
        c.execute(update(Sample).values(reviewer_user_id=w.users["qa1"][0]))
    u = w.user("qa1")
    counts = reviews.queue_counts(empty_db, u, today=date(2026, 11, 5))
    assert counts == {"pending": 4, "overdue": 2, "cutoff": date(2026, 11, 4)}
    assert len(reviews.queue(empty_db, u, which="overdue", today=date(2026, 11, 5))) == 2
    assert len(reviews.queue(empty_db, w.user("qa2"), today=date(2026, 11, 5))) == 0
    _ = datetime, timedelta


def test_month_population_is_every_agent_with_a_chat(demo_db):
    """_agents_with_chats (one probe per agent) equals the distinct agents of the month's chats."""
    from db.models import Chat

    with demo_db.connect() as conn:
        months = sorted({(d.year, d.month) for d in conn.execute(select(Chat.work_date).distinct()).scalars()
                         if d is not None})
        for y, m in [months[0], months[-1], (1999, 1)]:
            start = date(y, m, 1)
            end_excl = date(y + (m == 12), m % 12 + 1, 1)
            expected = set(conn.execute(select(func.distinct(Chat.agent_id)).where(
                Chat.work_date >= start, Chat.work_date < end_excl, Chat.agent_id.is_not(None))).scalars())
            assert points._agents_with_chats(conn, start, end_excl) == expected
            assert expected or (y, m) == (1999, 1)
