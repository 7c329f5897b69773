"""Book figures and flags in SQL, always limited by the viewer's scope.

One per-client query (``client_figures``) computes each client's key figures
and the six flags of domain.md §1; the book list pages through it, the
overview aggregates it GROUP BY rm_id, and the flag counts come from it, so
the three can never disagree. Every function takes a ``Scope`` and adds
``scope_condition`` to every statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import (
    Engine,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from db.models import (
    Balance,
    Client,
    Contact,
    CreditLine,
    Holding,
    Loan,
    LoanClassification,
    PortfolioBookBalances,
    PortfolioBookFlags,
    PortfolioBookMigration,
    PortfolioBookRollup,
    PortfolioClientFigures,
    PortfolioFlagState,
    PortfolioRollupState,
    PortfolioWorseLoan,
    Product,
    RelationshipManager,
)
from lib import settings as settings_mod
from lib.portfolio import rules
from lib.portfolio.scope import Scope, scope_condition

C = Client.__table__
B = Balance.__table__
H = Holding.__table__
P = Product.__table__
L = Loan.__table__
LC = LoanClassification.__table__
CL = CreditLine.__table__
CT = Contact.__table__
RM = RelationshipManager.__table__
# precomputed book figures (lib/portfolio/rollup.py builds them)
RS = PortfolioRollupState.__table__
PCF = PortfolioClientFigures.__table__
BR = PortfolioBookRollup.__table__
BB = PortfolioBookBalances.__table__
BM = PortfolioBookMigration.__table__
WL = PortfolioWorseLoan.__table__
# the two flags that move with the calendar, for one day (rollup.rebuild_flags builds them)
FS = PortfolioFlagState.__table__
FR = PortfolioBookFlags.__table__
BOOK_DIMS = ("rm_id", "tier", "client_type", "industry", "credit_rating")
# the static figures of a client (everything but the flags that move with today's date)
STATIC_FIGURES = ("deposits_fen", "loans_fen", "npl_fen", "wealth_fen", "credit_granted_fen", "credit_used_fen",
                  "interest_fen", "fee_fen", "products", "max_dpd", "worst_class_rank", "single_product", "past_due",
                  "worse_class", "near_limit")


@dataclass(frozen=True)
class Filters:
    """Filters of the overview and the book (None = any). Plain values: usable as a cache key."""

    branch: str | None = None
    grade: str | None = None
    tier: str | None = None
    industry: str | None = None
    rating: str | None = None
    client_type: str | None = None
    rm_id: int | None = None  # one book


@dataclass(frozen=True)
class AsOf:
    """The dates every figure refers to."""

    today: date
    period_start: date
    month_end: date | None  # latest month-end balance on or before today
    period: str = "quarter"


@dataclass(frozen=True)
class Rules:
    """The settings the flags use (read once per request from lib.settings)."""

    visit_interval_days: tuple[tuple[str, int], ...]
    dormant_days: int
    near_limit_pct: int
    follow_up_days: int

    @property
    def intervals(self) -> dict[str, int]:
        return dict(self.visit_interval_days)


def load_rules(engine: Engine) -> Rules:
    return rules_from(settings_mod.load(engine))


def rules_from(s) -> Rules:
    """The flag settings out of a settings mapping (lib.settings.load or defaults)."""
    return Rules(
        visit_interval_days=tuple(sorted((k, int(v)) for k, v in s["portfolio.visit_interval_days"].items())),
        dormant_days=int(s["portfolio.dormant_days"]),
        near_limit_pct=int(s["portfolio.credit_near_limit_pct"]),
        follow_up_days=int(s["portfolio.follow_up_days"]),
    )


def as_of(engine_or_conn, today: date, period: str = "quarter") -> AsOf:
    """The dates for ``today``; takes an engine or an open connection (the seed's transaction)."""
    start, _ = rules.period_bounds(today, period)
    stmt = select(func.max(B.c.as_of)).where(B.c.as_of <= today)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            me = conn.execute(stmt).scalar()
    else:
        me = engine_or_conn.execute(stmt).scalar()
    return AsOf(today=today, period_start=start, month_end=me, period=period)


# --- building blocks --------------------------------------------------------------------------

def _rank(col):
    return case({c: i for i, c in enumerate(rules.LOAN_CLASSES)}, value=col, else_=0)


def client_conditions(scope: Scope, f: Filters | None = None) -> list:
    """The scope condition first, then the filters; every client query uses these."""
    return [scope_condition(scope, C), *_filter_conditions(C, f or Filters())]


def _filter_conditions(t, f: Filters) -> list:
    """The filters on ``t``: clients, or a rollup table with the same column names (BOOK_DIMS)."""
    conds = []
    for value, col in ((f.rm_id, "rm_id"), (f.tier, "tier"), (f.industry, "industry"), (f.rating, "credit_rating"),
                       (f.client_type, "client_type")):
        if value is not None and value != "":
            conds.append(t.c[col] == value)
    if f.branch or f.grade:
        rm_q = select(RM.c.id)
        if f.branch:
            rm_q = rm_q.where(RM.c.branch == f.branch)
        if f.grade:
            rm_q = rm_q.where(RM.c.grade == f.grade)
        conds.append(t.c.rm_id.in_(rm_q))
    return conds


def _start_class(conds: list, a: AsOf):
    """Each loan's worst class on its last review before the period began (subquery: loan_id, start_rank)."""
    last = (
        select(LC.c.loan_id, func.max(LC.c.as_of).label("m"))
        .select_from(LC.join(L, L.c.id == LC.c.loan_id).join(C, C.c.id == L.c.client_id))
        .where(LC.c.as_of < a.period_start, *conds)
        .group_by(LC.c.loan_id)
        .subquery("lc_last")
    )
    return (
        select(LC.c.loan_id, func.max(_rank(LC.c.classification)).label("start_rank"))
        .select_from(LC.join(last, and_(LC.c.loan_id == last.c.loan_id, LC.c.as_of == last.c.m)))
        .group_by(LC.c.loan_id)
        .subquery("lc_start")
    )


def _overdue_expr(today: date, intervals: dict[str, int]):
    """Overdue for a visit on ``today`` (rules.visit_overdue in SQL); reads only today and the intervals."""
    cut = case({t: rules.visit_cutoff(today, t, intervals) for t in intervals}, value=C.c.tier, else_=None)
    return or_(C.c.last_contact_at.is_(None), C.c.last_contact_at < cut)


def _dormant_expr(today: date, dormant_days: int):
    """Dormant on ``today`` (rules.is_dormant in SQL); reads only today and the dormant days."""
    cut_d = today - timedelta(days=dormant_days)
    cut_t = datetime.combine(cut_d, datetime.min.time())
    return and_(or_(C.c.last_contact_at.is_(None), C.c.last_contact_at < cut_t),
                or_(C.c.last_txn_on.is_(None), C.c.last_txn_on < cut_d))


def rollup_key(a: AsOf, r: Rules) -> tuple:
    """What the precomputed figures depend on besides the data: the period, its start, the month-end, a setting."""
    return (a.period, a.period_start, a.month_end, r.near_limit_pct)


def rollup_ready(conn, a: AsOf, r: Rules) -> bool:
    """Whether the precomputed figures were built for exactly these dates and settings."""
    row = conn.execute(select(RS.c.period, RS.c.period_start, RS.c.month_end, RS.c.near_limit_pct)
                       .where(RS.c.id == 1)).first()
    return row is not None and tuple(row) == rollup_key(a, r)


def _use_rollup(conn, a: AsOf, r: Rules, use: bool | None) -> bool:
    """``use``: None = when ready (pages), False = always live, True = required (tests)."""
    if use is False:
        return False
    ok = rollup_ready(conn, a, r)
    if use and not ok:
        raise RuntimeError("the portfolio rollup is not built for these dates: run python -m db portfolio-rollup")
    return ok


def rollup_conditions(t, scope: Scope, f: Filters | None = None) -> list:
    """client_conditions for a rollup table ``t`` keyed by BOOK_DIMS: the grain first (per book and tier
    unless a filter needs the client type, industry or rating), then the scope, then the filters."""
    f = f or Filters()
    grain = "group" if (f.industry or f.rating or f.client_type) else "book"
    return [t.c.grain == grain, true() if scope.rm_id is None else t.c.rm_id == scope.rm_id,
            *_filter_conditions(t, f)]


def _live_flags(a: AsOf, r: Rules) -> list:
    return [
        case((_overdue_expr(a.today, r.intervals), 1), else_=0).label("overdue_visit"),
        case((_dormant_expr(a.today, r.dormant_days), 1), else_=0).label("dormant"),
    ]


def intervals_json(intervals: dict[str, int]) -> str:
    """The visit intervals as portfolio_flag_state records them (keys sorted)."""
    return json.dumps({k: int(v) for k, v in intervals.items()}, sort_keys=True, separators=(",", ":"))


def flag_key(a: AsOf, r: Rules) -> tuple:
    """What the two flags that move with the calendar depend on besides the data: the day and two settings."""
    return (a.today, intervals_json(r.intervals), r.dormant_days)


def flags_ready(conn, a: AsOf, r: Rules) -> bool:
    """Whether portfolio_book_flags holds the flags of exactly this day and these settings."""
    row = conn.execute(select(FS.c.today, FS.c.visit_interval_days, FS.c.dormant_days).where(FS.c.id == 1)).first()
    return row is not None and tuple(row) == flag_key(a, r)


# The flag counts the pages show, as (portfolio_book_flags' measure, key tiers only) and, counted live,
# (flag's index family, extra condition). "key_overdue_open" leaves closed clients out (the list of key
# clients overdue for a visit does).
_FLAG_TOTALS = {
    "overdue_visit": ("overdue_visit", False, "overdue", None),
    "key_overdue": ("overdue_visit", True, "overdue", None),
    "key_overdue_open": ("overdue_open", True, "overdue", "open"),
    "dormant": ("dormant", False, "dormant", None),
}


def flag_totals(conn, scope: Scope, f: Filters | None, a: AsOf, r: Rules, names: tuple[str, ...], *,
                use_rollup: bool | None = None) -> dict[str, dict]:
    """Clients per RM for each flag count of ``names`` (see _FLAG_TOTALS): from portfolio_book_flags while
    it holds today's flags under the current settings, counted live from the clients' indexes otherwise."""
    if use_rollup is not False and flags_ready(conn, a, r):
        cols = []
        for n in names:
            measure, key_only, _, _ = _FLAG_TOTALS[n]
            col = case((FR.c.tier.in_(rules.KEY_TIERS), FR.c[measure]), else_=0) if key_only else FR.c[measure]
            cols.append(func.sum(col).label(n))
        rows = conn.execute(select(FR.c.rm_id, *cols).where(*rollup_conditions(FR, scope, f))
                            .group_by(FR.c.rm_id)).mappings().all()
        return {n: {x["rm_id"]: int(x[n] or 0) for x in rows} for n in names}
    out = {}
    for n in names:
        _, key_only, family, extra = _FLAG_TOTALS[n]
        conds = client_conditions(scope, f) + ([C.c.status != "closed"] if extra == "open" else [])
        terms = dormant_terms(a, r) if family == "dormant" else key_overdue_terms(
            a, r, rules.KEY_TIERS if key_only else tuple(rules.TIERS))
        out[n] = _count_per_rm(conn, conds, terms, _flag_index(family, scope, f))
    return out


def _client_columns() -> list:
    return [C.c.id, C.c.client_no, C.c.name, C.c.client_type, C.c.tier, C.c.credit_rating, C.c.industry, C.c.rm_id,
            C.c.branch, C.c.acquisition_channel, C.c.acquired_on, C.c.status, C.c.last_contact_at, C.c.last_txn_on]


def _figures_from_rollup(scope: Scope, f: Filters | None, a: AsOf, r: Rules) -> Select:
    """client_figures read from portfolio_client_figures: the same columns, in the same order."""
    z = literal(0)
    static = {k: (PCF.c[k] if k == "worst_class_rank" else func.coalesce(PCF.c[k], z)).label(k)
              for k in STATIC_FIGURES}
    flags = dict(zip(("overdue_visit", "dormant"), _live_flags(a, r), strict=True))
    order = ["deposits_fen", "loans_fen", "npl_fen", "wealth_fen", "credit_granted_fen", "credit_used_fen",
             "interest_fen", "fee_fen", "products", "max_dpd", "worst_class_rank", "overdue_visit", "dormant",
             "single_product", "past_due", "worse_class", "near_limit"]
    cols = _client_columns() + [static.get(k, flags.get(k)) for k in order]
    return (select(*cols).select_from(C.outerjoin(PCF, PCF.c.client_id == C.c.id))
            .where(*client_conditions(scope, f)))


def client_figures(scope: Scope, f: Filters | None, a: AsOf, r: Rules, *, rollup: bool = False,
                   extra: list | None = None) -> Select:
    """One row per client in scope: key figures and the six flags (0/1).

    ``rollup``: read the static figures from portfolio_client_figures (the caller checked
    ``rollup_ready``) instead of computing them from balances, loans and credit lines.
    ``extra``: further conditions on clients (only with ``rollup``)."""
    if rollup:
        return _figures_from_rollup(scope, f, a, r).where(*(extra or []))
    conds = client_conditions(scope, f)
    bal = (
        select(
            B.c.client_id,
            func.sum(case((P.c.category.in_(rules.DEPOSIT_CATEGORIES), B.c.balance_fen), else_=0)).label("dep"),
            func.sum(case((P.c.category == "wealth", B.c.balance_fen), else_=0)).label("wealth"),
        )
        .select_from(B.join(H, H.c.id == B.c.holding_id).join(P, P.c.id == H.c.product_id)
                     .join(C, C.c.id == B.c.client_id))
        .where(B.c.as_of == a.month_end if a.month_end else false(), *conds)
        .group_by(B.c.client_id)
        .subquery("bal")
    )
    inc = (
        select(B.c.client_id, func.sum(B.c.interest_income_fen).label("interest"),
               func.sum(B.c.fee_income_fen).label("fee"))
        .select_from(B.join(C, C.c.id == B.c.client_id))
        .where(B.c.as_of >= a.period_start, B.c.as_of <= a.today, *conds)
        .group_by(B.c.client_id)
        .subquery("inc")
    )
    prods = (
        select(H.c.client_id, func.count(func.distinct(H.c.product_id)).label("n"))
        .select_from(H.join(C, C.c.id == H.c.client_id))
        .where(H.c.closed_on.is_(None), *conds)
        .group_by(H.c.client_id)
        .subquery("prods")
    )
    start = _start_class(conds, a)
    worse = case((_rank(L.c.classification) > func.coalesce(start.c.start_rank, _rank(L.c.classification)), 1),
                 else_=0)
    lo = (
        select(L.c.client_id, func.sum(L.c.outstanding_fen).label("out"), func.max(L.c.days_past_due).label("dpd"),
               func.max(_rank(L.c.classification)).label("worst"), func.max(worse).label("worse"),
               func.sum(case((L.c.classification.in_(rules.NPL_CLASSES), L.c.outstanding_fen), else_=0)).label("npl"))
        .select_from(L.join(C, C.c.id == L.c.client_id).outerjoin(start, start.c.loan_id == L.c.id))
        .where(*conds)
        .group_by(L.c.client_id)
        .subquery("lo")
    )
    near = case((CL.c.used_fen * 100 >= CL.c.granted_fen * r.near_limit_pct, 1), else_=0)
    cl = (
        select(CL.c.client_id, func.sum(CL.c.granted_fen).label("granted"), func.sum(CL.c.used_fen).label("used"),
               func.max(near).label("near"))
        .select_from(CL.join(C, C.c.id == CL.c.client_id))
        .where(CL.c.status == "active", CL.c.granted_fen > 0, *conds)
        .group_by(CL.c.client_id)
        .subquery("cl")
    )
    z = literal(0)
    n_prod = func.coalesce(prods.c.n, z)
    cols = _client_columns() + [
        func.coalesce(bal.c.dep, z).label("deposits_fen"),
        func.coalesce(lo.c.out, z).label("loans_fen"),
        func.coalesce(lo.c.npl, z).label("npl_fen"),
        func.coalesce(bal.c.wealth, z).label("wealth_fen"),
        func.coalesce(cl.c.granted, z).label("credit_granted_fen"),
        func.coalesce(cl.c.used, z).label("credit_used_fen"),
        func.coalesce(inc.c.interest, z).label("interest_fen"),
        func.coalesce(inc.c.fee, z).label("fee_fen"),
        n_prod.label("products"),
        func.coalesce(lo.c.dpd, z).label("max_dpd"),
        lo.c.worst.label("worst_class_rank"),
        *_live_flags(a, r),
        case((n_prod == 1, 1), else_=0).label("single_product"),
        case((func.coalesce(lo.c.dpd, z) > 0, 1), else_=0).label("past_due"),
        case((func.coalesce(lo.c.worse, z) == 1, 1), else_=0).label("worse_class"),
        case((func.coalesce(cl.c.near, z) == 1, 1), else_=0).label("near_limit"),
    ]
    return (
        select(*cols)
        .select_from(C.outerjoin(bal, bal.c.client_id == C.c.id).outerjoin(inc, inc.c.client_id == C.c.id)
                     .outerjoin(prods, prods.c.client_id == C.c.id).outerjoin(lo, lo.c.client_id == C.c.id)
                     .outerjoin(cl, cl.c.client_id == C.c.id))
        .where(*conds)
    )


BOOK_SORTS = ("name", "tier", "credit_rating", "deposits_fen", "loans_fen", "wealth_fen", "fee_fen", "products",
              "max_dpd", "last_contact_at", "acquired_on")
_TIER_ORDER = {t: i for i, t in enumerate(rules.TIERS)}


def tier_rank(col):
    """0 = key ... 3 = ordinary (the book's default order)."""
    return case(_TIER_ORDER, value=col, else_=9)


def book_page(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules, *, flag: str | None = None,
              search: str | None = None, sort: str = "tier", descending: bool = False, limit: int = 50,
              offset: int = 0, use_rollup: bool | None = None) -> tuple[pd.DataFrame, int]:
    """One page of a book's clients with figures and flags, and the total matching."""
    with engine.connect() as conn:
        return _book_page(conn, scope, f, a, r, flag, search, sort, descending, limit, offset,
                          _use_rollup(conn, a, r, use_rollup))


_LIVE_FLAGS = ("overdue_visit", "dormant")


def _flag_terms(flag: str, a: AsOf, r: Rules) -> list:
    return key_overdue_terms(a, r, tuple(rules.TIERS)) if flag == "overdue_visit" else dormant_terms(a, r)


def _book_page(conn, scope, f, a, r, flag, search, sort, descending, limit, offset, rollup):
    if flag and flag not in rules.FLAG_NAMES:
        raise ValueError(f"unknown flag {flag!r}")
    if sort not in BOOK_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    searching = bool(search and search.strip())
    extra = []
    if rollup and flag in _LIVE_FLAGS:
        # the live flag as index ranges on clients, so that only flagged clients are computed
        extra.append(or_(*_flag_terms(flag, a, r)))
    figs = client_figures(scope, f, a, r, rollup=rollup, extra=extra).subquery("figs")
    q = select(figs)
    if flag:
        q = q.where(figs.c[flag] == 1)
    if searching:
        # bound parameters: metacharacters in the text are matched literally
        term = search.strip()
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(or_(figs.c.name.like(like, escape="\\"), figs.c.client_no.like(like, escape="\\")))
    if sort == "tier":
        key = tier_rank(figs.c.tier)
        order = [key.desc() if descending else key, figs.c.deposits_fen.desc()]
    else:
        col = figs.c[sort]
        order = [col.desc() if descending else col.asc()]
    if rollup and not searching and flag not in _LIVE_FLAGS:
        # the total from the rollup (a static flag is a column of it)
        col = func.sum(BR.c[flag] if flag else BR.c.clients)
        total = int(conn.execute(select(func.coalesce(col, 0)).where(*rollup_conditions(BR, scope, f))).scalar_one())
    elif rollup and not searching:
        total = sum(flag_totals(conn, scope, f, a, r, (flag,))[flag].values())
    else:
        total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    if rollup and not searching and sort == "tier" and not descending:
        # the default order of a book straight from the index (rm_id, tier_rank, deposits_fen) of the
        # precomputed figures, skipping clients without the flag: one page of ids, then those clients' rows
        flag_cond = []
        if flag in _LIVE_FLAGS:
            flag_cond = [or_(*_flag_terms(flag, a, r))]
        elif flag:
            flag_cond = [PCF.c[flag] == 1]
        ids = [x for (x,) in conn.execute(
            select(PCF.c.client_id).select_from(PCF.join(C, C.c.id == PCF.c.client_id))
            .where(*client_conditions(scope, f), PCF.c.rm_id == C.c.rm_id, *flag_cond)
            .order_by(PCF.c.rm_id, PCF.c.tier_rank, PCF.c.deposits_fen.desc(), PCF.c.client_id)
            .limit(limit).offset(offset))]
        if not ids:
            return _frame([], figs), total
        q = q.where(figs.c.id.in_(ids))
        rows = conn.execute(q.order_by(*order, figs.c.id)).mappings().all()
        return _frame(rows, figs), total
    rows = conn.execute(q.order_by(*order, figs.c.id).limit(limit).offset(offset)).mappings().all()
    return _frame(rows, figs), total


def book_all(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules, *,
             use_rollup: bool | None = None) -> pd.DataFrame:
    """A whole book (for the download). Requires one RM's book: never every client at once."""
    if f.rm_id is None and scope.rm_id is None:
        raise ValueError("a download is one book: choose an RM")
    with engine.connect() as conn:
        figs = client_figures(scope, f, a, r, rollup=_use_rollup(conn, a, r, use_rollup)).subquery("figs")
        rows = conn.execute(select(figs).order_by(figs.c.id)).mappings().all()
    return _frame(rows, figs)


def _frame(rows, sel) -> pd.DataFrame:
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in sel.c])


