"""Small hand-made departments for the KPI unit tests: every figure known in advance."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import insert

from db.models import (
    Agent,
    AgentSchedule,
    Chat,
    ChatMessage,
    Client,
    Complaint,
    Review,
    RubricVersion,
    Sample,
    SampleDraw,
    Survey,
    Team,
    User,
    UserRole,
    WorkError,
)

T0 = datetime(2026, 3, 2, 1, 0, 0)  # 09:00 in Shanghai, Monday 2 March 2026


class Dept:
    """Builder over one connection; ids are assigned here so tests can name them."""

    def __init__(self, conn):
        from lib.auth import ensure_roles

        self.conn = conn
        ensure_roles(conn)
        self._ids: dict[str, int] = {}
        self.users: dict[str, int] = {}

    def _next(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def user(self, username: str, roles: list[str], team_id: int | None = None) -> int:
        uid = self._next("user")
        self.conn.execute(insert(User).values(id=uid, username=username, display_name=username, password_hash="!",
                                              is_active=True, language="en", team_id=team_id, failed_attempts=0,
                                              created_at=T0, version=1))
        self.conn.execute(insert(UserRole), [{"user_id": uid, "role": r} for r in roles])
        self.users[username] = uid
        return uid

    def team(self, code: str, lead: str | None = None) -> int:
        tid = self._next("team")
        lead_id = self.user(lead, ["team_lead"]) if lead else None
        self.conn.execute(insert(Team).values(id=tid, code=code, name=f"Team {code}", kind="chat", branch="b",
                                              lead_user_id=lead_id))
        return tid

    def agent(self, team_id: int, name: str, *, login: bool = False) -> int:
        aid = self._next("agent")
        uid = self.user(name, ["agent"], team_id) if login else None
        self.conn.execute(insert(Agent).values(id=aid, employee_no=f"E{aid:03d}", name=name, team_id=team_id,
                                               user_id=uid, active=True))
        return aid

    def roster(self, agent_id: int, days: list[date]) -> None:
        self.conn.execute(insert(AgentSchedule), [{"agent_id": agent_id, "work_date": d} for d in days])

    def client(self) -> int:
        cid = self._next("client")
        self.conn.execute(insert(Client).values(id=cid, client_no=f"C{cid:04d}", name=f"客户{cid}",
                                                client_type="individual", tier="ordinary", credit_rating="A",
                                                status="active"))
        return cid

    def chat(self, agent_id: int | None, day: date, messages: list[tuple[str, float | None]], *,
             client_id: int | None = None, start: datetime | None = None, timestamps: bool = True) -> int:
        """``messages``: (speaker, seconds after the chat's start, or None for no timestamp)."""
        cid = self._next("chat")
        start = start or datetime.combine(day, T0.time()) + timedelta(minutes=cid)
        self.conn.execute(insert(Chat).values(id=cid, conversation_id=f"conv-{cid}", agent_id=agent_id,
                                              client_id=client_id, started_at=start, work_date=day,
                                              message_count=len(messages), has_timestamps=timestamps,
                                              imported_at=T0))
        self.conn.execute(insert(ChatMessage), [
            {"id": self._next("msg"), "chat_id": cid, "seq": i + 1, "speaker": sp,
             "ts": None if off is None else start + timedelta(seconds=off), "text": f"{sp} {i}"}
            for i, (sp, off) in enumerate(messages)])
        return cid

    def review(self, agent_id: int, day: date, qualified: bool, *, chat_id: int | None = None,
               reviewer: str = "qa") -> int:
        if "rubric" not in self._ids:
            self._ids["rubric"] = 1
            self.conn.execute(insert(RubricVersion).values(id=1, version=1, created_at=T0, pass_mark=80))
        if reviewer not in self.users:
            self.user(reviewer, ["qa"])
        chat_id = chat_id or self.chat(agent_id, day, [("customer", 0), ("agent", 5)])
        key = f"draw:{agent_id}:{day}"
        if key not in self._ids:
            did = self._next("draw")
            self._ids[key] = did
            self.conn.execute(insert(SampleDraw).values(id=did, work_date=day, agent_id=agent_id, seed="s",
                                                        sample_size=20, candidate_ids_json="[]", drawn_at=T0))
        sid = self._next("sample")
        self.conn.execute(insert(Sample).values(id=sid, draw_id=self._ids[key], work_date=day, agent_id=agent_id,
                                                chat_id=chat_id, status="reviewed"))
        rid = self._next("review")
        self.conn.execute(insert(Review).values(id=rid, sample_id=sid, chat_id=chat_id, agent_id=agent_id,
                                                work_date=day, reviewer_user_id=self.users[reviewer],
                                                rubric_version_id=1, qualified=qualified, created_at=T0,
                                                updated_at=T0, version=1))
        return rid

    def complaint(self, agent_id: int, accepted_at: datetime, *, replied_after_h: float | None = None,
                  followed_up_after_d: float | None = None, outcome: str | None = None,
                  reply_h: int = 24, follow_up_d: int = 3) -> int:
        cid = self._next("complaint")
        replied = accepted_at + timedelta(hours=replied_after_h) if replied_after_h is not None else None
        followed = replied + timedelta(days=followed_up_after_d) if (replied and followed_up_after_d is not None) \
            else None
        self.conn.execute(insert(Complaint).values(
            id=cid, ref_no=f"TS{cid:05d}", channel="hotline", category="service", status="replied",
            accepted_at=accepted_at, subject_agent_id=agent_id, reply_due_at=accepted_at + timedelta(hours=reply_h),
            replied_at=replied, follow_up_due_at=replied + timedelta(days=follow_up_d) if replied else None,
            followed_up_at=followed, follow_up_outcome=outcome if followed else None, escalation_level=0,
            version=1, severity="medium", source="form"))
        return cid

    def survey(self, agent_id: int, sent_on: date, score: int | None) -> int:
        sid = self._next("survey")
        self.conn.execute(insert(Survey).values(id=sid, agent_id=agent_id, sent_on=sent_on,
                                                answered_on=sent_on if score else None, score=score))
        return sid

    def work_error(self, agent_id: int, day: date, kind: str = "data_entry") -> int:
        eid = self._next("error")
        self.conn.execute(insert(WorkError).values(id=eid, agent_id=agent_id, day=day, recorded_at=T0, kind=kind))
        return eid

    def finish(self) -> None:
        """Move PostgreSQL sequences past the explicit ids used here."""
        from db.bulk import reset_sequences

        reset_sequences(self.conn, *(m.__table__ for m in (User, Team, Agent, Client, Chat, ChatMessage, RubricVersion,
                                                           SampleDraw, Sample, Review, Complaint, Survey, WorkError)))
