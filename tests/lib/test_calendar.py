"""Working days and business hours over holidays and make-up working days (lib.calendar)."""

from datetime import date, datetime, time

import pytest

from lib.calendar import WorkCalendar, to_local, to_utc

# 2026 National Day: 1-7 October off, Saturday 10 October a make-up working day (db/seed/core.py)
CAL = WorkCalendar.from_codes(["sat", "sun"], holidays=[date(2026, 10, d) for d in range(1, 8)],
                              workdays=[date(2026, 10, 10)])


def test_working_days_follow_weekend_holidays_and_make_up_days():
    assert CAL.is_working_day(date(2026, 9, 30))  # Wednesday
    assert not CAL.is_working_day(date(2026, 10, 1))  # holiday on a Thursday
    assert not CAL.is_working_day(date(2026, 10, 3))  # Saturday inside the holiday
    assert CAL.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert not CAL.is_working_day(date(2026, 10, 11))  # ordinary Sunday


def test_weekend_setting_changes_the_week():
    six_day = WorkCalendar.from_codes(["sun"])
    assert six_day.is_working_day(date(2026, 11, 21))  # Saturday
    assert not six_day.is_working_day(date(2026, 11, 22))
    with pytest.raises(ValueError):
        WorkCalendar.from_codes(["saturday"])


def test_add_working_days_and_count():
    assert CAL.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert CAL.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 8)
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 10, 11)) == 3 + 3


def test_business_hours_inside_one_day():
    assert CAL.add_business_hours(datetime(2026, 9, 29, 10, 0), 3) == datetime(2026, 9, 29, 13, 0)


def test_business_hours_ending_exactly_at_close_stay_on_that_day():
    assert CAL.add_business_hours(datetime(2026, 9, 30, 9, 0), 8) == datetime(2026, 9, 30, 17, 0)


def test_business_hours_over_the_national_day_holiday():
    # accepted on the eve of the holiday, one hour before close: 23 hours remain after that day:
    # 8 (Thu 8th) + 8 (Fri 9th) + 7 on the make-up Saturday 10th
    assert CAL.add_business_hours(datetime(2026, 9, 30, 16, 0), 24) == datetime(2026, 10, 10, 16, 0)


def test_start_outside_business_hours_counts_from_the_next_opening():
    assert CAL.add_business_hours(datetime(2026, 9, 30, 20, 0), 1) == datetime(2026, 10, 8, 10, 0)
    assert CAL.add_business_hours(datetime(2026, 10, 8, 7, 30), 1) == datetime(2026, 10, 8, 10, 0)
    assert CAL.add_business_hours(datetime(2026, 10, 8, 7, 30), 0) == datetime(2026, 10, 8, 9, 0)


def test_custom_business_day_and_bad_arguments():
    assert CAL.add_business_hours(datetime(2026, 9, 29, 8, 0), 2, time(8, 30), time(12)) == \
        datetime(2026, 9, 29, 10, 30)
    with pytest.raises(ValueError):
        CAL.add_business_hours(datetime(2026, 9, 29, 8, 0), 2, time(12), time(9))
    with pytest.raises(ValueError):
        CAL.add_business_hours(datetime(2026, 9, 29, 8, 0), -1)


def test_business_hours_between_is_the_inverse():
    start = datetime(2026, 9, 30, 16, 0)
    end = CAL.add_business_hours(start, 24)
    assert CAL.business_hours_between(start, end) == pytest.approx(24)
    assert CAL.business_hours_between(end, start) == pytest.approx(-24)


def test_time_zone_round_trip():
    utc = datetime(2026, 9, 30, 8, 0)
    assert to_local(utc, "Asia/Shanghai") == datetime(2026, 9, 30, 16, 0)
    assert to_utc(datetime(2026, 9, 30, 16, 0), "Asia/Shanghai") == utc


def test_load_reads_the_calendar_table(empty_db):
    from sqlalchemy import insert

    from db.models import CalendarDay
    from lib import calendar

    with empty_db.begin() as conn:
        conn.execute(insert(CalendarDay), [{"day": date(2027, 1, 1), "kind": "holiday", "name": "元旦"},
                                           {"day": date(2027, 1, 9), "kind": "workday", "name": "调休"}])
        cal = calendar.load(conn)
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 9))
    calendar.clear_cache()
    assert calendar.load(empty_db).is_working_day(date(2027, 1, 9))