def flag_counts(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules, *,
                use_rollup: bool | None = None) -> dict[str, int]:
    with engine.connect() as conn:
        if _use_rollup(conn, a, r, use_rollup):
            return _flag_counts_rollup(conn, scope, f, a, r)
        figs = client_figures(scope, f, a, r).subquery("figs")
        q = select(func.count().label("clients"),
                   *[func.coalesce(func.sum(figs.c[k]), 0).label(k) for k in rules.FLAG_NAMES])
        row = conn.execute(q).mappings().one()
    return {k: int(v or 0) for k, v in row.items()}


def _flag_counts_rollup(conn, scope: Scope, f: Filters, a: AsOf, r: Rules) -> dict[str, int]:
    """The static flags summed from the book rollup, overdue visit and dormant from flag_totals."""
    row = conn.execute(select(func.coalesce(func.sum(BR.c.clients), 0).label("clients"),
                              *[func.coalesce(func.sum(BR.c[k]), 0).label(k) for k in _STATIC_FLAGS])
                       .where(*rollup_conditions(BR, scope, f))).mappings().one()
    out = {k: int(v) for k, v in row.items()}
    for name, per_rm in flag_totals(conn, scope, f, a, r, _LIVE_FLAGS).items():
        out[name] = sum(per_rm.values())
    return {k: out[k] for k in ("clients", *rules.FLAG_NAMES)}


