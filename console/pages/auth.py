"""Sign-in and sign-out; `/ui/` sends each user to their own start page."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.client import Api, ApiError
from console.nav import home_for
from console.render import render
from console.session import (
    Ctx,
    action,
    check_login_csrf,
    clear_session,
    keep_login_token,
    login_token,
    page,
    set_session,
)

router = APIRouter()


def _safe_next(url: str | None) -> str:
    # Only our own pages: never an absolute or protocol-relative address (open redirect).
    return url if url and url.startswith("/ui/") and not url.startswith("//") else "/ui/"


def _login_page(request: Request, next_url: str, error: str | None = None,
                username: str | None = None, status_code: int = 200) -> Response:
    token = login_token(request)
    response = render(None, "login.html", request=request, title="登录", error=error,
                      next_url=_safe_next(next_url), username=username, login_csrf=token,
                      status_code=status_code)
    keep_login_token(request, response, token)
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "/ui/") -> Response:  # noqa: A002
    return _login_page(request, next)


@router.post("/login")
async def login(request: Request, username: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=200)],
                csrf: Annotated[str, Form(max_length=100)] = "",
                next: Annotated[str, Form(max_length=500)] = "/ui/") -> Response:  # noqa: A002
    try:
        check_login_csrf(request, csrf)
    except Exception:  # noqa: BLE001  (a stale form: show it again, fresh)
        return _login_page(request, next, "页面已过期，请重新登录", username, 403)
    try:
        answer = await Api(request, None).call(
            "POST", "/auth/token", data={"username": username, "password": password})
    except ApiError as err:
        text = {401: "用户名或密码错误",
                429: "登录失败次数过多，请稍后再试"}.get(err.status, "登录失败：" + err.message)
        return _login_page(request, next, text, username, err.status)
    token = answer["access_token"]
    me = await Api(request, token).get("/me")
    target = _safe_next(next)
    response = RedirectResponse(home_for(me["role"]) if target == "/ui/" else target, 303)
    set_session(request, response, token)
    return response


@router.post("/logout")
async def logout(ctx: Annotated[Ctx, Depends(action)]) -> Response:
    response = RedirectResponse("/ui/login", 303)
    clear_session(ctx.request, response)
    return response


@router.get("/")
async def home(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return RedirectResponse(home_for(ctx.role), 303)
