"""Derived KPI tables: per-chat and per-complaint facts, and the daily per-agent rollups.

Pages never scan chat messages: they read ``rollup_agent_day`` (summable counts
per agent and day) and ``rollup_frt_agent_day`` (chats per first-response
second, from which medians and percentiles of any scope are exact). Team
figures are sums over the team's agents at query time, so moving an agent to
another team needs no rebuild.

The chain: chat_messages -> kpi_chat_facts (one SQL pass per set of chats),
complaints -> kpi_complaint_facts, then facts + reviews + rosters + cards +
work errors -> rollup rows. ``rebuild`` runs the chain for everything (or a
date range); the listeners run it for the agent-days an import, a review or a
complaint change touched, inside the writer's transaction. A refresh deletes its
rows and inserts them again, so on PostgreSQL it first takes a transaction-scoped
lock (``lib.db.serialise``): a second writer of the same agent-days waits for the
first to commit, then recomputes from what both wrote.

Definitions (also in docs/kpi.md):
- a *reply* is an agent message that directly follows a customer message; its
  wait runs from the first customer message of that unanswered run;
- the *first response* of a chat is the wait of its first reply;
- a chat *resolves* its client's problem unless the same client contacts the
  service again within ``kpi.repeat_contact_days`` days of it.
"""
# SQL here is assembled from fixed fragments of this module (column names, dialect helpers);
# every value, including the viewer's scope, is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Connection, Engine

from lib import events
from lib.db import LOCK_KPI_ROLLUPS, id_runs, serialise
from lib.kpis.sql import days_between, local_date, q, seconds_between, setting, tz_offset_minutes

COUNTS = ("scheduled", "chats", "frt_chats", "frt_sum_s", "replies_timed", "replies_within", "tracked_chats",
          "resolving_chats", "reviews", "unqualified", "complaints", "reply_on_time", "reply_late", "reply_open",
          "fu_on_time", "fu_late", "fu_open", "fu_satisfied", "fu_reached", "surveys_answered", "survey_score_sum",
          "surveys_satisfied", "work_errors")

_CHUNK = 400
_CHUNK_IDS = 5_000  # ids per IN list (SQLite allows 32,766 parameters a statement)


# --- filters ------------------------------------------------------------------------------

class _Filter:
    """Which agent-days to (re)compute: all, a date range, or agents x days."""

    def __init__(self, start: date | None = None, end: date | None = None,
                 agents: Iterable[int] | None = None, days: Iterable[date] | None = None):
        self.start, self.end = start, end
        self.agents = sorted(set(agents)) if agents is not None else None
        self.days = sorted(set(days)) if days is not None else None

    def sql(self, agent_col: str, day_col: str) -> str:
        parts = []
        if self.start is not None:
            parts.append(f"{day_col} >= :start")
        if self.end is not None:
            parts.append(f"{day_col} <= :end")
        if self.agents is not None:
            parts.append(f"{agent_col} IN :agents")
        if self.days is not None:
            parts.append(f"{day_col} IN :days")
        return " AND ".join(parts) if parts else "1 = 1"

    def params(self) -> dict:
        p: dict = {}
        if self.start is not None:
            p["start"] = self.start
        if self.end is not None:
            p["end"] = self.end
        if self.agents is not None:
            p["agents"] = self.agents
        if self.days is not None:
            p["days"] = self.days
        return p

    def query(self, sql: str):
        return q(sql, expanding=("agents",) if self.agents is not None else (),
                 date_lists=("days",) if self.days is not None else ())


