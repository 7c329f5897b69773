"""Cached reads for the pages: st.cache_data keyed on the database URL, the viewer's scope and
plain parameters (never on DataFrames); writes call ``clear()`` for what they made stale."""

from __future__ import annotations

from datetime import date

import streamlit as st

from lib.db import engine_for
from lib.qa import common, results

TTL = 60
MAX = 256


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class _Scope:
    """A stand-in viewer with only what the queries read, rebuilt inside the cached function."""

    def __init__(self, roles, agent_id, led_team_ids, user_id):
        self.roles = frozenset(roles)
        self.agent_id = agent_id
        self.led_team_ids = tuple(led_team_ids)
        self.id = user_id


def _key(viewer) -> tuple:
    # the scope the queries depend on: roles, own agent, led teams (a user id only where it matters)
    return (tuple(sorted(viewer.roles)), viewer.agent_id, tuple(viewer.led_team_ids))


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _month_table(url: str, key: tuple, month: str):
    return results.month_table(engine_for(url), _Scope(key[0], key[1], key[2], None), month)


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _criteria(url: str, key: tuple, start: date, end: date, lang: str):
    return results.criteria_failures(engine_for(url), _Scope(key[0], key[1], key[2], None), start, end, lang)


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _checks(url: str, key: tuple, start: date, end: date):
    return results.check_rates(engine_for(url), _Scope(key[0], key[1], key[2], None), start, end)


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _daily(url: str, key: tuple, start: date, end: date, agent_id: int | None):
    return results.daily(engine_for(url), _Scope(key[0], key[1], key[2], None), start, end, agent_id)


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _payroll(url: str, month: str):
    from lib.qa.exports import payroll_frame

    return payroll_frame(engine_for(url), month)


def payroll(engine, month: str):
    """The whole department's payroll month (no viewer scope: the pages that show it are the
    administrator's, QA's and the manager's, who see every agent)."""
    return _payroll(_url(engine), month)


def month_table(engine, viewer, month: str):
    return _month_table(_url(engine), _key(viewer), month)


def criteria_failures(engine, viewer, start: date, end: date, lang: str):
    return _criteria(_url(engine), _key(viewer), start, end, lang)


def check_rates(engine, viewer, start: date, end: date):
    return _checks(_url(engine), _key(viewer), start, end)


def daily(engine, viewer, start: date, end: date, agent_id: int | None = None):
    return _daily(_url(engine), _key(viewer), start, end, agent_id)


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _catch_up(url: str, day: date) -> int:
    from lib.qa import sampling

    return sum(r.samples for r in sampling.catch_up(engine_for(url), today=day))


def daily_sampling(engine) -> int:
    """The automatic daily run: at most once an hour per database, draw every recent undrawn day."""
    from lib import settings as settings_mod

    return _catch_up(_url(engine), common.bank_today(settings_mod.load(engine)))


def clear() -> None:
    for f in (_month_table, _criteria, _checks, _daily, _payroll):
        f.clear()
