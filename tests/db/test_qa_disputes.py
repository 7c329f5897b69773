"""Disputes: window, own reviews only, the lead of the agent's team decides, accepted changes the
review (audited, points follow), the second decider is told."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from db.models import AuditLog, Dispute, Review
from lib.qa import disputes, points
from lib.qa.common import now_utc
from lib.qa.reviews import NotAllowed, ReviewConflict
from tests.lib.qa.world import World

D = date(2026, 10, 5)


def setup(empty_db, created_at=None):
    w = World(empty_db)
    w.schedule("ag1", [D])
    rids = w.reviewed_day("ag1", D, 4, 4, created_at=created_at or now_utc() - timedelta(days=1))
    return w, rids


def test_agent_disputes_own_review_within_the_window(empty_db):
    w, rids = setup(empty_db)
    with pytest.raises(NotAllowed):
        disputes.raise_dispute(empty_db, rids[0], "不服", actor=w.user("ag2"))
    with pytest.raises(ValueError):
        disputes.raise_dispute(empty_db, rids[0], "  ", actor=w.user("ag1"))
    did = disputes.raise_dispute(empty_db, rids[0], "客户当时已离线", actor=w.user("ag1"))
    with pytest.raises(ReviewConflict):
        disputes.raise_dispute(empty_db, rids[0], "again", actor=w.user("ag1"))
    assert set(disputes.disputes_frame(empty_db, w.user("ag1"))["dispute_id"]) == {did}
    assert disputes.disputes_frame(empty_db, w.user("ag3")).empty
    assert disputes.disputes_frame(empty_db, w.user("lead2")).empty
    assert disputes.open_count(empty_db, w.user("lead1")) == 1


def test_the_window_is_a_setting_and_closes(empty_db):
    w, rids = setup(empty_db, created_at=now_utc() - timedelta(days=8))
    with pytest.raises(ValueError, match="7"):
        disputes.raise_dispute(empty_db, rids[0], "晚了", actor=w.user("ag1"))
    assert disputes.window_open(datetime(2026, 1, 1), {"qa.dispute_window_days": 7}, now=datetime(2026, 1, 8))
    assert not disputes.window_open(datetime(2026, 1, 1), {"qa.dispute_window_days": 7},
                                    now=datetime(2026, 1, 8, 0, 0, 1))


def test_accepting_changes_the_review_audits_it_and_the_day_point_comes_back(empty_db):
    w, rids = setup(empty_db)
    assert points.agent_month(empty_db, "2026-10", [w.agents["ag1"]]).iloc[0].points == 0
    did = disputes.raise_dispute(empty_db, rids[0], "态度没有问题", actor=w.user("ag1"))
    with pytest.raises(NotAllowed):
        disputes.decide(empty_db, did, True, "ok", actor=w.user("lead2"), expected_version=1)
    disputes.decide(empty_db, did, True, "复核属实", actor=w.user("lead1"), expected_version=1)
    with pytest.raises(ReviewConflict):
        disputes.decide(empty_db, did, False, "no", actor=w.user("boss"), expected_version=1)
    with empty_db.connect() as c:
        rv = c.execute(select(Review).where(Review.id == rids[0])).one()
        d = c.execute(select(Dispute).where(Dispute.id == did)).one()
        actions = set(c.execute(select(AuditLog.action)).scalars())
    assert rv.qualified is True and rv.version == 2 and d.status == "accepted" and d.before_json
    assert {"qa.dispute_raise", "qa.dispute_accept", "qa.review_change"} <= actions
    # 3 unqualified left that day: the point is back (month open)
    assert points.agent_month(empty_db, "2026-10", [w.agents["ag1"]]).iloc[0].points == 1


def test_rejecting_needs_a_reason_and_leaves_the_review(empty_db):
    w, rids = setup(empty_db)
    did = disputes.raise_dispute(empty_db, rids[1], "不同意", actor=w.user("ag1"))
    with pytest.raises(ValueError):
        disputes.decide(empty_db, did, False, "", actor=w.user("lead1"), expected_version=1)
    disputes.decide(empty_db, did, False, "维持原判", actor=w.user("lead1"), expected_version=1)
    with empty_db.connect() as c:
        assert c.execute(select(Review.qualified).where(Review.id == rids[1])).scalar() is False
