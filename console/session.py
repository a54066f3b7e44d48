"""The browser's session: the API's own bearer token kept in an HttpOnly cookie, and a CSRF
token bound to it. The JSON API never reads the cookie, so a cross-site request can only ever
reach console routes, and every console POST checks the CSRF token first."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from config import get_settings
from console.client import Api, ApiError
from domain.limits import MAX_MEDIA_BYTES
from security import jwt_secret, read_token

SESSION = "ddk_session"
LOGIN_CSRF = "ddk_login_csrf"  # double-submit token for the sign-in form (no session yet)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class NeedLogin(Exception):  # noqa: N818  (a redirect, not a failure)
    """No valid session: the handler installed by console.install sends the browser to sign in."""

    def __init__(self, next_url: str = "/ui/") -> None:
        self.next_url = next_url


class BadCsrf(Exception):  # noqa: N818
    pass


def csrf_for(token: str) -> str:
    return hmac.new(jwt_secret().encode(), b"csrf|" + token.encode(),
                    hashlib.sha256).hexdigest()[:40]


def _secure(request: Request) -> bool:
    """Secure cookies everywhere but plain http on this machine (make up's development)."""
    return request.url.scheme == "https" or request.url.hostname not in LOOPBACK


def set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION, token, max_age=get_settings().jwt_ttl_minutes * 60,
                        httponly=True, samesite="strict", secure=_secure(request), path="/")


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION, path="/", httponly=True, samesite="strict",
                           secure=_secure(request))


def login_token(request: Request) -> str:
    return request.cookies.get(LOGIN_CSRF) or secrets.token_urlsafe(24)


def keep_login_token(request: Request, response: Response, token: str) -> None:
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="strict",
                        secure=_secure(request), path="/ui/login")


def check_login_csrf(request: Request, sent: str | None) -> None:
    kept = request.cookies.get(LOGIN_CSRF)
    if not kept or not sent or not hmac.compare_digest(kept, sent):
        raise BadCsrf


@dataclass
class Ctx:
    """What every page handler gets: the request, the API as the user, who they are."""

    request: Request
    api: Api
    token: str
    me: dict[str, Any] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)

    @property
    def role(self) -> str:
        return self.me.get("role", "")


def _next(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query if request.method == "GET" else "/ui/"


async def page(request: Request) -> Ctx:
    """A signed-in user's context (dependency); NeedLogin otherwise."""
    token = request.cookies.get(SESSION)
    if not token or read_token(token) is None:
        raise NeedLogin(_next(request))
    ctx = Ctx(request, Api(request, token), token)
    try:
        ctx.me = await ctx.api.get("/me")
    except ApiError as err:
        if err.status == 401:
            raise NeedLogin(_next(request)) from err
        raise
    return ctx


async def action(request: Request) -> Ctx:
    """page() plus the CSRF check, for every state-changing request (form or htmx header)."""
    ctx = await page(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None and "form" in request.headers.get("content-type", ""):
        # Parsed once here (Starlette keeps it for the handler), with room for one photo.
        form = await request.form(max_part_size=MAX_MEDIA_BYTES + 1024)
        sent = str(form.get("csrf", ""))
    if not sent or not hmac.compare_digest(sent, ctx.csrf):
        raise BadCsrf
    return ctx