# --- the manager's overview: every book side by side -------------------------------------------

def overview(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules, *,
             use_rollup: bool | None = None) -> pd.DataFrame:
    """One row per RM (aggregated in SQL, GROUP BY rm_id): the figures of §1 side by side."""
    with engine.connect() as conn:
        if _use_rollup(conn, a, r, use_rollup):
            rows = _overview_rollup(conn, scope, f, a, r)
        else:
            rows = _overview_live(conn, scope, f, a, r)
        rms = conn.execute(select(RM.c.id, RM.c.name, RM.c.grade, RM.c.branch)).mappings().all()
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=OVERVIEW_COLUMNS)
    rm = pd.DataFrame([dict(x) for x in rms]).rename(columns={"id": "rm_id", "name": "rm_name"})
    df = df.merge(rm, on="rm_id", how="left")
    num = [c for c in df.columns if c not in ("rm_name", "grade", "branch")]
    df[num] = df[num].fillna(0).astype("int64")
    income = df["interest_fen"] + df["fee_fen"]
    df["fee_share"] = (df["fee_fen"] / income.where(income > 0)).astype("float64")
    df["credit_used_share"] = (df["credit_used_fen"] / df["credit_granted_fen"].where(df["credit_granted_fen"] > 0)).astype("float64")
    df["products_per_client"] = (df["products"] / df["clients"].where(df["clients"] > 0)).astype("float64")
    df["npl_ratio"] = (df["npl_fen"] / df["loans_fen"].where(df["loans_fen"] > 0)).astype("float64")
    return df[OVERVIEW_COLUMNS]


