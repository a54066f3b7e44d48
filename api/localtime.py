"""API responses show times in Asia/Shanghai (+08:00); storage and workflows keep UTC.

Response models declare their times as `LocalTime`, so the model formats them."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import PlainSerializer

from domain.timefmt import SHANGHAI, local_json

LocalTime = Annotated[datetime, PlainSerializer(
    lambda at: at.astimezone(SHANGHAI).isoformat(), return_type=str, when_used="json")]


def localize(value: Any) -> Any:
    """Datetimes (by type) in a plain dict or list, for routers without response models yet."""
    return local_json(value)
