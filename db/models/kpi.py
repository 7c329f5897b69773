"""Service-quality cards, work errors and the rollups the KPI pages read (domain.md §4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class Survey(Base):
    """A service-quality card (服务质量卡) sent to a customer and its answer."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    channel: Mapped[str | None] = mapped_column(String(16))
    sent_on: Mapped[date] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    score: Mapped[int | None] = mapped_column(Integer)  # 1..5
    comment: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_surveys_agent_sent", "agent_id", "sent_on"),)


class WorkError(Base):
    """An error in daily work recorded by a lead (日常工作准确度)."""

    __tablename__ = "work_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    day: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_work_errors_agent_day", "agent_id", "day"),)


class AgentDayRollup(Base):
    """Per agent and day: what the KPI pages need without scanning messages."""

    __tablename__ = "rollup_agent_day"
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    chats: Mapped[int] = mapped_column(Integer, default=0)
    agent_replies: Mapped[int] = mapped_column(Integer, default=0)
    replies_within_limit: Mapped[int] = mapped_column(Integer, default=0)
    first_response_count: Mapped[int] = mapped_column(Integer, default=0)
    first_response_sum_s: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    unqualified: Mapped[int] = mapped_column(Integer, default=0)
    complaints_against: Mapped[int] = mapped_column(Integer, default=0)
    work_errors: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_rollup_agent_day_team_day", "team_id", "day"),)
