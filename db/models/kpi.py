"""Service-quality cards, work errors and the derived tables the KPI pages read (domain.md §4).

Derived tables (rebuilt by ``python -m db rebuild-rollups``, kept current by
lib.kpis.rollups listening to the change events of lib.events):

- ``kpi_chat_facts``: one row per chat with an agent — first-response time and
  reply waits computed once from the messages, and whether the chat resolved
  the client's problem (no new contact from the client within the window);
- ``kpi_complaint_facts``: one row per complaint against an agent — the state
  of its reply and follow-up clocks, so that a changed complaint can be
  taken out of the day it was counted in;
- ``rollup_agent_day``: summable counts per agent and working day (team
  figures are sums over the team's agents);
- ``rollup_frt_agent_day``: per agent and day, how many chats had each
  first-response time in whole seconds — medians and percentiles of any
  scope are computed exactly from these counts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
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
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
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


class ChatFact(Base):
    """Per chat: response figures from its messages, and whether it resolved the problem."""

    __tablename__ = "kpi_chat_facts"
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    work_date: Mapped[date] = mapped_column(Date)
    client_id: Mapped[int | None] = mapped_column(BigId)
    # None = not measurable (no timestamps, or no customer message answered)
    first_response_s: Mapped[int | None] = mapped_column(Integer)
    replies_timed: Mapped[int] = mapped_column(Integer, default=0)
    replies_within: Mapped[int] = mapped_column(Integer, default=0)
    max_wait_s: Mapped[int | None] = mapped_column(Integer)
    # None when the client is unknown; else False if the client came back within the window
    resolving: Mapped[bool | None] = mapped_column(Boolean)
    __table_args__ = (Index("ix_kpi_chat_facts_agent_day", "agent_id", "work_date"),
                      # the drill-down's default order (day, chat) read in index order, LIMIT 200 without a sort
                      Index("ix_kpi_chat_facts_day_chat", "work_date", "chat_id"))


OPEN_CLOCKS = "reply_state = 'open' OR fu_state = 'open'"


class ComplaintFact(Base):
    """Per complaint against an agent: where it counts and the state of its clocks."""

    __tablename__ = "kpi_complaint_facts"
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True,
                                              autoincrement=False)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    day: Mapped[date] = mapped_column(Date)  # day of acceptance in the bank's time zone
    # on_time | late | open | none (no reply clock)
    reply_state: Mapped[str] = mapped_column(String(8))
    reply_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # on_time | late | open | none (not replied yet, so no follow-up clock)
    fu_state: Mapped[str] = mapped_column(String(8))
    follow_up_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (Index("ix_kpi_complaint_facts_agent_day", "agent_id", "day"),
                      # complaints still open (about 1.5 %): the "overdue now" counts read only these
                      Index("ix_kpi_complaint_facts_open_day", "day",
                            postgresql_where=text(OPEN_CLOCKS), sqlite_where=text(OPEN_CLOCKS)))


class AgentDayRollup(Base):
    """Per agent and day: summable counts, so that the KPI pages never scan raw records."""

    __tablename__ = "rollup_agent_day"
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scheduled: Mapped[int] = mapped_column(Integer, default=0)  # 1 when rostered (a working day)
    chats: Mapped[int] = mapped_column(Integer, default=0)
    frt_chats: Mapped[int] = mapped_column(Integer, default=0)
    frt_sum_s: Mapped[int] = mapped_column(Integer, default=0)
    replies_timed: Mapped[int] = mapped_column(Integer, default=0)
    replies_within: Mapped[int] = mapped_column(Integer, default=0)
    tracked_chats: Mapped[int] = mapped_column(Integer, default=0)
    resolving_chats: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    unqualified: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    reply_on_time: Mapped[int] = mapped_column(Integer, default=0)
    reply_late: Mapped[int] = mapped_column(Integer, default=0)
    reply_open: Mapped[int] = mapped_column(Integer, default=0)
    fu_on_time: Mapped[int] = mapped_column(Integer, default=0)
    fu_late: Mapped[int] = mapped_column(Integer, default=0)
    fu_open: Mapped[int] = mapped_column(Integer, default=0)
    fu_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    fu_reached: Mapped[int] = mapped_column(Integer, default=0)
    surveys_answered: Mapped[int] = mapped_column(Integer, default=0)
    survey_score_sum: Mapped[int] = mapped_column(Integer, default=0)
    surveys_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    work_errors: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_rollup_agent_day_day", "day"),)


class FirstResponseHistogram(Base):
    """Per agent and day: chats by first-response time in whole seconds (exact percentiles)."""

    __tablename__ = "rollup_frt_agent_day"
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_response_s: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chats: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_rollup_frt_agent_day_day", "day"),)
