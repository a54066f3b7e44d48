"""待办 and 已办: every process's tasks in one inbox, and one page to act on any task."""

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import ImmutableMultiDict

from console.cases import case_link, read_case, summary
from console.client import ApiError
from console.forms import Field, FormError, fields, parse
from console.render import render
from console.session import Ctx, action, page

router = APIRouter()
SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = {"overdue": "已超期", "today": "今天到期", "week": "7天内到期"}
TASK_ID = Path(max_length=160, pattern=r"^[\w.\-]+$")


def _due_filter(task: dict[str, Any], due: str, now: datetime) -> bool:
    if not due:
        return True
    at = datetime.fromisoformat(task["due_at"]) if task.get("due_at") else None
    if at is None:
        return False
    if due == "overdue":
        return at < now
    end = now.astimezone(SHANGHAI).replace(hour=23, minute=59, second=59)
    return at <= (end if due == "today" else now + timedelta(days=7))


@router.get("/inbox")
async def inbox(ctx: Annotated[Ctx, Depends(page)], status: str = "open", process: str = "",
                step: str = "", level: str = "", due: str = "") -> Response:
    status = "done" if status == "done" else "open"
    tasks = await ctx.api.get("/tasks", status=status, process=process or None, limit=1000)
    now = datetime.now(SHANGHAI)
    counts = Counter((t["process"], t["step"]) for t in tasks)
    shown = [t for t in tasks
             if (not step or t["step"] == step)
             and (not level or str(min(t["escalation_level"], 3)) == level)
             and _due_filter(t, due, now)]
    return render(ctx, "inbox.html", title="已办" if status == "done" else "待办",
                  tasks=shown, total=len(tasks), counts=sorted(counts.items()),
                  status=status, process=process, step=step, level=level, due=due,
                  processes=sorted({t["process"] for t in tasks}), due_options=DUE, now=now)


OFFICER_FIELDS = {"officers", "officers_present"}  # usernames of officers, in the schemas


async def _with_pickers(ctx: Ctx, task: dict[str, Any], specs: list[Field]) -> list[Field]:
    """A list of officers' usernames becomes a choice among the task's department's officers
    (the staff directory); without access to it, the field stays one username per line."""
    for f in specs:
        if f.name == "scope" and f.kind == "json":  # 惠新码: the whole district or communities
            f.kind, f.hint, f.label = "multi", "不选即为全区", "通行范围（社区）"
            f.options = [(c["code"], c["name"]) for c in await ctx.api.get("/communities")]
        if f.kind == "lines" and f.name.split(".")[-1] in OFFICER_FIELDS:
            try:
                staff = await ctx.api.get("/directory/staff",
                                          department=task.get("assignee_department"))
            except ApiError:
                continue
            if staff:
                f.kind, f.hint = "multi", ""
                f.options = [(s["username"], f"{s['display_name']}（{s['username']}）")
                             for s in staff]
    return specs


async def _task_page(ctx: Ctx, task_id: str, *, status_code: int = 200,
                     errors: dict[str, str] | None = None, error: str | None = None,
                     chosen: str | None = None, values: Any = None,
                     flash: str | None = None) -> Response:
    task = await ctx.api.get(f"/tasks/{task_id}")
    case = await read_case(ctx.api, task["process"], task["case_id"])
    history = sorted((case or {}).get("tasks") or [],
                      key=lambda t: t.get("opened_at") or "")
    forms = [(d, await _with_pickers(ctx, task, fields(d.get("data_schema"))))
             for d in task["decisions"]]
    # A step's suggestion (派遣's catalogue department) preselects the matching field.
    defaults = ImmutableMultiDict({k.removeprefix("suggested_"): v
                                   for k, v in (task.get("context") or {}).items()
                                   if k.startswith("suggested_") and isinstance(v, str)})
    return render(ctx, "task.html", status_code=status_code, title=task["title"], task=task,
                  case=case, summary=summary(case) if case else [], history=history,
                  case_url=case_link(task["process"], task["case_id"]), forms=forms,
                  errors=errors or {}, error=error, chosen=chosen, values=values or {},
                  defaults=defaults,
                  flash=flash, flash_kind="ok")


@router.get("/tasks/{task_id}")
async def task_page(ctx: Annotated[Ctx, Depends(page)], task_id: str = TASK_ID,
                    done: str = "") -> Response:
    return await _task_page(ctx, task_id, flash="已提交" if done else None)


@router.post("/tasks/{task_id}")
async def act(request: Request, ctx: Annotated[Ctx, Depends(action)],
              task_id: str = TASK_ID) -> Response:
    """One decision: the form becomes `/tasks/{id}/complete`'s body; the API's 403/409/422
    come back onto the same form, next to the field they name."""
    form = await request.form()
    decision = str(form.get("decision", ""))
    task = await ctx.api.get(f"/tasks/{task_id}")
    spec = next((d for d in task["decisions"] if d["name"] == decision), None)
    if spec is None:
        return await _task_page(ctx, task_id, status_code=409, chosen=decision,
                                error="此任务当前不能作出该决定")
    body: dict[str, Any] = {"decision": decision, "data": {}}
    specs = []
    comment = str(form.get("comment", "")).strip()
    if comment:
        body["comment"] = comment
    try:
        # The same fields the form was drawn with: an officers' picker posts several values.
        specs = await _with_pickers(ctx, task, fields(spec.get("data_schema")))
        body["data"] = parse(form, specs)
        if spec["comment_required"] and not comment:
            raise FormError({"comment": "必填"})
    except FormError as err:
        return await _task_page(ctx, task_id, status_code=422, errors=err.errors,
                                error="请修改标出的字段", chosen=decision, values=form)
    try:
        await ctx.api.post(f"/tasks/{task_id}/complete", body)
    except ApiError as err:
        named = err.field_errors() or {f.name: err.message for f in specs
                                       if f.name.split(".")[-1] in err.message}
        return await _task_page(ctx, task_id, status_code=err.status, chosen=decision,
                                errors=named, error=err.message, values=form)
    # A form elsewhere (the 督办 board) may ask to come back; only to a console page.
    back = str(form.get("next", ""))
    if back.startswith("/ui/") and not back.startswith("//") and "?" not in back:
        return RedirectResponse(f"{back}?done=1", 303)
    return RedirectResponse(f"/ui/tasks/{task_id}?done=1", 303)
