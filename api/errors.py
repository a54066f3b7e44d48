"""The error statuses endpoints declare in the OpenAPI document, in one shape: `{"detail"}`."""

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]]


_TEXT = {
    400: "bad request", 401: "not signed in, or the token is invalid or expired",
    403: "not allowed for the caller's role, department or community",
    404: "no such resource", 409: "the task or case is no longer open for this",
    413: "request body too large", 422: "invalid input; `detail` says which field and why",
    429: "too many failed attempts; retry after the Retry-After header",
    503: "Temporal or the database is unavailable now",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut, "description": _TEXT[code]} for code in codes}
