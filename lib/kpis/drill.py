"""The records behind every KPI figure: chats, reviews, complaints, service cards, work errors.

Each KPI of the catalogue names the kind of records it is built from; a
drill-down lists exactly the rows its figure counts, for the viewer's scope
(optionally one agent or one day), worst first, paged with LIMIT/OFFSET.
"""

# SQL here is assembled from fixed fragments of this module; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from lib.kpis.catalog import KPI_BY_KEY
from lib.kpis.scope import Scope, ScopeError, narrow_to_agent
from lib.kpis.sql import q
from lib.masking import mask_text


@dataclass
class Records:
    rows: pd.DataFrame
    total: int
    kind: str


_CHAT_COLS = ["chat_id", "conversation_id", "agent", "work_date", "started_at", "first_response_s",
              "replies_timed", "replies_within", "max_wait_s", "resolving"]
_REVIEW_COLS = ["review_id", "conversation_id", "agent", "work_date", "qualified", "score", "reviewer", "comment"]
_COMPLAINT_COLS = ["complaint_id", "ref_no", "agent", "accepted_at", "category", "status", "reply_due_at",
                   "replied_at", "reply_state", "follow_up_due_at", "followed_up_at", "fu_state", "outcome"]
_SURVEY_COLS = ["survey_id", "agent", "sent_on", "answered_on", "score", "channel", "comment"]
_ERROR_COLS = ["error_id", "agent", "day", "kind", "note", "recorded_by", "recorded_at"]

_ORDER = {
    "chats_handled": "f.work_date, f.chat_id",
    "first_response_median_s": "CASE WHEN f.first_response_s IS NULL THEN 1 ELSE 0 END, f.first_response_s DESC, "
                               "f.chat_id",
    "first_response_p90_s": "CASE WHEN f.first_response_s IS NULL THEN 1 ELSE 0 END, f.first_response_s DESC, "
                            "f.chat_id",
    "replies_within_limit_pct": "(f.replies_timed - f.replies_within) DESC, f.chat_id",
    "contacts_per_resolution": "CASE WHEN f.resolving THEN 1 ELSE 0 END, f.work_date, f.chat_id",
}


# The number of records behind a KPI, where a rollup column counts exactly those rows (the same filter
# on the same source table): summed over the scope's agent-days instead of counting the raw rows.
_ROLLUP_TOTAL = {
    "chats_handled": "chats",  # kpi_chat_facts rows
    "first_response_median_s": "frt_chats",  # ... with a first response
    "first_response_p90_s": "frt_chats",
    "contacts_per_resolution": "tracked_chats",  # ... with resolving not null
}


def _total(conn, kpi_key: str, base: str, cond: str, params: dict, scope: Scope) -> int:
    col = _ROLLUP_TOTAL.get(kpi_key)
    if col is None:
        return int(conn.execute(q(f"SELECT COUNT(*) {base}", expanding=scope.expanding), params).scalar_one())
    v = conn.execute(q(f"""SELECT SUM(r.{col}) FROM rollup_agent_day r JOIN agents a ON a.id = r.agent_id
                           WHERE r.day >= :start AND r.day <= :end AND {cond}""", expanding=scope.expanding),
                     params).scalar()
    return int(v or 0)


