"""Streamlit pieces the portfolio pages share: filters, column formats, charts, paging.

They live here so that the pages read like a description of the screen.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib.i18n import t
from lib.portfolio import rules
from lib.portfolio import service as svc
from lib.portfolio.queries import Filters
from lib.ui import chart as ui_chart
from lib.ui import page_offset, pager, selected_row  # noqa: F401 - the portfolio pages use them as v.*

BOOK_PAGE = "pages/portfolio_book.py"
CLIENT_PAGE = "pages/portfolio_client.py"


def any_label() -> str:
    return t("portfolio.any")


def select_code(container, label_key: str, group: str, codes, *, key: str, value=None):
    """A selectbox over codes shown with their labels; the first option is 'any' (None)."""
    options = [None, *codes]
    idx = options.index(value) if value in options else 0
    return container.selectbox(t(label_key), options, index=idx, key=key,
                               format_func=lambda v: any_label() if v is None else
                               (svc.label(group, v) if group else str(v)))


def filters_bar(engine, scope, *, key: str, rm_level: bool = True, client_level: bool = True) -> Filters:
    vals = svc.filter_values(engine, scope)
    cols = st.columns(5)
    branch = grade = tier = industry = rating = None
    if rm_level:
        branch = select_code(cols[0], "portfolio.col.branch", "", vals["branch"], key=f"{key}_branch")
        grade = select_code(cols[1], "portfolio.col.grade", "grade", rules.RM_GRADES, key=f"{key}_grade")
    if client_level:
        tier = select_code(cols[2], "portfolio.col.tier", "tier", rules.TIERS, key=f"{key}_tier")
        industry = select_code(cols[3], "portfolio.col.industry", "", vals["industry"], key=f"{key}_industry")
        rating = select_code(cols[4], "portfolio.col.rating", "", rules.RATINGS, key=f"{key}_rating")
    return Filters(branch=branch, grade=grade, tier=tier, industry=industry, rating=rating)


def wan_col(label_key: str):
    return st.column_config.NumberColumn(t(label_key), format="localized")


def pct_col(label_key: str):
    return st.column_config.NumberColumn(t(label_key), format="percent")


def text_col(label_key: str):
    return st.column_config.TextColumn(t(label_key))


def date_col(label_key: str):
    return st.column_config.DateColumn(t(label_key), format="YYYY-MM-DD")


def goto_client(client_id: int) -> None:
    st.switch_page(CLIENT_PAGE, query_params={"client": str(int(client_id))})


def goto_book(rm_id: int) -> None:
    st.switch_page(BOOK_PAGE, query_params={"rm": str(int(rm_id))})


def as_of_caption(a) -> None:
    st.caption(t("portfolio.as_of", start=a.period_start.isoformat(), today=a.today.isoformat(),
                 month_end=a.month_end.isoformat() if a.month_end else "—"))


# --- charts ---------------------------------------------------------------------------------

def composition_chart(df: pd.DataFrame):
    if df.empty:
        return None
    d = df.copy()
    d["wan"] = d["balance_fen"].map(svc.wan)
    d["tier_l"] = svc.labels("tier", d["tier"])
    d["cat_l"] = svc.labels("category", d["category"])
    return alt.Chart(d).mark_bar().encode(
        x=alt.X("tier_l:N", title=t("portfolio.col.tier"), sort=[svc.label("tier", x) for x in rules.TIERS]),
        y=alt.Y("sum(wan):Q", title=t("portfolio.unit.wan")),
        color=alt.Color("cat_l:N", title=t("portfolio.col.category")),
        tooltip=[alt.Tooltip("tier_l:N", title=t("portfolio.col.tier")),
                 alt.Tooltip("cat_l:N", title=t("portfolio.col.category")),
                 alt.Tooltip("sum(wan):Q", title=t("portfolio.unit.wan"), format=",.1f")],
    )


def trend_chart(df: pd.DataFrame):
    if df.empty:
        return None
    d = df.copy()
    d["wan"] = d["balance_fen"].map(svc.wan)
    d["cat_l"] = svc.labels("category", d["category"])
    d["as_of"] = pd.to_datetime(d["as_of"])
    return alt.Chart(d).mark_line(point=True).encode(
        x=alt.X("as_of:T", title=t("portfolio.col.month_end")),
        y=alt.Y("wan:Q", title=t("portfolio.unit.wan")),
        color=alt.Color("cat_l:N", title=t("portfolio.col.category")),
        tooltip=[alt.Tooltip("as_of:T", title=t("portfolio.col.month_end")),
                 alt.Tooltip("cat_l:N", title=t("portfolio.col.category")),
                 alt.Tooltip("wan:Q", title=t("portfolio.unit.wan"), format=",.1f")],
    )


def migration_chart(df: pd.DataFrame):
    if df.empty:
        return None
    d = df.copy()
    order = [svc.label("class", c) for c in rules.LOAN_CLASSES]
    d["from_l"] = svc.labels("class", d["from_class"])
    d["to_l"] = svc.labels("class", d["to_class"])
    base = alt.Chart(d).encode(
        x=alt.X("to_l:N", title=t("portfolio.chart.class_now"), sort=order),
        y=alt.Y("from_l:N", title=t("portfolio.chart.class_start"), sort=[*order, svc.label("class", "new")]),
    )
    return base.mark_rect().encode(
        color=alt.Color("loans:Q", title=t("portfolio.col.loans_count"), scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("from_l:N", title=t("portfolio.chart.class_start")),
                 alt.Tooltip("to_l:N", title=t("portfolio.chart.class_now")),
                 alt.Tooltip("loans:Q", title=t("portfolio.col.loans_count"))],
    ) + base.mark_text().encode(text="loans:Q")


def channel_chart(df: pd.DataFrame):
    if df.empty:
        return None
    d = df.groupby("channel", as_index=False)["clients"].sum()
    d["ch_l"] = svc.labels("channel", d["channel"])
    return alt.Chart(d).mark_bar().encode(
        x=alt.X("clients:Q", title=t("portfolio.col.new_clients")),
        y=alt.Y("ch_l:N", title=t("portfolio.col.channel"), sort="-x"),
        tooltip=[alt.Tooltip("ch_l:N", title=t("portfolio.col.channel")),
                 alt.Tooltip("clients:Q", title=t("portfolio.col.new_clients"))],
    )


def class_by_rm_chart(ov: pd.DataFrame):
    if ov.empty:
        return None
    rows = []
    for _, r in ov.iterrows():
        for c in rules.LOAN_CLASSES:
            if c == "pass":
                continue
            v = svc.wan(r[f"loans_{c}_fen"])
            if v:
                rows.append({"rm": r["rm_name"], "cls": svc.label("class", c), "wan": v})
    if not rows:
        return None
    d = pd.DataFrame(rows)
    return alt.Chart(d).mark_bar().encode(
        x=alt.X("rm:N", title=t("portfolio.col.rm"), sort="-y"),
        y=alt.Y("sum(wan):Q", title=t("portfolio.chart.non_pass_wan")),
        color=alt.Color("cls:N", title=t("portfolio.col.class"),
                        sort=[svc.label("class", c) for c in rules.LOAN_CLASSES[1:]]),
        tooltip=["rm:N", "cls:N", alt.Tooltip("sum(wan):Q", format=",.1f")],
    )


def show_chart(builder, df: pd.DataFrame) -> None:
    """One of the chart builders above, drawn from a cached spec (lib.ui.chart)."""
    ui_chart(builder, df)


# --- tables -------------------------------------------------------------------------------------

def share_text(part, whole) -> str:
    return "—" if not whole else f"{100.0 * float(part) / float(whole):.1f}%"


OVERVIEW_LABELS = {
    "rm_name": "portfolio.col.rm", "grade_l": "portfolio.col.grade", "branch": "portfolio.col.branch",
    "clients": "portfolio.col.clients", "tier_key": "portfolio.tier.key", "tier_large": "portfolio.tier.large",
    "tier_vip": "portfolio.tier.vip", "tier_ordinary": "portfolio.tier.ordinary",
    "deposits_wan": "portfolio.col.deposits_wan", "loans_wan": "portfolio.col.loans_wan",
    "credit_granted_wan": "portfolio.col.credit_granted_wan", "credit_used_wan": "portfolio.col.credit_used_wan",
    "credit_used_share": "portfolio.col.credit_used_share", "wealth_wan": "portfolio.col.wealth_wan",
    "fee_wan": "portfolio.col.fee_wan", "fee_share": "portfolio.col.fee_share",
    "products_per_client": "portfolio.col.products_per_client", "new_clients": "portfolio.col.new_clients",
    "key_overdue": "portfolio.col.key_overdue", "dormant": "portfolio.flag.dormant",
    "single_product": "portfolio.flag.single_product", "past_due": "portfolio.flag.past_due",
    "worse_class": "portfolio.flag.worse_class", "near_limit": "portfolio.flag.near_limit",
    "npl_ratio": "portfolio.col.npl_ratio",
}
OVERVIEW_ORDER = list(OVERVIEW_LABELS)
OVERVIEW_SORTS = ["deposits_wan", "loans_wan", "wealth_wan", "fee_wan", "fee_share", "clients", "new_clients",
                  "key_overdue", "npl_ratio", "products_per_client", "credit_used_share", "rm_name"]


def overview_table(ov: pd.DataFrame) -> pd.DataFrame:
    d = ov.copy()
    for c in ("deposits", "loans", "credit_granted", "credit_used", "wealth", "fee"):
        d[f"{c}_wan"] = d[f"{c}_fen"].map(lambda x: round(svc.wan(x), 2))
    d["grade_l"] = svc.labels("grade", d["grade"])
    return d


def overview_columns() -> dict:
    cfg = {}
    for c, k in OVERVIEW_LABELS.items():
        if c.endswith("_share") or c == "npl_ratio":
            cfg[c] = pct_col(k)
        elif c.endswith("_wan"):
            cfg[c] = wan_col(k)
        elif c == "products_per_client":
            cfg[c] = st.column_config.NumberColumn(t(k), format="%.2f")
        else:
            cfg[c] = st.column_config.Column(t(k))
    return cfg


def overview_download(tbl: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({t(k): tbl[c] for c, k in OVERVIEW_LABELS.items()})
    return out


def key_overdue_table(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    d = svc.local_times(df, ["last_contact_at"], tz)
    d["tier"] = svc.labels("tier", d["tier"])
    return d[["client_no", "name", "tier", "rm_name", "last_contact_at"]]


def key_overdue_columns() -> dict:
    return {"client_no": text_col("portfolio.col.client_no"), "name": text_col("portfolio.col.name"),
            "tier": text_col("portfolio.col.tier"), "rm_name": text_col("portfolio.col.rm"),
            "last_contact_at": st.column_config.DatetimeColumn(t("portfolio.col.last_contact"),
                                                               format="YYYY-MM-DD HH:mm")}


def worse_loans_table(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    d["from_class"] = svc.labels("class", d["from_class"])
    d["to_class"] = svc.labels("class", d["to_class"])
    d["outstanding_wan"] = d["outstanding_fen"].map(lambda x: round(svc.wan(x), 2))
    return d[["loan_no", "client_name", "rm_name", "from_class", "to_class", "days_past_due", "outstanding_wan"]]


def worse_loans_columns() -> dict:
    return {"loan_no": text_col("portfolio.col.loan_no"), "client_name": text_col("portfolio.col.name"),
            "rm_name": text_col("portfolio.col.rm"), "from_class": text_col("portfolio.chart.class_start"),
            "to_class": text_col("portfolio.chart.class_now"),
            "days_past_due": st.column_config.NumberColumn(t("portfolio.col.max_dpd")),
            "outstanding_wan": wan_col("portfolio.col.outstanding_wan")}


# --- the book -------------------------------------------------------------------------------------

def book_picker(engine, scope) -> int | None:
    """An RM sees their own book; a manager chooses one (from ?rm= or the selectbox)."""
    rms = svc.rm_choices(engine, scope)
    if scope.rm_id is not None:
        row = rms.iloc[0] if not rms.empty else None
        if row is not None:
            st.subheader(f"{row['name']} · {svc.label('grade', row['grade'])} · {row['branch']}")
        return scope.rm_id
    ids = [int(x) for x in rms["id"]]
    names = {int(x["id"]): f"{x['name']} · {svc.label('grade', x['grade'])} · {x['branch']}" for _, x in rms.iterrows()}
    want = st.query_params.get("rm")
    try:
        want = int(want) if want is not None else None
    except ValueError:
        want = None
    if want in ids and st.session_state.get("pbk_rm") is None:
        st.session_state["pbk_rm"] = want  # a drill-down (?rm=) into a page whose picker has no choice yet

    def _sync() -> None:
        chosen = st.session_state.get("pbk_rm")
        if chosen is None:
            st.query_params.pop("rm", None)
        else:
            st.query_params["rm"] = str(chosen)

    chosen = st.selectbox(t("portfolio.col.rm"), [None, *ids], key="pbk_rm", on_change=_sync,
                          format_func=lambda i: t("portfolio.choose_rm") if i is None else names.get(i, str(i)))
    return chosen


def book_filters(rm_id: int) -> Filters:
    cols = st.columns(3)
    tier = select_code(cols[0], "portfolio.col.tier", "tier", rules.TIERS, key="pbk_tier")
    rating = select_code(cols[1], "portfolio.col.rating", "", rules.RATINGS, key="pbk_rating")
    ctype = select_code(cols[2], "portfolio.col.client_type", "type", rules.CLIENT_TYPES, key="pbk_type")
    return Filters(rm_id=rm_id, tier=tier, rating=rating, client_type=ctype)


def flag_metrics(counts: dict[str, int]) -> None:
    cols = st.columns(len(rules.FLAG_NAMES) + 1)
    cols[0].metric(t("portfolio.col.clients"), f"{counts.get('clients', 0):,}")
    for c, k in zip(cols[1:], rules.FLAG_NAMES, strict=True):
        c.metric(t(f"portfolio.flag.{k}"), f"{counts.get(k, 0):,}", help=t(f"portfolio.flag_help.{k}"))


def flag_picker(container, counts: dict[str, int], *, key: str) -> str | None:
    return container.selectbox(
        t("portfolio.show"), [None, *rules.FLAG_NAMES], key=key,
        format_func=lambda k: t("portfolio.all_clients") if k is None
        else f"{t('portfolio.flag.' + k)} ({counts.get(k, 0)})")


BOOK_LABELS = {
    "tier": "portfolio.col.tier", "name": "portfolio.col.name", "credit_rating": "portfolio.col.rating",
    "deposits_fen": "portfolio.col.deposits_wan", "loans_fen": "portfolio.col.loans_wan",
    "wealth_fen": "portfolio.col.wealth_wan", "fee_fen": "portfolio.col.fee_yuan",
    "products": "portfolio.col.products", "max_dpd": "portfolio.col.max_dpd",
    "last_contact_at": "portfolio.col.last_contact", "acquired_on": "portfolio.col.acquired_on",
}
BOOK_SORTS = list(BOOK_LABELS)


def book_table(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    d = svc.local_times(df, ["last_contact_at"], tz)
    out = pd.DataFrame({
        "client_no": d["client_no"], "name": d["name"],
        "client_type": svc.labels("type", d["client_type"]),
        "tier": svc.labels("tier", d["tier"]), "credit_rating": d["credit_rating"],
        "deposits_wan": d["deposits_fen"].map(lambda x: round(svc.wan(x), 2)),
        "loans_wan": d["loans_fen"].map(lambda x: round(svc.wan(x), 2)),
        "wealth_wan": d["wealth_fen"].map(lambda x: round(svc.wan(x), 2)),
        "credit_used_share": [(u / g) if g else None for u, g in zip(d["credit_used_fen"], d["credit_granted_fen"],
                                                                      strict=True)],
        "fee_yuan": d["fee_fen"].map(lambda x: round(svc.yuan(x), 2)),
        "products": d["products"], "max_dpd": d["max_dpd"], "last_contact_at": d["last_contact_at"],
        "flags": [" · ".join(t(f"portfolio.flag.{k}") for k in rules.FLAG_NAMES if row[k]) for _, row in d.iterrows()],
    })
    return out


def book_columns() -> dict:
    return {
        "client_no": text_col("portfolio.col.client_no"), "name": text_col("portfolio.col.name"),
        "client_type": text_col("portfolio.col.client_type"), "tier": text_col("portfolio.col.tier"),
        "credit_rating": text_col("portfolio.col.rating"),
        "deposits_wan": wan_col("portfolio.col.deposits_wan"), "loans_wan": wan_col("portfolio.col.loans_wan"),
        "wealth_wan": wan_col("portfolio.col.wealth_wan"),
        "credit_used_share": st.column_config.ProgressColumn(t("portfolio.col.credit_used_share"), min_value=0.0,
                                                             max_value=1.0, format="percent"),
        "fee_yuan": wan_col("portfolio.col.fee_yuan"),
        "products": st.column_config.NumberColumn(t("portfolio.col.products")),
        "max_dpd": st.column_config.NumberColumn(t("portfolio.col.max_dpd")),
        "last_contact_at": st.column_config.DatetimeColumn(t("portfolio.col.last_contact"), format="YYYY-MM-DD"),
        "flags": text_col("portfolio.col.flags"),
    }


# --- client 360 -----------------------------------------------------------------------------------

def client_picker(engine, scope) -> int | None:
    """The client from ?client=, or one found by name / number in the viewer's scope."""
    from lib.portfolio import client as cq

    raw = st.query_params.get("client")
    with st.expander(t("portfolio.find_client"), expanded=raw is None):
        text = st.text_input(t("portfolio.search"), key="pcl_search", max_chars=64)
        if text.strip():
            found = cq.search_clients(engine, scope, text)
            if found.empty:
                st.caption(t("ui.no_rows"))
            for _, x in found.iterrows():
                if st.button(f"{x['name']} · {x['client_no']} · {svc.label('tier', x['tier'])}", key=f"pcl_f{x['id']}"):
                    st.query_params["client"] = str(int(x["id"]))
                    st.rerun()
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