_SUMMED = ("deposits_fen", "loans_fen", "npl_fen", "credit_granted_fen", "credit_used_fen", "wealth_fen",
           "interest_fen", "fee_fen", "products")
_STATIC_FLAGS = ("single_product", "past_due", "worse_class", "near_limit")


def _overview_live(conn, scope: Scope, f: Filters, a: AsOf, r: Rules) -> list[dict]:
    figs = client_figures(scope, f, a, r).subquery("figs")
    key_tier = figs.c.tier.in_(rules.KEY_TIERS)
    new = and_(figs.c.acquired_on >= a.period_start, figs.c.acquired_on <= a.today)
    q = (
        select(
            figs.c.rm_id,
            func.count().label("clients"),
            *[func.sum(case((figs.c.tier == t, 1), else_=0)).label(f"tier_{t}") for t in rules.TIERS],
            *[func.sum(figs.c[k]).label(k) for k in _SUMMED],
            func.sum(case((new, 1), else_=0)).label("new_clients"),
            func.sum(case((and_(key_tier, figs.c.overdue_visit == 1), 1), else_=0)).label("key_overdue"),
            func.sum(figs.c.dormant).label("dormant"),
            *[func.sum(figs.c[k]).label(k) for k in _STATIC_FLAGS],
        )
        .group_by(figs.c.rm_id)
    )
    rows = {x["rm_id"]: dict(x) for x in conn.execute(q).mappings()}
    for row in rows.values():
        row.update({f"loans_{c}_fen": 0 for c in rules.LOAN_CLASSES})
    cls = conn.execute(
        select(C.c.rm_id, L.c.classification, func.sum(L.c.outstanding_fen).label("out"))
        .select_from(L.join(C, C.c.id == L.c.client_id)).where(*client_conditions(scope, f))
        .group_by(C.c.rm_id, L.c.classification)
    ).all()
    for rm_id, c, out in cls:
        if rm_id in rows:
            rows[rm_id][f"loans_{c}_fen"] = int(out or 0)
    return list(rows.values())


