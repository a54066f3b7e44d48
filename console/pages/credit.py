"""德分宝 good-deed points: a resident's points, 签到, good deeds, offers and redemptions (phone
first); a deed's case page; an account for community workers; the monthly settlement and its
statements for the finance officer and admin. Every read and write goes through the API."""

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from console.cases import open_tasks
from console.client import ApiError
from console.render import render
from console.session import Ctx, action, page

router = APIRouter()
SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
ACCOUNT = Path(max_length=96, pattern=r"^[A-Za-z0-9:._-]+$")
MONTH = Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
MERCHANT = Path(max_length=40, pattern=r"^[\w-]+$")
CODE = Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$")
RID = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9]+$")  # its own: FastAPI names it
URL = re.compile(r"^(https?://\S+|media:\S+)$")

# The API's codes in Chinese, for this section only (deed statuses differ from incidents').
DEED_STATUS = {"verifying": "待审核", "approved": "已通过", "rejected": "未通过"}
REDEMPTION_STATUS = {"reserved": "待核销", "confirmed": "已核销", "voided": "已过期作废",
                     "cancelled": "已取消"}
KINDS = {"checkin": "签到", "deed": "善行义举", "opening": "期初余额", "redemption": "兑换",
         "expiry": "积分到期", "reversal": "争议退回", "settlement": "结算"}
PHASES = {"posted": "", "pending": "预留", "post": "", "void": "退回"}
CAPS = {"per_day": "每日上限", "per_month": "每月上限", "balance": "积分存量上限"}
NAMES = {"deed_status": DEED_STATUS, "redemption_status": REDEMPTION_STATUS, "kinds": KINDS,
         "phases": PHASES, "caps": CAPS}
SIGNED = {"new": "签到成功，积分 +1", "again": "今日已签到", "capped": "今日已签到，但已达积分上限"}
RESIDENT, WORKER = "citizen", "community_worker"
SETTLERS = ("finance_officer", "admin", "auditor")


def recent_months(count: int) -> list[str]:
    """The `count` months before this one (Beijing time), newest first: the ones settled."""
    now = datetime.now(SHANGHAI)
    year, month = now.year, now.month
    found = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        found.append(f"{year:04d}-{month:02d}")
    return found


async def offer_titles(ctx: Ctx) -> dict[str, str]:
    """Offer ids to titles (a redemption names only its offer's id); live offers only."""
    return {o["id"]: o["title"] for o in await ctx.api.get("/credit/offers")}


def _view(ctx: Ctx, name: str, status_code: int = 200, **values: Any) -> Response:
    return render(ctx, name, status_code=status_code, **NAMES, **values)


# -- the section's home, by role -----------------------------------------------------------

async def _resident_home(ctx: Ctx, status_code: int = 200, values: dict[str, Any] | None = None,
                         errors: dict[str, str] | None = None, error: str | None = None,
                         flash: str | None = None, flash_kind: str = "ok") -> Response:
    account = await ctx.api.get("/credit/accounts/me")
    types = await ctx.api.get("/credit/deed-types")
    deeds = await ctx.api.get("/credit/deeds", limit=50)
    return _view(ctx, "credit.html", status_code, title="德分宝", account=account,
                 types=types["types"], deeds=deeds, values=values or {}, errors=errors or {},
                 error=error, flash=flash, flash_kind=flash_kind)


async def _worker_home(ctx: Ctx, status_code: int = 200, values: dict[str, Any] | None = None,
                       errors: dict[str, str] | None = None, error: str | None = None
                       ) -> Response:
    deeds = await ctx.api.get("/credit/deeds", limit=100)
    types = await ctx.api.get("/credit/deed-types")
    residents = sorted({d["resident"] for d in deeds})
    return _view(ctx, "credit_worker.html", status_code, title="德分宝 · 社区", deeds=deeds,
                 residents=residents, types=types["types"], values=values or {},
                 errors=errors or {}, error=error)


async def _settler_home(ctx: Ctx) -> Response:
    months = []
    for month in recent_months(6):
        try:
            months.append((month, await ctx.api.get(f"/credit/settlements/{month}")))
        except ApiError as err:
            if err.status != 404:
                raise
            months.append((month, None))
    return _view(ctx, "credit_settler.html", title="德分宝 · 结算", months=months)


