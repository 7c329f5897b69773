"""Streamlit pieces the KPI pages share: cached reads, tiles, trend, ranking, drill-down, downloads.

Reads are cached with ``st.cache_data`` keyed on plain values — the database
URL, the viewer's scope (team and agent ids), the period and the grouping —
never on frames or engines. Every figure comes from ``metrics.compute``.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib import admin
from lib import settings as settings_mod
from lib.auth import CurrentUser
from lib.guard import require_download
from lib.i18n import t
from lib.kpis import drill, metrics
from lib.kpis.catalog import KPI_BY_KEY, KPIS, Kpi, meets
from lib.kpis.scope import Scope
from lib.ui import coloured_cells, download_buttons, page_offset, pager

TTL = 60
GREEN, RED, GREY = "#d9f2e0", "#fadbd8", "#f2f2f2"


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _engine(url: str) -> Engine:
    from lib.db import engine_for

    return engine_for(url)


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def _qa_month(url: str, scope_key: tuple, month: str) -> pd.DataFrame:
    """The scope's QA month (lib.qa.points.agent_month), read once for every grouping, tile and table."""
    return metrics.qa_month(_engine(url), Scope(*scope_key), month)


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def _qa_days(url: str, scope_key: tuple, start: date, end: date) -> pd.DataFrame:
    return metrics.qa_days(_engine(url), Scope(*scope_key), start, end)


def _qa_fns(url: str) -> dict:
    return {"qa_month_fn": lambda sc, m: _qa_month(url, sc.key, m).copy(),
            "qa_days_fn": lambda sc, a, b: _qa_days(url, sc.key, a, b).copy()}


@st.cache_data(ttl=TTL, max_entries=512, show_spinner=False)
def _compute(url: str, scope_key: tuple, start: date, end: date, by: str | None) -> pd.DataFrame:
    return metrics.compute(_engine(url), Scope(*scope_key), start, end, by, **_qa_fns(url))


def compute(engine: Engine, scope: Scope, start: date, end: date, by: str | None = None) -> pd.DataFrame:
    return _compute(_url(engine), scope.key, start, end, by).copy()


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _latest_day(url: str) -> date:
    from lib.kpis.sql import q

    eng = _engine(url)
    s = settings_mod.load(eng)
    today = datetime.now(ZoneInfo(s["ui.timezone"])).date()
    with eng.connect() as conn:
        v = conn.execute(q("SELECT MAX(day) FROM rollup_agent_day WHERE day <= :end AND (chats > 0 OR reviews > 0)"),
                         {"end": today}).scalar()
    if v is None:
        return today
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def latest_day(engine: Engine) -> date:
    """The last day with activity (the demo data ends yesterday; a live system today)."""
    return _latest_day(_url(engine))


def clear_cache() -> None:
    _compute.clear()
    _against_target.clear()
    _qa_month.clear()
    _qa_days.clear()
    _qa_bonus.clear()
    _latest_day.clear()
    _records.clear()
    _transcript.clear()
    _agent_names.clear()
    _visible_teams.clear()


def month_picker(engine: Engine, key: str, container=st) -> tuple[str, date, date, date]:
    """A month select (the last 12 months with the latest first) -> (month, start, end, as_of)."""
    last = latest_day(engine)
    months, y, m = [], last.year, last.month
    for _ in range(12):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    month = container.selectbox(t("kpi.month"), months, key=key)
    start, end = metrics.month_bounds(month)
    return month, start, end, last


def targets(engine: Engine, frame: pd.DataFrame, start: date, end: date) -> dict[str, pd.Series]:
    return metrics.targets_for(engine, frame)


def label(k: Kpi) -> str:
    return t(k.label_key)


