"""The QA results rollups: what the results page's "criteria" tab reads instead of a month of raw rows.

- ``qa_criteria_agent_day`` — per working day, agent and rubric criterion: the number of review
  results of sampled reviews (``sample_id`` set), how many failed and how many were rated (not n/a).
  Keyed by criterion id (not code), so the criterion's code and name are read live from
  ``qa_criteria`` as the live query did.
- ``qa_checks_agent_day`` — per working day and agent: the chats that have an automatic-check row
  and the check counts of ``results.check_rates`` (with the sum and count of first-response seconds,
  from which the average is exact).

Agent and day are exactly what the viewer's scope (``restrict(agent_id, scope)``) and the date range
filter, so any scope and any range read the same figures as the raw rows. ``agent_id`` 0 holds chats
(and reviews) without an agent: only a see-all scope counts them, as the live query did.

The team-KPI rollup (``rollup_agent_day``) does not hold these: its chats count every chat of an
agent (not those with a check row, and none without an agent) and its first-response figures come
from the messages (lib/kpis/rollups.py), not from the checks; no check hit counts are there.

Exactness: every writer of the inputs changes the rollup in its own transaction, by the difference
its change made (commutative increments, so two writers of the same agent-day at once both count):

- ``reviews_added`` after a sampled review and its results are inserted (lib/qa/reviews.submit);
- ``reviews_changing`` around a change of reviews' results (lib/qa/disputes.decide);
- ``chats_added`` after chats and their checks are inserted (lib/qa/importer.import_chats);
- ``chats_changing`` around a change of chats' agent or checks (importer.assign_agent,
  checks_db.recheck / recheck_chat);
- ``rebuild`` from the base tables: the demo seed, ``python -m db rebuild-rollups``, migration 0008.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Connection, Engine, Float, Numeric, bindparam, case, cast, delete, func, select

from db.models import Chat, ChatCheck, ChecksAgentDay, CriteriaAgentDay, Review, ReviewResult, RubricCriterion
from lib.db import id_runs
from lib.qa.common import restrict

CRIT = CriteriaAgentDay.__table__
CHECKS = ChecksAgentDay.__table__
CRIT_KEYS = ("work_date", "agent_id", "criterion_id")
CRIT_COUNTS = ("results", "failed", "rated")
CHECK_KEYS = ("work_date", "agent_id")
CHECK_COUNTS = ("chats", "no_greeting", "no_closing", "slow", "no_timestamps", "forbidden", "no_apology",
                "frt_chats", "frt_sum_s")
RATES = ("no_greeting", "no_closing", "slow", "no_timestamps", "forbidden", "no_apology")
_CHUNK = 500  # ids per IN list


def _n(cond):
    return func.sum(case((cond, 1), else_=0))


# --- the rows a set of base records makes up -----------------------------------------------------

def _criteria_select(*where):
    agent = func.coalesce(Review.agent_id, 0)
    return (select(Review.work_date.label("work_date"), agent.label("agent_id"),
                   ReviewResult.criterion_id.label("criterion_id"), func.count().label("results"),
                   _n(ReviewResult.result == "fail").label("failed"), _n(ReviewResult.result != "na").label("rated"))
            .select_from(ReviewResult).join(Review, Review.id == ReviewResult.review_id)
            .where(Review.sample_id.is_not(None), Review.work_date.is_not(None), *where)
            .group_by(Review.work_date, agent, ReviewResult.criterion_id))


def _checks_select(*where):
    agent = func.coalesce(Chat.agent_id, 0)
    k = ChatCheck
    return (select(Chat.work_date.label("work_date"), agent.label("agent_id"), func.count().label("chats"),
                   _n(k.greeting_ok.is_(False)).label("no_greeting"), _n(k.closing_ok.is_(False)).label("no_closing"),
                   _n(k.slow_replies > 0).label("slow"), _n(k.slow_replies.is_(None)).label("no_timestamps"),
                   _n(k.forbidden_hits.is_not(None)).label("forbidden"), _n(k.apology_ok.is_(False)).label("no_apology"),
                   func.count(k.first_response_s).label("frt_chats"),
                   func.coalesce(func.sum(k.first_response_s), 0).label("frt_sum_s"))
            .select_from(Chat).join(ChatCheck, ChatCheck.chat_id == Chat.id)
            .where(Chat.work_date.is_not(None), *where)
            .group_by(Chat.work_date, agent))


def _id_conds(col, ids: Iterable[int]) -> Iterator:
    """Conditions selecting ``ids``: runs of consecutive ids (an import's) as BETWEEN, the rest as IN lists."""
    ranges, single = id_runs(ids)
    for lo, hi in ranges:
        yield col.between(lo, hi)
    for k in range(0, len(single), _CHUNK):
        yield col.in_(single[k:k + _CHUNK])


def _as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _contribution(conn: Connection, sel_of, col, ids, keys, counts) -> dict[tuple, list[int]]:
    out: dict[tuple, list[int]] = {}
    for cond in _id_conds(col, ids):
        for r in conn.execute(sel_of(cond)).mappings():
            key = (_as_date(r["work_date"]), *(int(r[k]) for k in keys[1:]))
            acc = out.setdefault(key, [0] * len(counts))
            for i, c in enumerate(counts):
                acc[i] += int(r[c] or 0)
    return out


def _review_rows(conn, review_ids) -> dict[tuple, list[int]]:
    return _contribution(conn, _criteria_select, Review.id, review_ids, CRIT_KEYS, CRIT_COUNTS)


def _chat_rows(conn, chat_ids) -> dict[tuple, list[int]]:
    return _contribution(conn, _checks_select, Chat.id, chat_ids, CHECK_KEYS, CHECK_COUNTS)


def _diff(after: dict, before: dict) -> dict[tuple, list[int]]:
    out = {k: list(v) for k, v in after.items()}
    for k, v in before.items():
        acc = out.setdefault(k, [0] * len(v))
        for i, x in enumerate(v):
            acc[i] -= x
    return out


def _apply(conn: Connection, table, keys, counts, delta: dict[tuple, list[int]]) -> None:
    """Add ``delta`` (key -> count differences) to the rollup rows: an upsert that increments, in key
    order (two writers of the same rows wait for each other instead of losing one's counts); rows
    left with nothing are dropped."""
    todo = sorted((k, d) for k, d in delta.items() if any(d))
    if not todo:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    ins = insert(table)
    stmt = ins.on_conflict_do_update(index_elements=list(keys),
                                     set_={c: table.c[c] + ins.excluded[c] for c in counts})
    conn.execute(stmt, [dict(zip((*keys, *counts), (*k, *d), strict=True)) for k, d in todo])
    shrunk = [k for k, d in todo if min(d) < 0]
    if shrunk:
        conn.execute(delete(table).where(table.c[counts[0]] <= 0,
                                         *[table.c[k] == bindparam("k_" + k) for k in keys]),
                     [{"k_" + c: v for c, v in zip(keys, k, strict=True)} for k in shrunk])


# --- what the writers call -----------------------------------------------------------------------

def reviews_added(conn: Connection, review_ids: Iterable[int]) -> None:
    """After inserting reviews and their results (same transaction): their counts are added."""
    _apply(conn, CRIT, CRIT_KEYS, CRIT_COUNTS, _review_rows(conn, review_ids))


@contextmanager
def reviews_changing(conn: Connection, review_ids: Iterable[int]):
    """Around a change of these reviews' results (or agent, day, sample): the rollup gets the difference."""
    ids = list(review_ids)
    before = _review_rows(conn, ids)
    yield
    _apply(conn, CRIT, CRIT_KEYS, CRIT_COUNTS, _diff(_review_rows(conn, ids), before))


def chats_added(conn: Connection, chat_ids: Iterable[int]) -> None:
    """After inserting chats and their check rows (same transaction): their counts are added."""
    _apply(conn, CHECKS, CHECK_KEYS, CHECK_COUNTS, _chat_rows(conn, chat_ids))


@contextmanager
def chats_changing(conn: Connection, chat_ids: Iterable[int]):
    """Around a change of these chats' agent, day or check rows: the rollup gets the difference."""
    ids = list(chat_ids)
    before = _chat_rows(conn, ids)
    yield
    _apply(conn, CHECKS, CHECK_KEYS, CHECK_COUNTS, _diff(_chat_rows(conn, ids), before))


# --- full rebuild ----------------------------------------------------------------------------------

def rebuild(engine_or_conn: Engine | Connection, start: date | None = None, end: date | None = None) -> dict:
    """Rebuild both rollups from the base tables (every day, or ``start``..``end``); one transaction
    (or the caller's). Returns the rows of each table in the range."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            return rebuild(conn, start, end)
    conn = engine_or_conn
    out = {}
    for table, keys, counts, sel_of, day in ((CRIT, CRIT_KEYS, CRIT_COUNTS, _criteria_select, Review.work_date),
                                             (CHECKS, CHECK_KEYS, CHECK_COUNTS, _checks_select, Chat.work_date)):
        rng = [c for c in ((day >= start) if start else None, (day <= end) if end else None) if c is not None]
        own = [c for c in ((table.c.work_date >= start) if start else None,
                           (table.c.work_date <= end) if end else None) if c is not None]
        conn.execute(delete(table).where(*own))
        sel = sel_of(*rng).subquery()
        conn.execute(table.insert().from_select([*keys, *counts], select(*[sel.c[c] for c in (*keys, *counts)])))
        out[table.name] = conn.execute(select(func.count()).select_from(table).where(*own)).scalar_one()
    return out


def build_if_missing(engine: Engine, today=None) -> dict | None:
    """For the bench's ``derived_builders``: rebuild when a rollup is empty while its base rows are not
    (a database whose tables were made some other way than migration 0008); None when nothing was."""
    with engine.connect() as conn:
        def empty(q):
            return conn.execute(q.limit(1)).first() is None

        missing = ((empty(select(CRIT.c.work_date)) and not empty(
            select(Review.id).join(ReviewResult, ReviewResult.review_id == Review.id)
            .where(Review.sample_id.is_not(None), Review.work_date.is_not(None))))
            or (empty(select(CHECKS.c.work_date)) and not empty(
                select(Chat.id).join(ChatCheck, ChatCheck.chat_id == Chat.id).where(Chat.work_date.is_not(None)))))
    return rebuild(engine) if missing else None


# --- reading ------------------------------------------------------------------------------------------

def criteria_rows(conn: Connection, scope: list[int] | None, start: date, end: date, lang: str) -> list:
    """(code, criterion, failed, rated) per criterion code over the scope's agent-days ``start``..``end``."""
    c = CRIT.c
    name = RubricCriterion.name_zh if lang == "zh" else RubricCriterion.name_en
    # summed per criterion id first, then joined to the few criteria (a join per rollup row cost ~40 %)
    per_id = (select(c.criterion_id, func.sum(c.failed).label("failed"), func.sum(c.rated).label("rated"))
              .where(c.work_date >= start, c.work_date <= end, restrict(c.agent_id, scope), c.results > 0)
              .group_by(c.criterion_id).subquery())
    return conn.execute(
        select(RubricCriterion.code, func.min(name).label("criterion"), func.sum(per_id.c.failed).label("failed"),
               func.sum(per_id.c.rated).label("rated"))
        .select_from(per_id).join(RubricCriterion, RubricCriterion.id == per_id.c.criterion_id)
        .group_by(RubricCriterion.code)).mappings().all()


def check_counts(conn: Connection, scope: list[int] | None, start: date, end: date) -> dict:
    """The check counts over the scope's agent-days ``start``..``end``, with the average first response
    computed as the database's AVG over the chats would (numeric on PostgreSQL, double on SQLite)."""
    c = CHECKS.c
    frt_n = func.sum(c.frt_chats)
    if conn.dialect.name == "postgresql":
        avg = cast(func.sum(c.frt_sum_s), Numeric) / func.nullif(cast(frt_n, Numeric), 0)
    else:
        avg = cast(func.sum(c.frt_sum_s), Float) / func.nullif(frt_n, 0)
    r = conn.execute(select(func.sum(c.chats).label("chats"), *[func.sum(c[k]).label(k) for k in RATES],
                            avg.label("avg_first_response_s"))
                     .where(c.work_date >= start, c.work_date <= end, restrict(c.agent_id, scope))).mappings().one()
    return dict(r)


__all__ = ["reviews_added", "reviews_changing", "chats_added", "chats_changing", "rebuild", "build_if_missing",
           "criteria_rows", "check_counts"]
