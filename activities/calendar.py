"""Working-time deadlines: China's statutory holidays and 调休 days, local working hours."""

import json
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
from temporalio import activity

from config import get_settings
from domain.tasks import DeadlineRequest
from domain.worktime import CalendarSnapshot, WorkingTime, parse_periods

log = logging.getLogger(__name__)


class ChinaCalendar:
    """Working days from chinese-calendar, corrected by an overrides file."""

    def __init__(self, overrides: Path | None) -> None:
        data = json.loads(overrides.read_text(encoding="utf-8")) if overrides else {}
        self.holidays = {date.fromisoformat(d) for d in data.get("holidays", {})}
        self.workdays = {date.fromisoformat(d) for d in data.get("workdays", {})}
        self._warned: set[int] = set()

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning("no holiday data for %s: counting Monday-Friday; add the year to "
                            "the holiday overrides file", day.year)
            return day.weekday() < 5


    @staticmethod
    def published(year: int) -> bool:
        """Whether the package has the State Council's schedule for `year`."""
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True


@lru_cache
def china_calendar() -> ChinaCalendar:
    s = get_settings()
    return ChinaCalendar(s.holiday_overrides if s.holiday_overrides.exists() else None)


@lru_cache
def working_time() -> WorkingTime:
    s = get_settings()
    return WorkingTime(china_calendar().is_workday, parse_periods(s.working_hours),
                       ZoneInfo(s.timezone))


MAX_SNAPSHOT_DAYS = 2 * 366


@lru_cache(maxsize=4)
def calendar_snapshot(today: date) -> CalendarSnapshot | None:
    """The calendar from `today` to the end of the last published year (two years at most),
    for a new case's input; None when this year's schedule is not published."""
    cal, s = china_calendar(), get_settings()
    year = today.year
    while cal.published(year + 1) and year + 1 <= today.year + 2:
        year += 1
    if not cal.published(today.year):
        return None
    last = min(date(year, 12, 31), today + timedelta(days=MAX_SNAPSHOT_DAYS))
    days = [today + timedelta(days=i) for i in range((last - today).days + 1)]
    offset = ZoneInfo(s.timezone).utcoffset(datetime.combine(today, time(12)))
    return CalendarSnapshot(
        first=today, last=last, working_hours=s.working_hours,
        days_off=[d for d in days if d.weekday() < 5 and not cal.is_workday(d)],
        make_up_days=[d for d in days if d.weekday() >= 5 and cal.is_workday(d)],
        utc_offset_minutes=int(offset.total_seconds() // 60) if offset else 0)


@activity.defn
def compute_deadlines(req: DeadlineRequest) -> list[datetime]:
    return working_time().deadlines(req.start, req.limit, req.shares, req.extra_hours, req.due,
                                    req.cap)


def ladder_shares() -> list[float]:
    """LADDER_SHARES: 预警, the deadline (1.0), then each higher level, as shares of a limit."""
    shares = [float(x) for x in get_settings().ladder_shares.split(",")]
    if len(shares) < 2 or shares[1] != 1.0:
        raise ValueError("LADDER_SHARES must be 'warning,1.0[,higher...]', e.g. 0.8,1.0,2.0")
    return shares


def today_calendar() -> CalendarSnapshot | None:
    """The working calendar frozen into a case that starts today (Asia/Shanghai)."""
    return calendar_snapshot(datetime.now(ZoneInfo("Asia/Shanghai")).date())