def key_overdue_terms(a: AsOf, r: Rules, tiers: tuple[str, ...] = rules.KEY_TIERS) -> list:
    """"Client of one of ``tiers`` not contacted within its tier's interval" as disjoint conditions, each
    one range of the index (tier, last_contact_at, ...): never contacted, or last contact before the cutoff."""
    out = []
    for t in tiers:
        out.append(and_(C.c.tier == t, C.c.last_contact_at.is_(None)))
        if t not in r.intervals:
            continue  # no interval set: only a client never contacted is overdue (as _overdue_expr)
        out.append(and_(C.c.tier == t, C.c.last_contact_at < rules.visit_cutoff(a.today, t, r.intervals)))
    return out


def dormant_terms(a: AsOf, r: Rules) -> list:
    """_dormant_expr as four disjoint conditions, each one range of (last_txn_on, last_contact_at, rm_id)."""
    cut_d = a.today - timedelta(days=r.dormant_days)
    cut_t = datetime.combine(cut_d, datetime.min.time())
    txn = (C.c.last_txn_on.is_(None), C.c.last_txn_on < cut_d)
    contact = (C.c.last_contact_at.is_(None), C.c.last_contact_at < cut_t)
    return [and_(x, y) for x in txn for y in contact]


def key_overdue_condition(a: AsOf, r: Rules):
    return or_(*key_overdue_terms(a, r))


