"""The monthly report's rollup (``complaint_month_rollup``): the report's counts per month, dimension
value and scope cell, so a report reads a few thousand small rows instead of the month's ~170k
complaints.

Grain: month (of ``accepted_at`` in the bank's zone) × dimension (the six of the report, and '*' for
the month's totals) × value (``ref_id``: the product id / handling user, resolved to today's names
when read) × scope cell (``team_id``, ``subject_agent_id``, ``unassigned`` — exactly the columns
``scope.clause`` tests, so a team lead's figures come from the same rows). Measures are those of
``report._measures``.

Exactness:
- a month is built in one statement from the raw rows (``build_month``; a '#built' row with the
  zone marks it); a month the report needs and finds unbuilt is built on demand;
- every write to a complaint goes through ``lib.complaints.service`` / ``escalation`` /
  ``importer``: they call ``before_change`` before updating a complaint (its current contribution
  is taken off) and ``changed`` once done (the contribution of the changed complaints is added
  back, then ``complaints_changed`` is emitted), in the writer's transaction. New complaints are
  only added. A month found out of step is dropped and rebuilt when next read.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import (
    Engine,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from db.models import Agent, Complaint, ComplaintMonthRollup
from lib import events
from lib.calendar import to_local
from lib.complaints import scope

C = Complaint.__table__.c
R = ComplaintMonthRollup.__table__
RC = R.c
BUILT = "#built"
TOTAL = "*"
KEYS = ["month", "dim", "value", "ref_id", "team_id", "subject_agent_id", "unassigned"]


def _measures():
    from lib.complaints.report import _measures as m

    return m()


def measure_names() -> list[str]:
    from lib.complaints.report import MEASURES

    return list(MEASURES)


def _dim_cols(dim: str):
    """(value, ref_id) of a raw complaint for one dimension."""
    none_s, none_i = cast(null(), String(128)), cast(null(), Integer)
    if dim == "product":
        return C.product_text, C.product_id
    if dim == "handler":
        return none_s, C.assigned_to
    if dim == TOTAL:
        return none_s, none_i
    return getattr(C, dim), none_i


def _contribution(month: str, conds: list):
    """SELECT of the rollup rows (KEYS + measures) that the complaints matching ``conds`` make up."""
    from lib.complaints.report import DIMENSIONS

    parts = []
    unassigned = C.assigned_to.is_(None)
    for dim in (*DIMENSIONS, TOTAL):
        value, ref = _dim_cols(dim)
        keys = [k for k, real in ((value, dim not in ("handler", TOTAL)), (ref, dim in ("product", "handler")))
                if real] + [C.team_id, C.subject_agent_id, unassigned]
        parts.append(select(literal(month).label("month"), literal(dim).label("dim"), value.label("value"),
                            ref.label("ref_id"), C.team_id.label("team_id"),
                            C.subject_agent_id.label("subject_agent_id"), unassigned.label("unassigned"),
                            *_measures())
                     .where(*conds).group_by(*keys))
    return union_all(*parts)


def _bounds(month: str, tz: str):
    from lib.complaints.report import month_bounds

    return month_bounds(month, tz)


def built_months(conn, months: Iterable[str], tz: str) -> set[str]:
    months = list(months)
    if not months:
        return set()
    return set(conn.execute(select(RC.month).where(RC.dim == BUILT, RC.value == tz, RC.month.in_(months)))
               .scalars())


def build_month(conn, month: str, tz: str) -> None:
    """(Re)build one month from the raw complaints, inside the caller's transaction."""
    start, end = _bounds(month, tz)
    conn.execute(delete(R).where(RC.month == month))
    sel = _contribution(month, [C.accepted_at >= start, C.accepted_at < end]).subquery()
    cols = [*KEYS, *measure_names()]
    ordered = select(*[sel.c[k] for k in cols]).order_by(*[sel.c[k] for k in KEYS[1:]])
    conn.execute(insert(R).from_select(cols, ordered))
    conn.execute(insert(R).values(month=month, dim=BUILT, value=tz, unassigned=False,
                                  **{m: 0 for m in measure_names()}))