def client_header(p: dict, tz: str) -> None:
    st.subheader(f"{p['name']} · {p['client_no']}")
    c = st.columns(4)
    c[0].metric(t("portfolio.col.tier"), svc.label("tier", p["tier"]))
    c[1].metric(t("portfolio.col.rating"), p["credit_rating"])
    c[2].metric(t("portfolio.col.client_type"), svc.label("type", p["client_type"]))
    c[3].metric(t("portfolio.col.rm"), p.get("rm_name") or "—")
    last = svc.to_local_dt(p["last_contact_at"], tz)
    rows = [
        (t("portfolio.col.id_number"), p["id_number"] or "—"),
        (t("portfolio.col.phone"), p["phone"] or "—"),
        (t("portfolio.col.industry"), p["industry"] or "—"),
        (t("portfolio.col.branch"), p["branch"] or "—"),
        (t("portfolio.col.channel"), svc.label("channel", p["acquisition_channel"]) or "—"),
        (t("portfolio.col.acquired_on"), str(p["acquired_on"] or "—")),
        (t("portfolio.col.status"), svc.label("status", p["status"])),
        (t("portfolio.col.last_contact"), last.strftime("%Y-%m-%d %H:%M") if last else "—"),
        (t("portfolio.col.last_txn"), str(p["last_txn_on"] or "—")),
    ]
    st.markdown("  \n".join(f"**{k}**: {val}" for k, val in rows))


