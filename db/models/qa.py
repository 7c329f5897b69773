"""Chats, messages, automatic checks, rubric, samples, reviews, disputes,
calibration and closed months (domain.md §3)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class Chat(Base):
    __tablename__ = "chats"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(128), unique=True)
    source: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # the agent reference as the file gave it, kept when it named no known agent
    agent_ref: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the working day (bank's time zone) the chat belongs to, for sampling
    work_date: Mapped[date | None] = mapped_column(Date)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    has_timestamps: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_chats_agent_day", "agent_id", "work_date"),
        Index("ix_chats_work_date", "work_date"),
    )


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # agent | customer
    speaker: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime | None] = mapped_column(DateTime)
    text: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("chat_id", "seq"),)


class ChatCheck(Base):
    """Automatic checks of one chat: suggestions the reviewer confirms or overrides."""

    __tablename__ = "chat_checks"
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    settings_version_id: Mapped[int | None] = mapped_column(ForeignKey("settings_versions.id"))
    greeting_ok: Mapped[bool | None] = mapped_column(Boolean)
    closing_ok: Mapped[bool | None] = mapped_column(Boolean)
    # None = N/A (no timestamps)
    first_response_s: Mapped[int | None] = mapped_column(Integer)
    slow_replies: Mapped[int | None] = mapped_column(Integer)
    max_wait_s: Mapped[int | None] = mapped_column(Integer)
    agent_replies: Mapped[int | None] = mapped_column(Integer)
    forbidden_hits: Mapped[str | None] = mapped_column(Text)  # JSON list of phrases
    apology_needed: Mapped[bool | None] = mapped_column(Boolean)
    apology_ok: Mapped[bool | None] = mapped_column(Boolean)


class RubricVersion(Base):
    __tablename__ = "qa_rubric_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pass_mark: Mapped[float] = mapped_column(Numeric(5, 2))
    note: Mapped[str | None] = mapped_column(Text)


class RubricCriterion(Base):
    __tablename__ = "qa_criteria"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("qa_rubric_versions.id"), index=True)
    # greeting | closing | attitude | wording | knowledge | response_60s | handling
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Numeric(6, 2))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("rubric_version_id", "code"),)


class SampleDraw(Base):
    """One provable random draw: the seed and the candidate pool are stored."""

    __tablename__ = "qa_sample_draws"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_date: Mapped[date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    seed: Mapped[str] = mapped_column(String(64))
    sample_size: Mapped[int] = mapped_column(Integer)
    candidate_ids_json: Mapped[str] = mapped_column(Text)
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    __table_args__ = (UniqueConstraint("work_date", "agent_id"),)


class Sample(Base):
    __tablename__ = "qa_samples"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("qa_sample_draws.id"), index=True)
    work_date: Mapped[date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), unique=True)
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # pending | reviewed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    __table_args__ = (
        Index("ix_qa_samples_reviewer_status", "reviewer_user_id", "status", "work_date"),
        Index("ix_qa_samples_agent_day", "agent_id", "work_date"),
    )


class CalibrationSession(Base):
    __tablename__ = "qa_calibration_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("qa_rubric_versions.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class CalibrationItem(Base):
    __tablename__ = "qa_calibration_items"
    session_id: Mapped[int] = mapped_column(ForeignKey("qa_calibration_sessions.id"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), primary_key=True)


class CalibrationReviewer(Base):
    __tablename__ = "qa_calibration_reviewers"
    session_id: Mapped[int] = mapped_column(ForeignKey("qa_calibration_sessions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Review(Base):
    __tablename__ = "qa_reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("qa_samples.id"), unique=True)
    calibration_session_id: Mapped[int | None] = mapped_column(ForeignKey("qa_calibration_sessions.id"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    work_date: Mapped[date | None] = mapped_column(Date)
    reviewer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("qa_rubric_versions.id"))
    score: Mapped[float | None] = mapped_column(Numeric(6, 2))
    qualified: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        Index("ix_qa_reviews_agent_day", "agent_id", "work_date"),
        Index("ix_qa_reviews_work_date", "work_date"),
        UniqueConstraint("calibration_session_id", "chat_id", "reviewer_user_id"),
    )


class ReviewResult(Base):
    __tablename__ = "qa_review_results"
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("qa_criteria.id"), primary_key=True)
    # pass | fail | na
    result: Mapped[str] = mapped_column(String(8))
    # what the automatic check suggested, when it had a verdict
    suggested: Mapped[str | None] = mapped_column(String(8))


class Dispute(Base):
    __tablename__ = "qa_disputes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    # open | accepted | rejected
    status: Mapped[str] = mapped_column(String(16), default="open")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # the review's results before an accepted dispute changed them (JSON), for the record
    before_json: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MonthClosure(Base):
    """A closed QA month: frozen with the settings version it was computed with."""

    __tablename__ = "qa_month_closures"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    closed_at: Mapped[datetime] = mapped_column(DateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settings_version_id: Mapped[int | None] = mapped_column(ForeignKey("settings_versions.id"))
    # rubric versions of the reviews the month was computed from (JSON list)
    rubric_versions_json: Mapped[str | None] = mapped_column(Text)


class MonthResult(Base):
    __tablename__ = "qa_month_results"
    month: Mapped[str] = mapped_column(ForeignKey("qa_month_closures.month"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    days_without_sample: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    unqualified: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[str] = mapped_column(String(16))
    deduction_fen: Mapped[int] = mapped_column(BigInteger)
    no_bonus: Mapped[bool] = mapped_column(Boolean, default=False)


class CriteriaAgentDay(Base):
    """Rollup: the results of sampled reviews per working day, agent and rubric criterion.

    The results page's failing criteria read a month of these small rows instead of every review
    result; lib/qa/rollup.py keeps it exact in each writer's transaction."""

    __tablename__ = "qa_criteria_agent_day"
    work_date: Mapped[date] = mapped_column(Date, primary_key=True)
    # 0 = reviews without an agent (hence no foreign key); only a see-all scope counts them
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("qa_criteria.id"), primary_key=True, autoincrement=False)
    results: Mapped[int] = mapped_column(Integer, default=0)  # review results (rows of qa_review_results)
    failed: Mapped[int] = mapped_column(Integer, default=0)  # result = fail
    rated: Mapped[int] = mapped_column(Integer, default=0)  # result <> na
    __table_args__ = (Index("ix_qa_criteria_agent_day_agent", "agent_id", "work_date"),)


