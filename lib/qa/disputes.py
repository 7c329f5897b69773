"""Disputes: an agent contests one of their reviews within qa.dispute_window_days; the team
lead (or the manager) accepts — the review changes, audited, points follow for an open month —
or rejects with a reason. Both records carry a version: the second of two deciders is told."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, insert, select, update

from db.models import Agent, Dispute, Review, ReviewResult
from lib import audit, events
from lib import settings as settings_mod
from lib.qa import rollup as qa_rollup
from lib.qa import rubric as rubric_mod
from lib.qa.common import QAError, now_utc, restrict, scope_agent_ids
from lib.qa.points import is_closed
from lib.qa.reviews import NotAllowed, ReviewConflict
from lib.qa.rules import verdict

STATUSES = ("open", "accepted", "rejected")


def window_open(created_at, settings, now=None) -> bool:
    """Whether a review created at ``created_at`` may still be disputed (qa.dispute_window_days)."""
    now = now or now_utc()
    return now - created_at <= timedelta(days=int(settings["qa.dispute_window_days"]))


def disputable(engine: Engine, viewer, *, limit: int = 100) -> pd.DataFrame:
    """The viewer's own sampled reviews still inside the window and without a dispute, unqualified first."""
    if viewer.agent_id is None:
        return pd.DataFrame(columns=["review_id", "work_date", "qualified", "score", "comment", "created_at"])
    settings = settings_mod.load(engine)
    since = now_utc() - timedelta(days=int(settings["qa.dispute_window_days"]))
    disputed = select(Dispute.review_id)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Review.id.label("review_id"), Review.work_date, Review.qualified, Review.score, Review.comment,
                   Review.created_at)
            .where(Review.agent_id == viewer.agent_id, Review.sample_id.is_not(None), Review.created_at >= since,
                   Review.id.not_in(disputed))
            .order_by(Review.qualified, Review.work_date.desc()).limit(limit)).mappings().all()
    return pd.DataFrame(rows, columns=["review_id", "work_date", "qualified", "score", "comment", "created_at"])


def raise_dispute(engine: Engine, review_id: int, reason: str, *, actor) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise QAError("qa.err.reason_required")
    settings = settings_mod.load(engine)
    with engine.begin() as conn:
        r = conn.execute(select(Review.agent_id, Review.created_at, Review.sample_id)
                         .where(Review.id == review_id)).first()
        if r is None or actor.agent_id is None or r.agent_id != actor.agent_id or r.sample_id is None:
            raise NotAllowed("qa.err.own_reviews_only")
        if not window_open(r.created_at, settings):
            raise QAError("qa.err.window_passed", days=settings["qa.dispute_window_days"])
        if conn.execute(select(Dispute.id).where(Dispute.review_id == review_id)).first():
            raise ReviewConflict("qa.err.already_disputed")
        did = conn.execute(insert(Dispute).values(review_id=review_id, agent_id=r.agent_id, raised_by=actor.id,
                                                  raised_at=now_utc(), reason=reason[:4000], status="open",
                                                  version=1).returning(Dispute.id)).scalar_one()
        audit.record(conn, user_id=actor.id, username=actor.username, action="qa.dispute_raise",
                     entity="qa_dispute", entity_id=did, detail={"review_id": review_id, "reason": reason[:500]})
    return did


def disputes_frame(engine: Engine, viewer, *, status: str | None = None, limit: int = 200) -> pd.DataFrame:
    scope = scope_agent_ids(engine, viewer)
    cond = [restrict(Dispute.agent_id, scope)]
    if status:
        cond.append(Dispute.status == status)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Dispute.id.label("dispute_id"), Dispute.review_id, Dispute.status, Dispute.raised_at,
                   Agent.employee_no, Agent.name.label("agent"), Review.work_date, Review.qualified, Dispute.reason,
                   Dispute.decision_reason, Dispute.decided_at, Dispute.version)
            .join(Agent, Agent.id == Dispute.agent_id).join(Review, Review.id == Dispute.review_id)
            .where(and_(*cond)).order_by(Dispute.status != "open", Dispute.raised_at.desc()).limit(limit)
        ).mappings().all()
    return pd.DataFrame(rows, columns=["dispute_id", "review_id", "status", "raised_at", "employee_no", "agent",
                                       "work_date", "qualified", "reason", "decision_reason", "decided_at",
                                       "version"])