def holdings_section(h: pd.DataFrame, hist: pd.DataFrame) -> None:
    from lib.i18n import current_language

    zh = current_language() == "zh"
    d = pd.DataFrame({
        "product": h["name_zh"] if zh else h["name_en"],
        "category": svc.labels("category", h["category"]),
        "account_no": h["account_no"], "opened_on": h["opened_on"], "as_of": h["as_of"],
        "balance_wan": h["balance_fen"].map(lambda x: round(svc.wan(x), 2) if pd.notna(x) else None),
    })
    st.dataframe(d, hide_index=True, column_config={
        "product": text_col("portfolio.col.product"), "category": text_col("portfolio.col.category"),
        "account_no": text_col("portfolio.col.account_no"), "opened_on": date_col("portfolio.col.opened_on"),
        "as_of": date_col("portfolio.col.month_end"), "balance_wan": wan_col("portfolio.col.balance_wan")})
    st.markdown(f"**{t('portfolio.chart.trend')}**")
    show_chart(trend_chart, hist)


def credit_section(cl: pd.DataFrame) -> None:
    st.markdown(f"**{t('portfolio.credit_lines')}**")
    if cl.empty:
        st.caption(t("ui.no_rows"))
        return
    d = pd.DataFrame({"granted_wan": cl["granted_fen"].map(lambda x: round(svc.wan(x), 2)),
                      "used_wan": cl["used_fen"].map(lambda x: round(svc.wan(x), 2)),
                      "used_share": cl["used_share"], "granted_on": cl["granted_on"], "expires_on": cl["expires_on"],
                      "status": svc.labels("line_status", cl["status"])})
    st.dataframe(d, hide_index=True, column_config={
        "granted_wan": wan_col("portfolio.col.credit_granted_wan"), "used_wan": wan_col("portfolio.col.credit_used_wan"),
        "used_share": st.column_config.ProgressColumn(t("portfolio.col.credit_used_share"), min_value=0.0,
                                                      max_value=1.0, format="percent"),
        "granted_on": date_col("portfolio.col.granted_on"), "expires_on": date_col("portfolio.col.expires_on"),
        "status": text_col("portfolio.col.status")})