class _ChatFilter(_Filter):
    """Chats by id (an import's new chats): ``sql`` selects them as ``<alias>.id`` or ``chat_id``.
    Runs of consecutive ids (an import's are one run) become BETWEEN ranges, the rest one IN list:
    a statement with thousands of placeholders costs more to send than to run."""

    def __init__(self, chat_ids: Iterable[int]):
        super().__init__()
        self.ranges, self.single = id_runs(chat_ids)

    def sql(self, agent_col: str, day_col: str) -> str:
        col = agent_col.rsplit(".", 1)[0] + ".id" if "." in agent_col else "chat_id"
        parts = [f"{col} BETWEEN :lo{k} AND :hi{k}" for k in range(len(self.ranges))]
        if self.single:
            parts.append(f"{col} IN :chats")
        return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"

    def params(self) -> dict:
        p: dict = {"chats": self.single} if self.single else {}
        for k, (lo, hi) in enumerate(self.ranges):
            p[f"lo{k}"], p[f"hi{k}"] = lo, hi
        return p

    def query(self, sql: str):
        return q(sql, expanding=("chats",) if self.single else ())


# --- chat facts ---------------------------------------------------------------------------

def _chat_facts(conn: Connection, f: _Filter) -> None:
    """Recompute kpi_chat_facts for the chats (with an agent and a work date) that ``f`` selects."""
    cf = f.sql("c.agent_id", "c.work_date")
    conn.execute(f.query(f"""
        DELETE FROM kpi_chat_facts WHERE {f.sql('agent_id', 'work_date')}
           OR chat_id IN (SELECT c.id FROM chats c WHERE {cf})"""), f.params())
    limit = int(setting(conn, "qa.response_limit_s"))
    window = int(setting(conn, "kpi.repeat_contact_days"))
    # waits to the millisecond, so that "within 60 s" does not hinge on floating-point noise
    wait = f"ROUND({seconds_between(conn, 'r.ts', 'p.ts')}, 3)"
    gap = days_between(conn, "nx.next_date", "c.work_date")
    sel = f"c.agent_id IS NOT NULL AND c.work_date IS NOT NULL AND {cf}"
    conn.execute(f.query(f"""
        WITH m AS (
            SELECT cm.chat_id, cm.seq, cm.speaker, cm.ts,
                   LAG(cm.speaker) OVER (PARTITION BY cm.chat_id ORDER BY cm.seq) AS prev_speaker
            FROM chat_messages cm JOIN chats c ON c.id = cm.chat_id
            WHERE {sel} AND c.has_timestamps = :yes
        ), r AS (
            SELECT chat_id, seq, speaker, ts, prev_speaker,
                   MAX(CASE WHEN speaker = 'customer' AND (prev_speaker IS NULL OR prev_speaker <> 'customer')
                            THEN seq END)
                       OVER (PARTITION BY chat_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                       AS run_seq
            FROM m
        ), w AS (
            SELECT r.chat_id, r.seq,
                   CASE WHEN {wait} < 0 THEN 0 ELSE {wait} END AS wait,
                   ROW_NUMBER() OVER (PARTITION BY r.chat_id ORDER BY r.seq) AS rn
            FROM r JOIN chat_messages p ON p.chat_id = r.chat_id AND p.seq = r.run_seq
            WHERE r.speaker = 'agent' AND r.prev_speaker = 'customer' AND r.ts IS NOT NULL AND p.ts IS NOT NULL
        ), agg AS (
            SELECT chat_id, MAX(CASE WHEN rn = 1 THEN wait END) AS first_wait, COUNT(*) AS replies_timed,
                   SUM(CASE WHEN wait <= :limit THEN 1 ELSE 0 END) AS replies_within, MAX(wait) AS max_wait
            FROM w GROUP BY chat_id
        ), nx AS (
            SELECT c.id,
                   LEAD(c.work_date) OVER (PARTITION BY c.client_id ORDER BY c.work_date,
                        CASE WHEN c.started_at IS NULL THEN 1 ELSE 0 END, c.started_at, c.id) AS next_date
            FROM chats c
            WHERE c.work_date IS NOT NULL
              AND c.client_id IN (SELECT c.client_id FROM chats c WHERE {sel} AND c.client_id IS NOT NULL)
        )
        INSERT INTO kpi_chat_facts (chat_id, agent_id, work_date, client_id, first_response_s, replies_timed,
                                    replies_within, max_wait_s, resolving)
        SELECT c.id, c.agent_id, c.work_date, c.client_id,
               CAST(ROUND(agg.first_wait) AS INTEGER), COALESCE(agg.replies_timed, 0),
               COALESCE(agg.replies_within, 0), CAST(ROUND(agg.max_wait) AS INTEGER),
               CASE WHEN c.client_id IS NULL THEN NULL
                    WHEN nx.next_date IS NULL OR {gap} > :window THEN TRUE ELSE FALSE END
        FROM chats c LEFT JOIN agg ON agg.chat_id = c.id LEFT JOIN nx ON nx.id = c.id
        WHERE {sel}"""), f.params() | {"yes": True, "limit": limit, "window": window})


