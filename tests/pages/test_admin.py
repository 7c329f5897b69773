"""The administrator's page: users and roles, versioned settings with a stale-edit refusal, the calendar.

(The language picker and sign-out live in app.py's sidebar; AppTest reruns a
multipage app's page script alone, so those are tested in a real browser.)"""

from sqlalchemy import select

from db.models import AuditLog, CalendarDay
from lib import auth, settings
from tests.apptest import page, sign_in_state


def _admin_page(engine):
    at = page("pages/admin.py")
    sign_in_state(at, engine, "demo_admin")
    at.run()
    assert not at.exception
    return at


def test_admin_creates_a_user_with_roles(demo_db):
    at = _admin_page(demo_db)
    form_inputs = [ti for ti in at.text_input if ti.label in ("Username", "Name", "Password")]
    username, name, password = form_inputs[0], form_inputs[1], form_inputs[2]
    username.input("li.lei")
    name.input("李雷")
    password.input("Str0ng-pass")
    at.multiselect[0].set_value(["qa", "team_lead"])
    next(b for b in at.button if b.label == "Create").click()
    at.run()
    assert any("li.lei" in s.value for s in at.success), [e.value for e in at.error]
    u = auth.load_user(demo_db, username="li.lei")
    assert u.roles == {"qa", "team_lead"}


def test_admin_refuses_a_weak_password_with_a_message(demo_db):
    at = _admin_page(demo_db)
    form_inputs = [ti for ti in at.text_input if ti.label in ("Username", "Name", "Password")]
    form_inputs[0].input("weak.user")
    form_inputs[2].input("123")
    at.multiselect[0].set_value(["agent"])
    next(b for b in at.button if b.label == "Create").click()
    at.run()
    assert any("at least 8" in e.value for e in at.error)
    assert auth.load_user(demo_db, username="weak.user") is None


def test_settings_form_saves_a_new_version_and_refuses_a_stale_one(demo_db):
    at = _admin_page(demo_db)
    at.segmented_control(key="settings_area").set_value("qa").run()
    at.number_input(key="set_qa.daily_sample_size").set_value(18)
    next(b for b in at.button if b.label == "Save" and "settings" in str(b.proto.form_id)).click()
    at.run()
    assert settings.load(demo_db)["qa.daily_sample_size"] == 18
    # someone else saves meanwhile; this editor's next save is refused and its value not lost
    current = settings.load(demo_db)
    settings.save(demo_db, {"qa.unqualified_limit": 5}, user_id=None, expected_version_id=current.version_id)
    at.number_input(key="set_qa.daily_sample_size").set_value(17)
    next(b for b in at.button if b.label == "Save" and "settings" in str(b.proto.form_id)).click()
    at.run()
    assert any("changed by someone else" in e.value for e in at.error)
    assert settings.load(demo_db)["qa.daily_sample_size"] == 18
    assert at.number_input(key="set_qa.daily_sample_size").value == 17
    with demo_db.connect() as conn:
        assert conn.execute(select(AuditLog.id).where(AuditLog.action == "settings.change")).first()


def test_calendar_marks_a_holiday(demo_db):
    from datetime import date

    at = _admin_page(demo_db)
    at.date_input[0].set_value(date(2026, 12, 31))
    kind = next(s for s in at.selectbox if s.label == "Kind")
    kind.set_value("holiday")
    next(ti for ti in at.text_input if ti.label == "Name").input("年末")
    next(b for b in at.button if b.label == "Save" and "calendar" in str(b.proto.form_id)).click()
    at.run()
    with demo_db.connect() as conn:
        assert conn.execute(select(CalendarDay.kind).where(CalendarDay.day == date(2026, 12, 31))).scalar() == "holiday"
