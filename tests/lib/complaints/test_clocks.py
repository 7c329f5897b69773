"""The complaint clocks at their edges (lib.complaints.clocks)."""

from datetime import date, datetime, timedelta

import pytest

from lib.calendar import WorkCalendar
from lib.complaints import clocks
from lib.settings import CATALOG, Settings

CAL = WorkCalendar.from_codes(["sat", "sun"], holidays=[date(2026, 10, d) for d in range(1, 8)],
                              workdays=[date(2026, 10, 10)])


def settings(**over):
    return Settings({k.replace("__", "."): v for k, v in over.items()}, None)


def test_defaults_come_from_the_catalogue():
    pol = clocks.policy_for(settings(), "service")
    assert pol.reply_hours == CATALOG["complaints.reply_hours"].default == 24
    assert pol.follow_up_days == 3 and pol.outer_limit_days == 15 and pol.extension_days == (15, 30)
    assert pol.hours_mode == "clock"


ACCEPTED = datetime(2026, 11, 20, 2, 0)  # UTC


@pytest.mark.parametrize("after, on_time", [
    (timedelta(hours=23, minutes=59), True),
    (timedelta(hours=24), True),
    (timedelta(hours=24, minutes=1), False),
])
def test_reply_clock_edges(after, on_time):
    pol = clocks.policy_for(settings(), "fees")
    due = clocks.reply_due(ACCEPTED, pol, CAL)
    assert due == ACCEPTED + timedelta(hours=24)
    assert clocks.on_time(ACCEPTED + after, due) is on_time


def test_follow_up_clock_is_three_days_after_the_reply():
    pol = clocks.policy_for(settings(), "fees")
    replied = ACCEPTED + timedelta(hours=5)
    due = clocks.follow_up_due(replied, pol, CAL)
    assert due == replied + timedelta(days=3)
    assert clocks.on_time(due, due) and not clocks.on_time(due + timedelta(minutes=1), due)


def test_business_hours_mode_on_the_eve_of_a_holiday():
    # accepted 30 Sep 2026 16:00 Beijing time (08:00 UTC), one business hour before close;
    # 1 Oct-7 Oct is the National Day holiday and Saturday 10 Oct a make-up working day
    pol = clocks.policy_for(settings(complaints__hours_mode="business"), "service")
    accepted = datetime(2026, 9, 30, 8, 0)
    due = clocks.reply_due(accepted, pol, CAL)
    assert due == datetime(2026, 10, 10, 8, 0)  # 16:00 local on the make-up Saturday
    assert clocks.on_time(due - timedelta(minutes=1), due)
    assert not clocks.on_time(due + timedelta(minutes=1), due)
    # the same complaint on clock hours would have been due on the holiday itself
    assert clocks.reply_due(accepted, clocks.policy_for(settings(), "service"), CAL) == datetime(2026, 10, 1, 8, 0)


def test_business_mode_follow_up_counts_working_days():
    pol = clocks.policy_for(settings(complaints__hours_mode="business"), "service")
    replied = datetime(2026, 9, 29, 2, 0)  # Tue 29 Sep 10:00 local
    due = clocks.follow_up_due(replied, pol, CAL)
    # 3 working days of 8 h: Tue 7h, Wed 8h, Thu 8 Oct 8h, Fri 9 Oct 1h -> Fri 9 Oct 10:00 local
    assert due == datetime(2026, 10, 9, 2, 0)


def test_outer_limit_and_approved_extensions():
    pol = clocks.policy_for(settings(), "product")
    assert clocks.outer_due(ACCEPTED, pol, CAL, 0) == ACCEPTED + timedelta(days=15)
    assert clocks.next_extension_days(pol, 0) == 15
    assert clocks.outer_due(ACCEPTED, pol, CAL, 1) == ACCEPTED + timedelta(days=30)
    assert clocks.next_extension_days(pol, 1) == 30
    assert clocks.outer_due(ACCEPTED, pol, CAL, 2) == ACCEPTED + timedelta(days=60)
    assert clocks.next_extension_days(pol, 2) is None


def test_per_category_policy_overrides_the_defaults():
    s = settings(complaints__category_policy={"credit_report": {"reply_hours": 48, "outer_limit_days": 20,
                                                                "hours_mode": "business"}})
    pol = clocks.policy_for(s, "credit_report")
    assert (pol.reply_hours, pol.outer_limit_days, pol.hours_mode) == (48, 20, "business")
    assert clocks.policy_for(s, "service").reply_hours == 24
    with pytest.raises(ValueError):
        clocks.policy_for(settings(complaints__category_policy={"fees": {"hours_mode": "lunar"}}), "fees")


def test_active_clock_follows_the_status():
    r, f, o = datetime(2026, 1, 2), datetime(2026, 1, 5), datetime(2026, 1, 16)
    assert clocks.active_clock("assigned", r, None, o) == ("reply", r)
    assert clocks.active_clock("replied", r, f, o) == ("follow_up", f)
    assert clocks.active_clock("followed_up", r, f, o) == ("outer", o)
    assert clocks.active_clock("closed", r, f, o) == (None, None)
    # the outer limit wins when it comes first
    assert clocks.active_clock("handling", o, None, r) == ("outer", r)


def test_time_left_and_its_wording():
    now = datetime(2026, 1, 1, 12, 0)
    assert clocks.format_left(clocks.time_left(now + timedelta(hours=3, minutes=20), now), "en") == "3 h 20 min left"
    assert clocks.format_left(clocks.time_left(now - timedelta(days=2, hours=4), now), "en") == "2 d 4 h overdue"
    assert clocks.format_left(timedelta(minutes=-5), "zh") == "已逾期 5分"


@pytest.mark.parametrize("late_h, level", [(-1, 0), (0.01, 1), (23.9, 1), (24, 2), (100, 2)])
def test_escalation_levels(late_h, level):
    now = datetime(2026, 1, 10)
    since = now - timedelta(hours=late_h) if late_h >= 0 else None
    assert clocks.escalation_level(since, now, 0, 24) == level