def loans_section(lo: pd.DataFrame, hist: pd.DataFrame) -> None:
    from lib.i18n import current_language

    st.markdown(f"**{t('portfolio.loans')}**")
    if lo.empty:
        st.caption(t("ui.no_rows"))
        return
    zh = current_language() == "zh"
    d = pd.DataFrame({
        "loan_no": lo["loan_no"], "product": lo["name_zh"] if zh else lo["name_en"],
        "principal_wan": lo["principal_fen"].map(lambda x: round(svc.wan(x), 2)),
        "outstanding_wan": lo["outstanding_fen"].map(lambda x: round(svc.wan(x), 2)),
        "rate_pct": lo["rate_bp"] / 10_000, "start_on": lo["start_on"], "maturity_on": lo["maturity_on"],
        "classification": svc.labels("class", lo["classification"]),
        "days_past_due": lo["days_past_due"],
        "interest_yuan": lo["interest_collected_fen"].map(lambda x: round(svc.yuan(x), 2)),
    })
    st.dataframe(d, hide_index=True, column_config={
        "loan_no": text_col("portfolio.col.loan_no"), "product": text_col("portfolio.col.product"),
        "principal_wan": wan_col("portfolio.col.principal_wan"), "outstanding_wan": wan_col("portfolio.col.outstanding_wan"),
        "rate_pct": st.column_config.NumberColumn(t("portfolio.col.rate"), format="percent"),
        "start_on": date_col("portfolio.col.start_on"), "maturity_on": date_col("portfolio.col.maturity_on"),
        "classification": text_col("portfolio.col.class"),
        "days_past_due": st.column_config.NumberColumn(t("portfolio.col.max_dpd")),
        "interest_yuan": wan_col("portfolio.col.interest_collected_yuan")})
    st.markdown(f"**{t('portfolio.class_history')}**")
    h = hist.copy()
    h["classification"] = svc.labels("class", h["classification"])
    st.dataframe(h, hide_index=True, column_config={
        "loan_no": text_col("portfolio.col.loan_no"), "as_of": date_col("portfolio.col.review_on"),
        "classification": text_col("portfolio.col.class"),
        "days_past_due": st.column_config.NumberColumn(t("portfolio.col.max_dpd"))})


