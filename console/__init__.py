"""The web console (issue 11): server-rendered Chinese pages over the JSON API.

Pages call the API in-process as the signed-in user (console.client), so they are authorised
exactly as the API is; `install` adds the pages, their static files and their error pages to
the app, under `/ui/`.
"""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from console.client import ApiError
from console.render import render
from console.routes import router
from console.session import BadCsrf, NeedLogin

STATIC = Path(__file__).parent / "static"
# Every script, style, image and connection comes from this server (no CDN, no fonts online).
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
       "style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def install(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse("/ui/", 307)

    @app.middleware("http")
    async def page_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if request.url.path.startswith("/ui"):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            if not request.url.path.startswith("/ui/static"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response

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