def _value(k: Kpi, v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


# --- tiles ----------------------------------------------------------------------------------

def tiles(engine: Engine, scope: Scope, start: date, end: date, as_of: date, *, drill_key: str,
          keys: tuple[str, ...] | None = None, columns: int = 4, with_drill: bool = True) -> None:
    """One tile per KPI: value, change from the comparison period, target met or not, and a Records button."""
    cur = compute(engine, scope, start, end)
    p_start, p_end = metrics.comparison_period(start, end, as_of)
    prev = compute(engine, scope, p_start, p_end)
    tg = targets(engine, cur, start, end)
    st.caption(t("kpi.vs_prev", period=t("kpi.period", start=p_start.isoformat(), end=p_end.isoformat())))
    kpis = [k for k in KPIS if keys is None or k.key in keys]
    cols = st.columns(columns)
    for i, k in enumerate(kpis):
        v = _value(k, cur[k.key].iloc[0])
        pv = _value(k, prev[k.key].iloc[0])
        target = tg[k.key].iloc[0]
        target = None if target is None or np.isnan(target) else float(target)
        delta = None if v is None or pv is None else float(v) - float(pv)
        ok = meets(k, v, target)
        with cols[i % columns]:
            flat = delta is not None and abs(delta) < 1e-9
            st.metric(label(k), k.format(v), delta=None if delta is None else k.format(delta),
                      delta_color="off" if flat else ("normal" if k.direction == "higher" else "inverse"),
                      delta_arrow="off" if flat else "auto", help=t(k.help_key), border=True)
            mark = "" if ok is None else (" · :green[" + t("kpi.meets") + "]" if ok else
                                          " · :red[" + t("kpi.misses") + "]")
            c1, c2 = st.columns([3, 2])
            c1.caption((t("kpi.target", target=k.format(target)) if target is not None else t("kpi.no_target"))
                       + mark)
            if with_drill and c2.button(t("kpi.drill"), key=f"{drill_key}_btn_{k.key}", type="tertiary",
                         icon=":material/list:"):
                st.session_state[f"{drill_key}_pick"] = k.key
                st.session_state[f"{drill_key}_day"] = None


# --- trend ------------------------------------------------------------------------------------

def trend(engine: Engine, scope: Scope, start: date, end: date, *, key: str, drill_key: str | None = None) -> None:
    """A KPI over the month's days or the last six months, against its target; clicking a day drills into it."""
    c1, c2 = st.columns([2, 1])
    k = KPI_BY_KEY[c1.selectbox(t("kpi.trend_kpi"), [x.key for x in KPIS], format_func=lambda s: t(f"kpi.k.{s}"),
                                key=f"{key}_kpi")]
    mode = c2.segmented_control(t("kpi.trend"), ["daily", "monthly"], default="daily", key=f"{key}_mode",
                                format_func=lambda m: t(f"kpi.trend_{m}"))
    if mode == "monthly":
        m_start = (start - timedelta(days=160)).replace(day=1)
        df = compute(engine, scope, m_start, end, by="month")
        df = df.rename(columns={"month": "x"})
        xtype, xtitle = "nominal", t("kpi.month")
    else:
        df = compute(engine, scope, start, end, by="day")
        df["x"] = pd.to_datetime(df["day"])
        # days still to come are not zeros: the line ends at the last day with activity
        df = df[df["x"] <= pd.Timestamp(latest_day(engine))]
        xtype, xtitle = "temporal", t("kpi.col.day")
    xfield = "x"
    data = pd.DataFrame({xfield: df[xfield].to_numpy(), "value": df[k.key].to_numpy(dtype=float)})
    # a plain Vega-Lite spec (what Altair would emit): building Altair objects cost 10-35 ms per run
    line = {"mark": {"type": "line", "point": {"size": 70, "filled": True}},
            "encoding": {"x": {"field": xfield, "type": xtype, "title": xtitle},
                         "y": {"field": "value", "type": "quantitative", "title": label(k)},
                         "tooltip": [{"field": xfield, "type": xtype, "title": t("kpi.col.day")},
                                     {"field": "value", "type": "quantitative", "title": label(k), "format": ".2f"}]},
            "params": [{"name": "pick", "select": {"type": "point", "fields": [xfield], "on": "click"}}]}
    layers = [line]
    tg = settings_mod.load(engine)["kpi.targets"].get(k.key)
    if tg is not None and not k.pro_rata and k.key != "qa_monthly_points":
        layers.append({"data": {"values": [{"target": float(tg)}]},
                       "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#888"},
                       "encoding": {"y": {"field": "target", "type": "quantitative"}}})
    chart = {"layer": layers, "height": 260}
    if drill_key and mode == "daily":
        event = st.vega_lite_chart(data, chart, on_select="rerun", key=f"{key}_chart", selection_mode="pick")
        picked = (event or {}).get("selection", {}).get("pick") if isinstance(event, dict) else \
            getattr(getattr(event, "selection", None), "pick", None) if event is not None else None
        if picked:
            raw = picked[0].get(xfield) if isinstance(picked, list) and picked else None
            if raw is not None:
                day = (pd.to_datetime(raw, unit="ms") if isinstance(raw, (int, float)) else pd.to_datetime(raw)).date()
                if st.session_state.get(f"{key}_picked") != day:
                    st.session_state[f"{key}_picked"] = day
                    st.session_state[f"{drill_key}_pick"] = k.key
                    st.session_state[f"{drill_key}_day"] = day
    else:
        st.vega_lite_chart(data, chart)