def follow_ups_section(fu: pd.DataFrame, tz: str) -> None:
    if fu.empty:
        return
    st.markdown(f"**{t('portfolio.follow_ups')}**")
    for _, x in fu.iterrows():
        msg = t("portfolio.follow_up_line", date=str(x["follow_up_on"]), kind=svc.label("kind", x["kind"]),
                summary=x["summary"] or "")
        (st.error if x["state"] == "overdue" else st.warning)(msg)


def contacts_section(ct: pd.DataFrame, tz: str) -> None:
    st.markdown(f"**{t('portfolio.contact_log')}**")
    if ct.empty:
        st.caption(t("ui.no_rows"))
        return
    d = svc.local_times(ct, ["occurred_at"], tz)
    d["kind"] = [svc.label("kind", k) + (" · " + t("portfolio.surprise") if s else "")
                 for k, s in zip(d["kind"], d["surprise"], strict=True)]
    d = d[["occurred_at", "kind", "summary", "dinner_with", "dinner_purpose", "dinner_relationship", "follow_up_on",
           "rm_name"]]
    st.dataframe(d, hide_index=True, key="pcl_contacts", column_config={
        "occurred_at": st.column_config.DatetimeColumn(t("portfolio.col.occurred_at"), format="YYYY-MM-DD HH:mm"),
        "kind": text_col("portfolio.col.kind"), "summary": text_col("portfolio.col.summary"),
        "dinner_with": text_col("portfolio.col.dinner_with"), "dinner_purpose": text_col("portfolio.col.dinner_purpose"),
        "dinner_relationship": text_col("portfolio.col.dinner_relationship"),
        "follow_up_on": date_col("portfolio.col.follow_up_on"), "rm_name": text_col("portfolio.col.rm")})


