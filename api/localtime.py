"""API responses show times in Asia/Shanghai (+08:00); storage and workflows keep UTC.

Response models declare their times as `LocalTime`, so the model formats them."""

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

from domain.timefmt import SHANGHAI

LocalTime = Annotated[datetime, PlainSerializer(
    lambda at: at.astimezone(SHANGHAI).isoformat(), return_type=str, when_used="json")]
