"""How invalid input is reported: FastAPI's documented shape, without what the caller sent.

Pydantic's errors carry the offending `input` and a `ctx`; those can be NaN (which JSON cannot
encode, so the 422 itself failed), lone surrogates (which UTF-8 cannot encode), megabytes of
text, or personal data. Callers get `loc`, `msg` and `type` only, each bounded and printable.
"""

from collections.abc import Iterable, Mapping
from typing import Any

MAX_ERRORS = 20  # problems listed in one answer
MAX_MESSAGE = 200
MAX_NAME = 40  # one part of `loc`: a field name, or a key the caller chose


def shown(text: str, limit: int = MAX_NAME) -> str:
    """`text` safe to show: lone surrogates escaped, control characters as `?`, at most
    `limit` characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return "".join(c if c.isprintable() else "?" for c in text)


def public_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic/FastAPI errors as `[{"loc", "msg", "type"}]`, without `input` or `ctx`."""
    out = []
    for error in list(errors)[:MAX_ERRORS]:
        loc = [part if isinstance(part, int) else shown(str(part))
               for part in error.get("loc", ())]
        out.append({"loc": loc, "msg": shown(str(error.get("msg", "")), MAX_MESSAGE),
                    "type": shown(str(error.get("type", "")))})
    return out


def summary(errors: Iterable[Mapping[str, Any]]) -> str:
    """The same problems as one line, for error formats that want a sentence (Open311)."""
    return "; ".join(".".join(map(str, e["loc"])) + f": {e['msg']}"
                     for e in public_errors(errors))
