"""文明养犬纠纷: a resident's report (phone first), the list, a dispute's page and the figures."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.cases import open_tasks
from console.client import ApiError
from console.labels import department
from console.render import local, render
from console.session import Ctx, action, page
from domain.dog_dispute import RESULT_NAMES, STATUS_NAMES, TIER_NAMES

router = APIRouter()
CASE_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
DAY = Query("", max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")
REPORTERS = ("citizen", "grid_worker", "building_leader")  # as POST /dog-disputes allows
ANSWERS = {"correct": "已整改", "dispute": "有异议", "silent": "未答复"}
CONFIRMS = {"resolved": "已解决", "not_resolved": "未解决", "silent": "未答复"}
CONSENTS = {"agree": "同意调解", "refuse": "拒绝调解"}
PARTY_ROLES = {"reporter": "上报人", "owner": "养犬人"}
PAGE = 50


async def _convention(ctx: Ctx) -> list[dict[str, Any]]:
    return (await ctx.api.get("/dog-disputes/convention"))["behaviours"]


@router.get("/dog-disputes")
async def dog_disputes(ctx: Annotated[Ctx, Depends(page)],
                       community: str = Query("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$"),
                       tier: str = Query("", max_length=20, pattern=r"^[a-z_]*$"),
                       status: str = Query("", max_length=20, pattern=r"^[a-z_]*$"),
                       behaviour: str = Query("", max_length=2, pattern=r"^\d*$"),
                       offset: int = Query(0, ge=0, le=100_000)) -> Response:
    rows = await ctx.api.get("/dog-disputes", community=community or None, tier=tier or None,
                             status=status or None, behaviour=behaviour or None, limit=PAGE,
                             offset=offset)
    return render(ctx, "dog_disputes.html", title="文明养犬纠纷", rows=rows,
                  communities=await ctx.api.get("/communities"),
                  behaviours=await _convention(ctx), tiers=TIER_NAMES, statuses=STATUS_NAMES,
                  community=community, tier=tier, status=status, behaviour=behaviour,
                  offset=offset, page=PAGE, may_report=ctx.role in REPORTERS,
                  staff=ctx.role != "citizen")


async def _form(ctx: Ctx, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, error: str | None = None,
                status_code: int = 200) -> Response:
    communities = await ctx.api.get("/communities")
    if ctx.role != "citizen":  # staff report in their own community only
        communities = [c for c in communities if c["code"] == ctx.me.get("department")]
    return render(ctx, "dog_dispute_new.html", status_code=status_code, title="养犬纠纷上报",
                  communities=communities, behaviours=await _convention(ctx),
                  values=values or {}, errors=errors or {}, error=error)


@router.get("/dog-disputes/new")
async def new_dispute(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return await _form(ctx)


def _check(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    for name, text in (("community", "请选择社区"), ("behaviour", "请选择不文明养犬行为"),
                       ("place", "请填写地点"), ("description", "请描述发生了什么")):
        if not values.get(name, "").strip():
            errors[name] = text
    return errors


async def _photo(ctx: Ctx, photo: Any) -> list[str]:
    """A photo goes to POST /media first; the report carries its reference only."""
    if photo is None or isinstance(photo, str) or not photo.filename:
        return []
    data = await photo.read()
    if not data:
        return []
    answer = await ctx.api.call("POST", "/media", files={
        "file": (photo.filename, data, photo.content_type or "image/jpeg")})
    return [answer["ref"]]


@router.post("/dog-disputes/new")
async def report(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """The form becomes POST /dog-disputes; the API's 403/422 come back next to the field."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    errors = _check(values)
    if errors:
        return await _form(ctx, values, errors, "请修改标出的字段", 422)
    try:
        body: dict[str, Any] = {
            "community": values["community"], "behaviour": int(values["behaviour"]),
            "place": values["place"].strip(), "description": values["description"].strip(),
            "urgent": bool(values.get("urgent")), "evidence": await _photo(ctx, form.get("photo"))}
        if values.get("dog_id", "").strip():
            body["dog_id"] = values["dog_id"].strip()
        created = await ctx.api.post("/dog-disputes", body)
    except ValueError:
        return await _form(ctx, values, {"behaviour": "请选择不文明养犬行为"}, "请修改标出的字段",
                           422)
    except ApiError as err:
        named = err.field_errors()
        for name in ("dog_id", "community", "behaviour", "owner", "photo"):
            if name not in named and (name in err.message or (name == "dog_id" and "dog " in
                                                              err.message)):
                named[name] = err.message
        if err.status == 413:
            named["photo"] = err.message
        return await _form(ctx, values, named, err.message, err.status)
    return RedirectResponse(f"/ui/dog-disputes/{created['id']}?new=1", 303)


