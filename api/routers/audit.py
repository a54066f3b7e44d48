"""An auditor's reading of any workflow's history, whatever its process."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import TemporalDep, require_roles
from api.errors import responses
from api.history import audit_entries
from api.localtime import LocalTime
from domain.roles import ADMIN, AUDITOR
from domain.timefmt import SHANGHAI
from workflows.registry import by_workflow_type

router = APIRouter(tags=["audit"])

MAX_RUNS = 100  # continue-as-new runs read back for one audit


class AuditEntry(BaseModel):
    at: LocalTime
    event: str
    actor: str | None
    role: str | None
    department: str | None
    action: str | None
    detail: Any


class AuditOut(BaseModel):
    workflow_id: str
    process: str
    status: str | None
    runs: int
    entries: list[AuditEntry]


async def _entries(client: Client, workflow_id: str) -> tuple[list[dict[str, Any]], int]:
    """Every run of the workflow, oldest first: a long-lived case continues as new."""
    runs: list[list[dict[str, Any]]] = []
    run_id: str | None = None
    while len(runs) < MAX_RUNS:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.insert(0, audit_entries(history))
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            break
    return [e for run in runs for e in run], len(runs)


@router.get("/audit/{workflow_id}", response_model=AuditOut,
            dependencies=[Depends(require_roles(AUDITOR, ADMIN))],
            responses=responses(401, 403, 404, 422, 503))
async def audit(client: TemporalDep,
                workflow_id: str = Path(max_length=200, pattern=r"^[\w.\-]+$")) -> AuditOut:
    """Who did what and when, read from the workflow's Temporal event history alone."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
        entries, runs = await _entries(client, workflow_id)
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such workflow") from err
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "Temporal cannot be read now") from err
    process = by_workflow_type(description.workflow_type)
    return AuditOut(workflow_id=workflow_id,
                    process=process.name if process else description.workflow_type,
                    status=description.status.name if description.status else None,
                    runs=runs, entries=[AuditEntry(**e) for e in entries])




EXPORT_COLUMNS = ("at", "event", "actor", "role", "department", "action", "detail")


def _canonical(content: dict[str, Any]) -> bytes:
    """The bytes a digest covers: sorted keys, no spaces, UTF-8 (anyone can recompute it)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def export_body(audit: AuditOut, fmt: str, exported_at: datetime) -> tuple[bytes, str]:
    """The export and its SHA-256. JSON: `{"content": …, "sha256": hex}` where the digest is
    of the canonical JSON of `content`. CSV: the rows, then a last line `# sha256=<hex>` over
    every byte before that line."""
    content = {"workflow_id": audit.workflow_id, "process": audit.process,
               "status": audit.status, "runs": audit.runs,
               "exported_at": exported_at.isoformat(),
               "entries": [e.model_dump(mode="json") for e in audit.entries]}
    if fmt == "json":
        digest = hashlib.sha256(_canonical(content)).hexdigest()
        return json.dumps({"content": content, "sha256": digest}, ensure_ascii=False,
                          indent=1).encode(), digest
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["workflow_id", audit.workflow_id, "process", audit.process,
                     "exported_at", content["exported_at"]])
    writer.writerow(EXPORT_COLUMNS)
    for entry in content["entries"]:
        writer.writerow([json.dumps(entry[c], ensure_ascii=False) if c == "detail"
                         else entry[c] if entry[c] is not None else "" for c in EXPORT_COLUMNS])
    body = out.getvalue().encode()
    digest = hashlib.sha256(body).hexdigest()
    return body + f"# sha256={digest}\n".encode(), digest


@router.get("/audit/{workflow_id}/export", dependencies=[Depends(require_roles(AUDITOR, ADMIN))],
            responses={200: {"content": {"application/json": {}, "text/csv": {}},
                             "description": "the export; `Digest-SHA256` repeats its digest"}}
            | responses(401, 403, 404, 422, 503))
async def export(client: TemporalDep,
                 workflow_id: str = Path(max_length=200, pattern=r"^[\w.\-]+$"),
                 format: Literal["json", "csv"] = "json") -> Response:  # noqa: A002
    """A case's audit as a file that carries the SHA-256 of its own content, so a copy can be
    checked later: JSON `{"content", "sha256"}`, or CSV ending in `# sha256=<hex>`."""
    found = await audit(client, workflow_id)
    body, digest = export_body(found, format, datetime.now(UTC).astimezone(SHANGHAI))
    kind = "application/json" if format == "json" else "text/csv; charset=utf-8"
    return Response(body, media_type=kind, headers={
        "Digest-SHA256": digest,
        "Content-Disposition": f'attachment; filename="audit-{workflow_id}.{format}"'})
