"""The scoring workbench: my queue, the transcript with waits, suggestions, and submitting a review.

Two reviewers submitting the same sample: the sample's status flips from pending to
reviewed with a guarded UPDATE, so exactly one wins; the other gets AlreadyReviewed and
the page keeps what they typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, and_, case, func, insert, select, update

from db.models import Agent, Chat, ChatCheck, ChatMessage, Review, ReviewResult, Sample, Team, User
from lib import audit, events
from lib import settings as settings_mod
from lib.qa import rollup as qa_rollup
from lib.qa import rubric as rubric_mod
from lib.qa.checks import Phrases, Turn, run_checks, suggestions
from lib.qa.common import QAError, bank_today, now_utc, restrict, scope_agent_ids, to_bank
from lib.qa.rules import day_point, verdict


class ReviewConflict(QAError):
    """Someone else changed this record first; the page keeps what the loser typed."""


class NotAllowed(QAError, PermissionError):
    pass


@dataclass
class Outcome:
    review_id: int
    qualified: bool
    score: Decimal | None
    work_date: date
    agent_id: int
    day_reviews: int
    day_unqualified: int
    day_point: int | None


def queue_counts(engine: Engine, viewer, today: date | None = None) -> dict:
    settings = settings_mod.load(engine)
    today = today or bank_today(settings)
    cutoff = today - timedelta(days=int(settings["qa.overdue_after_days"]))
    with engine.connect() as conn:
        total, overdue = conn.execute(
            select(func.count(), func.coalesce(func.sum(case((Sample.work_date < cutoff, 1), else_=0)), 0))
            .where(Sample.reviewer_user_id == viewer.id, Sample.status == "pending")).one()
    return {"pending": int(total), "overdue": int(overdue), "cutoff": cutoff}


def queue(engine: Engine, viewer, *, which: str = "all", limit: int = 50, offset: int = 0,
          today: date | None = None) -> pd.DataFrame:
    """The viewer's pending samples, oldest first; ``which`` = all | overdue | today."""
    settings = settings_mod.load(engine)
    today = today or bank_today(settings)
    cutoff = today - timedelta(days=int(settings["qa.overdue_after_days"]))
    cond = [Sample.reviewer_user_id == viewer.id, Sample.status == "pending"]
    if which == "overdue":
        cond.append(Sample.work_date < cutoff)
    elif which == "today":
        cond.append(Sample.work_date >= cutoff)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sample.id.label("sample_id"), Sample.work_date, Agent.employee_no, Agent.name.label("agent"),
                   Chat.conversation_id, Chat.message_count, ChatCheck.greeting_ok, ChatCheck.closing_ok,
                   ChatCheck.slow_replies, ChatCheck.forbidden_hits)
            .join(Agent, Agent.id == Sample.agent_id).join(Chat, Chat.id == Sample.chat_id)
            .outerjoin(ChatCheck, ChatCheck.chat_id == Sample.chat_id)
            .where(and_(*cond)).order_by(Sample.work_date, Sample.id).limit(limit).offset(offset)).mappings().all()
    df = pd.DataFrame(rows, columns=["sample_id", "work_date", "employee_no", "agent", "conversation_id",
                                     "message_count", "greeting_ok", "closing_ok", "slow_replies", "forbidden_hits"])
    df["overdue"] = df["work_date"].map(lambda d: d < cutoff)
    df["forbidden_hits"] = df["forbidden_hits"].map(lambda v: ", ".join(json.loads(v)) if isinstance(v, str) and v else "")
    return df


def transcript(engine: Engine, chat_id: int, settings=None) -> pd.DataFrame:
    """Messages with speaker, local time and, for each agent reply, the customer's wait (slow ones flagged)."""
    settings = settings or settings_mod.load(engine)
    with engine.connect() as conn:
        msgs = conn.execute(select(ChatMessage.seq, ChatMessage.speaker, ChatMessage.ts, ChatMessage.text)
                            .where(ChatMessage.chat_id == chat_id).order_by(ChatMessage.seq)).all()
    turns = [Turn(m.speaker, m.text, m.ts) for m in msgs]
    res = run_checks(turns, Phrases(settings))
    limit = int(settings["qa.response_limit_s"])
    return pd.DataFrame({
        "seq": [m.seq for m in msgs],
        "speaker": [m.speaker for m in msgs],
        "time": [to_bank(m.ts, settings) for m in msgs],
        "wait_s": res.waits,
        "slow": [w is not None and w > limit for w in res.waits],
        "text": [m.text for m in msgs],
    })