@router.get("/dog-disputes/stats")
async def dog_stats(ctx: Annotated[Ctx, Depends(page)],
                    community: str = Query("", max_length=64, pattern=r"^[A-Za-z0-9._-]*$"),
                    from_: str = Query("", alias="from", max_length=10,
                                       pattern=r"^(\d{4}-\d{2}-\d{2})?$"),
                    to: str = DAY) -> Response:
    figures = await ctx.api.get("/dog-disputes/stats", community=community or None,
                                **{"from": from_ or None}, to=to or None)
    return render(ctx, "dog_dispute_stats.html", title="养犬纠纷统计", figs=figures,
                  communities=await ctx.api.get("/communities"), community=community,
                  from_=from_, to=to)


def facts(case: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("编号", case["id"]), ("状态", STATUS_NAMES.get(case["status"], case["status"])),
        ("当前层级", TIER_NAMES.get(case["tier"], case["tier"])),
        ("经过层级", " → ".join(TIER_NAMES.get(t, t) for t in case["path"])),
        ("社区", f"{case['community_name']}（{department(case['street'])}）"),
        ("行为", f"公约第 {case['behaviour']} 条 {case['behaviour_name']}"),
        ("公约要求", case["rule"]), ("地点", case["place"]), ("情况", case["description"]),
        ("犬只登记证号", case.get("dog_id")),
        ("紧急", "是（直接移交公安）" if case["urgent"] else ""),
        ("上报时间", local(case["reported_at"])), ("起始原因", case.get("start_reason")),
        ("复发次数", case["recurrences"] or ""), ("当前时限", local(case.get("current_due_at"))),
        ("化解时间", local(case.get("resolved_at"))), ("回访时间", local(case.get("follow_up_at"))),
        ("结案时间", local(case.get("closed_at"))),
        ("历史归档", "是" if case.get("archived") else "")]
    return [(k, str(v)) for k, v in rows if v]


def self_discipline(case: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("未查明养犬人", case.get("owner_unknown")),
            ("养犬人答复", ANSWERS.get(case.get("owner_answer") or "", case.get("owner_answer"))),
            ("整改情况", case.get("correction")), ("整改期限", local(case.get("correct_due_at"))),
            ("上报人确认", CONFIRMS.get(case.get("confirmation") or "",
                                     case.get("confirmation")))]
    return [(k, v) for k, v in rows if v]


def mediation(m: dict[str, Any]) -> list[tuple[str, str]]:
    """One 共律 round: the session, consents, agreement, judicial confirmation, performance."""
    terms = m.get("terms") or {}
    judicial = m.get("judicial") or {}
    rows = [
        ("开始", local(m["started_at"])), ("期限", local(m["due_at"])),
        ("调解员", m.get("mediator")), ("调解时间", local(m.get("session_at"))),
        ("调解地点", m.get("session_place")),
        ("当事人意愿", "；".join(f"{who}：{CONSENTS.get(v, v)}"
                             for who, v in (m.get("consents") or {}).items())),
        ("参加人", "、".join(m.get("participants") or [])),
        ("协议：事实", terms.get("facts")),
        ("协议：义务", "；".join(terms.get("obligations") or [])),
        ("协议：履行方式", terms.get("manner")), ("协议：履行期限", terms.get("perform_by")),
        ("达成协议时间", local(m.get("agreed_at"))),
        ("司法确认申请期限", local(m.get("judicial_due_at"))),
        ("司法确认", f"{judicial.get('by')} 向{judicial.get('court')}申请，"
                     f"{local(judicial.get('at'))}" if judicial else None),
        ("调解未成原因", m.get("failed_reason")),
        ("履行情况", {True: "已履行", False: "未履行"}.get(m.get("performed"), "")),
        ("违约情况", m.get("breach"))]
    return [(k, v) for k, v in rows if v]


