"""API responses show times in Asia/Shanghai (+08:00); storage and workflows keep UTC."""

from datetime import datetime
from typing import Any

from domain.timefmt import SHANGHAI


def localize(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI)
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T" and (
            value.endswith("Z") or value[-6] in "+-"):
        try:
            return datetime.fromisoformat(value).astimezone(SHANGHAI)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: localize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [localize(v) for v in value]
    return value
