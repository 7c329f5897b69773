"""Interface helpers the complaint pages share: labels of codes, column configs, download audit."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib import audit
from lib.auth import CurrentUser
from lib.i18n import STRINGS, current_language, t


def label(kind: str, code, lang: str | None = None) -> str:
    """The label of a code (status, channel, category, cause, …); the code itself when unknown."""
    if code is None or code == "":
        return "—"
    key = f"complaints.{kind}.{code}"
    return t(key, lang) if key in STRINGS else str(code)


def fmt(kind: str):
    """A ``format_func`` for codes of ``kind``, bound to the session's language now (a widget may
    call it outside the script run, e.g. under AppTest)."""
    lang = current_language()
    return lambda code: label(kind, code, lang)


def fmt_key(prefix: str):
    """A ``format_func`` labelling a value by the key ``prefix + value`` (None shows as —)."""
    lang = current_language()
    return lambda v: "—" if v is None else t(f"{prefix}{v}", lang)


def labelled(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Replace code columns by their labels (``{column: kind}``); each distinct code is looked up once."""
    out = df.copy()
    lang = current_language()
    for col, kind in columns.items():
        if col in out:
            out[col] = out[col].map({v: label(kind, v, lang) for v in out[col].unique()})
    return out


def queue_column_config() -> dict:
    cc = st.column_config
    return {
        "id": None, "version": None, "hours_left": None,
        "ref_no": cc.TextColumn(t("complaints.col.ref_no")),
        "link": cc.LinkColumn(t("complaints.col.open"), display_text=t("complaints.open_link")),
        "status": cc.TextColumn(t("complaints.col.status")),
        "channel": cc.TextColumn(t("complaints.col.channel")),
        "category": cc.TextColumn(t("complaints.col.category")),
        "client_name": cc.TextColumn(t("complaints.col.client")),
        "severity": cc.TextColumn(t("complaints.col.severity")),
        "flags": cc.TextColumn(t("complaints.col.flags"), help=t("complaints.flags_help")),
        "accepted_at": cc.DatetimeColumn(t("complaints.col.accepted_at"), format="YYYY-MM-DD HH:mm"),
        "due_kind": cc.TextColumn(t("complaints.col.due_kind")),
        "due_at": cc.DatetimeColumn(t("complaints.col.due_at"), format="YYYY-MM-DD HH:mm"),
        "time_left": cc.TextColumn(t("complaints.col.time_left")),
        "overdue": cc.CheckboxColumn(t("complaints.col.overdue")),
        "assignee": cc.TextColumn(t("complaints.col.assignee")),
        "escalation_level": cc.NumberColumn(t("complaints.col.escalation"), help=t("complaints.escalation_help")),
        "repeat": cc.CheckboxColumn(t("complaints.col.repeat")),
    }


def queue_display(df: pd.DataFrame) -> pd.DataFrame:
    return labelled(df, {"status": "status", "channel": "channel", "category": "category", "severity": "severity",
                         "due_kind": "clock"})


def record_download(engine: Engine, user: CurrentUser, what: str, detail: dict | None = None) -> None:
    with engine.begin() as conn:
        audit.record(conn, user_id=user.id, username=user.username, action="download", entity=what,
                     detail=detail)
