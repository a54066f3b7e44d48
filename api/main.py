"""The API: one small surface over every process's workflows.

Bad input never reaches a workflow and never becomes a 500 (issue 6): bodies are capped at
MAX_BODY_BYTES (413), invalid fields are 422 in FastAPI's documented shape without the input
they carried, and anything unforeseen is a bare 500 whose traceback only the log sees.
Under `/open311/v2/` the same errors come in the GeoReport error format.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import console
import security
from api.routers import (
    audit,
    auth,
    categories,
    credit,
    credit_views,
    deeds,
    directory,
    dog_disputes,
    dogs,
    enforcement_stats,
    enterprises,
    health,
    incidents,
    inspections,
    media,
    notifications,
    offers,
    open311,
    penalty_cases,
    rider_codes,
    rider_passes,
    rider_views,
    settlements,
    tasks,
)
from api.validation import public_errors
from domain.limits import MAX_BODY_BYTES, MAX_MEDIA_BYTES

log = logging.getLogger("api")

TOO_LARGE = f"request body larger than {MAX_BODY_BYTES} bytes"
ERROR_OUT = "#/components/schemas/ErrorOut"  # api.errors: `{"detail"}`


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    security.check_secret()  # no serving with a missing, short or public JWT secret
    app.state.temporal = None  # connected on first use (api.deps.temporal)
    yield


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body passes the limit. An HTTPException, because FastAPI
    turns any other error while reading a body into a 400 but lets this one through."""

    def __init__(self) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, TOO_LARGE)


def error_response(path: str, code: int, text: str) -> Response:
    """`{"detail"}`, the GeoReport error format under `/open311/v2/`, or a page for a person
    under the console's `/ui/` (a photo too large, an unforeseen error)."""
    if path.startswith(open311.PREFIX):
        return open311.standard_error(path, code, text)
    if path.startswith("/ui/"):
        return console.error_page(code, text)
    return JSONResponse({"detail": text}, code)


class ResponseWatch:
    """Wraps `send` to tell whether a response has started (then no error page can follow)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


def refusal(path: str, limit: int = MAX_BODY_BYTES) -> Response:
    return error_response(path, status.HTTP_413_CONTENT_TOO_LARGE,
                          f"request body larger than {limit} bytes")


# Routes that take a photo: the photo's limit, plus room for the form's other fields.
UPLOADS = {"/media": MAX_MEDIA_BYTES, "/ui/report": MAX_MEDIA_BYTES + MAX_BODY_BYTES,
           "/ui/dog-disputes/new": MAX_MEDIA_BYTES + MAX_BODY_BYTES}


class BodyLimit:
    """Pure ASGI, so it sees the body as it streams: a declared Content-Length over the limit
    is refused before a byte is read, and a chunked or under-declared body is counted and
    stopped as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES,
                 larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger if larger is not None else UPLOADS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # An upload route has its own, larger limit (photos); every other route this one.
        limit = self.larger.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await refusal(scope["path"], limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        watch = ResponseWatch(send)
        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge:
            # Read outside FastAPI's body handling (which answers it itself).
            if watch.started:
                raise
            await refusal(scope["path"], limit)(scope, receive, send)


class InternalErrors:
    """An unforeseen exception becomes a bare 500; its traceback goes to the log only. Caught
    here rather than by Starlette's last-resort handler, which re-raises: the server would
    then drop the keep-alive connection and fail the caller's next request as well."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = ResponseWatch(send)
        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error in %s %r", scope["method"], scope["path"])
            if watch.started:
                raise  # half a response is out: only closing the connection is honest
            await error_response(scope["path"], status.HTTP_500_INTERNAL_SERVER_ERROR,
                                 "internal error")(scope, receive, send)


app = FastAPI(
    title="大渡口区治理后台 Dadukou governance back office",
    description="Civic processes of Dadukou district as durable Temporal workflows. "
                "Times are returned in Asia/Shanghai (+08:00). Request bodies are limited "
                f"to {MAX_BODY_BYTES} bytes (413).",
    version="0.1.0",
    lifespan=lifespan,
)
for module in (auth, health, categories, incidents, tasks, audit, open311, notifications,
               enterprises, enforcement_stats, inspections,  # /inspections/stats before /{id}
               penalty_cases, dogs, dog_disputes,  # /dog-disputes/stats before /{id}
               credit, deeds, settlements,  # /credit/accounts/me before /{id}
               rider_codes, rider_passes,  # /rider-passes/trust before /{id}
               rider_views,  # 惠新码 as the console shows it: code card, history
               media, directory):
    app.include_router(module.router)
app.include_router(offers.router)  # 德分宝 offers and redemptions
app.include_router(credit_views.router)  # 德分宝 for the console: a deed's tasks, rating by id
console.install(app)  # the web console under /ui/, on the routes above
app.add_middleware(BodyLimit)
app.add_middleware(InternalErrors)  # added last, so outermost: it also sees BodyLimit's errors

_schema = app.openapi
BODY_ERRORS = {"400": "the body cannot be read (not UTF-8, or a broken form)",
               "413": TOO_LARGE}


def openapi() -> dict[str, Any]:
    """FastAPI's document, plus what happens before any route: every operation that takes a
    body may answer 400 or 413; and GeoReport routes answer 400, never 422."""
    if app.openapi_schema is None:
        for path, operations in _schema()["paths"].items():
            for operation in operations.values():
                answers = operation["responses"]
                if path.startswith(open311.PREFIX):
                    answers.pop("422", None)
                elif "requestBody" in operation:
                    for code, text in BODY_ERRORS.items():
                        answers.setdefault(code, {"description": text, "content": {
                            "application/json": {"schema": {"$ref": ERROR_OUT}}}})
    return app.openapi_schema


app.openapi = openapi  # type: ignore[method-assign]


@app.exception_handler(RequestValidationError)
async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's shape, `{"detail": [{"loc", "msg", "type"}]}`, without `input` and `ctx`:
    they may be NaN or a lone surrogate (which no JSON encoder takes), megabytes, or
    personal data. (GeoReport routes answer their own, as a 400: open311.Open311Route.)"""
    return JSONResponse({"detail": public_errors(exc.errors())},
                        status.HTTP_422_UNPROCESSABLE_CONTENT)


@app.exception_handler(HTTPException)
async def http_error(request: Request, exc: HTTPException) -> Response:
    """Unchanged, except under /open311/v2/: an unknown path or method there gets the
    standard's format too."""
    if request.url.path.startswith(open311.PREFIX):
        response = open311.standard_error(request.url.path, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. a 405's Allow
        return response
    return await http_exception_handler(request, exc)
