"""An auditor's reading of any workflow's history, whatever its process."""

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.deps import TemporalDep, require_roles
from api.errors import responses
from api.history import audit_entries
from api.localtime import LocalTime
from domain.roles import ADMIN, AUDITOR
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


