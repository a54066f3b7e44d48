"""门岗核验: a guard scans a rider's 惠新码 with the phone's camera (jsQR in gate.js) or takes
its text from a hand-held scanner, and sees the API's verdict and the masked rider in large
type. The scan itself is `POST /gates/{gate}/scans` as the guard."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.client import ApiError
from console.render import render
from console.session import Ctx, action, page

router = APIRouter()
REASONS = {  # the verifier's reasons, as a guard tells the rider
    "bad_format": "不是有效的惠新码",
    "bad_signature": "签名无效，码可能被伪造或篡改",
    "unknown_key": "签发密钥未知，码不是本区签发",
    "retired_key": "签发密钥已停用，请刷新后重新出示",
    "expired": "码已过期，请刷新后重新出示",
    "not_yet_valid": "码尚未生效，请核对手机时间",
    "suspended": "惠新码已暂停",
    "revoked": "惠新码已吊销或注销",
    "pass_expired": "惠新码已过有效期",
    "out_of_scope": "不在本社区通行范围内",
    "replayed": "此码已使用过，请刷新后重新出示",
}
PLATFORMS = {"meituan": "美团", "eleme": "饿了么", "other": "其他平台"}


async def _gates(ctx: Ctx) -> list[dict[str, Any]]:
    """The gates of the guard's community (the API lets a guard scan only there)."""
    gates = await ctx.api.get("/gates")
    return [g for g in gates if g["community"] == ctx.me.get("department")] or gates


def _page(ctx: Ctx, request: Request, gates: list[dict[str, Any]], gate: str,
          **values: Any) -> Response:
    fragment = request.headers.get("hx-request") == "true"
    return render(ctx, "gate_verdict.html" if fragment else "gate.html", title="门岗核验",
                  gates=gates, gate=gate, reasons=REASONS, platforms=PLATFORMS,
                  status_code=values.pop("status_code", 200), **values)


@router.get("/gate")
async def gate_page(request: Request, ctx: Annotated[Ctx, Depends(page)]) -> Response:
    gates = await _gates(ctx)
    return _page(ctx, request, gates, gates[0]["id"] if gates else "")


@router.post("/gate/scan")
async def scan(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    form = await request.form()
    gate = str(form.get("gate", ""))
    code = str(form.get("code", "")).strip()
    gates = await _gates(ctx)
    if not code:
        return _page(ctx, request, gates, gate, error="请扫码或输入惠新码文本",
                     status_code=422)
    try:
        verdict = await ctx.api.post(f"/gates/{gate}/scans", {"code": code})
    except ApiError as err:
        return _page(ctx, request, gates, gate, error=err.message, status_code=err.status)
    return _page(ctx, request, gates, gate, verdict=verdict)