def _chat_check(conn, chat_id: int) -> dict | None:
    r = conn.execute(select(ChatCheck).where(ChatCheck.chat_id == chat_id)).first()
    if r is None:
        return None
    d = dict(r._mapping)
    d["forbidden_hits"] = json.loads(d["forbidden_hits"]) if d["forbidden_hits"] else []
    return d


def sample_view(engine: Engine, sample_id: int, viewer) -> dict:
    """Everything the workbench shows for one sample; NotAllowed outside the viewer's scope."""
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        s = conn.execute(
            select(Sample.id, Sample.work_date, Sample.agent_id, Sample.chat_id, Sample.status,
                   Sample.reviewer_user_id, Agent.name.label("agent"), Agent.employee_no, Chat.conversation_id,
                   Chat.has_timestamps, Chat.started_at, Chat.channel)
            .join(Agent, Agent.id == Sample.agent_id).join(Chat, Chat.id == Sample.chat_id)
            .where(Sample.id == sample_id)).mappings().first()
        if s is None or (scope is not None and s["agent_id"] not in scope):
            raise NotAllowed("qa.err.out_of_scope")
        check = _chat_check(conn, s["chat_id"])
        review = conn.execute(select(Review.id, Review.qualified, Review.score, Review.comment, Review.version,
                                     User.display_name.label("reviewer"))
                              .join(User, User.id == Review.reviewer_user_id)
                              .where(Review.sample_id == sample_id)).mappings().first()
    return {"sample": dict(s), "check": check, "suggestions": suggestions(check),
            "review": dict(review) if review else None}


def _results_rows(rub, results: dict[str, str], sugg: dict[str, str | None], review_id: int) -> list[dict]:
    return [{"review_id": review_id, "criterion_id": c.id, "result": results[c.code], "suggested": sugg.get(c.code)}
            for c in rub.criteria]


def _day(conn, agent_id: int, d: date, settings) -> tuple[int, int, int | None]:
    rows = conn.execute(select(Review.qualified).where(Review.agent_id == agent_id, Review.work_date == d,
                                                       Review.sample_id.is_not(None))).scalars().all()
    n = len(rows)
    u = sum(1 for q in rows if not q)
    return n, u, day_point(n, u, settings)


def submit(engine: Engine, sample_id: int, results: dict[str, str], comment: str | None, *, actor) -> Outcome:
    """Score a sample with the current rubric; exactly one submission per sample wins.

    Raises ValueError for incomplete results, NotAllowed for a non-QA user and ReviewConflict
    when the sample was reviewed by someone else meanwhile (nothing written).
    """
    if "qa" not in actor.roles:
        raise NotAllowed("qa.err.qa_only")
    comment = (comment or "").strip()[:4000] or None
    settings = settings_mod.load(engine)
    with engine.begin() as conn:
        rub = rubric_mod.current(conn)
        missing = [c.code for c in rub.criteria if results.get(c.code) not in ("pass", "fail", "na")]
        if missing:
            raise QAError("qa.err.missing_results", missing=", ".join(missing))
        s = conn.execute(select(Sample).where(Sample.id == sample_id)).first()
        if s is None:
            raise ValueError(f"sample {sample_id} does not exist")
        won = conn.execute(update(Sample).where(Sample.id == sample_id, Sample.status == "pending")
                           .values(status="reviewed")).rowcount
        if won != 1:
            who = conn.execute(select(User.display_name).join(Review, Review.reviewer_user_id == User.id)
                               .where(Review.sample_id == sample_id)).scalar()
            raise ReviewConflict("qa.err.already_scored", who=who or "?")
        score, qualified = verdict(rub.rules(), results, rub.pass_mark)
        sugg = suggestions(_chat_check(conn, s.chat_id))
        now = now_utc()
        rid = conn.execute(insert(Review).values(
            sample_id=sample_id, chat_id=s.chat_id, agent_id=s.agent_id, work_date=s.work_date,
            reviewer_user_id=actor.id, rubric_version_id=rub.id, score=score, qualified=qualified, comment=comment,
            created_at=now, updated_at=now, version=1).returning(Review.id)).scalar_one()
        conn.execute(insert(ReviewResult), _results_rows(rub, results, sugg, rid))
        qa_rollup.reviews_added(conn, [rid])
        audit.record(conn, user_id=actor.id, username=actor.username, action="qa.review_submit", entity="qa_review",
                     entity_id=rid, detail={"sample_id": sample_id, "agent_id": s.agent_id,
                                            "work_date": s.work_date.isoformat(), "qualified": qualified,
                                            "score": None if score is None else str(score),
                                            "rubric_version": rub.version, "results": results,
                                            "overrode": {k: v for k, v in sugg.items()
                                                         if v is not None and results.get(k) != v}})
        events.emit("reviews_changed", conn, pairs=[(s.agent_id, s.work_date)])
        n, u, p = _day(conn, s.agent_id, s.work_date, settings)
    return Outcome(rid, qualified, score, s.work_date, s.agent_id, n, u, p)


