"""行政处罚: the list of penalty cases and a case's page (staff's view, or the enterprise's own)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.cases import open_tasks
from console.client import ApiError
from console.labels import department
from console.pages.inspections import may_publish
from console.render import local, render
from console.session import Ctx, action, page
from domain.enforcement import PENALTY_NAMES
from domain.penalty import REVIEW_POINT_NAMES, STATUS_NAMES

router = APIRouter()
CASE_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
ANSWERS = {"statement": "陈述申辩", "request_hearing": "申请听证", "waive": "放弃陈述申辩",
           "expired": "逾期未答复"}
PAGE = 50


def penalty(p: dict[str, Any] | None) -> str:
    """A proposed or decided penalty in words: 罚款 6000 元, 警告, 不予处罚."""
    if not p:
        return ""
    name = "不予处罚" if p["type"] == "none" else PENALTY_NAMES.get(p["type"], p["type"])
    return f"{name} {p['fine']:g} 元" if p.get("fine") else name


def money(value: float | None) -> str:
    return "" if value is None else f"{value:g} 元"


def _rows(rows: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in rows if v not in (None, "", [])]


def sections(case: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The case in the boxes its page shows; keys the enterprise's view lacks are skipped."""
    staff = "opened_by" in case
    return {
        "facts": _rows([
            ("编号", case["id"]), ("状态", STATUS_NAMES.get(case["status"], case["status"])),
            ("企业", case["enterprise_name"]), ("统一社会信用代码", case["credit_code"]),
            ("承办部门", department(case["department"])),
            ("办案执法人员", "、".join(case.get("officers") or [])),
            ("违反事项", case["item"]), ("违法事实", case["facts"]),
            ("法律依据", case["legal_basis"]),
            ("拟罚款（检查建议）", money(case.get("fine_proposed"))),
            ("立案提出人", case.get("opened_by") if staff else None),
            ("提出时间", local(case.get("opened_at"))), ("立案时间", local(case.get("filed_at"))),
            ("决定期限", local(case.get("decision_due_at"))),
            ("当前时限", local(case.get("current_due_at"))),
            ("结案时间", local(case.get("closed_at"))), ("结束原因", case.get("end_reason")),
            ("历史归档", "是" if case.get("archived") else None)]),
        "penalty": _rows([
            ("告知时间", local(case.get("notified_at"))),
            ("拟作出的处罚（告知）", penalty(case.get("proposed"))),
            ("处罚决定", penalty(case.get("decision"))),
            ("决定时间", local(case.get("decided_at"))),
            ("缴款期限", local(case.get("payment_due_at"))),
            ("加处罚款（至今）", money(case.get("surcharge")) if case.get("surcharge") else None),
            ("现应缴纳", money(case.get("amount_due"))),
            ("已缴罚款", money(case.get("amount_paid"))),
            ("已缴加处罚款", money(case.get("surcharge_paid"))),
            ("缴款时间", local(case.get("paid_at"))),
            ("申请法院强制执行", "是" if case.get("transferred") else None)]),
        "answer": _rows([
            ("陈述申辩期限", local(case.get("answer_due_at"))),
            ("当事人答复", ANSWERS.get(case.get("answer") or "", case.get("answer"))),
            ("答复人", case.get("answered_by")), ("陈述申辩内容", case.get("statement"))]),
        "hearing": _rows([
            ("申请听证时间", local(case.get("hearing_requested_at"))),
            ("听证时间", local(case.get("hearing_at"))),
            ("已举行听证", "是" if case.get("hearing") else None),
            ("听证笔录", case.get("hearing_record"))]),
        "review": _rows([
            ("需法制审核", ("是" if case.get("legal_review_required") else "否")
             if staff else None),
            ("已通过法制审核", "是" if case.get("legal_reviewed") else None),
            ("审核时间", local(case.get("reviewed_at"))),
            ("退回次数", case.get("review_returns") or None),
            ("退回要点", "、".join(REVIEW_POINT_NAMES.get(p, p)
                                for p in case.get("review_points") or [])),
            ("审核意见", case.get("review_comment"))]),
    }


