"""Home-page sections of the portfolio area.

An RM sees their overdue visits and follow-ups due; a manager sees key clients
overdue for a visit and loans moved to a worse class this period.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from lib import home
from lib.auth import CurrentUser
from lib.i18n import t
from lib.portfolio import queries as q
from lib.portfolio import service as svc
from lib.portfolio.scope import ScopeError

HOME_ROWS = 10


def rm_section(engine: Engine, user: CurrentUser) -> None:
    if user.has("manager"):
        return  # the manager's section covers every book
    try:
        scope, a, r, tz = svc.context(engine, user, stop=False)
    except ScopeError as exc:
        st.warning(t(str(exc)))
        return
    st.subheader(t("portfolio.home.rm_title"))
    f = q.Filters(rm_id=scope.rm_id)
    counts = svc.flag_counts(engine, scope, f, a, r)
    fu = svc.follow_ups(engine, scope, a, r, limit=HOME_ROWS)
    c = st.columns(3)
    c[0].metric(t("portfolio.flag.overdue_visit"), counts.get("overdue_visit", 0))
    c[1].metric(t("portfolio.follow_ups"), len(fu))
    c[2].metric(t("portfolio.flag.dormant"), counts.get("dormant", 0))
    df, total = svc.book_page(engine, scope, f, a, r, flag="overdue_visit", sort="tier", limit=HOME_ROWS)
    if total:
        st.markdown(f"**{t('portfolio.home.overdue_visits', n=total)}**")
        for _, x in df.iterrows():
            st.markdown(f"- {x['name']} · {svc.label('tier', x['tier'])}")
    for _, x in fu.iterrows():
        st.markdown("- " + t("portfolio.follow_up_line", date=str(x["follow_up_on"]),
                             kind=svc.label("kind", x["kind"]), summary=x["client_name"]))


def manager_section(engine: Engine, user: CurrentUser) -> None:
    scope, a, r, tz = svc.context(engine, user)
    st.subheader(t("portfolio.home.manager_title"))
    ko, ko_total = svc.key_overdue(engine, scope, q.Filters(), a, r, limit=HOME_ROWS)
    wl, wl_total = svc.worse_loans(engine, scope, q.Filters(), a, r, limit=HOME_ROWS)
    c = st.columns(2)
    c[0].metric(t("portfolio.key_overdue_title"), ko_total)
    c[1].metric(t("portfolio.worse_title"), wl_total)
    for _, x in ko.iterrows():
        st.markdown(f"- {x['name']} · {svc.label('tier', x['tier'])} · {x['rm_name']}")
    for _, x in wl.iterrows():
        st.markdown(f"- {x['client_name']} · {x['loan_no']}: {svc.label('class', x['from_class'])} → "
                    f"{svc.label('class', x['to_class'])}")


home.register({"rm"}, rm_section)
home.register({"manager"}, manager_section)
