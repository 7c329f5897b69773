"""AppTest: every portfolio page under every role, drill-down, the contact form, and the audit of views."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditLog, Client, Contact
from lib import auth, policy
from lib.portfolio import queries as q
from tests.apptest import page, sign_in_state, texts

PAGES = [p for p in policy.PAGES if p.key.startswith("portfolio_")]
ROLES_USERS = {"admin": "demo_admin", "manager": "demo_manager", "team_lead": "demo_lead", "qa": "demo_qa",
               "complaint_handler": "demo_handler", "rm": "demo_rm", "agent": "demo_agent"}


def _run(engine, spec, username, query=None, lang="en"):
    at = page(spec.file)
    sign_in_state(at, engine, username)
    # widgets with a format_func are re-formatted in the test process, which has no session: zh
    at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at


@pytest.mark.parametrize("spec", PAGES, ids=[p.key for p in PAGES])
def test_every_portfolio_page_under_every_role(demo_db, spec):
    for role, username in ROLES_USERS.items():
        at = _run(demo_db, spec, username)
        assert not at.exception, (spec.key, role, at.exception)
        allowed = role in spec.roles
        refused = "Your roles do not allow this page." in texts(at)
        assert refused != allowed, (spec.key, role)
        if not allowed:
            assert not at.dataframe, (spec.key, role)


def test_manager_overview_shows_every_book(demo_db):
    spec = policy.PAGE_BY_KEY["portfolio_overview"]
    at = _run(demo_db, spec, "demo_manager")
    assert not at.exception
    books = at.dataframe[0].value
    assert len(books) > 0
    assert at.metric[0].value  # clients


def test_overview_draws_only_the_open_chart_tab_and_each_tab_draws(demo_db):
    spec = policy.PAGE_BY_KEY["portfolio_overview"]
    at = _run(demo_db, spec, "demo_manager")

    def charts(tab):
        return [e for e in tab.children.values() if getattr(e, "type", "") == "vega_lite_chart"]

    assert len(at.tabs) == 5
    for i in range(5):
        at.session_state["pov_chart_tab"] = at.tabs[i].label
        at.run()
        assert not at.exception
        assert len(charts(at.tabs[i])) == 1, i
        assert all(not at.tabs[j].children for j in range(5) if j != i), i


def test_book_and_client_for_demo_rm(demo_db):
    at = _run(demo_db, policy.PAGE_BY_KEY["portfolio_book"], "demo_rm")
    assert not at.exception
    assert len(at.dataframe[0].value) > 0
    with demo_db.connect() as c:
        cid = c.execute(select(Client.id).where(Client.rm_id == 1).order_by(Client.id)).scalar()
    at = _run(demo_db, policy.PAGE_BY_KEY["portfolio_client"], "demo_rm", {"client": str(cid)})
    assert not at.exception
    assert "Client 360" in texts(at)
    with demo_db.connect() as c:
        n = c.execute(select(AuditLog.id).where(AuditLog.action == "client.view",
                                                AuditLog.entity_id == str(cid))).all()
    assert len(n) == 1


def test_rm_cannot_open_another_books_client_by_url(demo_db):
    with demo_db.connect() as c:
        foreign = c.execute(select(Client.id, Client.name).where(Client.rm_id == 2).order_by(Client.id)).first()
    at = _run(demo_db, policy.PAGE_BY_KEY["portfolio_client"], "demo_rm", {"client": str(foreign.id)})
    assert not at.exception
    assert "not in your book" in texts(at)
    assert foreign.name not in texts(at)
    with demo_db.connect() as c:
        denied = c.execute(select(AuditLog.id).where(AuditLog.action == "client.view_denied",
                                                     AuditLog.entity_id == str(foreign.id))).all()
    assert denied


def test_rm_logs_a_visit_through_the_form(demo_db):
    with demo_db.connect() as c:
        cid = c.execute(select(Client.id).where(Client.rm_id == 1).order_by(Client.id)).scalar()
    at = _run(demo_db, policy.PAGE_BY_KEY["portfolio_client"], "demo_rm", {"client": str(cid)}, lang="zh")
    at.text_area(key="pcl_summary").input("AppTest visit: reviewed the client's cash needs")
    form_button = [b for b in at.button if b.label == "保存"]
    form_button[0].click()
    at.run()
    assert not at.exception
    assert "已保存联系记录。" in texts(at)
    with demo_db.connect() as c:
        row = c.execute(select(Contact).where(Contact.client_id == cid,
                                              Contact.summary.like("AppTest visit%"))).first()
    assert row is not None and row.kind == "visit"


def test_a_logged_visit_closes_the_open_follow_up_on_the_page_at_once(demo_db):
    """Follow-ups are cached like the book; logging a contact clears them, so the answered one goes."""
    from lib.portfolio import service as svc

    scope, a, r, _ = svc.context(demo_db, auth.load_user(demo_db, username="demo_rm"), stop=False)
    open_fu = q.follow_ups(demo_db, scope, a, r, limit=1000)
    if open_fu.empty:
        pytest.skip("no open follow-up in the demo book")
    cid, summary = int(open_fu.iloc[0]["client_id"]), open_fu.iloc[0]["summary"]
    at = _run(demo_db, policy.PAGE_BY_KEY["portfolio_client"], "demo_rm", {"client": str(cid)}, lang="zh")
    assert any(summary in w.value for w in [*at.warning, *at.error])
    at.text_area(key="pcl_summary").input("AppTest visit answering the follow-up")
    [b for b in at.button if b.label == "保存"][0].click()
    at.run()
    assert not at.exception and "已保存联系记录。" in texts(at)
    at.run()
    assert not any(summary in w.value for w in [*at.warning, *at.error])


def test_dinner_without_report_is_refused(demo_db):
    with demo_db.connect() as c:
        cid = c.execute(select(Client.id).where(Client.rm_id == 1).order_by(Client.id)).scalar()
    at = _run(demo_db, policy.PAGE_BY_KEY["portfolio_client"], "demo_rm", {"client": str(cid)}, lang="zh")
    at.selectbox(key="pcl_kind").set_value("dinner")
    at.text_area(key="pcl_summary").input("dinner")
    [b for b in at.button if b.label == "保存"][0].click()
    at.run()
    out = texts(at)
    assert "宴请须填写宴请对象。" in out and "宴请须填写宴请目的。" in out
    with demo_db.connect() as c:
        assert c.execute(select(Contact.id).where(Contact.summary == "dinner")).first() is None


def test_rm_login_without_rm_record_sees_no_clients(demo_db):
    from lib import auth

    auth.create_user(demo_db, "rm_nobook", "no-book-123", ["rm"])
    for key in ("portfolio_book", "portfolio_client"):
        at = _run(demo_db, policy.PAGE_BY_KEY[key], "rm_nobook", {"client": "1"})
        assert not at.exception
        assert "not linked to an RM record" in texts(at)
        assert not at.dataframe