def _expand_for_repeats(conn: Connection, agents: set[int], days: set[date]) -> tuple[set[int], set[date]]:
    """Add the agent-days of earlier chats whose 'resolved' flag a new contact may change."""
    if not agents or not days:
        return agents, days
    window = int(setting(conn, "kpi.repeat_contact_days"))
    f = _Filter(agents=agents, days=days)
    lo = min(days)
    from datetime import timedelta

    rows = conn.execute(f.query(f"""
        SELECT DISTINCT o.agent_id, o.work_date FROM chats o
        WHERE o.client_id IN (SELECT c.client_id FROM chats c WHERE {f.sql('c.agent_id', 'c.work_date')}
                              AND c.client_id IS NOT NULL)
          AND o.agent_id IS NOT NULL AND o.work_date >= :start AND o.work_date <= :end"""),
        f.params() | {"start": lo - timedelta(days=window), "end": max(days)}).all()
    return agents | {r[0] for r in rows}, days | {_as_date(r[1]) for r in rows}


def _as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


# --- complaint facts ----------------------------------------------------------------------

def _complaint_facts(conn: Connection, *, ids: list[int] | None = None, start: date | None = None,
                     end: date | None = None) -> None:
    """Recompute kpi_complaint_facts for the given complaints (or those accepted in a range, or all).

    On time or late is what the complaints area froze at the first reply and first follow-up
    (``reply_on_time``, ``follow_up_on_time``: a reply exactly at the deadline is on time, as
    ``lib.complaints.clocks.on_time`` says); without a frozen verdict the stored deadlines decide.
    """
    off = tz_offset_minutes(str(setting(conn, "ui.timezone")))
    day = local_date(conn, "c.accepted_at", off)
    where, params, expanding = ["c.subject_agent_id IS NOT NULL"], {}, ()
    if ids is not None:
        where.append("c.id IN :ids")
        params["ids"] = ids
        expanding = ("ids",)
        conn.execute(q("DELETE FROM kpi_complaint_facts WHERE complaint_id IN :ids", expanding=("ids",)),
                     {"ids": ids})
    else:
        dwhere = []
        if start is not None:
            dwhere.append("day >= :start")
            params["start"] = start
        if end is not None:
            dwhere.append("day <= :end")
            params["end"] = end
        conn.execute(q("DELETE FROM kpi_complaint_facts" + (" WHERE " + " AND ".join(dwhere) if dwhere else "")),
                     params)
        if start is not None:
            where.append(f"{day} >= :start")
        if end is not None:
            where.append(f"{day} <= :end")
    conn.execute(q(f"""
        INSERT INTO kpi_complaint_facts (complaint_id, agent_id, day, reply_state, reply_due_at, fu_state,
                                         follow_up_due_at, outcome)
        SELECT c.id, c.subject_agent_id, {day},
               CASE WHEN c.reply_on_time IS TRUE THEN 'on_time'
                    WHEN c.reply_on_time IS FALSE THEN 'late'
                    WHEN c.replied_at IS NOT NULL AND (c.reply_due_at IS NULL OR c.replied_at <= c.reply_due_at)
                        THEN 'on_time'
                    WHEN c.replied_at IS NOT NULL THEN 'late'
                    WHEN c.reply_due_at IS NULL THEN 'none' ELSE 'open' END,
               c.reply_due_at,
               CASE WHEN c.follow_up_on_time IS TRUE THEN 'on_time'
                    WHEN c.follow_up_on_time IS FALSE THEN 'late'
                    WHEN c.replied_at IS NULL THEN 'none'
                    WHEN c.followed_up_at IS NOT NULL
                         AND (c.follow_up_due_at IS NULL OR c.followed_up_at <= c.follow_up_due_at) THEN 'on_time'
                    WHEN c.followed_up_at IS NOT NULL THEN 'late'
                    WHEN c.follow_up_due_at IS NULL THEN 'none' ELSE 'open' END,
               c.follow_up_due_at,
               CASE WHEN c.followed_up_at IS NOT NULL THEN c.follow_up_outcome END
        FROM complaints c WHERE {' AND '.join(where)}""", expanding=expanding), params)


