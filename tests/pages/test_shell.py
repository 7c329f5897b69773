"""The shell under AppTest: pages offered per role, refusals, every page's own guard,
and the start-up checks that stop the app with one sentence."""

import pytest
from sqlalchemy import update

from db.models import Meta
from lib import auth, policy
from tests.apptest import DEMO_LOGINS, app, offered_pages, page, sign_in_state, texts


@pytest.mark.parametrize("role", policy.ROLES)
def test_each_role_is_offered_exactly_its_pages(demo_db, role):
    at = app()
    sign_in_state(at, demo_db, DEMO_LOGINS[role])
    at.run()
    assert not at.exception
    expected = {p.file for p in policy.pages_for({role})}
    assert offered_pages(at) == expected
    for spec in policy.PAGES:
        if spec.file not in expected:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(spec.file)


@pytest.mark.parametrize("spec", policy.PAGES, ids=lambda s: s.key)
def test_every_page_alone_shows_the_sign_in_form_and_no_data(demo_db, spec):
    at = page(spec.file)
    at.run()
    assert not at.exception
    labels = [ti.label for ti in at.text_input]
    assert labels[:2] == ["用户名", "密码"]
    assert len(at.dataframe) == 0 and len(at.metric) == 0 and len(at.table) == 0


@pytest.mark.parametrize("spec", policy.PAGES, ids=lambda s: s.key)
def test_every_page_alone_refuses_a_signed_in_user_without_the_role(demo_db, spec):
    outsider = next((r for r in policy.ROLES if r not in spec.roles), None)
    if outsider is None:
        pytest.skip("every role may open this page")
    at = page(spec.file)
    sign_in_state(at, demo_db, DEMO_LOGINS[outsider])
    at.run()
    assert not at.exception
    assert any("do not allow this page" in e.value for e in at.error)
    assert len(at.dataframe) == 0 and len(at.metric) == 0


def test_sign_in_through_the_form(demo_db):
    from tests.apptest import login_with_form

    at = login_with_form(app(), "demo_manager", "demo")
    assert not at.exception
    assert "_auth" in at.session_state
    assert "demo_manager" in texts(at)


def test_wrong_password_then_lockout_that_survives_a_restart_and_expires(demo_db):
    from tests.apptest import login_with_form

    for i in range(5):
        at = login_with_form(app(), "demo_qa", "wrong")
        assert "_auth" not in at.session_state
        msg = " ".join(e.value for e in at.error)
        assert ("锁定" in msg) == (i == 4), msg
    # a "restart": new process caches and a new engine; the lock lives in the database
    from lib.db import dispose_all
    from tests.conftest import _reset_process_caches

    dispose_all()
    _reset_process_caches()
    at = login_with_form(app(), "demo_qa", "demo")
    assert "_auth" not in at.session_state
    assert any("锁定" in e.value for e in at.error)
    # the lock expires
    from datetime import datetime, timedelta

    from db.models import User
    from lib.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(update(User).where(User.username == "demo_qa")
                     .values(locked_until=datetime.utcnow() - timedelta(seconds=1)))
    at = login_with_form(app(), "demo_qa", "demo")
    assert "_auth" in at.session_state


def test_logout_revokes_the_server_session(demo_db):
    """The sidebar button calls lib.session.logout (browser-tested in tests/e2e/test_shell.py);
    here the server side: a revoked session is refused on the next run of any page."""
    at = app()
    sign_in_state(at, demo_db, "demo_lead")
    at.run()
    sid = at.session_state["_auth"]["session_id"]
    auth.revoke_session(demo_db, sid, "logout")
    at.switch_page("pages/home.py").run()
    assert not at.session_state["_auth"]
    assert auth.check_session(demo_db, sid) == "revoked"
    assert [ti.label for ti in at.text_input][:2] == ["Username", "Password"]


def test_password_change_revokes_every_session(demo_db):
    at = app()
    user = sign_in_state(at, demo_db, "demo_rm")
    other = app()
    sign_in_state(other, demo_db, "demo_rm")
    other.run()
    other_sid = other.session_state["_auth"]["session_id"]
    auth.change_password(demo_db, user.id, "demo", "new-pass-2026")
    assert auth.check_session(demo_db, other_sid) == "revoked"
    other.run()
    assert not other.session_state["_auth"]
    assert [ti.label for ti in other.text_input][:2] == ["Username", "Password"]


def test_idle_session_is_ended(demo_db):
    from datetime import datetime, timedelta

    from db.models import AuthSession

    at = app()
    sign_in_state(at, demo_db, "demo_agent")
    at.run()
    sid = at.session_state["_auth"]["session_id"]
    with demo_db.begin() as conn:
        conn.execute(update(AuthSession).where(AuthSession.id == sid)
                     .values(last_seen_at=datetime.utcnow() - timedelta(minutes=31)))
    at.run()
    assert not at.session_state["_auth"]
    assert auth.check_session(demo_db, sid) == "revoked"


def test_refuses_to_start_without_a_cookie_key_outside_demo_mode(empty_db, monkeypatch):
    monkeypatch.delenv("DASHBOARD_COOKIE_KEY", raising=False)
    auth.create_user(empty_db, "alice", "s3cret-pass", ["admin"])
    at = app()
    at.run()
    assert not at.exception
    assert any("DASHBOARD_COOKIE_KEY" in e.value for e in at.error)
    assert len(at.text_input) == 0
    monkeypatch.setenv("DASHBOARD_COOKIE_KEY", "a-long-enough-random-key-for-tests")
    from lib.guard import reset_boot_cache

    reset_boot_cache()
    at = app()
    at.run()
    assert [ti.label for ti in at.text_input][:2] == ["用户名", "密码"]


def test_demo_flag_alone_allows_start_without_a_key(empty_db, monkeypatch):
    monkeypatch.delenv("DASHBOARD_COOKIE_KEY", raising=False)
    with empty_db.begin() as conn:
        conn.execute(Meta.__table__.insert().values(key="demo", value="1"))
    at = app()
    at.run()
    assert not at.error and [ti.label for ti in at.text_input][:2] == ["用户名", "密码"]


def test_unmigrated_database_stops_with_one_sentence(db_factory, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_factory.new_url())
    from lib.guard import reset_boot_cache

    reset_boot_cache()
    at = app()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The database has no schema yet: run `python -m db migrate` (or `make run`)."]


def test_wrong_database_url_stops_with_one_sentence(monkeypatch):
    from lib.guard import reset_boot_cache

    reset_boot_cache()
    monkeypatch.setenv("DATABASE_URL", "mysql://nobody@nowhere/db")
    at = app()
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "DATABASE_URL" in at.error[0].value
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    reset_boot_cache()
    at = app()
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "Cannot open the database" in at.error[0].value