# Which index serves each live flag: across every book, or within one. SQLite is told (INDEXED BY):
# without statistics it prefers scanning (rm_id, tier) to avoid sorting the GROUP BY, and with them it
# picks a skip-scan; both read every client. PostgreSQL plans from its statistics.
_FLAG_INDEX = {("overdue", False): "ix_clients_tier_contact_rm", ("overdue", True): "ix_clients_rm_tier_contact",
               ("dormant", False): "ix_clients_txn_contact_rm", ("dormant", True): "ix_clients_rm_txn_contact"}


def _flag_index(flag: str, scope: Scope, f: Filters | None) -> str:
    one_book = scope.rm_id is not None or (f is not None and f.rm_id is not None)
    return _FLAG_INDEX[(flag, one_book)]


def _count_per_rm(conn, conds: list, terms: list, index: str) -> dict:
    """Clients per RM matching any of the disjoint ``terms``: one index-only count per term, summed."""
    parts = [select(C.c.rm_id, func.count().label("n")).where(*conds, term).group_by(C.c.rm_id)
             .with_hint(C, f"INDEXED BY {index}", dialect_name="sqlite") for term in terms]
    out: dict = {}
    for rm_id, n in conn.execute(union_all(*parts)):
        out[rm_id] = out.get(rm_id, 0) + int(n)
    return out


def _overview_rollup(conn, scope: Scope, f: Filters, a: AsOf, r: Rules) -> list[dict]:
    """The overview from portfolio_book_rollup; the two flags that move with the date from flag_totals."""
    q = (
        select(
            BR.c.rm_id,
            func.sum(BR.c.clients).label("clients"),
            *[func.sum(case((BR.c.tier == t, BR.c.clients), else_=0)).label(f"tier_{t}") for t in rules.TIERS],
            *[func.sum(BR.c[k]).label(k) for k in (*_SUMMED, "new_clients", *_STATIC_FLAGS)],
            *[func.sum(BR.c[f"loans_{c}_fen"]).label(f"loans_{c}_fen") for c in rules.LOAN_CLASSES],
        )
        .where(*rollup_conditions(BR, scope, f))
        .group_by(BR.c.rm_id)
    )
    rows = {x["rm_id"]: {**dict(x), "key_overdue": 0, "dormant": 0} for x in conn.execute(q).mappings()}
    for name, per_rm in flag_totals(conn, scope, f, a, r, ("key_overdue", "dormant")).items():
        for rm_id, n in per_rm.items():
            if rm_id in rows:
                rows[rm_id][name] = n
    return list(rows.values())


OVERVIEW_COLUMNS = (
    ["rm_id", "rm_name", "grade", "branch", "clients"] + [f"tier_{t}" for t in rules.TIERS]
    + ["deposits_fen", "loans_fen", "credit_granted_fen", "credit_used_fen", "credit_used_share", "wealth_fen",
       "interest_fen", "fee_fen", "fee_share", "products", "products_per_client", "new_clients", "key_overdue",
       "dormant", "single_product", "past_due", "worse_class", "near_limit", "npl_fen", "npl_ratio"]
    + [f"loans_{c}_fen" for c in rules.LOAN_CLASSES]
)


def new_clients_by_channel(engine: Engine, scope: Scope, f: Filters, a: AsOf) -> pd.DataFrame:
    q = (
        select(C.c.rm_id, C.c.acquisition_channel.label("channel"), func.count().label("clients"))
        .where(*client_conditions(scope, f), C.c.acquired_on >= a.period_start, C.c.acquired_on <= a.today)
        .group_by(C.c.rm_id, C.c.acquisition_channel)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    df = pd.DataFrame([dict(x) for x in rows], columns=["rm_id", "channel", "clients"])
    df["channel"] = df["channel"].fillna("unknown")
    return df


def composition(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules | None = None, *,
                use_rollup: bool | None = None) -> pd.DataFrame:
    """Latest month-end balances by client tier and product category (book composition)."""
    with engine.connect() as conn:
        if r is not None and _use_rollup(conn, a, r, use_rollup):
            q = (select(BB.c.tier, BB.c.category, func.sum(BB.c.balance_fen).label("balance_fen"))
                 .where(BB.c.as_of == a.month_end if a.month_end else false(), *rollup_conditions(BB, scope, f))
                 .group_by(BB.c.tier, BB.c.category))
        else:
            q = (
                select(C.c.tier, P.c.category, func.sum(B.c.balance_fen).label("balance_fen"))
                .select_from(B.join(H, H.c.id == B.c.holding_id).join(P, P.c.id == H.c.product_id)
                             .join(C, C.c.id == B.c.client_id))
                .where(B.c.as_of == a.month_end if a.month_end else false(), *client_conditions(scope, f))
                .group_by(C.c.tier, P.c.category)
            )
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(x) for x in rows], columns=["tier", "category", "balance_fen"])


