"""多跨智查: the list of joint inspections, publishing one (任务发布), and an inspection's page."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.cases import open_tasks
from console.client import ApiError
from console.labels import department
from console.render import local, render
from console.session import Ctx, action, page
from domain.enforcement import ENFORCEMENT_DEPARTMENTS, enforcement_staff
from domain.inspection import STATUS_NAMES, TYPE_NAMES

router = APIRouter()
CASE_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM_ROWS = 4  # rows of (department, item) on the publish form; the API takes more
RESULTS = {"pending": "待检查", "compliant": "合格", "violation": "违法", "not_checked": "未检查"}
PART_STATUSES = {"invited": "已邀约", "accepted": "已接受", "declined": "已拒绝",
                 "no_answer": "未答复"}
ACTIONS = {"rectify": "责令整改", "penalty": "立案处罚"}
PAGE = 50


def departments() -> list[tuple[str, str]]:
    return [(code, department(code)) for code in ENFORCEMENT_DEPARTMENTS]


def may_publish(ctx: Ctx) -> bool:
    """The API's own rule (POST /inspections): officers and heads of enforcement departments."""
    return enforcement_staff(ctx.role, ctx.me.get("department"))


@router.get("/inspections")
async def inspections(ctx: Annotated[Ctx, Depends(page)],
                      status: str = Query("", max_length=20, pattern=r"^[a-z_]*$"),
                      department: str = Query("", max_length=40, pattern=r"^[a-z_]*$"),
                      credit_code: str = Query("", max_length=18),
                      offset: int = Query(0, ge=0, le=100_000)) -> Response:
    rows = await ctx.api.get("/inspections", status=status or None,
                             department=department or None,
                             credit_code=credit_code.strip().upper() or None,
                             limit=PAGE, offset=offset)
    return render(ctx, "inspections.html", title="多跨智查", rows=rows, statuses=STATUS_NAMES,
                  types=TYPE_NAMES, departments=departments(), status=status,
                  department=department, credit_code=credit_code, offset=offset, page=PAGE,
                  may_publish=may_publish(ctx))


async def _form(ctx: Ctx, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, error: str | None = None,
                status_code: int = 200) -> Response:
    firms = await ctx.api.get("/enterprises", limit=1000)
    today = datetime.now(SHANGHAI).date().isoformat()
    values = values or {"planned_date": today, "department_0": ctx.me.get("department") or ""}
    return render(ctx, "inspection_new.html", status_code=status_code, title="发布检查任务",
                  firms=firms, types=TYPE_NAMES, departments=departments(), rows=ITEM_ROWS,
                  values=values, errors=errors or {}, error=error, today=today)


@router.get("/inspections/new")
async def new_inspection(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return await _form(ctx)


def _body(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as POST /inspections's body, and what is missing before asking the API."""
    errors: dict[str, str] = {}
    items = []
    for n in range(ITEM_ROWS):
        dept, item = values.get(f"department_{n}", ""), values.get(f"item_{n}", "").strip()
        if dept and item:
            items.append({"department": dept, "item": item})
        elif dept or item:
            errors[f"item_{n}" if dept else f"department_{n}"] = "部门和检查事项都要填写"
    if not items:
        errors["item_0"] = "至少填写一项检查事项"
    for name, text in (("type", "请选择检查类型"), ("credit_code", "请选择企业"),
                       ("planned_date", "请选择检查日期")):
        if not values.get(name):
            errors[name] = text
    if not values.get("reason", "").strip():
        errors["reason"] = "请填写检查事由"
    body = {"type": values.get("type"), "credit_code": values.get("credit_code"),
            "planned_date": values.get("planned_date"), "items": items,
            "reason": values.get("reason", "").strip(), "draw": bool(values.get("draw"))}
    return body, errors


def _named(err: ApiError) -> dict[str, str]:
    """The API's complaint next to the field it names (`items.0.item` -> `item_0`)."""
    named = {}
    for key, text in err.field_errors().items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit():
            named[f"{parts[2]}_{parts[1]}"] = text
        elif parts[0] == "items":
            named["items"] = text
        else:
            named[parts[0]] = text
    if not named:
        for name in ("planned_date", "draw", "credit_code"):
            if name in err.message:
                named[name] = err.message
        if err.status == 404:
            named["credit_code"] = err.message
    return named


@router.post("/inspections/new")
async def publish(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    body, errors = _body(values)
    if errors:
        return await _form(ctx, values, errors, "请修改标出的字段", 422)
    try:
        created = await ctx.api.post("/inspections", body)
    except ApiError as err:
        return await _form(ctx, values, _named(err), err.message, err.status)
    return RedirectResponse(f"/ui/inspections/{created['id']}?new=1", 303)


def facts(case: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary box: what the API returned, in Chinese, times in Beijing time."""
    rows = [("编号", case["id"]), ("状态", STATUS_NAMES.get(case["status"], case["status"])),
            ("检查类型", TYPE_NAMES.get(case["type"], case["type"])),
            ("企业", case["enterprise_name"]), ("统一社会信用代码", case["credit_code"]),
            ("计划检查日期", str(case["planned_date"]))]
    if "lead_department" in case:  # staff's view; the enterprise reads its public result
        rows += [("牵头部门", department(case["lead_department"])),
                 ("所在街道", department(case.get("street"))), ("检查事由", case["reason"]),
                 ("发起人", case["created_by"]), ("发布时间", local(case["created_at"])),
                 ("审批时间", local(case.get("approved_at"))),
                 ("现场检查时间", local(case.get("inspected_at"))),
                 ("当前时限", local(case.get("current_due_at"))),
                 ("结束原因", case.get("end_reason") or "")]
    rows.append(("办结时间", local(case.get("closed_at"))))
    return [(k, v) for k, v in rows if v]


@router.get("/inspections/{case_id}")
async def inspection(ctx: Annotated[Ctx, Depends(page)], case_id: str = CASE_ID,
                     new: str = "") -> Response:
    case = await ctx.api.get(f"/inspections/{case_id}")
    staff = "tasks" in case
    tasks = sorted(case.get("tasks") or [], key=lambda t: t.get("opened_at") or "")
    actionable = await open_tasks(ctx.api, "inspection", case_id) if staff else []
    return render(ctx, "inspection.html", title=f"多跨智查 {case_id}", case=case, staff=staff,
                  facts=facts(case), tasks=tasks, actionable=actionable, results=RESULTS,
                  parts=PART_STATUSES, actions=ACTIONS,
                  flash="检查任务已发布，待牵头部门负责人审批" if new else None)
