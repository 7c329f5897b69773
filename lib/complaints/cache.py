"""Cached reads for the pages: ``st.cache_data`` keyed on plain parameters, including the
viewer's scope, never on DataFrames; writes call ``clear()``."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from lib.auth import CurrentUser
from lib.complaints import queue, report, scope, service
from lib.db import engine_for
from lib.settings import CATALOG

TTL = CATALOG["ui.cache_ttl_seconds"].default


def _viewer(user_tuple) -> CurrentUser:
    uid, username, roles, team_id, led = user_tuple
    return CurrentUser(id=uid, username=username, display_name=username, roles=frozenset(roles), team_id=team_id,
                       led_team_ids=tuple(led))


def viewer_key(user: CurrentUser) -> tuple:
    """The parts of the user a query depends on (id for 'mine', roles and teams for scope)."""
    return (user.id, user.username, tuple(sorted(user.roles)), user.team_id, tuple(user.led_team_ids))


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def monthly_report(db_url: str, viewer: tuple, scope_key: tuple, month: str, lang: str):
    rep = report.monthly_report(engine_for(db_url), _viewer(viewer), month)
    return rep.summary, rep.breakdowns, rep.trend, rep.top_causes


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def view_counts(db_url: str, viewer: tuple, scope_key: tuple, minute: str) -> dict[str, int]:
    return queue.view_counts(engine_for(db_url), _viewer(viewer))


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _handlers(db_url: str, minute: str) -> list[dict]:
    return service.handlers(engine_for(db_url))


def clear() -> None:
    """Forget every cached complaint figure (after a write)."""
    monthly_report.clear()
    view_counts.clear()
    _handlers.clear()


def report_for(engine, user: CurrentUser, month: str, lang: str):
    # the report depends on the scope only, not on who asks: share it between viewers of one scope
    v = (0, "", tuple(sorted(user.roles)), user.team_id, tuple(user.led_team_ids))
    return monthly_report(str(engine.url.render_as_string(hide_password=False)), v, scope.key(user), month, lang)


def counts_for(engine, user: CurrentUser) -> dict[str, int]:
    minute = datetime.now().strftime("%Y%m%d%H%M")
    return view_counts(str(engine.url.render_as_string(hide_password=False)), viewer_key(user), scope.key(user),
                       minute)


def handlers_for(engine) -> list[dict]:
    """Handlers with their open workload for the assignment pickers, recounted each minute and after
    every write here (counting the open complaints of every handler is ~15 ms at 1M complaints)."""
    minute = datetime.now().strftime("%Y%m%d%H%M")
    return _handlers(str(engine.url.render_as_string(hide_password=False)), minute)