def balance_trend(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules | None = None, *,
                  use_rollup: bool | None = None) -> pd.DataFrame:
    """Month-end balances by product category, with interest and fee income, month by month."""
    with engine.connect() as conn:
        if r is not None and _use_rollup(conn, a, r, use_rollup):
            # the rollup holds every month-end up to its own (= the latest on or before today)
            q = (select(BB.c.as_of, BB.c.category, func.sum(BB.c.balance_fen).label("balance_fen"),
                        func.sum(BB.c.interest_fen).label("interest_fen"), func.sum(BB.c.fee_fen).label("fee_fen"))
                 .where(BB.c.as_of <= a.today, *rollup_conditions(BB, scope, f))
                 .group_by(BB.c.as_of, BB.c.category))
        else:
            q = (
                select(B.c.as_of, P.c.category, func.sum(B.c.balance_fen).label("balance_fen"),
                       func.sum(B.c.interest_income_fen).label("interest_fen"),
                       func.sum(B.c.fee_income_fen).label("fee_fen"))
                .select_from(B.join(H, H.c.id == B.c.holding_id).join(P, P.c.id == H.c.product_id)
                             .join(C, C.c.id == B.c.client_id))
                .where(B.c.as_of <= a.today, *client_conditions(scope, f))
                .group_by(B.c.as_of, P.c.category)
            )
        rows = conn.execute(q).mappings().all()
    # sorted here, not in SQL: the result is small and an ORDER BY over the grouped scan costs a sort
    df = pd.DataFrame([dict(x) for x in rows], columns=["as_of", "category", "balance_fen", "interest_fen", "fee_fen"])
    return df.sort_values(["as_of", "category"], kind="stable").reset_index(drop=True)


def loan_migration(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules | None = None, *,
                   use_rollup: bool | None = None) -> pd.DataFrame:
    """Loans by class at the period's start × class now (count and outstanding): the migration matrix."""
    with engine.connect() as conn:
        if r is not None and _use_rollup(conn, a, r, use_rollup):
            q = (select(BM.c.from_class, BM.c.to_class, func.sum(BM.c.loans).label("loans"),
                        func.sum(BM.c.outstanding_fen).label("outstanding_fen"))
                 .where(*rollup_conditions(BM, scope, f)).group_by(BM.c.from_class, BM.c.to_class))
        else:
            q = migration_select(scope, f, a)
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(x) for x in rows], columns=["from_class", "to_class", "loans", "outstanding_fen"])


def migration_select(scope: Scope, f: Filters | None, a: AsOf, *dims, lead: tuple = ()) -> Select:
    """The migration matrix in SQL, grouped also by ``dims`` (client columns; the rollup's build uses them),
    after the constant columns ``lead``."""
    conds = client_conditions(scope, f)
    start = _start_class(conds, a)
    start_cls = case({i: c for i, c in enumerate(rules.LOAN_CLASSES)}, value=start.c.start_rank, else_="new")
    return (
        select(*lead, *dims, start_cls.label("from_class"), L.c.classification.label("to_class"),
               func.count().label("loans"), func.sum(L.c.outstanding_fen).label("outstanding_fen"))
        .select_from(L.join(C, C.c.id == L.c.client_id).outerjoin(start, start.c.loan_id == L.c.id))
        .where(*conds)
        .group_by(*dims, start_cls, L.c.classification)
    )


# --- attention lists ----------------------------------------------------------------------------

def key_clients_overdue(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules, *, limit: int = 50,
                        offset: int = 0, use_rollup: bool | None = None) -> tuple[pd.DataFrame, int]:
    """Key and large clients not contacted within their tier's interval, longest first (never contacted
    first), and how many (flag_totals). Each tier's never-contacted and overdue clients are read in
    index order, at most offset + limit of each, and merged: the cost follows the page, not the number
    overdue."""
    cols = ["id", "client_no", "name", "tier", "rm_id", "rm_name", "last_contact_at"]
    conds = [*client_conditions(scope, f), C.c.status != "closed"]
    terms = key_overdue_terms(a, r)
    want = offset + limit
    hint = f"INDEXED BY {_flag_index('overdue', scope, f)}"
    with engine.connect() as conn:
        total = sum(flag_totals(conn, scope, f, a, r, ("key_overdue_open",),
                                use_rollup=use_rollup)["key_overdue_open"].values())
        picked = []
        for term in terms:
            picked += conn.execute(
                select(C.c.id, C.c.last_contact_at).where(*conds, term)
                .with_hint(C, hint, dialect_name="sqlite")
                .order_by(C.c.last_contact_at, C.c.id).limit(want)
            ).all()
        picked.sort(key=lambda x: (x.last_contact_at is not None, x.last_contact_at or datetime.min, x.id))
        ids = [x.id for x in picked[offset:want]]
        rows = conn.execute(
            select(C.c.id, C.c.client_no, C.c.name, C.c.tier, C.c.rm_id, RM.c.name.label("rm_name"),
                   C.c.last_contact_at)
            .select_from(C.outerjoin(RM, RM.c.id == C.c.rm_id)).where(C.c.id.in_(ids))
        ).mappings().all() if ids else []
    order = {cid: i for i, cid in enumerate(ids)}
    df = pd.DataFrame([dict(x) for x in sorted(rows, key=lambda x: order[x["id"]])], columns=cols)
    return df, total