class ChecksAgentDay(Base):
    """Rollup: the automatic-check counts of the chats with a check row, per working day and agent.

    The results page's hit rates read a month of these small rows instead of every chat;
    lib/qa/rollup.py keeps it exact in each writer's transaction."""

    __tablename__ = "qa_checks_agent_day"
    work_date: Mapped[date] = mapped_column(Date, primary_key=True)
    # 0 = chats without a known agent (hence no foreign key); only a see-all scope counts them
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chats: Mapped[int] = mapped_column(Integer, default=0)  # chats with a check row
    no_greeting: Mapped[int] = mapped_column(Integer, default=0)  # greeting_ok is false
    no_closing: Mapped[int] = mapped_column(Integer, default=0)  # closing_ok is false
    slow: Mapped[int] = mapped_column(Integer, default=0)  # slow_replies > 0
    no_timestamps: Mapped[int] = mapped_column(Integer, default=0)  # slow_replies is null
    forbidden: Mapped[int] = mapped_column(Integer, default=0)  # forbidden_hits is not null
    no_apology: Mapped[int] = mapped_column(Integer, default=0)  # apology_ok is false
    frt_chats: Mapped[int] = mapped_column(Integer, default=0)  # first_response_s is not null
    frt_sum_s: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of first_response_s
    __table_args__ = (Index("ix_qa_checks_agent_day_agent", "agent_id", "work_date"),)
