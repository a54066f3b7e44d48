"""审计: any case's story from its Temporal history (`/audit`), a link to the Temporal Web UI at
that workflow, and exports that carry their own SHA-256."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import RedirectResponse, Response

from config import get_settings
from console.client import ApiError
from console.render import render
from console.session import Ctx, page

router = APIRouter()
WORKFLOW_ID = Path(max_length=200, pattern=r"^[\w.\-]+$")
FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def temporal_link(workflow_id: str) -> str:
    settings = get_settings()
    return (f"{settings.temporal_ui_url.rstrip('/')}/namespaces/"
            f"{settings.temporal_namespace}/workflows/{workflow_id}")


def _detail(value: Any) -> str:
    if value in (None, "", {}, []):
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@router.get("/audit")
async def audit_home(ctx: Annotated[Ctx, Depends(page)],
                     workflow_id: str = Query("", max_length=200)) -> Response:
    if workflow_id.strip():
        return RedirectResponse(f"/ui/audit/{workflow_id.strip()}", 303)
    recent = await ctx.api.get("/incidents", limit=20)
    return render(ctx, "audit_home.html", title="审计", recent=recent)


@router.get("/audit/{workflow_id}")
async def audit_case(ctx: Annotated[Ctx, Depends(page)],
                     workflow_id: str = WORKFLOW_ID) -> Response:
    found = await ctx.api.get(f"/audit/{workflow_id}")
    entries = [e | {"detail_text": _detail(e.get("detail"))} for e in found["entries"]]
    return render(ctx, "audit_case.html", title=f"审计：{workflow_id}", audit=found,
                  entries=entries, temporal_url=temporal_link(workflow_id))


@router.get("/audit/{workflow_id}/export.{fmt}")
async def audit_export(ctx: Annotated[Ctx, Depends(page)], fmt: str,
                       workflow_id: str = WORKFLOW_ID) -> Response:
    if fmt not in FORMATS:
        raise ApiError(404, "导出格式只有 json 与 csv")
    answer = await ctx.api.call("GET", f"/audit/{workflow_id}/export",
                                params={"format": fmt}, raw=True)
    return Response(answer.content, media_type=FORMATS[fmt], headers={
        k: v for k, v in answer.headers.items()
        if k.lower() in ("digest-sha256", "content-disposition")})
