"""Times are stored in UTC and shown in Asia/Shanghai (UTC+8 all year: China has no DST)."""

from datetime import datetime, timedelta, timezone
from typing import Any

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_text(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if at else "-"


def local_json(value: Any) -> Any:
    """A model dump made ready for people: datetimes in Asia/Shanghai, ISO 8601 with +08:00."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, dict):
        return {k: local_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [local_json(v) for v in value]
    return value