# --- rollup rows ----------------------------------------------------------------------------

def _sources(sat_min: int) -> list[tuple[str, str, str, dict[str, str], str]]:
    """(table alias clause, agent column, day column, {count: expression}, extra where/group) per source."""
    return [
        ("agent_schedules s", "s.agent_id", "s.work_date", {"scheduled": "1"}, ""),
        ("kpi_chat_facts f", "f.agent_id", "f.work_date", {
            "chats": "COUNT(*)",
            "frt_chats": "SUM(CASE WHEN f.first_response_s IS NOT NULL THEN 1 ELSE 0 END)",
            "frt_sum_s": "COALESCE(SUM(f.first_response_s), 0)",
            "replies_timed": "SUM(f.replies_timed)",
            "replies_within": "SUM(f.replies_within)",
            "tracked_chats": "SUM(CASE WHEN f.resolving IS NOT NULL THEN 1 ELSE 0 END)",
            "resolving_chats": "SUM(CASE WHEN f.resolving THEN 1 ELSE 0 END)",
        }, "GROUP"),
        ("qa_reviews v", "v.agent_id", "v.work_date", {
            "reviews": "COUNT(*)",
            "unqualified": "SUM(CASE WHEN v.qualified THEN 0 ELSE 1 END)",
        }, "v.sample_id IS NOT NULL AND v.agent_id IS NOT NULL AND v.work_date IS NOT NULL|GROUP"),
        ("kpi_complaint_facts k", "k.agent_id", "k.day", {
            "complaints": "COUNT(*)",
            "reply_on_time": "SUM(CASE WHEN k.reply_state = 'on_time' THEN 1 ELSE 0 END)",
            "reply_late": "SUM(CASE WHEN k.reply_state = 'late' THEN 1 ELSE 0 END)",
            "reply_open": "SUM(CASE WHEN k.reply_state = 'open' THEN 1 ELSE 0 END)",
            "fu_on_time": "SUM(CASE WHEN k.fu_state = 'on_time' THEN 1 ELSE 0 END)",
            "fu_late": "SUM(CASE WHEN k.fu_state = 'late' THEN 1 ELSE 0 END)",
            "fu_open": "SUM(CASE WHEN k.fu_state = 'open' THEN 1 ELSE 0 END)",
            "fu_satisfied": "SUM(CASE WHEN k.outcome = 'satisfied' THEN 1 ELSE 0 END)",
            "fu_reached": "SUM(CASE WHEN k.outcome IN ('satisfied', 'not_satisfied') THEN 1 ELSE 0 END)",
        }, "GROUP"),
        ("surveys y", "y.agent_id", "y.sent_on", {
            "surveys_answered": "SUM(CASE WHEN y.score IS NOT NULL THEN 1 ELSE 0 END)",
            "survey_score_sum": "COALESCE(SUM(y.score), 0)",
            "surveys_satisfied": f"SUM(CASE WHEN y.score >= {int(sat_min)} THEN 1 ELSE 0 END)",
        }, "GROUP"),
        ("work_errors e", "e.agent_id", "e.day", {"work_errors": "COUNT(*)"}, "GROUP"),
    ]


