"""A small QA world built directly in an empty database: two chat teams, agents, QA reviewers,
a team lead — and helpers to add chats, samples and reviews for exact scenarios."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from db.models import (
    Agent,
    AgentSchedule,
    Chat,
    ChatMessage,
    Review,
    ReviewResult,
    RubricCriterion,
    Sample,
    SampleDraw,
    Team,
    User,
    UserRole,
)
from lib.auth import CurrentUser
from lib.qa import rubric as rubric_mod


def _now():
    return datetime(2026, 1, 1)


class World:
    def __init__(self, engine):
        self.engine = engine
        self.seq = 0
        with engine.begin() as conn:
            from lib.auth import ensure_roles

            ensure_roles(conn)
            self.t1 = conn.execute(insert(Team).values(code="C1", name="一组", kind="chat", branch="b")
                                   .returning(Team.id)).scalar_one()
            self.t2 = conn.execute(insert(Team).values(code="C2", name="二组", kind="chat", branch="b")
                                   .returning(Team.id)).scalar_one()
            self.users: dict[str, CurrentUser] = {}
            for name, roles, team in [("qa1", ["qa"], None), ("qa2", ["qa"], None), ("qa3", ["qa"], None),
                                      ("lead1", ["team_lead"], self.t1), ("lead2", ["team_lead"], self.t2),
                                      ("boss", ["manager"], None), ("root", ["admin"], None),
                                      ("ag1", ["agent"], self.t1), ("ag2", ["agent"], self.t1),
                                      ("ag3", ["agent"], self.t2)]:
                uid = conn.execute(insert(User).values(username=name, display_name=name.upper(), password_hash="!",
                                                       is_active=True, language="zh", team_id=team,
                                                       failed_attempts=0, created_at=_now(), version=1)
                                   .returning(User.id)).scalar_one()
                conn.execute(insert(UserRole), [{"user_id": uid, "role": r} for r in roles])
                self.users[name] = (uid, roles, team)
            from sqlalchemy import update

            conn.execute(update(Team).where(Team.id == self.t1).values(lead_user_id=self.users["lead1"][0]))
            conn.execute(update(Team).where(Team.id == self.t2).values(lead_user_id=self.users["lead2"][0]))
            self.agents = {}
            for i, (name, team) in enumerate([("ag1", self.t1), ("ag2", self.t1), ("ag3", self.t2)], 1):
                aid = conn.execute(insert(Agent).values(employee_no=f"A{i:04d}", name=name.upper(), team_id=team,
                                                        user_id=self.users[name][0], active=True)
                                   .returning(Agent.id)).scalar_one()
                self.agents[name] = aid
            rubric_mod.ensure_default(conn)

    def user(self, name: str) -> CurrentUser:
        from lib.auth import load_user

        return load_user(self.engine, username=name)

    def schedule(self, agent: str, days: list[date]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(AgentSchedule), [{"agent_id": self.agents[agent], "work_date": d} for d in days])

    def chats(self, agent: str | None, day: date, n: int, *, with_ts: bool = True) -> list[int]:
        ids = []
        with self.engine.begin() as conn:
            for _ in range(n):
                self.seq += 1
                start = datetime.combine(day, datetime.min.time()) + timedelta(hours=2, minutes=self.seq % 50)
                cid = conn.execute(insert(Chat).values(
                    conversation_id=f"W{self.seq:06d}", source="test", language="zh-CN",
                    agent_id=self.agents[agent] if agent else None, started_at=start, work_date=day,
                    message_count=2, has_timestamps=with_ts, imported_at=_now()).returning(Chat.id)).scalar_one()
                conn.execute(insert(ChatMessage), [
                    {"chat_id": cid, "seq": 1, "speaker": "customer", "ts": start if with_ts else None,
                     "text": "请问怎么查账单"},
                    {"chat_id": cid, "seq": 2, "speaker": "agent",
                     "ts": start + timedelta(seconds=10) if with_ts else None,
                     "text": "您好，请在手机银行查看。祝您生活愉快，再见"}])
                ids.append(cid)
        return ids

    def reviewed_day(self, agent: str, day: date, reviews: int, unqualified: int, *, reviewer: str = "qa1",
                     created_at: datetime | None = None) -> list[int]:
        """A day with ``reviews`` sampled and scored chats, ``unqualified`` of them unqualified."""
        cids = self.chats(agent, day, reviews)
        rids = []
        with self.engine.begin() as conn:
            rub = rubric_mod.current(conn)
            did = conn.execute(insert(SampleDraw).values(work_date=day, agent_id=self.agents[agent], seed="s",
                                                         sample_size=20, candidate_ids_json=json.dumps(cids),
                                                         drawn_at=_now()).returning(SampleDraw.id)).scalar_one()
            for k, cid in enumerate(cids):
                sid = conn.execute(insert(Sample).values(draw_id=did, work_date=day, agent_id=self.agents[agent],
                                                         chat_id=cid, reviewer_user_id=self.users[reviewer][0],
                                                         status="reviewed").returning(Sample.id)).scalar_one()
                bad = k < unqualified
                at = created_at or datetime.combine(day, datetime.min.time()) + timedelta(days=1)
                rid = conn.execute(insert(Review).values(
                    sample_id=sid, chat_id=cid, agent_id=self.agents[agent], work_date=day,
                    reviewer_user_id=self.users[reviewer][0], rubric_version_id=rub.id, score=80 if bad else 100,
                    qualified=not bad, created_at=at, updated_at=at, version=1).returning(Review.id)).scalar_one()
                crit = conn.execute(select(RubricCriterion.id, RubricCriterion.code)
                                    .where(RubricCriterion.rubric_version_id == rub.id)).all()
                conn.execute(insert(ReviewResult), [
                    {"review_id": rid, "criterion_id": c.id,
                     "result": "fail" if bad and c.code == "attitude" else "pass"} for c in crit])
                rids.append(rid)
        return rids
