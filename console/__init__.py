"""The web console (issue 11): server-rendered Chinese pages over the JSON API.

Pages call the API in-process as the signed-in user (console.client), so they are authorised
exactly as the API is; `install` adds the pages, their static files and their error pages to
the app, under `/ui/`.
"""

import html
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.client import ApiError
from console.render import render
from console.routes import router
from console.session import BadCsrf, NeedLogin

STATIC = Path(__file__).parent / "static"
# Every script, style, image and connection comes from this server (no CDN, no fonts online).
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
       "style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class PageHeaders:
    """Pure ASGI (a BaseHTTPMiddleware would wrap the API's body streaming and turn its 413
    into a 400): the CSP and no caching on console pages, nothing on API routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/ui"):
            await self.app(scope, receive, send)
            return
        extra = [(b"content-security-policy", CSP.encode()),
                 (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        if not path.startswith("/ui/static"):
            extra.append((b"cache-control", b"no-store"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


PAGE_ERRORS = {413: "照片或提交的内容过大，请压缩后重试", 500: "系统出错了，请稍后再试"}


def error_page(code: int, text: str) -> Response:
    """A bare page for errors raised before any route (the body limit, an unforeseen error):
    no template, so it cannot fail itself."""
    message = html.escape(PAGE_ERRORS.get(code, text))
    body = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>出错了</title>'
            f'<link rel="stylesheet" href="/ui/static/console.css"></head><body><main>'
            f'<h1>出错了（{code}）</h1><p class="error" role="alert">{message}</p>'
            f'<p><a href="/ui/">返回首页</a></p></main></body></html>')
    return HTMLResponse(body, code)


def install(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse("/ui/", 307)

    app.add_middleware(PageHeaders)

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        if request.headers.get("hx-request"):  # htmx follows no redirect: tell it to
            return Response(status_code=401, headers={"HX-Redirect": "/ui/login"})
        return RedirectResponse(f"/ui/login?next={exc.next_url}", 303)

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return render(None, "error.html", request=request, status_code=403, title="请求无效",
                      code=403, message="页面已过期或请求来源不明（CSRF），请刷新页面后重试。")

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        """A page whose API read was refused shows the API's own answer."""
        titles = {401: "请先登录", 403: "无权查看", 404: "未找到", 409: "状态冲突",
                  422: "输入有误", 503: "服务暂不可用"}
        code = exc.status if exc.status in titles else 502
        return render(None, "error.html", request=request, status_code=code,
                      title=titles.get(code, "出错了"), code=code, message=exc.message)
