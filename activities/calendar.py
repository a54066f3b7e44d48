"""Working-time deadlines: China's statutory holidays and 调休 days, local working hours."""

import json
import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
from temporalio import activity

from config import get_settings
from domain.tasks import DeadlineRequest
from domain.worktime import WorkingTime, parse_periods

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


@lru_cache
def working_time() -> WorkingTime:
    s = get_settings()
    overrides = s.holiday_overrides if s.holiday_overrides.exists() else None
    return WorkingTime(ChinaCalendar(overrides).is_workday, parse_periods(s.working_hours),
                       ZoneInfo(s.timezone))


@activity.defn
def compute_deadlines(req: DeadlineRequest) -> list[datetime]:
    return working_time().deadlines(req.start, req.limit, req.shares, req.extra_hours, req.due,
                                    req.cap)
