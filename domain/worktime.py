"""Working-time arithmetic: adding a limit to an instant, counting working hours between two.

Pure functions over a calendar (which days are working days) and the daily working periods.
The calendar data itself is looked up in an activity (activities/calendar.py), so workflows
only ever see the resulting instants in their history.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, PrivateAttr

from domain.tasks import Limit

MAX_DAYS = 3 * 366  # no limit in this system spans more than a few years of working time


def parse_periods(text: str) -> list[tuple[time, time]]:
    """'09:00-12:00,14:00-18:00' -> [(09:00, 12:00), (14:00, 18:00)]."""
    periods = []
    for part in text.split(","):
        start, end = (time.fromisoformat(x.strip()) for x in part.split("-"))
        if end <= start:
            raise ValueError(f"working period {part!r} ends before it starts")
        periods.append((start, end))
    return sorted(periods)


@dataclass(frozen=True)
class WorkingTime:
    is_workday: Callable[[date], bool]
    periods: list[tuple[time, time]]
    tz: ZoneInfo

    @property
    def hours_per_day(self) -> float:
        return sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds()
            for s, e in self.periods
        ) / 3600

    def _windows(self, start: datetime):
        """Working windows (local start, local end) from `start` onwards, clipped to it."""
        cursor = start.astimezone(self.tz)
        day = cursor.date()
        for _ in range(MAX_DAYS):
            if self.is_workday(day):
                for ps, pe in self.periods:
                    s = datetime.combine(day, ps, self.tz)
                    e = datetime.combine(day, pe, self.tz)
                    if e > cursor:
                        yield max(s, cursor), e
            day += timedelta(days=1)
        raise ValueError("working time runs past the calendar horizon")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        remaining = timedelta(hours=hours)
        for s, e in self._windows(start):
            if remaining <= e - s:
                return (s + remaining).astimezone(UTC)
            remaining -= e - s
        raise AssertionError("unreachable")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = timedelta()
        end = end.astimezone(self.tz)
        for s, e in self._windows(start):
            if s >= end:
                break
            total += min(e, end) - s
        return total.total_seconds() / 3600

    def deadlines(self, start: datetime, limit: Limit, shares: list[float],
                  extra_hours: float = 0, due: datetime | None = None,
                  cap: datetime | None = None) -> list[datetime]:
        """The instants at which each share of the limit has elapsed (0.8 -> warning...).

        `extra_hours` lengthens the limit (an approved 延期, in the limit's kind of hours);
        `due` fixes the end instead (an extension to a date); `cap` ends it sooner when the
        cap comes first (a city deadline). With a fixed end, shares divide the calendar span.
        """
        marks = self._marks(start, limit, shares, extra_hours)
        natural = marks[shares.index(1.0)]
        end = due if due is not None else min(cap, natural) if cap is not None else natural
        if end == natural:
            return marks
        span = end - start
        return [(start + span * s).astimezone(UTC) for s in shares]

    def _marks(self, start: datetime, limit: Limit, shares: list[float],
               extra_hours: float) -> list[datetime]:
        if limit.unit in ("calendar_hours", "calendar_days"):
            hours = limit.value * (24 if limit.unit == "calendar_days" else 1) + extra_hours
            return [(start + timedelta(hours=hours * s)).astimezone(UTC) for s in shares]
        hours = limit.value * (self.hours_per_day if limit.unit == "working_days" else 1)
        hours += extra_hours
        return [self.add_working_hours(start, hours * s) for s in shares]


class OutsideCalendar(LookupError):
    """A day beyond the calendar a case carries: ask the calendar activity instead."""


class CalendarSnapshot(BaseModel):
    """The working calendar a case runs on, frozen into its input when it starts: the days of
    the years whose holidays are published, as exceptions to Monday-Friday, and the working
    hours. Deadlines inside it are computed in the workflow itself (no activity, and replay
    never reads calendar data that may change); a deadline that runs past it goes to the
    calendar activity, which knows the years published since."""

    first: date
    last: date
    days_off: list[date] = []  # Monday-Friday days that are not working days (holidays)
    make_up_days: list[date] = []  # Saturdays and Sundays that are working days (调休)
    working_hours: str
    utc_offset_minutes: int = 480  # China keeps UTC+8 all year
    _off: frozenset[date] = PrivateAttr(default=frozenset())
    _on: frozenset[date] = PrivateAttr(default=frozenset())

    def model_post_init(self, _context: object) -> None:
        self._off, self._on = frozenset(self.days_off), frozenset(self.make_up_days)

    def is_workday(self, day: date) -> bool:
        if not self.first <= day <= self.last:
            raise OutsideCalendar(day)
        if day.weekday() < 5:
            return day not in self._off
        return day in self._on

    def working_time(self) -> WorkingTime:
        tz = timezone(timedelta(minutes=self.utc_offset_minutes))
        return WorkingTime(self.is_workday, parse_periods(self.working_hours), tz)  # type: ignore[arg-type]
