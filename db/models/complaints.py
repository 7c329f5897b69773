"""Complaints, their append-only events, extensions and department requests (domain.md §2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class Complaint(Base):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ref_no: Mapped[str] = mapped_column(String(32), unique=True)
    # id in the source system (e.g. CFPB Complaint ID): imports are idempotent on it
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="form")
    # hotline | chat | weibo | sms | email | letter | branch | regulator | media
    channel: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    client_name: Mapped[str | None] = mapped_column(String(128))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    product_text: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(48))
    subcategory: Mapped[str | None] = mapped_column(String(96))
    cause_code: Mapped[str | None] = mapped_column(String(48))
    narrative: Mapped[str | None] = mapped_column(Text)
    # low | medium | high
    severity: Mapped[str] = mapped_column(String(8), default="medium")
    regulator_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    media_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    vulnerable_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    # accepted | assigned | handling | replied | followed_up | closed
    status: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[datetime] = mapped_column(DateTime)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # whom the complaint is about (conflict of interest; counts against them, §4)
    subject_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    subject_rm_id: Mapped[int | None] = mapped_column(ForeignKey("relationship_managers.id"))
    subject_branch: Mapped[str | None] = mapped_column(String(64))
    dept_at_fault: Mapped[str | None] = mapped_column(String(64))
    reply_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    follow_up_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    # satisfied | not_satisfied | unreachable
    follow_up_outcome: Mapped[str | None] = mapped_column(String(16))
    outer_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the earliest pending deadline of an open complaint (reply, follow-up or outer
    # limit); NULL once closed. The queue filters and sorts on it.
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # frozen when the first reply / first follow-up happens (the monthly report and KPIs count them)
    reply_on_time: Mapped[bool | None] = mapped_column(Boolean)
    follow_up_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    company_response: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        # the open complaints only (due_at is NULL once closed): the queue's views, their counts and the
        # supervision run read this small index instead of scanning every complaint ever received; it
        # carries every column the view counts and the scope test, so counting is an index-only scan
        # (PostgreSQL l: 12-15 -> 3-5 ms)
        Index("ix_complaints_open_cover", "due_at", "id", "assigned_to", "team_id", "subject_agent_id", "status",
              "escalation_level", "regulator_referral", "media_risk", sqlite_where=text("due_at IS NOT NULL"),
              postgresql_where=text("due_at IS NOT NULL")),
        Index("ix_complaints_closed", "closed_at", "id"),  # the 'closed' view, newest first
        Index("ix_complaints_assignee_due", "assigned_to", "due_at"),
        Index("ix_complaints_team_due", "team_id", "due_at"),
        Index("ix_complaints_accepted", "accepted_at"),
        Index("ix_complaints_client_accepted", "client_id", "accepted_at"),
        Index("ix_complaints_repeat_of", "repeat_of_id"),
    )


class ComplaintEvent(Base):
    """Every transition, assignment and note; never updated or deleted."""

    __tablename__ = "complaint_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # created | assigned | status | note | extension | escalated | dept_request | dept_answer | follow_up
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail_json: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_complaint_events_complaint_at", "complaint_id", "at"),)


class ComplaintExtension(Base):
    """An extension of the regulator's outer limit (15 → 30 → 60 days)."""

    __tablename__ = "complaint_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    approved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    customer_told_at: Mapped[datetime] = mapped_column(DateTime)
    new_outer_due_at: Mapped[datetime] = mapped_column(DateTime)


class DepartmentRequest(Base):
    """Another department asked to act on a complaint, with its own deadline (督办)."""

    __tablename__ = "complaint_dept_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    asked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer: Mapped[str | None] = mapped_column(Text)


class ComplaintMonthRollup(Base):
    """The monthly report's figures, precomputed (lib/complaints/rollup.py): per month (accepted, in the
    bank's zone ``tz``), per report dimension and value, per scope cell (handling team, subject agent,
    unassigned — what a team lead's scope tests), the report's counts. ``dim`` '*' holds the month's
    totals; one row with ``dim`` '#built' and ``value`` = tz marks a month as built. Kept exact by the
    ``complaints_changed`` listener; rebuilt for a month on demand."""

    __tablename__ = "complaint_month_rollup"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    dim: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(128))
    ref_id: Mapped[int | None] = mapped_column(Integer)  # product id (dim product) or handler user id (dim handler)
    team_id: Mapped[int | None] = mapped_column(Integer)
    subject_agent_id: Mapped[int | None] = mapped_column(Integer)
    unassigned: Mapped[bool] = mapped_column(Boolean, default=False)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    replied_24h: Mapped[int] = mapped_column(Integer, default=0)
    followed_up: Mapped[int] = mapped_column(Integer, default=0)
    followed_up_3d: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    regulator: Mapped[int] = mapped_column(Integer, default=0)
    media: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        Index("ix_complaint_month_rollup_month_dim", "month", "dim"),
        # one '#built' row a month: two sessions building a month at once cannot both commit
        Index("ux_complaint_month_rollup_built", "month", unique=True, sqlite_where=text("dim = '#built'"),
              postgresql_where=text("dim = '#built'")),
    )
