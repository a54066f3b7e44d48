"""惠新码: the rider's pass (apply, the live QR, renew and cancel) and service requests, phone
first; the union's list of passes and a pass's page with its history and actions."""

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.client import ApiError
from console.render import render
from console.session import Ctx, action, page

router = APIRouter()
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASS_ID = Path(max_length=64, pattern=r"^[\w-]+$")
REQUEST_ID = Path(max_length=64, pattern=r"^[\w-]+$")  # a Path is bound to one name
LIVE = ("reviewing", "active", "suspended")
STATUSES = ["reviewing", "active", "suspended", "expired", "revoked", "rejected", "cancelled"]
PASS_STATUS = {"reviewing": "审核中", "active": "有效", "suspended": "已暂停",
               "expired": "已过期", "revoked": "已吊销", "rejected": "未通过",
               "cancelled": "已注销"}
PLATFORMS = {"meituan": "美团", "eleme": "饿了么", "other": "其他平台"}
MODULES = {  # the four modules of the riders' service, and what each is for
    "counselling": ("心灵驿站", "心理疏导与倾诉：工作压力、情绪困扰，工会专员一对一答复。"),
    "policy": ("政策法规", "社保、医保、职业伤害保障等政策咨询。"),
    "employment": ("就业服务", "技能培训、转岗就业、招聘信息。"),
    "rights": ("权益维护", "欠薪、工伤、平台不合理处罚等，必要时转法律援助。"),
}
APPLY_FIELDS = ("name", "phone", "id_number", "platform", "platform_rider_id", "photo")
UNION_ACTIONS = {"suspend": "暂停", "reinstate": "恢复", "revoke": "吊销"}
UNION_ACTORS = ("union_reviewer", "admin")  # who the workflow lets suspend/reinstate/revoke
RENEW_WINDOW = timedelta(days=30)


def _field_of(err: ApiError) -> dict[str, str]:
    """An application's 422 by the field it names: FastAPI's list, or `id_number: ...`."""
    named = err.field_errors()
    head, _, rest = err.message.partition(":")
    if not named and head in APPLY_FIELDS:
        named[head] = rest.strip()
    if "id_number" in named:
        named["id_number"] = f"身份证号码有误（GB 11643）：{named['id_number']}"
    return named


def _renewable(p: dict[str, Any]) -> bool:
    """Renewal opens 30 days before the end (the API still decides)."""
    if p["status"] not in ("active", "suspended") or p.get("renewing") or not p["valid_until"]:
        return False
    return datetime.fromisoformat(p["valid_until"]) - datetime.now(SHANGHAI) <= RENEW_WINDOW


async def _rider_page(ctx: Ctx, *, values: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, error: str | None = None,
                      flash: str | None = None, status_code: int = 200) -> Response:
    passes = await ctx.api.get("/rider-passes", limit=20)
    live = next((p for p in passes if p["status"] in LIVE), None)
    card = await _card(ctx) if live and live["status"] == "active" else None
    return render(ctx, "rider.html", status_code=status_code, title="我的惠新码", live=live,
                  last=passes[0] if passes else None, card=card, platforms=PLATFORMS,
                  renewable=bool(live and _renewable(live)), values=values or {},
                  errors=errors or {}, error=error, flash=flash, flash_kind="ok")


async def _card(ctx: Ctx) -> dict[str, Any]:
    """A fresh code: its text and image from one signature, and seconds left."""
    try:
        card = await ctx.api.get("/rider-passes/me/code-card", format="png")
    except ApiError as err:
        return {"error": err.message}
    left = datetime.fromisoformat(card["expires_at"]) - datetime.now(SHANGHAI)
    return card | {"seconds": max(int(left.total_seconds()), 0)}


@router.get("/rider")
async def rider_home(ctx: Annotated[Ctx, Depends(page)], done: str = "") -> Response:
    flash = {"apply": "申请已提交，工会审核后即可出示惠新码", "renew": "续期申请已提交",
             "cancel": "惠新码已注销"}.get(done)
    return await _rider_page(ctx, flash=flash)