def all_months(conn, tz: str) -> list[str]:
    lo, hi = conn.execute(select(func.min(C.accepted_at), func.max(C.accepted_at))).one()
    if lo is None:
        return []
    a, b = to_local(lo, tz), to_local(hi, tz)
    out, y, m = [], a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build_all(conn, tz: str, *, only_missing: bool = False) -> list[str]:
    """Build every month that has complaints (or only those not built for ``tz``); returns the months built.
    Rows built for another zone are dropped."""
    conn.execute(delete(R).where(RC.month.not_in(
        select(RC.month).where(RC.dim == BUILT, RC.value == tz).scalar_subquery())))
    months = all_months(conn, tz)
    if only_missing:
        have = built_months(conn, months, tz)
        months = [m for m in months if m not in have]
    for m in months:
        build_month(conn, m, tz)
    return months


def ensure_months(engine: Engine, months: Iterable[str], tz: str) -> None:
    """Build the months the report needs that are not built yet (on demand)."""
    months = list(months)
    with engine.connect() as conn:
        missing = [m for m in months if m not in built_months(conn, months, tz)]
    for m in missing:
        try:
            with engine.begin() as conn:
                if m not in built_months(conn, [m], tz):
                    build_month(conn, m, tz)
        except IntegrityError:  # another session built it at the same time (one '#built' row a month)
            pass


def build(engine: Engine, today=None):
    """For the bench's ``derived_builders``: build the months that are missing; None when nothing was."""
    from lib import settings as settings_mod

    tz = settings_mod.load(engine)["ui.timezone"]
    with engine.begin() as conn:
        done = build_all(conn, tz, only_missing=True)
    return done or None


# --- keeping it current ------------------------------------------------------------------------

# complaint ids taken off the rollup in a transaction and not yet added back (per transaction)
_PENDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tz(conn) -> str:
    from lib import settings as settings_mod

    return settings_mod.load(conn.engine)["ui.timezone"]


def _contributions(conn, ids: list[int], tz: str) -> list[dict]:
    """The rollup rows (keys and measures) complaints ``ids`` make up now, in months built for ``tz``."""
    by_month: dict[str, list[int]] = defaultdict(list)
    for cid, acc in conn.execute(select(C.id, C.accepted_at).where(C.id.in_(ids))).all():
        by_month[f"{to_local(acc, tz):%Y-%m}"].append(cid)
    have = built_months(conn, by_month, tz)
    out: list[dict] = []
    for month, mids in by_month.items():
        if month in have:  # ids only (their month is known): the primary key, not the month's range
            out += [dict(r) for r in conn.execute(_contribution(month, [C.id.in_(mids)])).mappings()]
    return out


def _state(conn) -> dict | None:
    tx = conn.get_transaction()
    if tx is None:
        return None
    return _PENDING.setdefault(tx, {"ids": set(), "delta": {}})


def _add(delta: dict, rows: list[dict], sign: int) -> None:
    names = measure_names()
    for r in rows:
        k = tuple(bool(r[c]) if c == "unassigned" else r[c] for c in KEYS)
        d = delta.setdefault(k, [0] * len(names))
        for i, m in enumerate(names):
            d[i] += sign * int(r[m] or 0)


