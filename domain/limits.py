"""Bounds on what callers may send (issue 6: input must never jam a case).

Everything a caller sends may end up in a workflow's input, an Update's argument or a Signal,
and so in the event history. Temporal refuses payloads over 2 MB and a history grows with
every event, so every field, list and body has a bound here, documented in the OpenAPI schema
by the models that use these types. Photos and evidence travel as references (URLs or
`media:` ids of stored files), never as their bytes.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, StringConstraints

MAX_BODY_BYTES = 64 * 1024  # any request body; larger is a 413
MAX_MEDIA_BYTES = 5 * 1024 * 1024  # one uploaded photo (POST /media)
MAX_TEXT = 2000  # descriptions, comments, results
MAX_SHORT_TEXT = 200  # names, addresses, reasons shown in lists
MAX_REF = 500  # one photo or evidence reference
MAX_REFS = 20  # photos or evidence items in one report or action
MAX_DATA_BYTES = 8 * 1024  # a task action's `data`, serialised as JSON
MAX_REPORTS_KEPT = 50  # repeat reports a case keeps in full; later ones are only counted
MAX_OFFSET = 1_000_000  # pagination
MAX_AHEAD = timedelta(days=366)  # the furthest a caller may set a deadline
FIRST_DAY = date(2000, 1, 1)  # dates a caller may ask about: enough for any record, and far
LAST_DAY = date(2100, 12, 31)  # from datetime's ends, so no time-zone arithmetic overflows

Ref = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=1, max_length=MAX_REF,
    pattern=r"^(https?://|media:)[^\s\x00-\x1f\x7f-\x9f]+$")]
"""A photo or evidence reference: an http(s) URL or a `media:` id, never the bytes."""


# Lone surrogates cannot be encoded (the JSON reply, the database and Temporal all fail on
# them), and control characters are never typed by a person; NUL is refused by PostgreSQL.
_UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def plain_text(value: str) -> str:
    """Text a person typed: newlines (CRLF and CR become LF) and tabs, no other control
    characters, no lone surrogates. A ValueError becomes a 422 (or Open311's 400)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    found = _UNWANTED.search(value)
    if found is None:
        return value
    if "\ud800" <= found.group() <= "\udfff":
        raise ValueError("contains a lone surrogate (not valid Unicode text)")
    raise ValueError(f"contains the control character U+{ord(found.group()):04X}; only "
                     "newlines and tabs are allowed")


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(plain_text)]
"""Free text: descriptions, comments, results (at most MAX_TEXT characters)."""

ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_TEXT),
                      AfterValidator(plain_text)]
"""Short text: names, addresses, reference numbers, filters (at most MAX_SHORT_TEXT)."""

Day = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY)]
"""A date a caller asks about, in 2000..2100."""


def in_date_range(at: datetime) -> bool:
    """Whether a caller's datetime lies in 2000..2100, before any conversion of its zone."""
    return FIRST_DAY.year <= at.year <= LAST_DAY.year


def within_reach(at: datetime, now: datetime | None = None) -> datetime:
    """A deadline a caller sets is at most MAX_AHEAD away (a time without a zone is taken as
    UTC for this check). Aware datetimes compare without converting zones, so even year 9999
    cannot overflow here, nor later, once the deadline is known to be near."""
    now = now or datetime.now(UTC)
    if (at if at.tzinfo is not None else at.replace(tzinfo=UTC)) - now > MAX_AHEAD:
        raise ValueError(f"is more than {MAX_AHEAD.days} days ahead")
    return at
