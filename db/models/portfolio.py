"""Clients, products, balances, credit lines, loans and contacts (domain.md §1)."""

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
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    # individual | corporate
    client_type: Mapped[str] = mapped_column(String(16))
    # key | large | vip | ordinary
    tier: Mapped[str] = mapped_column(String(16))
    credit_rating: Mapped[str] = mapped_column(String(8))
    industry: Mapped[str | None] = mapped_column(String(64))
    rm_id: Mapped[int | None] = mapped_column(ForeignKey("relationship_managers.id"))
    branch: Mapped[str | None] = mapped_column(String(64))
    # referral | friends | revisit_dormant | press | event | association | cold_call
    acquisition_channel: Mapped[str | None] = mapped_column(String(24))
    acquired_on: Mapped[date | None] = mapped_column(Date)
    # active | dormant | closed
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Full identifiers are secret: pages show lib.masking's masked form to
    # every role that does not need them.
    id_number: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_txn_on: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (
        Index("ix_clients_rm_tier", "rm_id", "tier"),
        Index("ix_clients_acquired_rm", "acquired_on", "acquisition_channel", "rm_id"),
        # the live flags across every book, counted per RM from the index alone:
        # "key clients overdue for a visit" and dormant (no transaction and no contact for a while)
        Index("ix_clients_tier_contact_rm", "tier", "last_contact_at", "rm_id", "status"),
        Index("ix_clients_txn_contact_rm", "last_txn_on", "last_contact_at", "rm_id"),
        # the same two flags within one book (an RM's home and book pages)
        Index("ix_clients_rm_tier_contact", "rm_id", "tier", "last_contact_at"),
        Index("ix_clients_rm_txn_contact", "rm_id", "last_txn_on", "last_contact_at"),
    )


class ClientTierHistory(Base):
    __tablename__ = "client_tier_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(16))
    credit_rating: Mapped[str] = mapped_column(String(8))


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    # deposit | settlement | loan | credit_line | wealth | card | fee_service
    category: Mapped[str] = mapped_column(String(16), index=True)


class Holding(Base):
    """A client's account or position in one product."""

    __tablename__ = "holdings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    account_no: Mapped[str | None] = mapped_column(String(32))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)


class Balance(Base):
    """Month-end balance of a holding, with the month's interest and fee income."""

    __tablename__ = "balances"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    holding_id: Mapped[int] = mapped_column(ForeignKey("holdings.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    as_of: Mapped[date] = mapped_column(Date)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    interest_income_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_income_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (
        Index("ix_balances_client_asof", "client_id", "as_of"),
        Index("ix_balances_holding_asof", "holding_id", "as_of", unique=True),
        # month-end snapshots: the overview and trends read one or a few months
        Index("ix_balances_asof", "as_of"),
    )


class CreditLine(Base):
    __tablename__ = "credit_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    granted_fen: Mapped[int] = mapped_column(BigInteger)
    used_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    granted_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    # active | frozen | expired
    status: Mapped[str] = mapped_column(String(16), default="active")


class Loan(Base):
    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_no: Mapped[str] = mapped_column(String(32), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger)
    rate_bp: Mapped[int] = mapped_column(Integer)  # annual rate in basis points
    start_on: Mapped[date] = mapped_column(Date)
    maturity_on: Mapped[date] = mapped_column(Date)
    # pass | special_mention | substandard | doubtful | loss (五级分类)
    classification: Mapped[str] = mapped_column(String(16), index=True)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    interest_collected_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class LoanClassification(Base):
    """Classification history: one row per review of a loan."""

    __tablename__ = "loan_classifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    as_of: Mapped[date] = mapped_column(Date)
    classification: Mapped[str] = mapped_column(String(16))
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_loan_classifications_loan_asof", "loan_id", "as_of"),)


class Contact(Base):
    """A visit, call, e-mail or dinner with a client (dinners carry a short report)."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    rm_id: Mapped[int | None] = mapped_column(ForeignKey("relationship_managers.id"))
    # visit | call | email | dinner
    kind: Mapped[str] = mapped_column(String(16))
    surprise: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    dinner_with: Mapped[str | None] = mapped_column(String(256))
    dinner_purpose: Mapped[str | None] = mapped_column(String(256))
    dinner_relationship: Mapped[str | None] = mapped_column(String(256))
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_contacts_client_at", "client_id", "occurred_at"),
        # visits made per RM in a period
        Index("ix_contacts_rm_at", "rm_id", "occurred_at"),
        Index("ix_contacts_follow_up", "follow_up_on"),
        # visits made in a period across every book (RM performance), from the index alone
        Index("ix_contacts_kind_at_rm", "kind", "occurred_at", "rm_id"),
    )


# --- precomputed book figures (lib/portfolio/rollup.py) ---------------------------------------
# Every figure below is derived by SQL from the tables above for one (period, period start,
# month-end, near-limit setting); ``portfolio_rollup_state`` records which. Pages read them only
# while that key is the current one and compute live otherwise.


class PortfolioRollupState(Base):
    """The period, period start, month-end and near-limit setting the book figures were built for (id 1)."""

    __tablename__ = "portfolio_rollup_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    month_end: Mapped[date | None] = mapped_column(Date)
    near_limit_pct: Mapped[int] = mapped_column(Integer)
    clients: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(DateTime)


class PortfolioClientFigures(Base):
    """Each client's money figures and static flags (the live ones come from ``clients``)."""

    __tablename__ = "portfolio_client_figures"
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True, autoincrement=False)
    # the client's RM and tier (0 = key ... 3 = ordinary) when built: a book's default order from the index
    rm_id: Mapped[int | None] = mapped_column(Integer)
    tier_rank: Mapped[int] = mapped_column(Integer)
    deposits_fen: Mapped[int] = mapped_column(BigInteger)
    loans_fen: Mapped[int] = mapped_column(BigInteger)
    npl_fen: Mapped[int] = mapped_column(BigInteger)
    wealth_fen: Mapped[int] = mapped_column(BigInteger)
    credit_granted_fen: Mapped[int] = mapped_column(BigInteger)
    credit_used_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    loan_interest_fen: Mapped[int] = mapped_column(BigInteger)
    products: Mapped[int] = mapped_column(Integer)
    max_dpd: Mapped[int] = mapped_column(Integer)
    worst_class_rank: Mapped[int | None] = mapped_column(Integer)
    past_due: Mapped[int] = mapped_column(Integer)
    single_product: Mapped[int] = mapped_column(Integer)
    worse_class: Mapped[int] = mapped_column(Integer)
    near_limit: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        # walked per tier (each tier's clients sorted by deposits on the way): the first page needs no full sort
        Index("ix_portfolio_client_figures_book_order", "rm_id", "tier_rank", "deposits_fen"),
    )


