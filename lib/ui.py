"""Pieces of interface every page shares: the sidebar, the demo banner, downloads."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib import auth
from lib.i18n import current_language, t, using_language
from lib.policy import ROLE_NAMES
from lib.session import language_picker, logout
from lib.tabular import neutralise_formulas, to_csv_bytes, to_xlsx_bytes  # noqa: F401 - re-exported for pages


def role_label(role: str) -> str:
    from lib.i18n import current_language

    zh, en = ROLE_NAMES[role]
    return zh if current_language() == "zh" else en


def demo_banner(engine: Engine) -> None:
    if auth.is_demo(engine):
        st.warning(t("ui.demo_banner"), icon=":material/science:")


def sidebar(engine: Engine, cookie_key: str, user: auth.CurrentUser) -> None:
    sb = st.sidebar
    sb.markdown(f"**{user.display_name}** · `{user.username}`")
    sb.caption(" · ".join(role_label(r) for r in sorted(user.roles)))
    language_picker(sb, engine, user.id)
    with sb.popover(t("auth.change_password")):
        with st.form("change_password", clear_on_submit=True):
            cur = st.text_input(t("auth.current_password"), type="password")
            new = st.text_input(t("auth.new_password"), type="password")
            rep = st.text_input(t("auth.repeat_password"), type="password")
            if st.form_submit_button(t("auth.change_password")):
                if new != rep:
                    st.error(t("auth.passwords_differ"))
                else:
                    try:
                        auth.change_password(engine, user.id, cur, new)
                    except auth.AuthError as exc:
                        st.error(str(exc))
                    else:
                        logout(engine, cookie_key)
                        st.session_state["_auth_ended"] = "password_change"
                        st.rerun()
    if sb.button(t("auth.logout"), key="logout_button", icon=":material/logout:"):
        logout(engine, cookie_key)
        st.rerun()


def download_buttons(df: pd.DataFrame | Callable[[], pd.DataFrame], name: str, key: str, on_download=None) -> None:
    """CSV and Excel buttons for a table; ``on_download`` is called (e.g. to audit) when clicked.

    The files are written when a button is clicked (Streamlit's deferred download), not on
    every run of the page: an XLSX costs tens of milliseconds. ``df`` may be a frame or a
    function returning one (a query that only the download needs then runs only on a click).
    """
    frame = deferred(df) if callable(df) else (lambda: df)
    c1, c2 = st.columns(2)
    c1.download_button(t("ui.download_csv"), lambda: to_csv_bytes(frame()), f"{name}.csv", "text/csv",
                       key=f"{key}_csv", on_click=on_download or "ignore", icon=":material/download:")
    c2.download_button(t("ui.download_xlsx"), lambda: to_xlsx_bytes(frame(), name), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}_xlsx",
                       on_click=on_download or "ignore", icon=":material/table:")


def deferred(build: Callable[[], pd.DataFrame]) -> Callable[[], pd.DataFrame]:
    """``build`` to run later (when a download is clicked), labelling in the language of the run that
    offered it: the click is served outside that run, where the session's language is not known."""
    lang = current_language()

    def run() -> pd.DataFrame:
        with using_language(lang):
            return build()

    return run


def page_link(container, spec, label: str | None = None) -> None:
    """A link to a policy page (a PageSpec or its key); plain text when the page is served
    without app.py's navigation (Streamlit's pages/ folder, or AppTest's reruns)."""
    from streamlit.errors import StreamlitAPIException

    from lib.policy import PAGE_BY_KEY

    if isinstance(spec, str):
        spec = PAGE_BY_KEY[spec]
    label = label or t(spec.title_key)
    try:
        container.page_link(spec.file, label=label, icon=spec.icon)
    except StreamlitAPIException:
        container.markdown(label)


CHART_TTL_S = 300


@st.cache_data(ttl=CHART_TTL_S, max_entries=256, show_spinner=False)
def _chart_spec(_builder, name: str, lang: str, df: pd.DataFrame, args: tuple) -> dict | None:
    chart = _builder(df, *args)
    return None if chart is None else chart.to_dict()


def chart(builder: Callable, df: pd.DataFrame, *args, width="stretch") -> None:
    """Draw ``builder(df, *args)`` (an Altair chart, or None for "no rows").

    Building an Altair chart validates every encoding against the Vega-Lite schema (10-35 ms a chart,
    on every rerun); the finished Vega-Lite spec is cached instead, keyed on the builder, the language
    (labels are translated) and the data, and drawn as it is."""
    spec = _chart_spec(builder, f"{builder.__module__}.{builder.__qualname__}", current_language(), df, args)
    if spec is None:
        st.info(t("ui.no_rows"))
    else:
        st.vega_lite_chart(spec, width=width)


# --- coloured cells -----------------------------------------------------------------------------

def coloured_cells(df: pd.DataFrame, colours: pd.DataFrame | dict[str, list], uuid: str):
    """``df`` for ``st.dataframe`` with some cells' background coloured: ``colours`` gives a CSS colour
    (or None for none) per cell of some of df's columns, either as a frame with df's index or as a
    dict of column -> one colour per row of df, in df's order (no frame to build: cheaper per run).

    Streamlit takes cell colours only from a pandas Styler, and marshals one by asking it to
    compute and translate every cell's HTML rendering: ~30 ms for a 6-row KPI table, ~100 ms for
    200 rows, on every rerun. Of that rendering it reads only the cell styles (the display values
    it reads are overridden by column_config formats), so the Styler here is handed them directly.
    ``uuid`` keeps the CSS the same from one rerun to the next. tests/lib/test_ui_helpers.py checks
    that Streamlit's message carries exactly these colours."""
    styler = df.style
    styler.set_uuid(uuid)
    position = {c: j for j, c in enumerate(df.columns)}
    if isinstance(colours, pd.DataFrame):
        aligned = colours.reindex(df.index)
        colours = {c: aligned[c].tolist() for c in aligned.columns}
    selectors: dict[str, list[str]] = {}
    for col, values in colours.items():
        j = position[col]
        for i, colour in enumerate(values):
            if isinstance(colour, str) and colour:
                selectors.setdefault(colour, []).append(f"row{i}_col{j}")
    translated = {"cellstyle": [{"props": [("background-color", c)], "selectors": sel} for c, sel in selectors.items()],
                  "body": [], "table_styles": []}
    styler._compute = lambda: styler
    styler._translate = lambda *args, **kwargs: translated
    return styler


# --- paging -------------------------------------------------------------------------------------

def page_offset(key: str, page_size: int, total: int | None = None) -> int:
    """The offset of the page the user is on (read before querying, so a click shows at once);
    with ``total`` known, a page past the end (the list got shorter) falls back to the last one."""
    page = max(1, int(st.session_state.get(key, 1)))
    if total is not None:
        page = min(page, max(1, -(-total // page_size)))
    return (page - 1) * page_size


def _step(key: str, delta: int) -> None:
    st.session_state[key] = max(1, int(st.session_state.get(key, 1)) + delta)


def pager(total: int, page_size: int, *, key: str) -> int:
    """Page controls (callbacks update the page before the next run); returns the offset of the page to show."""
    pages = max(1, -(-total // page_size))
    cur = min(max(1, int(st.session_state.get(key, 1))), pages)
    st.session_state[key] = cur
    c1, c2, c3 = st.columns([1, 3, 1])
    c1.button(t("ui.prev_page"), key=f"{key}_prev", disabled=cur <= 1, on_click=_step, args=(key, -1))
    c3.button(t("ui.next_page"), key=f"{key}_next", disabled=cur >= pages, on_click=_step, args=(key, 1))
    c2.caption(t("ui.page_of", page=cur, pages=pages) + " · " + t("ui.total_rows", n=total))
    return (cur - 1) * page_size


def selected_row(event) -> int | None:
    """The index of the row a user selected in an st.dataframe with on_select (or None)."""
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None
