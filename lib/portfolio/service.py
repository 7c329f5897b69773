"""What the portfolio pages call: cached reads keyed on the viewer's scope, audited writes and downloads.

Cache keys are plain values: the database URL, the scope key ("all" or
"rm:<id>"), the filters, the as-of date and the settings version. The engine
and the Scope object itself are passed with a leading underscore (not hashed);
the scope key beside them is what keeps one viewer's rows out of another's.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib import audit
from lib import settings as settings_mod
from lib.auth import CurrentUser
from lib.i18n import current_language, t
from lib.masking import mask_id_number, mask_phone
from lib.portfolio import client as client_q
from lib.portfolio import performance as perf_q
from lib.portfolio import queries as q
from lib.portfolio import rules
from lib.portfolio.scope import Scope, ScopeError, bank_today, scope_for, show_phone, to_local

CACHE_TTL_S = 60
CACHE_MAX = 256


def context(engine: Engine, user: CurrentUser, *, stop: bool = True) -> tuple[Scope, q.AsOf, q.Rules, str]:
    """The viewer's scope, the dates, the flag settings and the time zone for one run of a page.

    A user without a book (an RM login not linked to an RM record) gets one sentence and no data
    (``stop``), or the ScopeError (for a home section, which must not stop the home page).
    """
    s = settings_mod.load(engine)
    tz = s["ui.timezone"]
    try:
        scope = scope_for(user)
    except ScopeError as exc:
        if not stop:
            raise
        st.error(t(str(exc)))
        st.stop()
    return scope, as_of(engine, bank_today(tz)), q.load_rules(engine), tz


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _as_of(_engine: Engine, db_url: str, today: date) -> q.AsOf:
    return q.as_of(_engine, today)


def as_of(engine: Engine, today: date) -> q.AsOf:
    return _as_of(engine, str(engine.url), today)


def _key(engine: Engine, scope: Scope) -> tuple[str, str, int | None]:
    return str(engine.url), scope.cache_key, settings_mod.load(engine).version_id


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _overview(_engine, _scope, key, f, a, r) -> pd.DataFrame:
    return q.overview(_engine, _scope, f, a, r)


def overview(engine, scope, f, a, r) -> pd.DataFrame:
    return _overview(engine, scope, _key(engine, scope), f, a, r)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _book_page(_engine, _scope, key, f, a, r, flag, search, sort, desc, limit, offset):
    return q.book_page(_engine, _scope, f, a, r, flag=flag, search=search, sort=sort, descending=desc, limit=limit,
                       offset=offset)


def book_page(engine, scope, f, a, r, *, flag=None, search=None, sort="tier", desc=False, limit=50, offset=0):
    return _book_page(engine, scope, _key(engine, scope), f, a, r, flag, search, sort, desc, limit, offset)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _flag_counts(_engine, _scope, key, f, a, r):
    return q.flag_counts(_engine, _scope, f, a, r)


def flag_counts(engine, scope, f, a, r) -> dict[str, int]:
    return _flag_counts(engine, scope, _key(engine, scope), f, a, r)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _charts(_engine, _scope, key, f, a, r):
    return {
        "composition": q.composition(_engine, _scope, f, a, r),
        "trend": q.balance_trend(_engine, _scope, f, a, r),
        "migration": q.loan_migration(_engine, _scope, f, a, r),
        "channels": q.new_clients_by_channel(_engine, _scope, f, a),
    }


def charts(engine, scope, f, a, r) -> dict[str, pd.DataFrame]:
    return _charts(engine, scope, _key(engine, scope), f, a, r)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _key_overdue(_engine, _scope, key, f, a, r, limit, offset):
    return q.key_clients_overdue(_engine, _scope, f, a, r, limit=limit, offset=offset)


def key_overdue(engine, scope, f, a, r, *, limit=50, offset=0):
    return _key_overdue(engine, scope, _key(engine, scope), f, a, r, limit, offset)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _worse_loans(_engine, _scope, key, f, a, r, limit, offset):
    return q.worse_loans(_engine, _scope, f, a, r, limit=limit, offset=offset)


def worse_loans(engine, scope, f, a, r, *, limit=50, offset=0):
    return _worse_loans(engine, scope, _key(engine, scope), f, a, r, limit, offset)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _performance(_engine, _scope, key, f, a, r):
    return perf_q.performance(_engine, _scope, f, a, r)


def performance(engine, scope, f, a, r) -> pd.DataFrame:
    return _performance(engine, scope, _key(engine, scope), f, a, r)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _rm_choices(_engine, _scope, key):
    return q.rm_choices(_engine, _scope)


def rm_choices(engine, scope) -> pd.DataFrame:
    return _rm_choices(engine, scope, _key(engine, scope))


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _filter_values(_engine, _scope, key):
    return q.filter_values(_engine, _scope)


def filter_values(engine, scope) -> dict[str, list[str]]:
    return _filter_values(engine, scope, _key(engine, scope))


def page_size(engine: Engine) -> int:
    return int(settings_mod.load(engine)["ui.page_size"])


def clear_caches() -> None:
    """After a write: the figures that a new contact changes."""
    for fn in (_book_page, _flag_counts, _overview, _key_overdue, _performance, _follow_ups):
        fn.clear()


# --- labels -----------------------------------------------------------------------------------

def label(group: str, value) -> str:
    """The label of a code (tier, class, kind, channel, category, grade, flag, client type)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return t(f"portfolio.{group}.{value}")


