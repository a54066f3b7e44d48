"""德分宝 for a merchant: confirm a resident's code (核销), its offers and a form to publish
one, its redemptions, and its monthly statements. Every read and write goes through the API."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from console.client import ApiError
from console.pages.credit import NAMES, recent_months
from console.render import render
from console.session import Ctx, action, page

router = APIRouter()
CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")
OFFER_FIELDS = ("title", "kind", "points", "stock", "valid_until")


async def _statements(ctx: Ctx) -> list[tuple[str, dict[str, Any] | None]]:
    """The last three months' statements of this merchant; None: no statement that month."""
    found = []
    for month in recent_months(3):
        try:
            found.append((month, await ctx.api.get(
                f"/credit/settlements/{month}/statements/{ctx.me.get('department')}")))
        except ApiError as err:
            if err.status != 404:
                raise
            found.append((month, None))
    return found


async def _page(ctx: Ctx, status_code: int = 200, code: str = "",
                code_error: str | None = None, offer: dict[str, Any] | None = None,
                offer_errors: dict[str, str] | None = None, offer_error: str | None = None,
                confirmed: str = "", flash: str | None = None) -> Response:
    mine = ctx.me.get("department")
    live = await ctx.api.get("/credit/offers")
    offers = [o for o in live if o["merchant"]["code"] == mine]
    rows = await ctx.api.get("/credit/redemptions")
    done = next((r for r in rows if r["id"] == confirmed), None)
    if done:
        flash = f"核销成功：{done['points']} 分（兑换 {done['id']}）"
    return render(ctx, "merchant.html", status_code=status_code, title="商户", offers=offers,
                  rows=rows, titles={o["id"]: o["title"] for o in live},
                  statements=await _statements(ctx), code=code,
                  code_error=code_error, offer=offer or {}, offer_errors=offer_errors or {},
                  offer_error=offer_error, confirmed=done, flash=flash, **NAMES)


@router.get("/merchant")
async def merchant(ctx: Annotated[Ctx, Depends(page)], confirmed: str = "",
                   published: str = "") -> Response:
    return await _page(ctx, confirmed=confirmed,
                       flash="已发布" if published else None)


@router.post("/merchant/confirm")
async def confirm(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """核销: the code goes to POST /credit/redemptions/{code}/confirm; the API's 403 (another
    merchant's), 404 (unknown) or 409 (used, cancelled, expired) show next to the field."""
    code = re.sub(r"\s+", "", str((await request.form()).get("code", ""))).upper()
    if not CODE.match(code):
        return await _page(ctx, 422, code=code, code_error="请输入兑换码（字母和数字）")
    try:
        done = await ctx.api.post(f"/credit/redemptions/{code}/confirm")
    except ApiError as err:
        return await _page(ctx, err.status, code=code, code_error=err.message)
    return RedirectResponse(f"/ui/merchant?confirmed={done['id']}", 303)


@router.post("/merchant/offers")
async def publish(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """发布: POST /credit/offers; its 422 comes back next to the field it names."""
    form = {k: str(v).strip() for k, v in (await request.form()).items() if k in OFFER_FIELDS}
    body: dict[str, Any] = dict(form)
    errors: dict[str, str] = {}
    for key in ("points", "stock"):
        try:
            body[key] = int(form.get(key, ""))
        except ValueError:
            errors[key] = "请输入整数"
    if errors:
        return await _page(ctx, 422, offer=form, offer_errors=errors,
                           offer_error="请修改标出的字段")
    try:
        await ctx.api.post("/credit/offers", body)
    except ApiError as err:
        named = {k.split(".")[0]: v for k, v in err.field_errors().items()} or {
            k: err.message for k in OFFER_FIELDS if err.message.startswith(k)}
        return await _page(ctx, err.status, offer=form, offer_errors=named,
                           offer_error=err.message)
    return RedirectResponse("/ui/merchant?published=1#offers-h", 303)