def _rollup_rows(conn: Connection, f: _Filter) -> None:
    """Recompute rollup_agent_day and rollup_frt_agent_day for the agent-days ``f`` selects."""
    conn.execute(f.query(f"DELETE FROM rollup_agent_day WHERE {f.sql('agent_id', 'day')}"), f.params())
    conn.execute(f.query(f"DELETE FROM rollup_frt_agent_day WHERE {f.sql('agent_id', 'day')}"), f.params())
    sat_min = int(setting(conn, "kpi.survey_satisfied_min_score"))
    parts = []
    for table, acol, dcol, exprs, extra in _sources(sat_min):
        cond, _, grp = extra.partition("|") if "|" in extra else ("", "", extra)
        where = f.sql(acol, dcol) + (f" AND {cond}" if cond else "")
        cols = ", ".join(f"{exprs.get(c, '0')} AS {c}" for c in COUNTS)
        group = f" GROUP BY {acol}, {dcol}" if grp == "GROUP" else ""
        parts.append(f"SELECT {acol} AS agent_id, {dcol} AS day, {cols} FROM {table} WHERE {where}{group}")
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    conn.execute(f.query(f"""
        INSERT INTO rollup_agent_day (agent_id, day, {', '.join(COUNTS)})
        SELECT agent_id, day, {sums} FROM ({' UNION ALL '.join(parts)}) u GROUP BY agent_id, day"""), f.params())
    conn.execute(f.query(f"""
        INSERT INTO rollup_frt_agent_day (agent_id, day, first_response_s, chats)
        SELECT f.agent_id, f.work_date, f.first_response_s, COUNT(*) FROM kpi_chat_facts f
        WHERE f.first_response_s IS NOT NULL AND {f.sql('f.agent_id', 'f.work_date')}
        GROUP BY f.agent_id, f.work_date, f.first_response_s"""), f.params())


# --- public entry points --------------------------------------------------------------------

def rebuild(engine_or_conn: Engine | Connection, start: date | None = None, end: date | None = None) -> dict:
    """Rebuild every derived KPI table from the base tables (all days, or ``start``..``end``).

    One transaction (or the caller's); returns the number of rows of each table in the range.
    """
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            return rebuild(conn, start, end)
    conn = engine_or_conn
    serialise(conn, LOCK_KPI_ROLLUPS)
    f = _Filter(start=start, end=end)
    _chat_facts(conn, f)
    _complaint_facts(conn, start=start, end=end)
    _rollup_rows(conn, f)
    out = {}
    for table, dcol in (("kpi_chat_facts", "work_date"), ("kpi_complaint_facts", "day"),
                        ("rollup_agent_day", "day"), ("rollup_frt_agent_day", "day")):
        out[table] = conn.execute(f.query(f"SELECT COUNT(*) FROM {table} WHERE {f.sql('agent_id', dcol)}"),
                                  f.params()).scalar_one()
    return out


def refresh_pairs(conn: Connection, pairs: Iterable[tuple[int, date]], *, chats: bool) -> None:
    """Recompute the rollup rows of ``pairs`` (agent_id, day); with ``chats`` also their chat facts."""
    pairs = {(int(a), _as_date(d)) for a, d in pairs if a is not None and d is not None}
    if not pairs:
        return
    serialise(conn, LOCK_KPI_ROLLUPS)  # another writer refreshing the same agent-days waits for this one
    by_day: dict[date, set[int]] = {}
    for a, d in pairs:
        by_day.setdefault(d, set()).add(a)
    # group days that share the same agents to keep the agents x days superset small
    groups: dict[frozenset[int], set[date]] = {}
    for d, agents in by_day.items():
        groups.setdefault(frozenset(agents), set()).add(d)
    for agents, days in groups.items():
        agent_list = sorted(agents)
        for i in range(0, len(agent_list), _CHUNK):
            a_set, d_set = set(agent_list[i:i + _CHUNK]), set(days)
            if chats:
                a_set, d_set = _expand_for_repeats(conn, a_set, d_set)
                _chat_facts(conn, _Filter(agents=a_set, days=d_set))
            _rollup_rows(conn, _Filter(agents=a_set, days=d_set))