class _BookGroup:
    """The keys of the book rollups. "group": one row per RM × tier × type × industry × rating;
    "book": per RM × tier (the others NULL), what the pages read unless a type, industry or rating
    filter is set."""

    grain: Mapped[str] = mapped_column(String(8))
    rm_id: Mapped[int | None] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(16))
    client_type: Mapped[str | None] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(64))
    credit_rating: Mapped[str | None] = mapped_column(String(8))


class PortfolioBookRollup(_BookGroup, Base):
    """Sums per book and client group (RM × tier × type × industry × rating): the overview's rows."""

    __tablename__ = "portfolio_book_rollup"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clients: Mapped[int] = mapped_column(Integer)
    new_clients: Mapped[int] = mapped_column(Integer)
    deposits_fen: Mapped[int] = mapped_column(BigInteger)
    loans_fen: Mapped[int] = mapped_column(BigInteger)
    npl_fen: Mapped[int] = mapped_column(BigInteger)
    wealth_fen: Mapped[int] = mapped_column(BigInteger)
    credit_granted_fen: Mapped[int] = mapped_column(BigInteger)
    credit_used_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    loan_interest_fen: Mapped[int] = mapped_column(BigInteger)
    products: Mapped[int] = mapped_column(Integer)
    single_product: Mapped[int] = mapped_column(Integer)
    past_due: Mapped[int] = mapped_column(Integer)
    worse_class: Mapped[int] = mapped_column(Integer)
    near_limit: Mapped[int] = mapped_column(Integer)
    loans_pass_fen: Mapped[int] = mapped_column(BigInteger)
    loans_special_mention_fen: Mapped[int] = mapped_column(BigInteger)
    loans_substandard_fen: Mapped[int] = mapped_column(BigInteger)
    loans_doubtful_fen: Mapped[int] = mapped_column(BigInteger)
    loans_loss_fen: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_portfolio_book_rollup_grain_rm", "grain", "rm_id"),)


class PortfolioBookBalances(_BookGroup, Base):
    """Month-end balances and income per book, client group and product category (composition, trend)."""

    __tablename__ = "portfolio_book_balances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(16))
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_portfolio_book_balances_grain_asof", "grain", "as_of"),)


class PortfolioBookMigration(_BookGroup, Base):
    """Loans by class at the period's start × class now, per book and client group (the migration matrix)."""

    __tablename__ = "portfolio_book_migration"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    from_class: Mapped[str] = mapped_column(String(16))
    to_class: Mapped[str] = mapped_column(String(16))
    loans: Mapped[int] = mapped_column(Integer)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_portfolio_book_migration_grain", "grain"),)


class PortfolioWorseLoan(Base):
    """Loans now in a worse class than at the period's start, with that start class."""

    __tablename__ = "portfolio_worse_loans"
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), primary_key=True, autoincrement=False)
    from_class: Mapped[str] = mapped_column(String(16))


# The two flags that move with the calendar, counted for one day and one set of rules
# (``portfolio_flag_state``); lib.portfolio.rollup rebuilds them daily, alone, and the one writer of
# their inputs in the app (a logged contact) adjusts them in its own transaction.


class PortfolioFlagState(Base):
    """The day and the flag settings ``portfolio_book_flags`` was built for (one row, id 1)."""

    __tablename__ = "portfolio_flag_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    today: Mapped[date] = mapped_column(Date)
    # setting portfolio.visit_interval_days as compact JSON with sorted keys: {"key":30,"large":30,...}
    visit_interval_days: Mapped[str] = mapped_column(String(255))
    dormant_days: Mapped[int] = mapped_column(Integer)
    clients: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(DateTime)


class PortfolioBookFlags(_BookGroup, Base):
    """Clients overdue for a visit and dormant per book and client group, as of ``portfolio_flag_state``."""

    __tablename__ = "portfolio_book_flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    overdue_visit: Mapped[int] = mapped_column(Integer)
    # overdue, leaving closed clients out (the manager's list of key clients overdue for a visit)
    overdue_open: Mapped[int] = mapped_column(Integer)
    dormant: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        # the pages read (grain, rm_id); a logged contact updates one group row and one book row
        Index("ix_portfolio_book_flags_key", "grain", "rm_id", "tier", "client_type", "industry", "credit_rating"),
    )
