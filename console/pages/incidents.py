"""城市运行事件: 随手拍 (the report form, phone first), the case list and a case's page."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from console.cases import open_tasks
from console.client import ApiError
from console.geo import centre, streets
from console.labels import DEPARTMENTS
from console.render import render
from console.session import Ctx, action, page
from domain.incident import STATUS_NAMES

router = APIRouter()
CASE_ID = Path(max_length=40, pattern=r"^[\w\-]+$")
MEDIA = Path(pattern=r"^[0-9a-f]{64}\.(jpg|png|webp)$")
CODE = re.compile(r"^\s*([A-Z]{2}\d{4})\b")


async def _categories(ctx: Ctx) -> list[dict[str, Any]]:
    return await ctx.api.get("/categories")


async def _form(ctx: Ctx, values: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None, error: str | None = None,
                status_code: int = 200) -> Response:
    return render(ctx, "report.html", status_code=status_code, title="随手拍",
                  categories=await _categories(ctx), streets=streets(), values=values or {},
                  errors=errors or {}, error=error)


@router.get("/report")
async def report_form(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return await _form(ctx)


@router.post("/report")
async def report(request: Request, ctx: Annotated[Ctx, Depends(action)]) -> Response:
    """The form becomes `POST /incidents` (a photo goes first to `POST /media`); the API's
    422 comes back next to the field it names."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    match = CODE.match(values.get("category", ""))
    if not match:
        errors["category"] = "请从列表中选择类别（以编码开头，如 BJ0101）"
    if not values.get("description", "").strip():
        errors["description"] = "请描述问题"
    location: dict[str, Any] | None = None
    try:
        if values.get("lat") and values.get("lng"):
            location = {"lat": float(values["lat"]), "lng": float(values["lng"])}
    except ValueError:
        location = None
    if location is None and values.get("street"):
        spot = centre(values["street"])
        location = {"lat": spot[0], "lng": spot[1]} if spot else None
    if location is None:
        errors["street"] = "请允许定位，或选择所在街道"
    elif values.get("address", "").strip():
        location["address"] = values["address"].strip()
    if errors:
        return await _form(ctx, values, errors, "请修改标出的字段", 422)
    photos: list[str] = []
    photo = form.get("photo")
    try:
        if photo is not None and not isinstance(photo, str) and photo.filename:
            data = await photo.read()
            if data:
                answer = await ctx.api.call(
                    "POST", "/media",
                    files={"file": (photo.filename, data, photo.content_type or "image/jpeg")})
                photos.append(answer["ref"])
        body = {"source": "inspector" if ctx.role == "inspector" else "citizen",
                "category_code": match.group(1) if match else "",
                "description": values["description"].strip(), "location": location,
                "photos": photos}
        if values.get("street"):
            body["street"] = values["street"]
        created = await ctx.api.post("/incidents", body)
    except ApiError as err:
        named = err.field_errors()
        if "category_code" in named or "category_code" in err.message:
            named["category"] = named.pop("category_code", err.message)
        if err.status == 413 or "photo" in err.message or "照片" in err.message:
            named["photo"] = err.message
        return await _form(ctx, values, named, err.message, err.status)
    target = f"/ui/incidents/{created['id']}?new={'joined' if created.get('joined') else '1'}"
    return RedirectResponse(target, 303)


@router.get("/incidents")
async def incidents(ctx: Annotated[Ctx, Depends(page)],
                    status: str = Query("", max_length=20),
                    department: str = Query("", max_length=40),
                    street: str = Query("", max_length=40),
                    category_code: str = Query("", max_length=16),
                    overdue: str = Query("", max_length=5),
                    offset: int = Query(0, ge=0, le=100_000)) -> Response:
    rows = await ctx.api.get("/incidents", status=status or None,
                             department=department or None, street=street or None,
                             category_code=category_code or None,
                             overdue="true" if overdue else None, limit=50, offset=offset)
    return render(ctx, "incidents.html", title="事件", rows=rows, statuses=list(STATUS_NAMES),
                  streets=streets(), departments=DEPARTMENTS, status=status,
                  department=department, street=street,
                  category_code=category_code, overdue=overdue, offset=offset)


@router.get("/incidents/{case_id}")
async def incident(ctx: Annotated[Ctx, Depends(page)], case_id: str = CASE_ID,
                   new: str = "") -> Response:
    case = await ctx.api.get(f"/incidents/{case_id}")
    tasks = sorted(case.get("tasks") or [], key=lambda t: t.get("opened_at") or "")
    actionable = await open_tasks(ctx.api, "incident", case_id)
    flash = {"1": "已上报，可在此查看进度", "joined": "已有相同问题在办理，您的上报已并入该案件"}
    return render(ctx, "incident.html", title=f"事件 {case_id}", case=case, tasks=tasks,
                  actionable=actionable, flash=flash.get(new), staff="reports" in case)


@router.get("/media/{name}")
async def media(ctx: Annotated[Ctx, Depends(page)], name: str = MEDIA) -> Response:
    """A photo for an <img> on a case page, as the API serves it to this user."""
    answer = await ctx.api.call("GET", f"/media/{name}", raw=True)
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={"Cache-Control": "private, max-age=3600"})