def worse_loans_select(scope: Scope, f: Filters | None, a: AsOf) -> Select:
    """Loans now in a worse class than at the start of the period, with that class (live)."""
    conds = client_conditions(scope, f)
    start = _start_class(conds, a)
    from_cls = case({i: c for i, c in enumerate(rules.LOAN_CLASSES)}, value=start.c.start_rank, else_=None)
    return (
        select(L.c.id, L.c.loan_no, L.c.client_id, C.c.name.label("client_name"), C.c.rm_id,
               RM.c.name.label("rm_name"), from_cls.label("from_class"), L.c.classification.label("to_class"),
               L.c.days_past_due, L.c.outstanding_fen)
        .select_from(L.join(C, C.c.id == L.c.client_id).join(start, start.c.loan_id == L.c.id)
                     .outerjoin(RM, RM.c.id == C.c.rm_id))
        .where(*conds, _rank(L.c.classification) > start.c.start_rank)
    )


def worse_loans(engine: Engine, scope: Scope, f: Filters, a: AsOf, r: Rules | None = None, *, limit: int = 50,
                offset: int = 0, use_rollup: bool | None = None) -> tuple[pd.DataFrame, int]:
    """Loans now in a worse class than at the start of the period."""
    with engine.connect() as conn:
        if r is not None and _use_rollup(conn, a, r, use_rollup):
            base = (
                select(L.c.id, L.c.loan_no, L.c.client_id, C.c.name.label("client_name"), C.c.rm_id,
                       RM.c.name.label("rm_name"), WL.c.from_class, L.c.classification.label("to_class"),
                       L.c.days_past_due, L.c.outstanding_fen)
                .select_from(WL.join(L, L.c.id == WL.c.loan_id).join(C, C.c.id == L.c.client_id)
                             .outerjoin(RM, RM.c.id == C.c.rm_id))
                .where(*client_conditions(scope, f))
            )
        else:
            base = worse_loans_select(scope, f, a)
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(base.order_by(L.c.outstanding_fen.desc(), L.c.id).limit(limit).offset(offset)).mappings().all()
    return pd.DataFrame([dict(x) for x in rows], columns=["id", "loan_no", "client_id", "client_name", "rm_id", "rm_name",
                                                          "from_class", "to_class", "days_past_due",
                                                          "outstanding_fen"]), total


def follow_ups(engine: Engine, scope: Scope, a: AsOf, r: Rules, *, client_id: int | None = None,
               limit: int = 50) -> pd.DataFrame:
    """Open follow-ups (回访) due within the setting's horizon or overdue: a contact asked for one and
    no later contact with the client has happened."""
    later = aliased(Contact.__table__)
    horizon = a.today + timedelta(days=r.follow_up_days)
    q = (
        select(CT.c.id.label("contact_id"), CT.c.client_id, C.c.name.label("client_name"), C.c.rm_id, CT.c.kind,
               CT.c.occurred_at, CT.c.follow_up_on, CT.c.summary)
        .select_from(CT.join(C, C.c.id == CT.c.client_id))
        .where(scope_condition(scope, C), CT.c.follow_up_on.is_not(None), CT.c.follow_up_on <= horizon,
               ~exists(select(later.c.id).where(later.c.client_id == CT.c.client_id,
                                                later.c.occurred_at > CT.c.occurred_at)))
        .order_by(CT.c.follow_up_on, CT.c.id)
        .limit(limit)
    )
    if client_id is not None:
        q = q.where(CT.c.client_id == client_id)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    df = pd.DataFrame([dict(x) for x in rows], columns=["contact_id", "client_id", "client_name", "rm_id", "kind",
                                                        "occurred_at", "follow_up_on", "summary"])
    df["state"] = [rules.follow_up_state(d, False, a.today, r.follow_up_days) for d in df["follow_up_on"]]
    return df


def rm_choices(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The RMs whose books the viewer may open (an RM: only their own)."""
    q = select(RM.c.id, RM.c.name, RM.c.grade, RM.c.branch).order_by(RM.c.id)
    if scope.rm_id is not None:
        q = q.where(RM.c.id == scope.rm_id)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(x) for x in rows], columns=["id", "name", "grade", "branch"])


def filter_values(engine: Engine, scope: Scope) -> dict[str, list[str]]:
    """Distinct branches, industries (in scope) for the filter widgets."""
    with engine.connect() as conn:
        branches = [b for (b,) in conn.execute(select(RM.c.branch).distinct().order_by(RM.c.branch)) if b]
        if conn.execute(select(RS.c.id)).first() is not None:
            # the client groups of the last build (a client load rebuilds it): no scan of every client
            src = select(BR.c.industry).where(BR.c.grain == "group", *rollup_conditions(BR, scope)[1:])
        else:
            src = select(C.c.industry).where(scope_condition(scope, C))
        industries = sorted({i for (i,) in conn.execute(src.distinct()) if i})
    return {"branch": branches, "industry": industries}