@router.get("/penalty-cases")
async def penalty_cases(ctx: Annotated[Ctx, Depends(page)],
                        status: str = Query("", max_length=20, pattern=r"^[a-z_]*$"),
                        credit_code: str = Query("", max_length=18),
                        inspection_id: str = Query("", max_length=64,
                                                   pattern=r"^[A-Za-z0-9._-]*$"),
                        offset: int = Query(0, ge=0, le=100_000)) -> Response:
    rows = await ctx.api.get("/penalty-cases", status=status or None,
                             credit_code=credit_code.strip().upper() or None,
                             inspection_id=inspection_id or None, limit=PAGE, offset=offset)
    for row in rows:
        row["penalty_text"] = penalty({"type": row["decision_type"], "fine": row["fine"]}) \
            if row.get("decision_type") else ""
    return render(ctx, "penalty_cases.html", title="行政处罚", rows=rows,
                  statuses=STATUS_NAMES, status=status, credit_code=credit_code,
                  inspection_id=inspection_id, offset=offset, page=PAGE,
                  may_open=may_publish(ctx))


async def _form(ctx: Ctx, values: Any = None, errors: dict[str, str] | None = None,
                error: str | None = None, status_code: int = 200) -> Response:
    firms = await ctx.api.get("/enterprises", limit=1000)
    staff = await ctx.api.get("/directory/staff", department=ctx.me.get("department"))
    return render(ctx, "penalty_new.html", status_code=status_code, title="提出立案",
                  firms=firms, staff=staff, values=values or {}, errors=errors or {},
                  error=error, chosen=values.getlist("officers") if values else [])


@router.get("/penalty-cases/new")
async def new_case(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return await _form(ctx)


def _body(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as POST /penalty-cases's body, and what a person must fill in first."""
    text = {k: str(form.get(k, "")).strip() for k in
            ("credit_code", "item", "facts", "legal_basis", "fine_proposed")}
    errors = {k: "必填" for k in ("credit_code", "item", "facts", "legal_basis") if not text[k]}
    body: dict[str, Any] = {k: text[k] for k in ("credit_code", "item", "facts", "legal_basis")}
    body["officers"] = form.getlist("officers")
    if len(body["officers"]) < 2:
        errors["officers"] = "至少选择两名持有效执法证的执法人员（行政处罚法第四十二条）"
    if text["fine_proposed"]:
        try:
            body["fine_proposed"] = float(text["fine_proposed"])
        except ValueError:
            errors["fine_proposed"] = "请输入数字"
    return body, errors


@router.post("/penalty-cases/new")
async def open_case(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """The form becomes POST /penalty-cases; its 403/404/422 come back next to the field."""
    form = await request.form()
    body, errors = _body(form)
    if errors:
        return await _form(ctx, form, errors, "请修改标出的字段", 422)
    try:
        created = await ctx.api.post("/penalty-cases", body)
    except ApiError as err:
        named = {k.split(".")[0]: v for k, v in err.field_errors().items()}
        for name in ("officers", "credit_code"):
            if name not in named and (name in err.message or "officer" in err.message
                                      and name == "officers"):
                named[name] = err.message
        if err.status == 404:
            named["credit_code"] = err.message
        return await _form(ctx, form, named, err.message, err.status)
    return RedirectResponse(f"/ui/penalty-cases/{created['id']}?new=1", 303)


@router.get("/penalty-cases/{case_id}")
async def penalty_case(ctx: Annotated[Ctx, Depends(page)], case_id: str = CASE_ID,
                       new: str = "") -> Response:
    case = await ctx.api.get(f"/penalty-cases/{case_id}")
    tasks = sorted(case.get("tasks") or [], key=lambda t: t.get("opened_at") or "")
    return render(ctx, "penalty_case.html", title=f"行政处罚 {case_id}", case=case,
                  boxes=sections(case), tasks=tasks, staff="opened_by" in case,
                  actionable=await open_tasks(ctx.api, "penalty", case_id),
                  flash="已提出立案，待本部门负责人审批立案" if new else None)
