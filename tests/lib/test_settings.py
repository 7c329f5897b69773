"""Versioned settings: defaults, validation, versions as of a time, concurrent edits."""

import pytest
from sqlalchemy import select

from db.models import AuditLog
from lib import settings


def test_defaults_cover_every_domain_number():
    s = settings.defaults()
    assert s["qa.daily_sample_size"] == 20
    assert s["qa.unqualified_limit"] == 4
    assert s["qa.working_days_default"] == 26
    assert (s["qa.tier1_below"], s["qa.tier2_below"], s["qa.no_bonus_below"]) == (20, 15, 12)
    assert (s["qa.tier1_deduction_yuan"], s["qa.tier2_deduction_yuan"]) == (50, 100)
    assert s["qa.response_limit_s"] == 60
    assert s["complaints.reply_hours"] == 24 and s["complaints.follow_up_days"] == 3
    assert s["complaints.hours_mode"] == "clock"
    assert s["auth.max_failed_attempts"] == 5 and s["auth.lockout_minutes"] == 15
    assert set(s["portfolio.visit_interval_days"]) == {"key", "large", "vip", "ordinary"}


def test_save_makes_versions_and_old_versions_keep_their_values(empty_db):
    v1 = settings.save(empty_db, {"qa.daily_sample_size": 15}, user_id=None, expected_version_id=None)
    v2 = settings.save(empty_db, {"qa.unqualified_limit": 3}, user_id=None, expected_version_id=v1)
    now = settings.load(empty_db)
    assert now.version_id == v2
    assert now["qa.daily_sample_size"] == 15 and now["qa.unqualified_limit"] == 3
    then = settings.load(empty_db, v1)
    assert then["qa.daily_sample_size"] == 15 and then["qa.unqualified_limit"] == 4
    with empty_db.connect() as conn:
        actions = conn.execute(select(AuditLog.action)).scalars().all()
    assert actions.count("settings.change") == 2


def test_a_stale_editor_is_refused_and_nothing_is_written(empty_db):
    v1 = settings.save(empty_db, {"qa.daily_sample_size": 15}, user_id=None, expected_version_id=None)
    settings.save(empty_db, {"qa.daily_sample_size": 18}, user_id=None, expected_version_id=v1)
    with pytest.raises(settings.StaleSettingsError):
        settings.save(empty_db, {"qa.daily_sample_size": 10}, user_id=None, expected_version_id=v1)
    assert settings.load(empty_db)["qa.daily_sample_size"] == 18


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("qa.daily_sample_size", 0, "at least"),
        ("qa.daily_sample_size", "many", "whole number"),
        ("qa.daily_sample_size", 2.5, "whole number"),
        ("complaints.hours_mode", "lunar", "one of"),
        ("complaints.business_day_start", "25:00", "HH:MM"),
        ("qa.greeting_phrases", "您好", "list"),
        ("portfolio.visit_interval_days", {"key": 30}, "missing"),
        ("no.such.key", 1, "unknown setting"),
    ],
)
def test_invalid_values_are_refused_with_the_setting_named(empty_db, key, value, message):
    with pytest.raises(ValueError, match=message):
        settings.save(empty_db, {key: value}, user_id=None, expected_version_id=None)
    assert settings.load(empty_db).version_id is None