def labels(group: str, values: pd.Series) -> pd.Series:
    """``label`` of every value of a column, looked up once per distinct value."""
    return values.map({v: label(group, v) for v in values.unique()})


def product_name(row) -> str:
    return row["name_zh"] if current_language() == "zh" else row["name_en"]


def yuan(fen) -> float:
    return float(fen or 0) / rules.FEN_PER_YUAN


def wan(fen) -> float:
    return float(fen or 0) / rules.FEN_PER_WAN


def to_local_dt(v, tz: str):
    return to_local(v, tz) if v is not None else None


def local_times(df: pd.DataFrame, cols: list[str], tz: str) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = [to_local(v.to_pydatetime() if hasattr(v, "to_pydatetime") else v, tz)
                  if v is not None and not pd.isna(v) else None for v in out[c]]
    return out


# --- downloads (always one book, always audited) ----------------------------------------------

def book_download_frame(engine: Engine, scope: Scope, rm_id: int, a: q.AsOf, r: q.Rules,
                        tz: str) -> tuple[pd.DataFrame, list[int]]:
    """A whole book, labelled for a spreadsheet, identifiers masked; with the client ids it holds."""
    df = q.book_all(engine, scope, q.Filters(rm_id=rm_id), a, r)
    ids = df["id"].tolist()
    prof = _identifiers(engine, scope, ids)
    out = pd.DataFrame({
        t("portfolio.col.client_no"): df["client_no"],
        t("portfolio.col.name"): df["name"],
        t("portfolio.col.client_type"): [label("type", v) for v in df["client_type"]],
        t("portfolio.col.tier"): [label("tier", v) for v in df["tier"]],
        t("portfolio.col.rating"): df["credit_rating"],
        t("portfolio.col.industry"): df["industry"],
        t("portfolio.col.id_number"): [prof.get(i, (None, None))[0] for i in ids],
        t("portfolio.col.phone"): [prof.get(i, (None, None))[1] for i in ids],
        t("portfolio.col.channel"): [label("channel", v) for v in df["acquisition_channel"]],
        t("portfolio.col.acquired_on"): df["acquired_on"],
        t("portfolio.col.deposits_wan"): [round(wan(v), 2) for v in df["deposits_fen"]],
        t("portfolio.col.loans_wan"): [round(wan(v), 2) for v in df["loans_fen"]],
        t("portfolio.col.wealth_wan"): [round(wan(v), 2) for v in df["wealth_fen"]],
        t("portfolio.col.credit_granted_wan"): [round(wan(v), 2) for v in df["credit_granted_fen"]],
        t("portfolio.col.credit_used_wan"): [round(wan(v), 2) for v in df["credit_used_fen"]],
        t("portfolio.col.fee_yuan"): [round(yuan(v), 2) for v in df["fee_fen"]],
        t("portfolio.col.interest_yuan"): [round(yuan(v), 2) for v in df["interest_fen"]],
        t("portfolio.col.products"): df["products"],
        t("portfolio.col.max_dpd"): df["max_dpd"],
        t("portfolio.col.last_contact"): [to_local(v.to_pydatetime() if hasattr(v, "to_pydatetime") else v, tz)
                                          if v is not None and not pd.isna(v) else None for v in df["last_contact_at"]],
        t("portfolio.col.flags"): [", ".join(label("flag", k) for k in rules.FLAG_NAMES if row[k])
                                   for _, row in df.iterrows()],
    })
    return out, [int(i) for i in ids]


def _identifiers(engine: Engine, scope: Scope, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """Masked ID and phone per client (downloads always mask both, whoever downloads)."""
    from sqlalchemy import select

    from db.models import Client

    C = Client.__table__
    out: dict[int, tuple] = {}
    from lib.portfolio.scope import scope_condition

    for i in range(0, len(ids), 5000):
        chunk = ids[i:i + 5000]
        with engine.connect() as conn:
            for cid, idn, ph in conn.execute(select(C.c.id, C.c.id_number, C.c.phone)
                                             .where(scope_condition(scope, C), C.c.id.in_(chunk))):
                out[cid] = (mask_id_number(idn), mask_phone(ph))
    return out


def log_download(engine: Engine, scope: Scope, report: str, client_ids: list[int], extra: dict | None = None) -> None:
    """Write who downloaded which clients (离岗审计)."""
    with engine.begin() as conn:
        audit.record(conn, user_id=scope.viewer_id, username=scope.username, action="portfolio.download",
                     entity="client", entity_id=None,
                     detail={"report": report, "clients": len(client_ids), "client_ids": client_ids} | (extra or {}))


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_MAX, show_spinner=False)
def _follow_ups(_engine, _scope, key, a, r, client_id, limit):
    return q.follow_ups(_engine, _scope, a, r, client_id=client_id, limit=limit)


def follow_ups(engine: Engine, scope: Scope, a: q.AsOf, r: q.Rules, client_id: int | None = None,
               limit: int = 50) -> pd.DataFrame:
    """Open follow-ups; cached like the book (a logged contact clears it): finding them looks at every
    contact of the book's clients, ~90 ms for a 26k-client book on SQLite at l, on every run before."""
    return _follow_ups(engine, scope, _key(engine, scope), a, r, client_id, limit)


def open_client(engine: Engine, scope: Scope, client_id: int) -> dict | None:
    return client_q.open_client(engine, scope, client_id)


def phone_visible(scope: Scope) -> bool:
    return show_phone(scope)