@router.get("/credit")
async def credit_home(ctx: Annotated[Ctx, Depends(page)], signed: str = "") -> Response:
    if ctx.role == RESIDENT:
        return await _resident_home(ctx, flash=SIGNED.get(signed))
    if ctx.role == WORKER or ctx.role == "dept_head":
        return await _worker_home(ctx)
    if ctx.role in SETTLERS:
        return await _settler_home(ctx)
    return RedirectResponse("/ui/credit/offers", 303)


@router.post("/credit/checkin")
async def check_in(ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """签到: 201 the first today, 200 the one already made (the API's own answer)."""
    try:
        done = await ctx.api.call("POST", "/credit/checkins", raw=True)
    except ApiError as err:
        return await _resident_home(ctx, err.status, flash=err.message, flash_kind="bad")
    body = done.json()
    signed = "again" if done.status_code == 200 else "capped" if body.get("capped_by") \
        and not body.get("points") else "new"
    return RedirectResponse(f"/ui/credit?signed={signed}", 303)


def _deed_body(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as POST /credit/deeds's body, and what is wrong with it before asking."""
    errors: dict[str, str] = {}
    evidence = [line.strip() for line in form.get("evidence", "").splitlines() if line.strip()]
    bad = [e for e in evidence if not URL.match(e)]
    if bad:
        errors["evidence"] = f"不是链接：{bad[0]}（每行一个 http(s):// 链接）"
    if not form.get("type"):
        errors["type"] = "请选择善行类型"
    if not form.get("description", "").strip():
        errors["description"] = "请描述您做的善行"
    try:
        quantity = int(form.get("quantity") or 1)
    except ValueError:
        quantity, errors["quantity"] = 1, "请输入整数"
    body: dict[str, Any] = {"type": form.get("type", ""), "quantity": quantity,
                            "description": form.get("description", "").strip(),
                            "evidence": evidence}
    if form.get("resident"):
        body["resident"] = form["resident"].strip()
    return body, errors


@router.post("/credit/deeds")
async def record_deed(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """A good deed becomes POST /credit/deeds; its 403/422 come back next to the field."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    home = _worker_home if ctx.role == WORKER else _resident_home
    body, errors = _deed_body(form)
    if errors:
        return await home(ctx, 422, values=form, errors=errors, error="请修改标出的字段")
    try:
        created = await ctx.api.post("/credit/deeds", body)
    except ApiError as err:
        named = {k.split(".")[0]: v for k, v in err.field_errors().items()} or {
            k: err.message for k in ("type", "resident", "evidence") if k in err.message}
        return await home(ctx, err.status, values=form, errors=named, error=err.message)
    return RedirectResponse(f"/ui/credit/deeds/{created['id']}?new=1", 303)


# -- a deed's case page ----------------------------------------------------------------------

@router.get("/credit/deeds/{case_id}")
async def deed(ctx: Annotated[Ctx, Depends(page)], case_id: str = CASE_ID,
               new: str = "") -> Response:
    found = await ctx.api.get(f"/credit/deeds/{case_id}")
    tasks = await ctx.api.get(f"/credit/deeds/{case_id}/tasks")
    mine = await open_tasks(ctx.api, "deed", case_id)
    return _view(ctx, "credit_deed.html", title=f"善行义举 {case_id}", case=found["case"],
                 archived=found["archived"], tasks=tasks, actionable=mine,
                 flash="已提交，等待社区工作者审核" if new else None)


# -- an account (community workers, admin, auditors) ----------------------------------------

@router.get("/credit/accounts/{account_id}")
async def account(ctx: Annotated[Ctx, Depends(page)], account_id: str = ACCOUNT) -> Response:
    found = await ctx.api.get(f"/credit/accounts/{account_id}")
    return _view(ctx, "credit_account.html", title=f"积分账户 {account_id}", account=found)


@router.get("/credit/account")
async def find_account(ctx: Annotated[Ctx, Depends(page)], resident: str = "") -> Response:
    """The worker's look-up form: a resident's username to their account's page."""
    name = resident.strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", name):
        return await _worker_home(ctx, 422, values={"lookup": resident},
                                  errors={"lookup": "请输入居民的用户名，如 resident_1"})
    return RedirectResponse(f"/ui/credit/accounts/resident:{name}", 303)


# -- offers and redemptions (residents) -------------------------------------------------------

async def _offers(ctx: Ctx, status_code: int = 200, error: str | None = None,
                  failed: str | None = None) -> Response:
    offers = await ctx.api.get("/credit/offers")
    account = await ctx.api.get("/credit/accounts/me") if ctx.role == RESIDENT else None
    return _view(ctx, "credit_offers.html", status_code, title="积分兑换", offers=offers,
                 account=account, error=error, failed=failed)


@router.get("/credit/offers")
async def offers(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return await _offers(ctx)


@router.post("/credit/redemptions")
async def redeem(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """兑换: the API reserves the points and a unit, or answers 409 (shown by that offer)."""
    offer_id = str((await request.form()).get("offer_id", ""))
    try:
        made = await ctx.api.post("/credit/redemptions", {"offer_id": offer_id})
    except ApiError as err:
        return await _offers(ctx, err.status, error=err.message, failed=offer_id)
    return RedirectResponse(f"/ui/credit/redemptions?new={made['id']}", 303)


async def _redemptions(ctx: Ctx, status_code: int = 200, new: str = "",
                       error: str | None = None, failed: str | None = None,
                       flash: str | None = None) -> Response:
    rows = await ctx.api.get("/credit/redemptions")
    return _view(ctx, "credit_redemptions.html", status_code, title="我的兑换", rows=rows,
                 titles=await offer_titles(ctx), new=new, error=error, failed=failed,
                 flash=flash or ("兑换成功，请到商家出示兑换码" if new else None))


@router.get("/credit/redemptions")
async def redemptions(ctx: Annotated[Ctx, Depends(page)], new: str = "",
                      done: str = "") -> Response:
    flash = {"cancelled": "已取消，积分已退回", "rated": "感谢您的评价"}.get(done)
    return await _redemptions(ctx, new=new, flash=flash)


@router.post("/credit/redemptions/{code}/cancel")
async def cancel(ctx: Annotated[Ctx, Depends(action)], code: str = CODE) -> Response:
    try:
        made = await ctx.api.post(f"/credit/redemptions/{code}/cancel")
    except ApiError as err:
        return await _redemptions(ctx, err.status, error=err.message, failed=code)
    return RedirectResponse(f"/ui/credit/redemptions?done=cancelled#r-{made['id']}", 303)


@router.post("/credit/redemptions/{rid}/rating")
async def rate(request: Request, ctx: Annotated[Ctx, Depends(action)],
               rid: str = RID) -> Response:
    stars = str((await request.form()).get("stars", ""))
    try:
        await ctx.api.post(f"/credit/redemptions/id/{rid}/rating",
                           {"stars": int(stars) if stars.isdigit() else 0})
    except ApiError as err:
        message = "请选择 1 到 5 星" if err.status == 422 else err.message
        return await _redemptions(ctx, err.status, error=message, failed=rid)
    return RedirectResponse(f"/ui/credit/redemptions?done=rated#r-{rid}", 303)


# -- the monthly settlement (finance officer, admin, auditors) ------------------------------

async def _settlement(ctx: Ctx, month: str, status_code: int = 200, error: str | None = None,
                      flash: str | None = None) -> Response:
    try:
        found = await ctx.api.get(f"/credit/settlements/{month}")
    except ApiError as err:
        if err.status != 404:
            raise
        found = None
    return _view(ctx, "credit_settlement.html", status_code, title=f"{month} 月度结算",
                 month=month, settlement=found, error=error, flash=flash)


@router.get("/credit/settlements/{month}")
async def settlement(ctx: Annotated[Ctx, Depends(page)], month: str = MONTH,
                     run: str = "") -> Response:
    flash = {"1": "结算已启动，稍后刷新查看进度", "0": "本月结算已经启动过，每月只结算一次"}
    return await _settlement(ctx, month, flash=flash.get(run))


@router.post("/credit/settlements/{month}/run")
async def run_settlement(ctx: Annotated[Ctx, Depends(action)], month: str = MONTH) -> Response:
    """运行结算 (admin): the API's 403/409 come back on the month's page."""
    try:
        ran = await ctx.api.post(f"/credit/settlements/{month}/run")
    except ApiError as err:
        return await _settlement(ctx, month, err.status, error=err.message)
    return RedirectResponse(f"/ui/credit/settlements/{month}?run={int(ran['started'])}", 303)


@router.get("/credit/settlements/{month}/statements/{merchant}")
async def statement(ctx: Annotated[Ctx, Depends(page)], month: str = MONTH,
                    merchant: str = MERCHANT) -> Response:
    found = await ctx.api.get(f"/credit/settlements/{month}/statements/{merchant}")
    return _view(ctx, "credit_statement.html", title=f"{found['merchant_name']} {month} 结算单",
                 month=month, statement=found)
