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
def _team_table(url: str, key: tuple, month: str):
    return results.team_table(_month_table(url, key, month))


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _reviews_page(url: str, key: tuple, start: date, end: date, agent_id: int | None, only_unqualified: bool,
                  limit: int, offset: int):
    from lib.qa import reviews

    return reviews.reviews_page(engine_for(url), _Scope(key[0], key[1], key[2], None), start=start, end=end,
                                agent_id=agent_id, only_unqualified=only_unqualified, limit=limit, offset=offset)


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _review_detail(url: str, key: tuple, review_id: int):
    from lib.qa import reviews

    return reviews.review_detail(engine_for(url), review_id, _Scope(key[0], key[1], key[2], None))


@st.cache_data(ttl=TTL, max_entries=MAX, show_spinner=False)
def _transcript(url: str, chat_id: int):
    from lib.qa import reviews

    return reviews.transcript(engine_for(url), chat_id)


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


def team_table(engine, viewer, month: str):
    """Per team, from the viewer's month table (results.team_table)."""
    return _team_table(_url(engine), _key(viewer), month)


def reviews_page(engine, viewer, *, start: date, end: date, agent_id: int | None = None,
                 only_unqualified: bool = False, limit: int = 50, offset: int = 0):
    frame, total = _reviews_page(_url(engine), _key(viewer), start, end, agent_id, bool(only_unqualified),
                                 int(limit), int(offset))
    return frame.copy(), total


def review_detail(engine, review_id: int, viewer) -> dict:
    """reviews.review_detail, cached on the viewer's scope (out of scope raises, and is never cached)."""
    return _review_detail(_url(engine), _key(viewer), int(review_id))


def transcript(engine, chat_id: int):
    return _transcript(_url(engine), int(chat_id)).copy()


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _catch_up(url: str, day: date) -> int:
    from lib.qa import sampling

    return sum(r.samples for r in sampling.catch_up(engine_for(url), today=day))


def daily_sampling(engine) -> int:
    """The automatic daily run: at most once an hour per database, draw every recent undrawn day."""
    from lib import settings as settings_mod

    return _catch_up(_url(engine), common.bank_today(settings_mod.load(engine)))


def clear() -> None:
    for f in (_month_table, _criteria, _checks, _daily, _payroll, _team_table, _reviews_page, _review_detail,
              _transcript):
        f.clear()