# --- ranking ------------------------------------------------------------------------------------

RANK_SHOWN = [k.key for k in KPIS]


def ranking_frame(engine: Engine, scope: Scope, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(agents with every KPI, the same shape of booleans: meets its target or not)."""
    df, ok = _against_target(_url(engine), scope.key, start, end, "agent")
    return df.copy(), ok.copy()


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _against_target(url: str, scope_key: tuple, start: date, end: date, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A ``compute`` frame per agent or team and, per KPI, whether each row meets its target."""
    engine = _engine(url)
    df = compute(engine, Scope(*scope_key), start, end, by=by)
    tg = targets(engine, df, start, end)
    ok = pd.DataFrame({k.key: [meets(k, v, tv) for v, tv in zip(df[k.key], tg[k.key], strict=True)]
                       for k in KPIS}, index=df.index)
    return df, ok


def _style(df: pd.DataFrame, ok: pd.DataFrame, key: str):
    """Cells green where the KPI meets its target, red where it misses (no colour without a target)."""
    aligned = ok.reindex(index=df.index, columns=[c for c in ok.columns if c in df.columns])
    colours = {c: [GREEN if v is True else RED if v is False else None for v in aligned[c].tolist()]
               for c in aligned.columns}  # DataFrame.map cost ~10 ms a table here, on every run
    return coloured_cells(df, colours, key)


def kpi_column_config() -> dict:
    cfg = {}
    for k in KPIS:
        fmt = {"pct": "%.1f%%", "s": "%.0f s", "ratio": "%.2f", "score": "%.2f", "points": "%.1f"}.get(k.unit, "%d")
        cfg[k.key] = st.column_config.NumberColumn(label(k), help=t(k.help_key), format=fmt)
    cfg |= {"agent_id": None, "team_id": None, "name": st.column_config.TextColumn(t("kpi.agent")),
            "employee_no": st.column_config.TextColumn(t("kpi.col.employee_no")),
            "team": st.column_config.TextColumn(t("kpi.team")),
            "agents": st.column_config.NumberColumn(t("kpi.col.agents"))}
    return cfg


def ranking(engine: Engine, scope: Scope, start: date, end: date, *, key: str, user: CurrentUser,
            download_key: str, drill_key: str) -> int | None:
    """Agents ranked by a chosen KPI, coloured against target; a picked row narrows the drill-down to that agent."""
    df, ok = ranking_frame(engine, scope, start, end)
    by = st.selectbox(t("kpi.rank_by"), [k.key for k in KPIS], format_func=lambda s: t(f"kpi.k.{s}"),
                      key=f"{key}_by")
    k = KPI_BY_KEY[by]
    order = df[by].astype(float).sort_values(ascending=k.direction == "lower", na_position="last").index
    df, ok = df.loc[order].reset_index(drop=True), ok.loc[order].reset_index(drop=True)
    shown = df[["agent_id", "employee_no", "name", "team", *RANK_SHOWN]]
    # one page at a time: colouring cells against target (the pandas Styler) costs ~0.1 ms a cell per run
    size = int(settings_mod.load(engine)["ui.page_size"])
    offset = page_offset(f"{key}_page", size, len(shown))
    page = shown.iloc[offset:offset + size]
    event = st.dataframe(_style(page, ok.iloc[offset:offset + size], key), hide_index=True,
                         column_config=kpi_column_config(), key=f"{key}_table", on_select="rerun",
                         selection_mode="single-row")
    pager(len(shown), size, key=f"{key}_page")
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    picked = int(page.iloc[rows[0]]["agent_id"]) if rows and rows[0] < len(page) else None
    # a click picks; the selection (a row number) staying put while the user pages on does not
    clicked = st.session_state.get(f"{key}_rows") != list(rows)
    st.session_state[f"{key}_rows"] = list(rows)
    offer_download(engine, user, download_key, lambda: _export_frame(shown), f"kpi_agents_{start:%Y-%m}", f"{key}_dl",
                   {"start": start.isoformat(), "end": end.isoformat(), "scope": list(scope.team_ids or [])})
    if picked is not None and clicked and st.session_state.get(f"{key}_picked") != picked:
        st.session_state[f"{key}_picked"] = picked
        st.session_state[f"{drill_key}_agent_pick"] = picked
        st.session_state[f"{drill_key}_pick"] = by
    return picked


def _export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Labels in the viewer's language for a download."""
    names = {k.key: label(k) for k in KPIS} | {c: t(f"kpi.col.{c}") for c in df.columns
                                                 if f"kpi.col.{c}" in _col_keys()}
    names |= {"name": t("kpi.agent"), "team": t("kpi.team")}
    return df.rename(columns=names)


@functools.cache
def _col_keys() -> frozenset[str]:
    from lib.i18n import STRINGS

    return frozenset(k for k in STRINGS if k.startswith("kpi.col."))


# --- drill-down -------------------------------------------------------------------------------

@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _records(url: str, scope_key: tuple, kpi_key: str, start: date, end: date, agent_id: int | None,
             day: date | None, limit: int, offset: int):
    r = drill.records(_engine(url), Scope(*scope_key), kpi_key, start, end, agent_id=agent_id, day=day, limit=limit,
                      offset=offset)
    return r.rows, r.total, r.kind


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _transcript(url: str, scope_key: tuple, chat_id: int) -> pd.DataFrame:
    return drill.transcript(_engine(url), Scope(*scope_key), chat_id)


def drill_section(engine: Engine, scope: Scope, start: date, end: date, *, drill_key: str, user: CurrentUser,
                  download_key: str, agent_names: dict[int, str] | None = None) -> None:
    """The records behind the KPI chosen by a tile, the trend or the ranking (for one agent/day if chosen)."""
    keys = [k.key for k in KPIS]
    if st.session_state.get(f"{drill_key}_pick") not in keys:
        st.session_state[f"{drill_key}_pick"] = keys[0]
    c1, c2, c3 = st.columns([2, 2, 1])
    kpi_key = c1.selectbox(t("kpi.drill_pick"), keys, format_func=lambda s: t(f"kpi.k.{s}"),
                           key=f"{drill_key}_pick")
    agent_id = None
    if agent_names is not None:
        options = [None, *agent_names]
        if st.session_state.get(f"{drill_key}_agent_pick") not in options:
            st.session_state[f"{drill_key}_agent_pick"] = None
        agent_id = c2.selectbox(t("kpi.agent"), options,
                                format_func=lambda a: t("kpi.drill_all_agents") if a is None else agent_names[a],
                                key=f"{drill_key}_agent_pick")
    day = st.session_state.get(f"{drill_key}_day")
    if day is not None:
        if c3.button(f"✕ {day.isoformat()}", key=f"{drill_key}_clear_day"):
            st.session_state[f"{drill_key}_day"] = None
            st.rerun()
    k = KPI_BY_KEY[kpi_key]
    rows, total, kind = _records(_url(engine), scope.key, kpi_key, start, end, agent_id, day, 200, 0)
    st.markdown(f"**{t('kpi.drill_title', kpi=label(k))}** · " + t("kpi.drill_of", total=total, shown=len(rows)))
    shown = rows.copy()
    for c in ("reply_state", "fu_state"):
        if c in shown:
            shown[c] = shown[c].map(lambda s: t(f"kpi.state.{s}") if s else "")
    cfg = {c: st.column_config.Column(t(f"kpi.col.{c}")) for c in shown.columns if f"kpi.col.{c}" in _col_keys()}
    cfg |= {"agent": st.column_config.TextColumn(t("kpi.agent")), "chat_id": None, "review_id": None,
            "complaint_id": None, "survey_id": None, "error_id": None}
    for c in ("started_at", "accepted_at", "reply_due_at", "replied_at", "follow_up_due_at", "followed_up_at",
              "recorded_at"):
        if c in shown:
            cfg[c] = st.column_config.DatetimeColumn(t(f"kpi.col.{c}"), format="YYYY-MM-DD HH:mm")
    st.dataframe(shown, hide_index=True, column_config=cfg, key=f"{drill_key}_records")
    offer_download(engine, user, download_key, lambda: _export_frame(shown.drop(
        columns=[c for c in ("chat_id", "review_id", "complaint_id", "survey_id", "error_id") if c in shown])),
        f"kpi_records_{kpi_key}_{start:%Y-%m}", f"{drill_key}_dl",
        {"kpi": kpi_key, "start": start.isoformat(), "end": end.isoformat(), "agent_id": agent_id,
         "day": day.isoformat() if day else None})
    if kind == "chats" and len(rows):
        with st.expander(t("kpi.transcript")):
            options = rows["chat_id"].tolist()
            conv = dict(zip(rows["chat_id"], rows["conversation_id"], strict=True))
            cid = st.selectbox(t("kpi.transcript_pick"), options, format_func=lambda c: conv[c],
                               key=f"{drill_key}_chat")
            msgs = _transcript(_url(engine), scope.key, int(cid)).copy()
            st.dataframe(msgs, hide_index=True, column_config={
                "seq": st.column_config.NumberColumn(t("kpi.col.seq")),
                "speaker": st.column_config.TextColumn(t("kpi.col.speaker")),
                "ts": st.column_config.DatetimeColumn(t("kpi.col.ts"), format="YYYY-MM-DD HH:mm:ss"),
                "text": st.column_config.TextColumn(t("kpi.col.text"), width="large")})


# --- downloads --------------------------------------------------------------------------------

def offer_download(engine: Engine, user: CurrentUser, download_key: str, df, name: str, key: str,
                   detail: dict | None = None) -> None:
    """CSV and Excel buttons when the policy allows this download; every click is audited. ``df``: the
    frame, or a function building it (run only when a button is clicked, in this run's language)."""
    if not require_download(user, download_key):
        return
    download_buttons(df, name, key, on_download=lambda: admin.log_download(engine, user, download_key,
                                                                           (detail or {}) | {"file": name}))


# --- smaller pieces of the pages ------------------------------------------------------------------

def agent_names(engine: Engine, scope: Scope) -> dict[int, str]:
    return dict(_agent_names(_url(engine), scope.key))


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _agent_names(url: str, scope_key: tuple) -> dict[int, str]:
    from lib.kpis.scope import agents_in

    a = agents_in(_engine(url), Scope(*scope_key))
    return {int(r.agent_id): f"{r.name}（{r.employee_no}）" for r in a.itertuples()}


def visible_teams(engine: Engine, user: CurrentUser) -> pd.DataFrame:
    """lib.kpis.scope.visible_teams, cached on what it depends on (department viewer or the led teams)."""
    from lib.kpis.scope import is_department_viewer

    key = ("all",) if is_department_viewer(user) else (("led", tuple(sorted(user.led_team_ids)))
                                                       if user.has("team_lead") else ("none",))
    return _visible_teams(_url(engine), key).copy()


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _visible_teams(url: str, key: tuple) -> pd.DataFrame:
    from types import SimpleNamespace

    from lib.kpis.scope import visible_teams as read

    roles = frozenset({"manager"}) if key[0] == "all" else frozenset({"team_lead"} if key[0] == "led" else ())
    viewer = SimpleNamespace(roles=roles, led_team_ids=key[1] if key[0] == "led" else (),
                             has=lambda *rs: bool(roles & set(rs)))
    return read(_engine(url), viewer)


def work_error_form(engine: Engine, scope: Scope, user: CurrentUser, agents: dict[int, str], *, key: str) -> None:
    """A lead records an error in an agent's daily work (one of the lead's own agents)."""
    from lib.kpis import surveys

    if not agents:
        return
    with st.expander(t("kpi.errors.title"), icon=":material/edit_note:"), st.form(key, clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        agent_id = c1.selectbox(t("kpi.agent"), list(agents), format_func=agents.get)
        day = c2.date_input(t("kpi.col.day"), value=latest_day(engine))
        kind = c3.selectbox(t("kpi.errors.kind"), surveys.ERROR_KINDS, format_func=lambda k: t(f"kpi.errors.kind.{k}"))
        note = st.text_input(t("kpi.col.note"))
        if st.form_submit_button(t("kpi.errors.save")):
            try:
                surveys.record_work_error(engine, scope, agent_id=int(agent_id), day=day, kind=kind, note=note,
                                          actor=user)
            except (ValueError, PermissionError) as exc:
                st.error(str(exc))
            else:
                clear_cache()
                st.success(t("kpi.errors.saved"))


def points_at_risk(engine: Engine, scope: Scope, month: str, as_of: date, *, key: str, user: CurrentUser,
                   download_key: str, with_days: bool = True) -> None:
    r = metrics.points_at_risk(engine, scope, month, **_qa_fns(_url(engine)))
    if r is None:
        st.info(t("kpi.qa_unavailable"))
        return
    c = st.columns(4)
    c[0].metric(t("kpi.me.points"), r["earned"], border=True)
    c[1].metric(t("kpi.me.lost"), r["lost"], border=True)
    c[2].metric(t("kpi.me.remaining"), r["at_risk"], border=True)
    c[3].metric(t("kpi.me.best_case"), f"{r['best']} / {r['working_days']}", border=True)
    if r["margin"] < 0:
        st.error(t("kpi.me.deduction_certain"))
    elif r["margin"] == 0:
        st.warning(t("kpi.me.margin_zero"))
    else:
        st.info(t("kpi.me.margin", n=r["margin"]))
    days = r["days"].copy()
    if with_days and len(days):
        days["point"] = days["point"].map(lambda p: t("kpi.me.no_sample") if p is None or pd.isna(p) else int(p))
        shown = days[["work_date", "reviews", "unqualified", "point"]].astype({"point": str})
        with st.expander(t("kpi.me.days")):
            st.dataframe(shown, hide_index=True, key=f"{key}_days", column_config={
                "work_date": st.column_config.DateColumn(t("kpi.col.day")),
                "reviews": st.column_config.NumberColumn(t("kpi.col.reviews")),
                "unqualified": st.column_config.NumberColumn(t("kpi.col.unqualified")),
                "point": st.column_config.TextColumn(t("kpi.me.point_day"))})
            offer_download(engine, user, download_key, lambda: _export_frame(shown), f"kpi_points_{month}", f"{key}_dl",
                           {"month": month})


def teams_table(engine: Engine, scope: Scope, start: date, end: date, *, key: str, user: CurrentUser,
                download_key: str) -> int | None:
    df, ok = _against_target(_url(engine), scope.key, start, end, "team")
    shown = df[["team_id", "team", "agents", *RANK_SHOWN]]
    event = st.dataframe(_style(shown, ok, key), hide_index=True, column_config=kpi_column_config(),
                         key=f"{key}_table", on_select="rerun", selection_mode="single-row")
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    offer_download(engine, user, download_key, lambda: _export_frame(shown.drop(columns=["team_id"])),
                   f"kpi_teams_{start:%Y-%m}", f"{key}_dl", {"start": start.isoformat(), "end": end.isoformat()})
    return int(shown.iloc[rows[0]]["team_id"]) if rows else None


def qa_bonus_frame(engine: Engine, scope: Scope, month: str) -> pd.DataFrame:
    """Per team for the month: agents, mean QA points and how many agents fall in each bonus tier."""
    return _qa_bonus(_url(engine), scope.key, month).copy()


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _qa_bonus(url: str, scope_key: tuple, month: str) -> pd.DataFrame:
    return bonus_by_team(_qa_month(url, scope_key, month))


BONUS_COLUMNS = ["team", "agents", "points_mean", "full", "tier1", "tier2", "no_bonus", "deduction_yuan"]


def bonus_by_team(m: pd.DataFrame) -> pd.DataFrame:
    """Per team of a QA month frame (``metrics.qa_month``), in team order: agents, mean points (of those
    with points), how many agents fall in each deducting tier and the deductions in yuan. Plain Python
    over the month's agents: pandas' groupby with five lambdas cost ~25 ms for 8 teams."""
    if m.empty:
        return pd.DataFrame(columns=BONUS_COLUMNS)
    teams: dict = {}
    points = pd.to_numeric(m["points"], errors="coerce").tolist()
    fen = pd.to_numeric(m["deduction_fen"], errors="coerce").fillna(0).tolist()
    for tid, team, p, tier, d in zip(m["team_id"].tolist(), m["team"].tolist(), points, m["tier"].tolist(), fen,
                                     strict=True):
        g = teams.setdefault((tid, team), {"agents": 0, "points": [], "tiers": [], "fen": 0.0})
        g["agents"] += 1
        if not pd.isna(p):
            g["points"].append(float(p))
        g["tiers"].append(tier)
        g["fen"] += float(d)
    rows = [[team, g["agents"], sum(g["points"]) / len(g["points"]) if g["points"] else np.nan,
             g["tiers"].count("full"), g["tiers"].count("deduct1"), g["tiers"].count("deduct2"),
             g["tiers"].count("no_bonus"), g["fen"] / 100.0]
            for (_tid, team), g in sorted(teams.items(), key=lambda kv: (kv[0][0], kv[0][1]))]
    return pd.DataFrame(rows, columns=BONUS_COLUMNS)


def qa_bonus_table(engine: Engine, scope: Scope, month: str, *, key: str, user: CurrentUser,
                   download_key: str) -> None:
    if metrics.qa_module() is None:
        st.info(t("kpi.qa_unavailable"))
        return
    df = qa_bonus_frame(engine, scope, month)
    cfg = {"team": st.column_config.TextColumn(t("kpi.team")),
           "agents": st.column_config.NumberColumn(t("kpi.col.agents")),
           "points_mean": st.column_config.NumberColumn(t("kpi.col.points_mean"), format="%.1f"),
           "full": st.column_config.NumberColumn(t("kpi.col.full")),
           "tier1": st.column_config.NumberColumn(t("kpi.col.tier1")),
           "tier2": st.column_config.NumberColumn(t("kpi.col.tier2")),
           "no_bonus": st.column_config.NumberColumn(t("kpi.col.no_bonus")),
           "deduction_yuan": st.column_config.NumberColumn(t("kpi.col.deduction_yuan"), format="%.0f")}
    st.dataframe(df, hide_index=True, column_config=cfg, key=f"{key}_table")
    offer_download(engine, user, download_key, lambda: _export_frame(df), f"kpi_qa_bonus_{month}", f"{key}_dl",
                   {"month": month})


def quarter_options(engine: Engine) -> list[str]:
    from lib.kpis.surveys import quarters_around

    return quarters_around(latest_day(engine), 6)


def survey_quarter_table(engine: Engine, scope: Scope, quarter: str, *, key: str, user: CurrentUser,
                         download_key: str) -> None:
    from lib.kpis.surveys import quarterly

    df = quarterly(engine, scope, quarter)
    tg = settings_mod.load(engine)["kpi.targets"].get("survey_satisfaction")
    k = KPI_BY_KEY["survey_satisfaction"]
    ok = pd.DataFrame({"mean_score": [meets(k, v, tg) for v in df["mean_score"]]}, index=df.index)
    shown = df.drop(columns=["agent_id"])
    st.dataframe(_style(shown, ok, key), hide_index=True, key=f"{key}_table", column_config={
        "employee_no": st.column_config.TextColumn(t("kpi.col.employee_no")),
        "name": st.column_config.TextColumn(t("kpi.agent")), "team": st.column_config.TextColumn(t("kpi.team")),
        "sent": st.column_config.NumberColumn(t("kpi.col.sent")),
        "answered": st.column_config.NumberColumn(t("kpi.col.answered")),
        "mean_score": st.column_config.NumberColumn(t("kpi.col.mean_score"), format="%.2f"),
        "satisfied_pct": st.column_config.NumberColumn(t("kpi.col.satisfied_pct"), format="%.1f%%")})
    offer_download(engine, user, download_key, lambda: _export_frame(shown), f"kpi_surveys_{quarter}", f"{key}_dl",
                   {"quarter": quarter})


def survey_import(engine: Engine, scope: Scope, user: CurrentUser, *, key: str) -> None:
    from lib.fileio import ImportRefused
    from lib.kpis import surveys

    st.caption(t("kpi.surveys.columns"))
    up = st.file_uploader(t("kpi.surveys.upload"), type=["csv", "txt"], key=f"{key}_file")
    if up is not None and st.button(t("kpi.surveys.do_import"), key=f"{key}_go"):
        bar = st.progress(0.0)
        try:
            rep = surveys.import_csv(engine, up.getvalue(), scope, actor=user, source=up.name)
        except ImportRefused as exc:
            bar.empty()
            st.error(t("kpi.surveys.refused", message=str(exc)))
            if exc.issues:
                st.dataframe(pd.DataFrame({"line": [i.line for i in exc.issues],
                                           "problem": [i.message for i in exc.issues]}), hide_index=True)
        else:
            bar.progress(1.0)
            clear_cache()
            st.success(t("kpi.surveys.imported", inserted=rep.inserted, skipped=rep.skipped))


def survey_form(engine: Engine, scope: Scope, user: CurrentUser, agents: dict[int, str], *, key: str) -> None:
    from lib.kpis import surveys

    if not agents:
        st.info(t("kpi.no_data"))
        return
    with st.form(key, clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        agent_id = c1.selectbox(t("kpi.agent"), list(agents), format_func=agents.get)
        sent_on = c2.date_input(t("kpi.col.sent_on"), value=latest_day(engine))
        score = c3.selectbox(t("kpi.surveys.score"), [None, 5, 4, 3, 2, 1],
                             format_func=lambda s: t("kpi.surveys.unanswered") if s is None else str(s))
        channel = st.text_input(t("kpi.col.channel"), max_chars=16)
        comment = st.text_area(t("kpi.col.comment"), max_chars=surveys.MAX_COMMENT)
        if st.form_submit_button(t("kpi.surveys.save")):
            try:
                surveys.record_survey(engine, scope, agent_id=int(agent_id), sent_on=sent_on, score=score,
                                      channel=channel, comment=comment, actor=user)
            except (ValueError, PermissionError) as exc:
                st.error(str(exc))
            else:
                clear_cache()
                st.success(t("kpi.surveys.saved"))