def open_count(engine: Engine, viewer) -> int:
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Dispute)
                            .where(Dispute.status == "open", restrict(Dispute.agent_id, scope))).scalar() or 0


def _may_decide(conn, actor, agent_id: int) -> bool:
    if "manager" in actor.roles:
        return True
    if "team_lead" in actor.roles and actor.led_team_ids:
        team = conn.execute(select(Agent.team_id).where(Agent.id == agent_id)).scalar()
        return team in actor.led_team_ids
    return False


def decide(engine: Engine, dispute_id: int, accept: bool, reason: str, *, actor, expected_version: int,
           new_results: dict[str, str] | None = None) -> dict:
    """Accept (the review takes ``new_results``, default: every failed criterion passes) or reject.

    Raises NotAllowed outside the lead's team, ValueError without a reason, ReviewConflict when the
    dispute or the review changed since they were loaded (nothing written).
    """
    reason = (reason or "").strip()
    if not reason:
        raise QAError("qa.err.reason_required")
    with engine.begin() as conn:
        d = conn.execute(select(Dispute).where(Dispute.id == dispute_id)).first()
        if d is None or not _may_decide(conn, actor, d.agent_id):
            raise NotAllowed("qa.err.own_team_only")
        now = now_utc()
        won = conn.execute(update(Dispute).where(Dispute.id == dispute_id, Dispute.version == expected_version,
                                                 Dispute.status == "open")
                           .values(status="accepted" if accept else "rejected", decided_by=actor.id, decided_at=now,
                                   decision_reason=reason[:4000], version=Dispute.version + 1)).rowcount
        if won != 1:
            raise ReviewConflict("qa.err.dispute_changed")
        detail = {"review_id": d.review_id, "accepted": accept, "reason": reason[:500]}
        if accept:
            rv = conn.execute(select(Review).where(Review.id == d.review_id)).one()
            rub = rubric_mod.by_id(conn, rv.rubric_version_id)
            old = {c.code: r for c, r in zip(rub.criteria, [conn.execute(
                select(ReviewResult.result).where(ReviewResult.review_id == rv.id,
                                                  ReviewResult.criterion_id == c.id)).scalar() or "na"
                for c in rub.criteria], strict=True)}
            new = dict(new_results) if new_results else {k: ("pass" if v == "fail" else v) for k, v in old.items()}
            score, qualified = verdict(rub.rules(), new, rub.pass_mark)
            changed = conn.execute(update(Review).where(Review.id == rv.id, Review.version == rv.version)
                                   .values(qualified=qualified, score=score, updated_at=now,
                                           version=Review.version + 1)).rowcount
            if changed != 1:
                raise ReviewConflict("qa.err.review_changed")
            sugg = dict(conn.execute(select(ReviewResult.criterion_id, ReviewResult.suggested)
                                     .where(ReviewResult.review_id == rv.id)).all())
            with qa_rollup.reviews_changing(conn, [rv.id]):
                conn.execute(delete(ReviewResult).where(ReviewResult.review_id == rv.id))
                conn.execute(insert(ReviewResult), [{"review_id": rv.id, "criterion_id": c.id,
                                                     "result": new[c.code], "suggested": sugg.get(c.id)}
                                                    for c in rub.criteria])
            before = {"results": old, "qualified": rv.qualified, "score": None if rv.score is None else str(rv.score)}
            conn.execute(update(Dispute).where(Dispute.id == dispute_id)
                         .values(before_json=json.dumps(before, ensure_ascii=False)))
            detail.update(before=before, after={"results": new, "qualified": qualified,
                                                "score": None if score is None else str(score)},
                          month_closed=is_closed(conn, rv.work_date))
            audit.record(conn, user_id=actor.id, username=actor.username, action="qa.review_change",
                         entity="qa_review", entity_id=rv.id, detail=detail)
            events.emit("reviews_changed", conn, pairs=[(rv.agent_id, rv.work_date)])
        audit.record(conn, user_id=actor.id, username=actor.username,
                     action="qa.dispute_accept" if accept else "qa.dispute_reject", entity="qa_dispute",
                     entity_id=dispute_id, detail=detail)
    return detail


__all__ = ["raise_dispute", "decide", "disputes_frame", "disputable", "open_count", "window_open"]
