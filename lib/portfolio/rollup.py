"""Precomputed book figures, so that no page recomputes every client's figures on every view.

A client's money figures (month-end deposits and wealth, loans, NPL, credit
used, income in the period, products, worst class, class worse than at the
period's start, credit near its limit) change only when the bank's data load
brings new balances, loans or credit lines: the seed, and in production the
nightly load, call ``rebuild``.

The two flags that move with the calendar (overdue for a visit, dormant) are
counted per book and client group for one day (``portfolio_book_flags``,
``rebuild_flags``): the nightly job rebuilds them each day, alone when nothing
else changed (``rebuild_for_today(if_stale=True)``), and the one writer of
their inputs in the app, a logged contact, adjusts them in its own
transaction (``flags_follow``). The rest of what RMs record (contacts) is
never precomputed.

Every table is filled by INSERT ... SELECT from the same SQL the live pages
use (lib.portfolio.queries), so the two cannot disagree; a test compares them.
``portfolio_rollup_state`` records the (period, period start, month-end,
near-limit setting) the figures were built for, ``portfolio_flag_state`` the
(day, visit intervals, dormant days) of the flags; pages read each only while
it is today's key (``queries.rollup_ready``, ``queries.flags_ready``) and
compute live otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone

from sqlalchemy import Connection, Engine, and_, case, delete, func, insert, literal, select, text, update

from lib.db import serialise
from lib.portfolio import queries as q
from lib.portfolio import rules
from lib.portfolio.scope import Scope

ALL = Scope(0, "rollup", None, False)  # the whole bank: the build is not a viewer
# transaction lock between a rebuild of the flags (exclusive) and logged contacts adjusting them (shared);
# the other keys are in lib.db
LOCK_PORTFOLIO_FLAGS = 7101
FLAG_MEASURES = ("overdue_visit", "overdue_open", "dormant")


def _loan_interest(a: q.AsOf):
    """Per client: interest collected on loans in the period (as performance.interest_collected)."""
    return (
        select(q.B.c.client_id, func.sum(q.B.c.interest_income_fen).label("loan_interest"))
        .select_from(q.B.join(q.H, q.H.c.id == q.B.c.holding_id).join(q.P, q.P.c.id == q.H.c.product_id))
        .where(q.P.c.category == "loan", q.B.c.as_of >= a.period_start, q.B.c.as_of <= a.today)
        .group_by(q.B.c.client_id)
        .subquery("loan_interest")
    )


def _loans_by_class():
    return (
        select(q.L.c.client_id,
               *[func.sum(case((q.L.c.classification == c, q.L.c.outstanding_fen), else_=0)).label(c)
                 for c in rules.LOAN_CLASSES])
        .group_by(q.L.c.client_id)
        .subquery("by_class")
    )


GROUP = literal("group").label("grain")


def _book_grain(conn: Connection, t, keys: list[str], measures: list[str]) -> None:
    """The "book" rows of rollup table ``t`` (per RM and tier) summed from its "group" rows."""
    sel = (select(literal("book"), t.c.rm_id, t.c.tier, *[t.c[k] for k in keys],
                  *[func.sum(t.c[m]) for m in measures])
           .where(t.c.grain == "group").group_by(t.c.rm_id, t.c.tier, *[t.c[k] for k in keys]))
    conn.execute(insert(t).from_select(["grain", "rm_id", "tier", *keys, *measures], sel))


def rebuild(conn: Connection, a: q.AsOf, r: q.Rules, *, built_at: datetime | None = None) -> dict[str, int]:
    """Recompute every precomputed table for ``a`` and ``r`` inside ``conn``'s transaction; returns row counts.
    ``built_at`` (UTC, default now) is recorded; the seed passes its own clock so that it stays reproducible."""
    for t in (q.WL, q.BM, q.BB, q.BR, q.PCF, q.RS):
        conn.execute(delete(t))
    z = literal(0)
    # 1. per client
    figs = q.client_figures(ALL, None, a, r).subquery("figs")
    li = _loan_interest(a)
    cols = ["client_id", "rm_id", "tier_rank", *q.STATIC_FIGURES, "loan_interest_fen"]
    sel = (select(figs.c.id, figs.c.rm_id, q.tier_rank(figs.c.tier), *[figs.c[k] for k in q.STATIC_FIGURES],
                  func.coalesce(li.c.loan_interest, z))
           .select_from(figs.outerjoin(li, li.c.client_id == figs.c.id)))
    conn.execute(insert(q.PCF).from_select(cols, sel))
    # 2. per book and client group
    C, F = q.C, q.PCF
    dims = [C.c[d] for d in q.BOOK_DIMS]
    bc = _loans_by_class()
    new = and_(C.c.acquired_on >= a.period_start, C.c.acquired_on <= a.today)
    summed = ["deposits_fen", "loans_fen", "npl_fen", "wealth_fen", "credit_granted_fen", "credit_used_fen",
              "interest_fen", "fee_fen", "loan_interest_fen", "products", "single_product", "past_due",
              "worse_class", "near_limit"]
    measures = ["clients", "new_clients", *summed, *[f"loans_{c}_fen" for c in rules.LOAN_CLASSES]]
    sel = (
        select(GROUP, *dims, func.count(), func.sum(case((new, 1), else_=0)),
               *[func.coalesce(func.sum(F.c[k]), z) for k in summed],
               *[func.coalesce(func.sum(bc.c[c]), z) for c in rules.LOAN_CLASSES])
        .select_from(C.join(F, F.c.client_id == C.c.id).outerjoin(bc, bc.c.client_id == C.c.id))
        .group_by(*dims)
    )
    conn.execute(insert(q.BR).from_select(["grain", *q.BOOK_DIMS, *measures], sel))
    _book_grain(conn, q.BR, [], measures)
    # 3. month-end balances and income per book, group and category (every month-end up to the key's)
    B, H, P = q.B, q.H, q.P
    sel = (
        select(GROUP, *dims, B.c.as_of, P.c.category, func.sum(B.c.balance_fen), func.sum(B.c.interest_income_fen),
               func.sum(B.c.fee_income_fen))
        .select_from(B.join(H, H.c.id == B.c.holding_id).join(P, P.c.id == H.c.product_id)
                     .join(C, C.c.id == B.c.client_id))
        .where(B.c.as_of <= (a.month_end or date.min))
        .group_by(*dims, B.c.as_of, P.c.category)
    )
    conn.execute(insert(q.BB).from_select(
        ["grain", *q.BOOK_DIMS, "as_of", "category", "balance_fen", "interest_fen", "fee_fen"], sel))
    _book_grain(conn, q.BB, ["as_of", "category"], ["balance_fen", "interest_fen", "fee_fen"])
    # 4. the migration matrix per book and group
    mig = q.migration_select(ALL, None, a, *dims, lead=(GROUP,))
    conn.execute(insert(q.BM).from_select(
        ["grain", *q.BOOK_DIMS, "from_class", "to_class", "loans", "outstanding_fen"], mig))
    _book_grain(conn, q.BM, ["from_class", "to_class"], ["loans", "outstanding_fen"])
    # 5. the loans that moved to a worse class
    w = q.worse_loans_select(ALL, None, a).subquery("w")
    conn.execute(insert(q.WL).from_select(["loan_id", "from_class"], select(w.c.id, w.c.from_class)))
    n_clients = conn.execute(select(func.count()).select_from(q.PCF)).scalar_one()
    conn.execute(insert(q.RS).values(id=1, period=a.period, period_start=a.period_start, month_end=a.month_end,
                                     near_limit_pct=r.near_limit_pct, clients=n_clients,
                                     built_at=built_at or _now()))
    counts = {"clients": n_clients}
    for name, t in (("books", q.BR), ("balances", q.BB), ("migration", q.BM), ("worse_loans", q.WL)):
        counts[name] = conn.execute(select(func.count()).select_from(t)).scalar_one()
    # 6. the two flags that move with the calendar, for today
    return counts | rebuild_flags(conn, a, r, built_at=built_at)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def flag_columns(today: date, intervals: dict[str, int], dormant_days: int) -> list:
    """Each client's FLAG_MEASURES (0/1) on ``today`` under these settings: the live pages' expressions."""
    overdue = q._overdue_expr(today, intervals)
    return [case((overdue, 1), else_=0).label("overdue_visit"),
            case((and_(overdue, q.C.c.status != "closed"), 1), else_=0).label("overdue_open"),
            case((q._dormant_expr(today, dormant_days), 1), else_=0).label("dormant")]


def rebuild_flags(conn: Connection, a: q.AsOf, r: q.Rules, *, built_at: datetime | None = None) -> dict[str, int]:
    """Recompute portfolio_book_flags for ``a.today`` and ``r`` inside ``conn``'s transaction (one scan of
    clients): what the nightly job does when only the day changed."""
    serialise(conn, LOCK_PORTFOLIO_FLAGS)  # a contact being logged finishes its adjustment first, or waits
    conn.execute(delete(q.FR))
    conn.execute(delete(q.FS))
    C = q.C
    dims = [C.c[d] for d in q.BOOK_DIMS]
    sel = (select(GROUP, *dims, *[func.sum(col.element) for col in flag_columns(a.today, r.intervals, r.dormant_days)])
           .group_by(*dims))
    conn.execute(insert(q.FR).from_select(["grain", *q.BOOK_DIMS, *FLAG_MEASURES], sel))
    _book_grain(conn, q.FR, [], list(FLAG_MEASURES))
    conn.execute(insert(q.FS).values(id=1, today=a.today, visit_interval_days=q.intervals_json(r.intervals),
                                     dormant_days=r.dormant_days,
                                     clients=conn.execute(select(func.count()).select_from(C)).scalar_one(),
                                     built_at=built_at or _now()))
    return {"flag_rows": conn.execute(select(func.count()).select_from(q.FR)).scalar_one()}


def _eq(col, value):
    return col.is_(None) if value is None else col == value


@contextmanager
def flags_follow(conn: Connection, client_id: int) -> Iterator[None]:
    """Keep portfolio_book_flags exact across a change of one client's ``last_contact_at`` made inside the
    block (in ``conn``'s transaction, the client's row already locked): the client's flags as of the state's
    day and settings before and after, and the difference added to its group row and its book row.

    ``UPDATE ... SET n = n + d`` lets two contacts of one group land side by side on PostgreSQL; a shared
    lock keeps a rebuild (exclusive) from running between. A client without its rows (not there at the
    last build) leaves the state dropped: the pages count live until the next rebuild."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_PORTFOLIO_FLAGS})
    state = conn.execute(select(q.FS.c.today, q.FS.c.visit_interval_days, q.FS.c.dormant_days)
                         .where(q.FS.c.id == 1)).first()
    if state is None:
        yield
        return
    C = q.C
    sel = (select(*[C.c[d] for d in q.BOOK_DIMS],
                  *flag_columns(state.today, json.loads(state.visit_interval_days), state.dormant_days))
           .where(C.c.id == client_id))
    before = conn.execute(sel).mappings().one()
    yield
    after = conn.execute(sel).mappings().one()
    delta = {m: after[m] - before[m] for m in FLAG_MEASURES}
    if any(before[d] != after[d] for d in q.BOOK_DIMS):
        conn.execute(delete(q.FS))  # the client changed group: not what this adjusts (the data load rebuilds)
        return
    if not any(delta.values()):
        return
    for grain, keys in (("group", q.BOOK_DIMS), ("book", ("rm_id", "tier"))):
        res = conn.execute(update(q.FR).where(q.FR.c.grain == grain, *[_eq(q.FR.c[k], before[k]) for k in keys])
                           .values({m: q.FR.c[m] + delta[m] for m in FLAG_MEASURES}))
        if res.rowcount != 1:
            conn.execute(delete(q.FS))
            return


def rebuild_for_today(engine: Engine, today: date, *, if_stale: bool = False) -> dict[str, float] | None:
    """Rebuild for the bank's today and the current settings. ``if_stale``: only what is not ready — nothing,
    the flags alone (a new day: one scan of clients), or everything (a new quarter, month-end or setting)."""
    a = q.as_of(engine, today)
    r = q.load_rules(engine)
    with engine.begin() as conn:
        static_ready = q.rollup_ready(conn, a, r)
        if if_stale and static_ready and q.flags_ready(conn, a, r):
            return None
        t0 = time.perf_counter()
        counts = rebuild_flags(conn, a, r) if if_stale and static_ready else rebuild(conn, a, r)
    return {**counts, "seconds": round(time.perf_counter() - t0, 2)}