def refresh_new_chats(conn: Connection, chat_ids: Iterable[int]) -> None:
    """After chats were added (an import): the facts of those chats, and of the same clients' earlier
    chats within the repeat-contact window (a new contact can end an earlier chat's 'resolved'), then
    the rollup rows of every agent-day those chats fall on. The other chats of those agent-days keep
    their facts: a chat's own figures never depend on another chat."""
    new = sorted({int(i) for i in chat_ids})
    if not new:
        return
    serialise(conn, LOCK_KPI_ROLLUPS)
    window = int(setting(conn, "kpi.repeat_contact_days"))
    affected = set(new)
    for i in range(0, len(new), _CHUNK_IDS):
        f = _ChatFilter(new[i:i + _CHUNK_IDS])
        span = conn.execute(f.query(f"SELECT MIN(c.work_date), MAX(c.work_date) FROM chats c "
                                    f"WHERE {f.sql('c.agent_id', 'c.work_date')}"), f.params()).one()
        if span[0] is None:
            continue
        lo, hi = _as_date(span[0]), _as_date(span[1])
        affected.update(r[0] for r in conn.execute(f.query(f"""
            SELECT o.id FROM chats o
            WHERE o.client_id IN (SELECT c.client_id FROM chats c WHERE {f.sql('c.agent_id', 'c.work_date')}
                                  AND c.client_id IS NOT NULL)
              AND o.work_date >= :start AND o.work_date <= :end"""),
            f.params() | {"start": lo - timedelta(days=window), "end": hi}))
    ids = sorted(affected)
    pairs: set[tuple[int, date]] = set()
    for i in range(0, len(ids), _CHUNK_IDS):
        f = _ChatFilter(ids[i:i + _CHUNK_IDS])
        _chat_facts(conn, f)
        pairs.update((int(a), _as_date(d)) for a, d in conn.execute(f.query(
            f"SELECT DISTINCT c.agent_id, c.work_date FROM chats c WHERE {f.sql('c.agent_id', 'c.work_date')} "
            f"AND c.agent_id IS NOT NULL AND c.work_date IS NOT NULL"), f.params()))
    refresh_pairs(conn, pairs, chats=False)


def refresh_complaints(conn: Connection, complaint_ids: Iterable[int]) -> None:
    """Re-derive the facts of these complaints and the rollup rows they left or joined."""
    ids = sorted({int(i) for i in complaint_ids if i is not None})
    if ids:
        serialise(conn, LOCK_KPI_ROLLUPS)
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        before = conn.execute(q("SELECT agent_id, day FROM kpi_complaint_facts WHERE complaint_id IN :ids",
                                expanding=("ids",)), {"ids": chunk}).all()
        _complaint_facts(conn, ids=chunk)
        after = conn.execute(q("SELECT agent_id, day FROM kpi_complaint_facts WHERE complaint_id IN :ids",
                               expanding=("ids",)), {"ids": chunk}).all()
        refresh_pairs(conn, [tuple(r) for r in before] + [tuple(r) for r in after], chats=False)


def refresh_days(conn: Connection, agent_id: int, days: Iterable[date]) -> None:
    """After a card or work error of ``agent_id`` changed: recompute those days."""
    refresh_pairs(conn, [(agent_id, d) for d in days], chats=False)


def _on_chats(conn, pairs=(), new_chat_ids=None, **_):
    if new_chat_ids is not None:
        refresh_new_chats(conn, new_chat_ids)
    else:
        refresh_pairs(conn, pairs, chats=True)


def _on_reviews(conn, pairs=(), **_):
    refresh_pairs(conn, pairs, chats=False)


def _on_complaints(conn, complaint_ids=(), **_):
    refresh_complaints(conn, complaint_ids)


events.listen("chats_changed", _on_chats)
events.listen("reviews_changed", _on_reviews)
events.listen("complaints_changed", _on_complaints)
