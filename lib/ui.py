"""Pieces of interface every page shares: the sidebar, the demo banner, downloads."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib import auth
from lib.i18n import t
from lib.policy import ROLE_NAMES
from lib.session import language_picker, logout


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


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with a quote."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
            )
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    # UTF-8 with BOM so that Excel in China opens Chinese text correctly
    return neutralise_formulas(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        neutralise_formulas(df).to_excel(xw, index=False, sheet_name=sheet[:31])
    return buf.getvalue()


def download_buttons(df: pd.DataFrame, name: str, key: str, on_download=None) -> None:
    """CSV and Excel buttons for a table; ``on_download`` is called (e.g. to audit) when clicked."""
    c1, c2 = st.columns(2)
    c1.download_button(t("ui.download_csv"), to_csv_bytes(df), f"{name}.csv", "text/csv", key=f"{key}_csv",
                       on_click=on_download or "ignore", icon=":material/download:")
    c2.download_button(t("ui.download_xlsx"), to_xlsx_bytes(df, name), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}_xlsx",
                       on_click=on_download or "ignore", icon=":material/table:")