def enforcement(e: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not e:
        return []
    rows = [("执法部门", department(e.get("department")) or e.get("role")),
            ("决定", RESULT_NAMES.get(e.get("decision") or "", e.get("decision"))),
            ("罚款", f"{e['amount']:g} 元" if e.get("amount") else None),
            ("情节严重", "是" if e.get("serious") else None), ("记录", e.get("record")),
            ("办理人", e.get("by")), ("时间", local(e.get("at")))]
    return [(k, v) for k, v in rows if v]


ACTIVE = ("self_discipline", "mediation", "legal")
# The dispute's actions besides its tasks: (form, API path, the field a person fills in)
ACTIONS = {"visit": ("visits", "note"), "withdraw": ("withdraw", "reason"),
           "judicial": ("judicial-confirmation", "court")}
DONE = {"visit": "已记录劝导", "withdraw": "已撤回纠纷", "judicial": "已提交司法确认申请"}


def offers(ctx: Ctx, case: dict[str, Any]) -> set[str]:
    """Which of those forms this user may use now (the API decides again on submit)."""
    found = set()
    if ctx.role in ("property", "volunteer") and case["status"] in ACTIVE:
        found.add("visit")
    me = ctx.me.get("username")
    if me == case["reporter"] and case["status"] in ("self_discipline", "mediation"):
        found.add("withdraw")
    m = case.get("mediation") or {}
    if me in (case["reporter"], case.get("owner")) and m.get("agreed_at") \
            and m.get("judicial_due_at") and not m.get("judicial"):
        found.add("judicial")
    return found


async def _case_page(ctx: Ctx, case_id: str, flash: str | None = None,
                     status_code: int = 200, chosen: str = "", error: str | None = None,
                     values: dict[str, str] | None = None, new: bool = False) -> Response:
    case = await ctx.api.get(f"/dog-disputes/{case_id}")
    if new:
        flash = f"已上报，进入{TIER_NAMES.get(case['started_tier'], '')}阶段，可在此查看进度"
    tasks = sorted(case.get("tasks") or [], key=lambda t: t.get("opened_at") or "")
    return render(ctx, "dog_dispute.html", status_code=status_code,
                  title=f"养犬纠纷 {case_id}", case=case,
                  facts=facts(case), own=self_discipline(case),
                  rounds=[mediation(m) for m in case.get("past_mediations") or []],
                  current=mediation(case["mediation"]) if case.get("mediation") else [],
                  law=enforcement(case.get("enforcement")), tasks=tasks,
                  actionable=await open_tasks(ctx.api, "dog_dispute", case_id),
                  tiers=TIER_NAMES, results=RESULT_NAMES, roles=PARTY_ROLES, flash=flash,
                  offers=offers(ctx, case), chosen=chosen, error=error, values=values or {})


@router.get("/dog-disputes/{case_id}")
async def dog_dispute(ctx: Annotated[Ctx, Depends(page)], case_id: str = CASE_ID,
                      new: str = "", done: str = "") -> Response:
    return await _case_page(ctx, case_id, DONE.get(done), new=bool(new))


@router.post("/dog-disputes/{case_id}/{what}")
async def case_action(request: Request, ctx: Annotated[Ctx, Depends(action)],
                      case_id: str = CASE_ID,
                      what: str = Path(pattern=r"^(visit|withdraw|judicial)$")) -> Response:
    """A visit, a withdrawal or an application for judicial confirmation: the API's
    403/409/422 come back onto the form that sent it."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf"}
    path, field = ACTIONS[what]
    if not values.get(field):
        return await _case_page(ctx, case_id, status_code=422, chosen=what, error="必填",
                                values=values)
    body = {field: values[field]}
    if what == "judicial" and values.get("note"):
        body["note"] = values["note"]
    try:
        await ctx.api.post(f"/dog-disputes/{case_id}/{path}", body)
    except ApiError as err:
        return await _case_page(ctx, case_id, status_code=err.status, chosen=what,
                                error=err.message, values=values)
    return RedirectResponse(f"/ui/dog-disputes/{case_id}?done={what}", 303)
