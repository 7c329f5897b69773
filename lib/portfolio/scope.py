"""Row scoping of client data: who sees which book.

Every portfolio query takes a ``Scope`` and adds ``scope_condition`` itself:
an RM's scope carries the RM's id and every query is limited to
``clients.rm_id = <that id>``; there is no query an RM's scope can run that
returns another book. A department manager's scope sees every book.
The administrator has no portfolio pages (client data is not what an
administrator needs); what RMs looked at is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, true

from db.models import Client
from lib.auth import CurrentUser

# Roles that browse every book (domain.md §5: "Managers browse client portfolios across RMs").
ALL_BOOK_ROLES = frozenset({"manager"})
# Roles that hold a book of their own.
OWN_BOOK_ROLES = frozenset({"rm"})


class ScopeError(PermissionError):
    """The viewer may not see this book or client; the message is an i18n key."""


@dataclass(frozen=True)
class Scope:
    viewer_id: int
    username: str
    rm_id: int | None  # None: every book (manager)
    own_book: bool  # an RM looking at their own book

    @property
    def all_books(self) -> bool:
        return self.rm_id is None

    @property
    def cache_key(self) -> str:
        """A plain value that identifies what this scope may see (for st.cache_data keys)."""
        return "all" if self.rm_id is None else f"rm:{self.rm_id}"


def scope_for(user: CurrentUser) -> Scope:
    """The scope of ``user``; raises ScopeError for a user without a book or the manager role."""
    if user.roles & ALL_BOOK_ROLES:
        return Scope(user.id, user.username, None, False)
    if user.roles & OWN_BOOK_ROLES:
        if user.rm_id is None:
            raise ScopeError("portfolio.err.no_book")
        return Scope(user.id, user.username, user.rm_id, True)
    raise ScopeError("portfolio.err.no_scope")


def scope_condition(scope: Scope, clients=Client.__table__) -> ColumnElement[bool]:
    """The WHERE condition every query on client data carries."""
    if scope.rm_id is None:
        return true()
    return clients.c.rm_id == scope.rm_id


def book_of(scope: Scope, requested_rm: int | None) -> int | None:
    """The RM whose book to show: an RM always their own; a manager the one asked for (None: none chosen)."""
    if scope.rm_id is not None:
        if requested_rm is not None and int(requested_rm) != scope.rm_id:
            raise ScopeError("portfolio.err.not_your_book")
        return scope.rm_id
    return None if requested_rm is None else int(requested_rm)


def show_phone(scope: Scope) -> bool:
    """Only the client's own RM needs the full mobile number (to call the client); everyone else sees it masked."""
    return scope.own_book


# --- time ---------------------------------------------------------------------------------

def bank_today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def bank_now(tz: str) -> datetime:
    """Now in the bank's zone, naive."""
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None)


def to_utc(local_naive: datetime, tz: str) -> datetime:
    return local_naive.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)


def to_local(utc_naive: datetime | None, tz: str) -> datetime | None:
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