def _flush(conn, delta: dict) -> None:
    """Apply the net change per rollup row: most writes move a few counts within the same rows."""
    names = measure_names()
    todo = {k: d for k, d in delta.items() if any(d)}
    delta.clear()
    if not todo:
        return
    by_month: dict[str, list] = defaultdict(list)
    for k, d in todo.items():
        by_month[k[0]].append((k, d))
    upd = (update(R).where(RC.id == bindparam("rid"))
           .values(**{m: RC[m] + bindparam("d_" + m) for m in names}))
    for month, items in by_month.items():
        # the ids of the rows that exist, then one executemany by id (a NULL-safe match on the keys
        # cannot use an index on PostgreSQL)
        if len(items) > 30:
            cond = [RC.month == month]
        else:  # a few rows: those of their dimensions and subject agents
            agents = {k[5] for k, _d in items}
            by_agent = RC.subject_agent_id.in_(sorted(a for a in agents if a is not None))
            cond = [RC.month == month, RC.dim.in_(sorted({k[1] for k, _d in items})),
                    or_(by_agent, RC.subject_agent_id.is_(None)) if None in agents else by_agent]
        existing = {tuple(bool(v) if c == "unassigned" else v for c, v in zip(KEYS, r[1:], strict=True)): r[0]
                    for r in conn.execute(select(RC.id, *[RC[k] for k in KEYS]).where(*cond))}
        present = [(existing[k], d) for k, d in items if k in existing]
        absent = [(k, d) for k, d in items if k not in existing]
        if present:
            conn.execute(upd, [{"rid": rid, **{"d_" + m: x for m, x in zip(names, d, strict=True)}}
                               for rid, d in present])
        if any(d[0] <= 0 for _k, d in absent):  # out of step (a write that bypassed before_change / changed)
            conn.execute(delete(R).where(RC.month == month))  # the month is rebuilt when next read
            continue
        if absent:
            conn.execute(insert(R), [{**dict(zip(KEYS, k, strict=True)), **dict(zip(names, d, strict=True))}
                                     for k, d in absent])
        if any(d[0] < 0 for _k, d in items):
            # rows left empty (all counts zero; a row two writers created at once may hold a negative
            # share of a key whose other row holds the rest: the sums stay right, so it stays)
            conn.execute(delete(R).where(RC.month == month, RC.dim != BUILT, *[RC[m] == 0 for m in names]))


def before_change(conn, ids: Iterable[int]) -> None:
    """Call before updating complaints ``ids`` (in the same transaction): their current contribution
    is noted to be taken off; ``changed`` (or ``after_change``) then applies the net difference."""
    st = _state(conn)
    if st is None:
        return
    todo = sorted({int(i) for i in ids} - st["ids"])
    if not todo:
        return
    tz = _tz(conn)
    for i in range(0, len(todo), 500):
        _add(st["delta"], _contributions(conn, todo[i:i + 500], tz), -1)
    st["ids"].update(todo)


def after_change(conn, ids: Iterable[int]) -> None:
    """After inserting or updating complaints ``ids`` (same transaction): the rollup gets the net change."""
    ids = sorted({int(i) for i in ids if i is not None})
    st = _state(conn)
    if not ids or st is None:
        return
    tz = _tz(conn)
    for i in range(0, len(ids), 500):
        _add(st["delta"], _contributions(conn, ids[i:i + 500], tz), +1)
    st["ids"].difference_update(ids)
    _flush(conn, st["delta"])


def changed(conn, ids: Iterable[int]) -> None:
    """What every complaint writer calls once its changes are made: the rollup is brought up to date
    (directly, so it never depends on who listens), then ``complaints_changed`` goes to the other
    areas' listeners (the KPI rollups)."""
    ids = list(ids)
    after_change(conn, ids)
    events.emit("complaints_changed", conn, complaint_ids=ids)


# --- reading -------------------------------------------------------------------------------------

def scope_clause(user):
    """``scope.clause`` on the rollup's scope cell."""
    from sqlalchemy import false, or_, true

    if scope.sees_all(user):
        return true()
    if "team_lead" in user.roles:
        teams = list(user.led_team_ids) or ([user.team_id] if user.team_id else [])
        if not teams:
            return RC.unassigned.is_(True)
        return or_(RC.team_id.in_(teams),
                   RC.subject_agent_id.in_(select(Agent.id).where(Agent.team_id.in_(teams)).scalar_subquery()),
                   RC.unassigned.is_(True))
    return false()


def sums():
    return [func.sum(RC[m]).label(m) for m in measure_names()]
