"""Daily sampling: 20 a day (all when fewer), provable re-draw, even spread, idempotent, unassigned chats wait."""

from datetime import date

from sqlalchemy import func, select

from db.models import Sample, SampleDraw
from lib.qa import sampling
from tests.lib.qa.world import World

D = date(2026, 11, 2)


def test_sample_size_rule_and_spread(empty_db):
    w = World(empty_db)
    w.chats("ag1", D, 25)
    w.chats("ag2", D, 5)
    w.chats("ag3", D, 20)
    w.chats(None, D, 4)  # no known agent: not sampled
    r = sampling.run_day(empty_db, D)
    assert (r.agents, r.samples) == (3, 45)
    with empty_db.connect() as c:
        per_agent = dict(c.execute(select(Sample.agent_id, func.count()).group_by(Sample.agent_id)).all())
        per_rev = sorted(c.execute(select(func.count()).select_from(Sample).group_by(Sample.reviewer_user_id)).scalars())
        draws = c.execute(select(SampleDraw.id)).scalars().all()
    assert per_agent == {w.agents["ag1"]: 20, w.agents["ag2"]: 5, w.agents["ag3"]: 20}
    assert per_rev == [15, 15, 15]  # three QA reviewers on duty
    for d in draws:
        v = sampling.verify(empty_db, d)
        assert v.equal and v.stored == v.redrawn
    again = sampling.run_day(empty_db, D)
    assert (again.samples, again.already_drawn) == (0, 3)


def test_a_tampered_sample_is_caught_by_the_redraw(empty_db):
    from sqlalchemy import update

    w = World(empty_db)
    ids = w.chats("ag1", D, 30)
    sampling.run_day(empty_db, D)
    with empty_db.begin() as c:
        picked = set(c.execute(select(Sample.chat_id)).scalars())
        other = next(i for i in ids if i not in picked)
        c.execute(update(Sample).where(Sample.chat_id == min(picked)).values(chat_id=other))
        did = c.execute(select(SampleDraw.id)).scalar()
    assert not sampling.verify(empty_db, did).equal


def test_catch_up_draws_recent_undrawn_days_only(empty_db):
    w = World(empty_db)
    w.chats("ag1", date(2026, 11, 1), 3)
    w.chats("ag1", date(2026, 11, 2), 3)
    w.chats("ag1", date(2026, 11, 3), 3)  # "today": not drawn yet
    sampling.run_day(empty_db, date(2026, 11, 1))
    out = sampling.catch_up(empty_db, today=date(2026, 11, 3))
    assert [r.day for r in out] == [date(2026, 11, 2)]
    assert sampling.catch_up(empty_db, today=date(2026, 11, 3)) == []