def review_detail(engine: Engine, review_id: int, viewer) -> dict:
    """A review with its per-criterion results and rubric, for drill-down and disputes; scoped."""
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        r = conn.execute(select(Review, Agent.name.label("agent"), Agent.employee_no, Agent.team_id,
                                User.display_name.label("reviewer"), Chat.conversation_id)
                         .join(Agent, Agent.id == Review.agent_id).join(User, User.id == Review.reviewer_user_id)
                         .join(Chat, Chat.id == Review.chat_id)
                         .where(Review.id == review_id)).mappings().first()
        if r is None or (scope is not None and r["agent_id"] not in scope):
            raise NotAllowed("qa.err.out_of_scope")
        results = dict(conn.execute(select(ReviewResult.criterion_id, ReviewResult.result)
                                    .where(ReviewResult.review_id == review_id)).all())
        suggested = dict(conn.execute(select(ReviewResult.criterion_id, ReviewResult.suggested)
                                      .where(ReviewResult.review_id == review_id)).all())
        rub = rubric_mod.by_id(conn, r["rubric_version_id"])
    d = {k: v for k, v in r.items() if k != "Review"}
    rv = r["Review"] if "Review" in r else None
    if rv is not None:
        d.update({c: getattr(rv, c) for c in ("id", "chat_id", "agent_id", "work_date", "qualified", "score",
                                               "comment", "version", "created_at", "sample_id",
                                               "calibration_session_id", "rubric_version_id")})
    d["rubric"] = rub
    d["results"] = {c.code: results.get(c.id) for c in rub.criteria}
    d["suggested"] = {c.code: suggested.get(c.id) for c in rub.criteria}
    return d


def team_name_of(conn, agent_id: int) -> str | None:
    return conn.execute(select(Team.name).join(Agent, Agent.team_id == Team.id).where(Agent.id == agent_id)).scalar()


def reviews_page(engine: Engine, viewer, *, start: date, end: date, agent_id: int | None = None,
                 only_unqualified: bool = False, limit: int = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Sampled reviews in the viewer's scope, newest first, one page; and the total count."""
    scope = scope_agent_ids(engine, viewer)
    cond = [Review.sample_id.is_not(None), Review.work_date >= start, Review.work_date <= end,
            restrict(Review.agent_id, scope)]
    if agent_id is not None:
        cond.append(Review.agent_id == agent_id)
    if only_unqualified:
        cond.append(Review.qualified.is_(False))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Review).where(and_(*cond))).scalar() or 0
        rows = conn.execute(
            select(Review.id.label("review_id"), Review.work_date, Agent.employee_no, Agent.name.label("agent"),
                   Review.qualified, Review.score, User.display_name.label("reviewer"), Review.comment,
                   Review.chat_id)
            .join(Agent, Agent.id == Review.agent_id).join(User, User.id == Review.reviewer_user_id)
            .where(and_(*cond)).order_by(Review.work_date.desc(), Review.id.desc())
            .limit(limit).offset(offset)).mappings().all()
    return pd.DataFrame(rows, columns=["review_id", "work_date", "employee_no", "agent", "qualified", "score",
                                       "reviewer", "comment", "chat_id"]), int(total)
