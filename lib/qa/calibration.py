"""Calibration: a team lead picks chats for several QA reviewers to score blind; agreement per
criterion as Cohen's kappa (two reviewers) or Fleiss' kappa (more). Calibration reviews carry
no sample, so they never count for points."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from db.models import (
    Agent,
    CalibrationItem,
    CalibrationReviewer,
    CalibrationSession,
    Chat,
    Review,
    ReviewResult,
    User,
    UserRole,
)
from lib import audit
from lib.qa import rubric as rubric_mod
from lib.qa.common import QAError, now_utc, restrict, scope_agent_ids
from lib.qa.kappa import kappa
from lib.qa.reviews import NotAllowed, ReviewConflict
from lib.qa.rules import verdict

ORGANISERS = frozenset({"team_lead", "manager"})


def qa_users(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(User.id, User.display_name).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "qa", User.is_active.is_(True)).order_by(User.id))]


def candidate_chats(engine: Engine, viewer, *, limit: int = 200) -> pd.DataFrame:
    """Recent chats in the organiser's scope that the automatic checks flagged, newest first."""
    scope = scope_agent_ids(engine, viewer)
    with engine.connect() as conn:
        last = conn.execute(select(func.max(Chat.work_date)).where(restrict(Chat.agent_id, scope))).scalar()
        if last is None:
            return pd.DataFrame(columns=["chat_id", "work_date", "agent", "conversation_id", "message_count"])
        rows = conn.execute(
            select(Chat.id.label("chat_id"), Chat.work_date, Agent.name.label("agent"), Chat.conversation_id,
                   Chat.message_count)
            .join(Agent, Agent.id == Chat.agent_id)
            .where(Chat.work_date <= last, restrict(Chat.agent_id, scope))
            .order_by(Chat.work_date.desc(), Chat.id.desc()).limit(limit)).mappings().all()
    return pd.DataFrame(rows, columns=["chat_id", "work_date", "agent", "conversation_id", "message_count"])


def create_session(engine: Engine, name: str, chat_ids: list[int], reviewer_ids: list[int], *, actor) -> int:
    if not actor.roles & ORGANISERS:
        raise NotAllowed("qa.err.organisers_only")
    name = (name or "").strip()[:128]
    if not name:
        raise QAError("qa.err.name_required")
    if len(set(chat_ids)) < 1 or len(set(reviewer_ids)) < 2:
        raise QAError("qa.err.pick_chats_reviewers")
    scope = scope_agent_ids(engine, actor)
    with engine.begin() as conn:
        agents = conn.execute(select(Chat.id, Chat.agent_id).where(Chat.id.in_(chat_ids))).all()
        if len(agents) != len(set(chat_ids)) or (scope is not None and any(a not in scope for _, a in agents)):
            raise NotAllowed("qa.err.own_team_only")
        rub = rubric_mod.current(conn)
        sid = conn.execute(insert(CalibrationSession).values(name=name, created_by=actor.id, created_at=now_utc(),
                                                             rubric_version_id=rub.id)
                           .returning(CalibrationSession.id)).scalar_one()
        conn.execute(insert(CalibrationItem), [{"session_id": sid, "chat_id": c} for c in sorted(set(chat_ids))])
        conn.execute(insert(CalibrationReviewer), [{"session_id": sid, "user_id": u} for u in sorted(set(reviewer_ids))])
        audit.record(conn, user_id=actor.id, username=actor.username, action="qa.calibration_create",
                     entity="qa_calibration_session", entity_id=sid,
                     detail={"chats": sorted(set(chat_ids)), "reviewers": sorted(set(reviewer_ids))})
    return sid


def sessions(engine: Engine, viewer) -> pd.DataFrame:
    """Sessions the viewer organised or reviews in (manager: all)."""
    q = (select(CalibrationSession.id, CalibrationSession.name, CalibrationSession.created_at,
                func.count(func.distinct(CalibrationItem.chat_id)).label("chats"))
         .outerjoin(CalibrationItem, CalibrationItem.session_id == CalibrationSession.id)
         .group_by(CalibrationSession.id, CalibrationSession.name, CalibrationSession.created_at)
         .order_by(CalibrationSession.id.desc()))
    if "manager" not in viewer.roles:
        mine = select(CalibrationReviewer.session_id).where(CalibrationReviewer.user_id == viewer.id)
        q = q.where((CalibrationSession.created_by == viewer.id) | CalibrationSession.id.in_(mine))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(), columns=["id", "name", "created_at", "chats"])


def my_items(engine: Engine, session_id: int, viewer) -> pd.DataFrame:
    """The session's chats for a reviewer, with whether they scored each already."""
    with engine.connect() as conn:
        if not conn.execute(select(CalibrationReviewer.user_id).where(
                CalibrationReviewer.session_id == session_id, CalibrationReviewer.user_id == viewer.id)).first():
            raise NotAllowed("qa.err.not_session_reviewer")
        done = set(conn.execute(select(Review.chat_id).where(Review.calibration_session_id == session_id,
                                                             Review.reviewer_user_id == viewer.id)).scalars())
        rows = conn.execute(select(CalibrationItem.chat_id, Chat.conversation_id, Chat.work_date)
                            .join(Chat, Chat.id == CalibrationItem.chat_id)
                            .where(CalibrationItem.session_id == session_id).order_by(CalibrationItem.chat_id)).all()
    return pd.DataFrame([{"chat_id": r.chat_id, "conversation_id": r.conversation_id, "work_date": r.work_date,
                          "done": r.chat_id in done} for r in rows],
                        columns=["chat_id", "conversation_id", "work_date", "done"])