def contact_form(engine, user, scope, client_id: int, tz: str) -> None:
    """The RM's form to log a visit, call, e-mail or dinner; refuses impossible input with clear messages."""
    from lib.portfolio import contacts as cs
    from lib.portfolio.scope import bank_now

    now = bank_now(tz)
    with st.expander(t("portfolio.log_contact"), expanded=False):
        with st.form("pcl_contact_form", clear_on_submit=False):
            c1, c2, c3 = st.columns(3)
            kind = c1.selectbox(t("portfolio.col.kind"), rules.CONTACT_KINDS, key="pcl_kind",
                                format_func=lambda k: svc.label("kind", k))
            day = c2.date_input(t("portfolio.col.occurred_on"), value=now.date(), key="pcl_day")
            at = c3.time_input(t("portfolio.col.occurred_time"), value=now.time().replace(second=0, microsecond=0),
                               key="pcl_time")
            summary = st.text_area(t("portfolio.col.summary"), key="pcl_summary", max_chars=cs.SUMMARY_MAX)
            surprise = st.checkbox(t("portfolio.surprise_visit"), key="pcl_surprise")
            st.caption(t("portfolio.dinner_note"))
            d1, d2, d3 = st.columns(3)
            with_whom = d1.text_input(t("portfolio.col.dinner_with"), key="pcl_with", max_chars=cs.FIELD_MAX)
            purpose = d2.text_input(t("portfolio.col.dinner_purpose"), key="pcl_purpose", max_chars=cs.FIELD_MAX)
            rel = d3.text_input(t("portfolio.col.dinner_relationship"), key="pcl_rel", max_chars=cs.FIELD_MAX)
            want_fu = st.checkbox(t("portfolio.needs_follow_up"), key="pcl_want_fu")
            fu = st.date_input(t("portfolio.col.follow_up_on"), value=None, key="pcl_fu")
            submitted = st.form_submit_button(t("portfolio.save_contact"))
        if submitted:
            inp = cs.ContactInput(client_id=client_id, kind=kind, occurred_on=day, occurred_time=at,
                                  summary=summary or "", surprise=surprise, dinner_with=with_whom or "",
                                  dinner_purpose=purpose or "", dinner_relationship=rel or "",
                                  follow_up_on=fu if want_fu else None)
            if want_fu and fu is None:
                st.error(t("portfolio.err.follow_up_missing"))
                return
            try:
                cs.log_contact(engine, scope, inp, tz=tz, now_local=bank_now(tz), user_id=user.id)
            except cs.ContactError as exc:
                for k in exc.keys:
                    st.error(t(k))
            else:
                svc.clear_caches()
                st.success(t("portfolio.contact_saved"))


