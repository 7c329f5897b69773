"""Client 360: profile, history, products and balances, credit lines, loans, contacts, complaints and chats."""

import streamlit as st

from lib.guard import require_page
from lib.i18n import t
from lib.portfolio import client as cq
from lib.portfolio import service as svc
from lib.portfolio import views as v

engine, user = require_page("portfolio_client")
scope, a, r, tz = svc.context(engine, user)

st.title(t("portfolio.page.client"))
client_id = v.client_picker(engine, scope)
if client_id is None:
    st.info(t("portfolio.choose_client"))
    st.stop()

p = svc.open_client(engine, scope, client_id)  # audited: who opened which client, when
if p is None:
    st.error(t("portfolio.err.client_not_found"))
    st.stop()

v.client_header(p, tz)
tabs = st.tabs([t("portfolio.tab.products"), t("portfolio.tab.loans"), t("portfolio.tab.contacts"),
                t("portfolio.tab.service"), t("portfolio.tab.history")])
with tabs[0]:
    v.holdings_section(cq.holdings(engine, scope, client_id), cq.balance_history(engine, scope, client_id))
with tabs[1]:
    v.credit_section(cq.credit_lines(engine, scope, client_id))
    v.loans_section(cq.loans(engine, scope, client_id), cq.loan_history(engine, scope, client_id))
with tabs[2]:
    v.follow_ups_section(svc.follow_ups(engine, scope, a, r, client_id), tz)
    if scope.own_book:
        v.contact_form(engine, user, scope, client_id, tz)
    v.contacts_section(cq.contacts(engine, scope, client_id), tz)
with tabs[3]:
    v.complaints_section(cq.complaints(engine, scope, client_id), tz)
    v.chats_section(cq.chats(engine, scope, client_id), tz)
with tabs[4]:
    v.tier_history_section(cq.tier_history(engine, scope, client_id))