def submit(engine: Engine, session_id: int, chat_id: int, results: dict[str, str], comment: str | None, *,
           actor) -> int:
    with engine.begin() as conn:
        s = conn.execute(select(CalibrationSession).where(CalibrationSession.id == session_id)).first()
        if s is None or not conn.execute(select(CalibrationReviewer.user_id).where(
                CalibrationReviewer.session_id == session_id, CalibrationReviewer.user_id == actor.id)).first():
            raise NotAllowed("qa.err.not_session_reviewer")
        if not conn.execute(select(CalibrationItem.chat_id).where(CalibrationItem.session_id == session_id,
                                                                  CalibrationItem.chat_id == chat_id)).first():
            raise QAError("qa.err.not_in_session")
        rub = rubric_mod.by_id(conn, s.rubric_version_id)
        missing = [c.code for c in rub.criteria if results.get(c.code) not in ("pass", "fail", "na")]
        if missing:
            raise QAError("qa.err.missing_results", missing=", ".join(missing))
        score, ok = verdict(rub.rules(), results, rub.pass_mark)
        chat = conn.execute(select(Chat.agent_id, Chat.work_date).where(Chat.id == chat_id)).one()
        now = now_utc()
        try:
            with conn.begin_nested():
                rid = conn.execute(insert(Review).values(
                    sample_id=None, calibration_session_id=session_id, chat_id=chat_id, agent_id=chat.agent_id,
                    work_date=chat.work_date, reviewer_user_id=actor.id, rubric_version_id=rub.id, score=score,
                    qualified=ok, comment=(comment or "").strip()[:4000] or None, created_at=now, updated_at=now,
                    version=1).returning(Review.id)).scalar_one()
        except IntegrityError:
            raise ReviewConflict("qa.err.already_scored_calibration") from None
        conn.execute(insert(ReviewResult), [{"review_id": rid, "criterion_id": c.id, "result": results[c.code],
                                             "suggested": None} for c in rub.criteria])
        audit.record(conn, user_id=actor.id, username=actor.username, action="qa.calibration_review",
                     entity="qa_review", entity_id=rid, detail={"session_id": session_id, "chat_id": chat_id,
                                                                 "results": results, "qualified": ok})
    return rid


def may_see_agreement(engine: Engine, session_id: int, viewer) -> bool:
    """Organisers and managers always; a reviewer once they have scored every chat (blind until then)."""
    with engine.connect() as conn:
        s = conn.execute(select(CalibrationSession.created_by).where(CalibrationSession.id == session_id)).first()
        if s is None:
            return False
        if "manager" in viewer.roles or s.created_by == viewer.id:
            return True
        n_items = conn.execute(select(func.count()).select_from(CalibrationItem)
                               .where(CalibrationItem.session_id == session_id)).scalar()
        n_done = conn.execute(select(func.count()).select_from(Review)
                              .where(Review.calibration_session_id == session_id,
                                     Review.reviewer_user_id == viewer.id)).scalar()
        return bool(n_items) and n_done >= n_items


def agreement(engine: Engine, session_id: int, lang: str = "zh") -> tuple[pd.DataFrame, int]:
    """Per criterion (and the overall verdict): method, kappa, observed agreement, chats rated by every reviewer."""
    with engine.connect() as conn:
        s = conn.execute(select(CalibrationSession).where(CalibrationSession.id == session_id)).one()
        rub = rubric_mod.by_id(conn, s.rubric_version_id)
        raters = list(conn.execute(select(CalibrationReviewer.user_id)
                                   .where(CalibrationReviewer.session_id == session_id)
                                   .order_by(CalibrationReviewer.user_id)).scalars())
        rows = conn.execute(select(Review.id, Review.chat_id, Review.reviewer_user_id, Review.qualified)
                            .where(Review.calibration_session_id == session_id)).all()
        res = defaultdict(dict)
        for rid, crit, result in conn.execute(
                select(ReviewResult.review_id, ReviewResult.criterion_id, ReviewResult.result)
                .join(Review, Review.id == ReviewResult.review_id)
                .where(Review.calibration_session_id == session_id)):
            res[rid][crit] = result
    by_chat = defaultdict(dict)
    for r in rows:
        by_chat[r.chat_id][r.reviewer_user_id] = r
    complete = [c for c, m in by_chat.items() if all(u in m for u in raters)]
    out = []

    def one(label, get):
        ratings = [[get(by_chat[c][u]) for u in raters] for c in complete]
        method, k = kappa(ratings) if ratings and len(raters) >= 2 else ("none", None)
        agree = (sum(1 for r in ratings if len(set(r)) == 1) / len(ratings)) if ratings else None
        out.append({"criterion": label, "method": method, "kappa": None if k is None else round(k, 3),
                    "all_agree": None if agree is None else round(agree, 3)})

    for c in rub.criteria:
        one(c.name(lang), lambda r, cid=c.id: res[r.id].get(cid, "na"))
    one("合格/不合格" if lang == "zh" else "Qualified", lambda r: bool(r.qualified))
    return pd.DataFrame(out, columns=["criterion", "method", "kappa", "all_agree"]), len(complete)


def session_rubric(engine: Engine, session_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(CalibrationSession.rubric_version_id)
                            .where(CalibrationSession.id == session_id)).scalar_one()