@router.get("/rider/code")
async def rider_code(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    """The live code as an htmx fragment, fetched again before the code expires."""
    return render(ctx, "rider_code.html", card=await _card(ctx))


@router.post("/rider/apply")
async def rider_apply(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in APPLY_FIELDS}
    values["id_number"] = values["id_number"].upper()
    try:
        await ctx.api.post("/rider-passes", values)
    except ApiError as err:
        return await _rider_page(ctx, values=values, errors=_field_of(err), error=err.message,
                                 status_code=err.status)
    return RedirectResponse("/ui/rider?done=apply", 303)


@router.post("/rider/actions")
async def rider_action(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """Renew or cancel the rider's own pass (POST /rider-passes/{id}/actions)."""
    form = await request.form()
    name = str(form.get("action", ""))
    body = {"action": name, "reason": str(form.get("reason", "")).strip() or None}
    try:
        await ctx.api.post(f"/rider-passes/{form.get('pass_id', '')}/actions", body)
    except ApiError as err:
        return await _rider_page(ctx, error=err.message, status_code=err.status)
    return RedirectResponse(f"/ui/rider?done={name}", 303)


# -- service requests ---------------------------------------------------------------------


async def _services_page(ctx: Ctx, *, values: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None, error: str | None = None,
                         status_code: int = 200) -> Response:
    mine = await ctx.api.get("/rider-services", limit=100)
    return render(ctx, "rider_services.html", status_code=status_code, title="骑手服务",
                  modules=MODULES, mine=mine, values=values or {}, errors=errors or {},
                  error=error)


@router.get("/rider/services")
async def services(ctx: Annotated[Ctx, Depends(page)],
                   module: str = Query("", max_length=20)) -> Response:
    return await _services_page(ctx, values={"module": module} if module in MODULES else None)


@router.post("/rider/services")
async def ask(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    form = await request.form()
    values = {"module": str(form.get("module", "")), "text": str(form.get("text", "")).strip()}
    try:
        created = await ctx.api.post("/rider-services", values)
    except ApiError as err:
        return await _services_page(ctx, values=values, errors=err.field_errors(),
                                    error=err.message, status_code=err.status)
    return RedirectResponse(f"/ui/rider-services/{created['id']}?new=1", 303)


async def _service_page(ctx: Ctx, request_id: str, *, error: str | None = None,
                        flash: str | None = None, status_code: int = 200) -> Response:
    item = await ctx.api.get(f"/rider-services/{request_id}")
    return render(ctx, "rider_service.html", status_code=status_code,
                  title=f"{item['module_name']}（{item['id']}）", item=item, error=error,
                  flash=flash, flash_kind="ok")


@router.get("/rider-services/{request_id}")
async def service(ctx: Annotated[Ctx, Depends(page)], request_id: str = REQUEST_ID,
                  new: str = "", rated: str = "") -> Response:
    flash = "已提交，工会专员会尽快答复" if new else ("感谢您的评价" if rated else None)
    return await _service_page(ctx, request_id, flash=flash)


@router.post("/rider-services/{request_id}/rating")
async def rate(request: Request, ctx: Annotated[Ctx, Depends(action)],
               request_id: str = REQUEST_ID) -> Response:
    form = await request.form()
    try:
        stars = int(str(form.get("stars", "")))
    except ValueError:
        return await _service_page(ctx, request_id, error="请选择 1 到 5 星", status_code=422)
    try:
        await ctx.api.post(f"/rider-services/{request_id}/rating", {"stars": stars})
    except ApiError as err:
        return await _service_page(ctx, request_id, error=err.message, status_code=err.status)
    return RedirectResponse(f"/ui/rider-services/{request_id}?rated=1", 303)


# -- the union's pages --------------------------------------------------------------------


@router.get("/rider-passes")
async def passes(ctx: Annotated[Ctx, Depends(page)],
                 status: str = Query("", max_length=20),
                 offset: int = Query(0, ge=0, le=100_000)) -> Response:
    status = status if status in STATUSES else ""
    rows = await ctx.api.get("/rider-passes", status=status or None, limit=50, offset=offset)
    return render(ctx, "rider_passes.html", title="骑手认证", rows=rows, status=status,
                  statuses=PASS_STATUS, platforms=PLATFORMS, offset=offset)


async def _pass_page(ctx: Ctx, pass_id: str, *, error: str | None = None,
                     chosen: str | None = None, flash: str | None = None,
                     status_code: int = 200) -> Response:
    item = await ctx.api.get(f"/rider-passes/{pass_id}")
    history = await ctx.api.get(f"/rider-passes/{pass_id}/history")
    allowed = [(name, label) for name, label in UNION_ACTIONS.items()
               if ctx.role in UNION_ACTORS and item["status"] in
               {"suspend": ("active",), "reinstate": ("suspended",),
                "revoke": ("active", "suspended")}[name]]
    return render(ctx, "rider_pass.html", status_code=status_code,
                  title=f"惠新码 {item['id']}", item=item, history=history,
                  platforms=PLATFORMS, actions=allowed, error=error, chosen=chosen,
                  flash=flash, flash_kind="ok")


@router.get("/rider-passes/{pass_id}")
async def pass_page(ctx: Annotated[Ctx, Depends(page)], pass_id: str = PASS_ID,
                    done: str = "") -> Response:
    return await _pass_page(ctx, pass_id, flash=f"已{UNION_ACTIONS[done]}"
                            if done in UNION_ACTIONS else None)


@router.post("/rider-passes/{pass_id}/actions")
async def pass_action(request: Request, ctx: Annotated[Ctx, Depends(action)],
                      pass_id: str = PASS_ID) -> Response:
    """Suspend, reinstate or revoke with a reason; the workflow's 403/409/422 come back onto
    the form."""
    form = await request.form()
    name = str(form.get("action", ""))
    reason = str(form.get("reason", "")).strip()
    if name in UNION_ACTIONS and not reason:
        return await _pass_page(ctx, pass_id, error="请填写理由", chosen=name, status_code=422)
    try:
        await ctx.api.post(f"/rider-passes/{pass_id}/actions",
                           {"action": name, "reason": reason or None})
    except ApiError as err:
        return await _pass_page(ctx, pass_id, error=err.message, chosen=name,
                                status_code=err.status)
    return RedirectResponse(f"/ui/rider-passes/{pass_id}?done={name}", 303)
