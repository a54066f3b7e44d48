"""Bounds on what callers may send (issue 6: input must never jam a case).

Everything a caller sends may end up in a workflow's input, an Update's argument or a Signal,
and so in the event history. Temporal refuses payloads over 2 MB and a history grows with
every event, so every field, list and body has a bound here, documented in the OpenAPI schema
by the models that use these types. Photos and evidence travel as references (URLs or
`media:` ids of stored files), never as their bytes.
"""

from typing import Annotated

from pydantic import StringConstraints

MAX_BODY_BYTES = 64 * 1024  # any request body; larger is a 413
MAX_TEXT = 2000  # descriptions, comments, results
MAX_SHORT_TEXT = 200  # names, addresses, reasons shown in lists
MAX_REF = 500  # one photo or evidence reference
MAX_REFS = 20  # photos or evidence items in one report or action
MAX_DATA_BYTES = 8 * 1024  # a task action's `data`, serialised as JSON
MAX_REPORTS_KEPT = 50  # repeat reports a case keeps in full; later ones are only counted
MAX_OFFSET = 1_000_000  # pagination

Ref = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=1, max_length=MAX_REF,
    pattern=r"^(https?://|media:)[^\s]+$")]
"""A photo or evidence reference: an http(s) URL or a `media:` id, never the bytes."""