def complaints_section(cp: pd.DataFrame, tz: str) -> None:
    st.markdown(f"**{t('portfolio.complaints')}**")
    if cp.empty:
        st.caption(t("ui.no_rows"))
        return
    d = svc.local_times(cp, ["accepted_at", "replied_at", "closed_at"], tz).drop(columns=["id"])
    st.dataframe(d, hide_index=True, column_config={
        "ref_no": text_col("portfolio.col.ref_no"), "channel": text_col("portfolio.col.channel_service"),
        "category": text_col("portfolio.col.category"), "status": text_col("portfolio.col.status"),
        "accepted_at": st.column_config.DatetimeColumn(t("portfolio.col.accepted_at"), format="YYYY-MM-DD HH:mm"),
        "replied_at": st.column_config.DatetimeColumn(t("portfolio.col.replied_at"), format="YYYY-MM-DD HH:mm"),
        "closed_at": st.column_config.DatetimeColumn(t("portfolio.col.closed_at"), format="YYYY-MM-DD HH:mm")})


def chats_section(ch: pd.DataFrame, tz: str) -> None:
    st.markdown(f"**{t('portfolio.chats')}**")
    if ch.empty:
        st.caption(t("ui.no_rows"))
        return
    d = svc.local_times(ch, ["started_at"], tz).drop(columns=["id"])
    st.dataframe(d, hide_index=True, column_config={
        "conversation_id": text_col("portfolio.col.conversation"), "channel": text_col("portfolio.col.channel_service"),
        "started_at": st.column_config.DatetimeColumn(t("portfolio.col.started_at"), format="YYYY-MM-DD HH:mm"),
        "message_count": st.column_config.NumberColumn(t("portfolio.col.messages")),
        "agent_name": text_col("portfolio.col.agent")})


