"""Working time on China's real calendar: statutory holidays, 调休 days, lunch breaks."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from activities.calendar import ChinaCalendar
from config import ROOT
from domain.tasks import Limit
from domain.worktime import WorkingTime, parse_periods

CST = ZoneInfo("Asia/Shanghai")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def wt() -> WorkingTime:
    calendar = ChinaCalendar(ROOT / "data" / "holiday_overrides.json")
    return WorkingTime(calendar.is_workday, parse_periods("09:00-12:00,14:00-18:00"), CST)


def test_three_working_days_across_national_day_and_its_makeup_saturday(wt) -> None:
    # Wed 30 Sep 2026 10:00: 6 h that day; 1-7 Oct holiday; Thu 8 and Fri 9 Oct 7 h each
    # (20 h); Sat 10 Oct is a 调休 working day: the 21st hour ends there at 10:00.
    warn, due, late = wt.deadlines(cst(2026, 9, 30, 10), Limit.parse("3 working_days"),
                                   [0.8, 1.0, 2.0])
    assert due == cst(2026, 10, 10, 10).astimezone(UTC)
    assert warn == cst(2026, 10, 9, 14, 48)  # 16.8 h: Fri 9 Oct, 48 min after lunch
    assert late == cst(2026, 10, 14, 9) + timedelta(hours=1)  # 42 h: Wed 14 Oct 10:00
    assert due.tzinfo == UTC


def test_mid_autumn_friday_and_weekend_are_skipped(wt) -> None:
    # Thu 24 Sep 2026 17:00 + 2 working hours: 1 h Thursday, Fri 25 Sep is 中秋, then the
    # weekend; the second hour is Monday 09:00-10:00.
    assert wt.add_working_hours(cst(2026, 9, 24, 17), 2) == cst(2026, 9, 28, 10)


def test_start_outside_working_hours_and_lunch_break(wt) -> None:
    assert wt.add_working_hours(cst(2026, 11, 28, 20), 1) == cst(2026, 11, 30, 10)  # Saturday
    assert wt.add_working_hours(cst(2026, 11, 30, 11, 30), 1) == cst(2026, 11, 30, 14, 30)
    assert wt.add_working_hours(cst(2026, 11, 30, 7), 3) == cst(2026, 11, 30, 12)


def test_calendar_hours_ignore_the_calendar(wt) -> None:
    (due,) = wt.deadlines(cst(2026, 10, 1, 23), Limit.parse("2 calendar_hours"), [1.0])
    assert due == cst(2026, 10, 2, 1)


def test_years_beyond_the_package_use_the_overrides_file(wt) -> None:
    # 2027 is not in chinese-calendar; the shipped overrides mark 元旦 (Fri 1 Jan 2027).
    assert wt.add_working_hours(cst(2026, 12, 31, 17), 2) == cst(2027, 1, 4, 10)


def test_override_file_adds_makeup_days(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"holidays": {"2027-02-05": "春节"},
                                "workdays": {"2027-02-06": "调休"}}))
    calendar = ChinaCalendar(path)
    assert not calendar.is_workday(date(2027, 2, 5))
    assert calendar.is_workday(date(2027, 2, 6))  # a Saturday made a working day
    assert calendar.is_workday(date(2027, 2, 8)) and not calendar.is_workday(date(2027, 2, 7))


def test_working_hours_between(wt) -> None:
    assert wt.working_hours_between(cst(2026, 9, 30, 10), cst(2026, 10, 10, 10)) == 21
    assert wt.working_hours_between(cst(2026, 11, 30, 11), cst(2026, 11, 30, 15)) == 2
    assert wt.working_hours_between(cst(2026, 11, 30, 15), cst(2026, 11, 30, 11)) == 0


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_periods("12:00-09:00")
    with pytest.raises(ValueError):
        Limit.parse("0 working_hours")


def test_a_case_calendar_matches_the_calendar_activity_and_knows_its_end() -> None:
    from activities.calendar import calendar_snapshot, china_calendar
    from domain.worktime import OutsideCalendar

    snap = calendar_snapshot(date(2026, 1, 5))
    assert snap is not None and snap.last == date(2026, 12, 31)  # 2027 is not published
    day = snap.first
    while day <= snap.last:
        assert snap.is_workday(day) == china_calendar().is_workday(day), day
        day += timedelta(days=1)
    assert date(2026, 2, 14) in snap.make_up_days  # a Saturday worked for 春节
    with pytest.raises(OutsideCalendar):
        snap.is_workday(date(2027, 1, 4))
    with pytest.raises(OutsideCalendar):
        snap.working_time().add_working_hours(datetime(2026, 12, 31, 9, tzinfo=UTC), 20)