def records(engine: Engine, scope: Scope, kpi_key: str, start: date, end: date, *, agent_id: int | None = None,
            day: date | None = None, limit: int = 200, offset: int = 0) -> Records:
    """The records behind ``kpi_key`` for the scope (and optionally one agent / one day)."""
    kpi = KPI_BY_KEY[kpi_key]
    if agent_id is not None:
        scope = narrow_to_agent(engine, scope, agent_id)
    if day is not None:
        start = end = day
    cond, params = scope.where()
    params |= {"start": start, "end": end, "lim": int(limit), "off": int(offset)}
    kind = kpi.records
    if kind == "chats":
        extra = " AND f.resolving IS NOT NULL" if kpi_key == "contacts_per_resolution" else ""
        if kpi_key.startswith("first_response"):
            extra = " AND f.first_response_s IS NOT NULL"
        elif kpi_key == "replies_within_limit_pct":
            extra = " AND f.replies_timed > 0"
        base = f"""FROM kpi_chat_facts f JOIN agents a ON a.id = f.agent_id JOIN chats c ON c.id = f.chat_id
                   WHERE f.work_date >= :start AND f.work_date <= :end AND {cond}{extra}"""
        select_ = f"""SELECT f.chat_id, c.conversation_id, a.name AS agent, f.work_date, c.started_at,
                      f.first_response_s, f.replies_timed, f.replies_within, f.max_wait_s, f.resolving
                      {base} ORDER BY {_ORDER[kpi_key]}"""
        cols = _CHAT_COLS
    elif kind == "reviews":
        base = f"""FROM qa_reviews v JOIN agents a ON a.id = v.agent_id JOIN chats c ON c.id = v.chat_id
                   LEFT JOIN users u ON u.id = v.reviewer_user_id
                   WHERE v.sample_id IS NOT NULL AND v.work_date >= :start AND v.work_date <= :end AND {cond}"""
        select_ = f"""SELECT v.id AS review_id, c.conversation_id, a.name AS agent, v.work_date, v.qualified,
                      v.score, u.display_name AS reviewer, v.comment
                      {base} ORDER BY CASE WHEN v.qualified THEN 1 ELSE 0 END, v.work_date, v.id"""
        cols = _REVIEW_COLS
    elif kind in ("complaints", "follow_ups"):
        extra = " AND k.fu_state <> 'none'" if kind == "follow_ups" else ""
        if kpi_key == "follow_up_satisfaction_pct":
            extra = " AND k.outcome IN ('satisfied', 'not_satisfied')"
        elif kpi_key == "complaints_replied_24h_pct":
            extra = " AND k.reply_state <> 'none'"
        base = f"""FROM kpi_complaint_facts k JOIN agents a ON a.id = k.agent_id JOIN complaints c ON c.id = k.complaint_id
                   WHERE k.day >= :start AND k.day <= :end AND {cond}{extra}"""
        state = "k.fu_state" if kind == "follow_ups" else "k.reply_state"
        select_ = f"""SELECT c.id AS complaint_id, c.ref_no, a.name AS agent, c.accepted_at, c.category, c.status,
                      c.reply_due_at, c.replied_at, k.reply_state, c.follow_up_due_at, c.followed_up_at,
                      k.fu_state, k.outcome
                      {base} ORDER BY CASE {state} WHEN 'late' THEN 0 WHEN 'open' THEN 1 ELSE 2 END,
                      c.accepted_at, c.id"""
        cols = _COMPLAINT_COLS
    elif kind == "surveys":
        base = f"""FROM surveys y JOIN agents a ON a.id = y.agent_id
                   WHERE y.sent_on >= :start AND y.sent_on <= :end AND {cond}"""
        select_ = f"""SELECT y.id AS survey_id, a.name AS agent, y.sent_on, y.answered_on, y.score, y.channel,
                      y.comment {base}
                      ORDER BY CASE WHEN y.score IS NULL THEN 1 ELSE 0 END, y.score, y.sent_on, y.id"""
        cols = _SURVEY_COLS
    else:  # errors
        base = f"""FROM work_errors e JOIN agents a ON a.id = e.agent_id LEFT JOIN users u ON u.id = e.recorded_by
                   WHERE e.day >= :start AND e.day <= :end AND {cond}"""
        select_ = f"""SELECT e.id AS error_id, a.name AS agent, e.day, e.kind, e.note,
                      u.display_name AS recorded_by, e.recorded_at {base} ORDER BY e.day, e.id"""
        cols = _ERROR_COLS
    with engine.connect() as conn:
        total = _total(conn, kpi_key, base, cond, params, scope)
        rows = conn.execute(q(f"{select_} LIMIT :lim OFFSET :off", expanding=scope.expanding),
                            params).mappings().all()
    df = pd.DataFrame(rows, columns=cols)
    for col in ("comment", "note"):
        if col in df and len(df):
            df[col] = df[col].map(_mask)
    return Records(df, int(total), kind)


def transcript(engine: Engine, scope: Scope, chat_id: int) -> pd.DataFrame:
    """The messages of one chat, when its agent is in the viewer's scope (texts masked)."""
    cond, params = scope.where()
    with engine.connect() as conn:
        ok = conn.execute(q(f"SELECT c.id FROM chats c JOIN agents a ON a.id = c.agent_id WHERE c.id = :cid AND {cond}",
                            expanding=scope.expanding), params | {"cid": int(chat_id)}).first()
        if ok is None:
            raise ScopeError("That chat is outside what you may see.")
        rows = conn.execute(q("SELECT seq, speaker, ts, text FROM chat_messages WHERE chat_id = :cid ORDER BY seq"),
                            {"cid": int(chat_id)}).mappings().all()
    df = pd.DataFrame(rows, columns=["seq", "speaker", "ts", "text"])
    df["text"] = df["text"].map(_mask)
    return df


def _mask(v):
    """Personal data (ID, phone, card numbers) masked in free text; empty cells stay empty."""
    return mask_text(v) if isinstance(v, str) else None