def tier_history_section(h: pd.DataFrame) -> None:
    st.markdown(f"**{t('portfolio.tier_history')}**")
    d = h.copy()
    d["tier"] = svc.labels("tier", d["tier"])
    st.dataframe(d, hide_index=True, column_config={
        "effective_on": date_col("portfolio.col.effective_on"), "tier": text_col("portfolio.col.tier"),
        "credit_rating": text_col("portfolio.col.rating")})


# --- performance ----------------------------------------------------------------------------------

def perf_groups(perf: pd.DataFrame):
    for g in reversed(rules.RM_GRADES):
        part = perf[perf["grade"] == g].reset_index(drop=True)
        if not part.empty:
            yield g, part


def _measures():
    from lib.portfolio.performance import MEASURES

    return list(MEASURES)


def perf_table(part: pd.DataFrame) -> pd.DataFrame:
    cols = {"rm_name": part["rm_name"], "branch": part["branch"], "clients": part["clients"]}
    for m in _measures():
        actual = part[f"{m}_actual"].astype(float)
        # deposits and loans in 万元 (one decimal), the others as they are (two)
        cols[f"{m}_actual"] = (actual / 10_000).round(1) if m in ("deposits", "loans") else actual.round(2)
        cols[f"{m}_att"] = part[f"{m}_att"].clip(upper=1.0)
    cols["overall_att"] = part["overall_att"].clip(upper=1.0)
    return pd.DataFrame(cols)  # one frame built at once (column by column cost ~1 ms a column)


def perf_columns() -> dict:
    cfg = {"rm_name": text_col("portfolio.col.rm"), "branch": text_col("portfolio.col.branch"),
           "clients": st.column_config.NumberColumn(t("portfolio.col.clients"))}
    for m in _measures():
        cfg[f"{m}_actual"] = st.column_config.NumberColumn(t(f"portfolio.measure.{m}"), format="localized")
        cfg[f"{m}_att"] = st.column_config.ProgressColumn(t("portfolio.attainment_of", m=t(f"portfolio.measure.{m}")),
                                                          min_value=0.0, max_value=1.0, format="percent")
    cfg["overall_att"] = st.column_config.ProgressColumn(t("portfolio.overall"), min_value=0.0, max_value=1.0,
                                                         format="percent")
    return cfg


def grade_table(perf: pd.DataFrame) -> pd.DataFrame:
    from lib.portfolio.performance import by_grade

    g = by_grade(perf)
    g["grade"] = svc.labels("grade", g["grade"])
    return g


def grade_columns() -> dict:
    cfg = {"grade": text_col("portfolio.col.grade"), "rms": st.column_config.NumberColumn(t("portfolio.col.rms"))}
    for m in _measures():
        cfg[f"{m}_att"] = st.column_config.NumberColumn(t("portfolio.attainment_of", m=t(f"portfolio.measure.{m}")),
                                                        format="percent")
    cfg["overall_att"] = st.column_config.NumberColumn(t("portfolio.overall"), format="percent")
    return cfg


def perf_download(perf: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({t("portfolio.col.rm"): perf["rm_name"], t("portfolio.col.grade"): perf["grade"].map(
        lambda x: svc.label("grade", x)), t("portfolio.col.branch"): perf["branch"]})
    for m in _measures():
        name = t(f"portfolio.measure.{m}")
        out[name] = perf[f"{m}_actual"].round(2)
        out[f"{name} · {t('portfolio.target')}"] = perf[f"{m}_target"]
        out[f"{name} · {t('portfolio.attainment')}"] = perf[f"{m}_att"].round(4)
    out[t("portfolio.overall")] = perf["overall_att"].round(4)
    return out
