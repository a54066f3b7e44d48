from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from temporalio.service import RPCError, RPCStatusCode

from api.deps import TemporalDep, require_roles
from api.history import PROCESS_OF, audit_entries
from domain.roles import ADMIN, AUDITOR

router = APIRouter(tags=["audit"])


@router.get("/audit/{workflow_id}", dependencies=[Depends(require_roles(AUDITOR, ADMIN))])
async def audit(workflow_id: str, client: TemporalDep) -> dict[str, Any]:
    """Who did what and when, read from the workflow's Temporal event history alone."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
        history = await handle.fetch_history()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no workflow {workflow_id}") from err
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, err.message) from err
    return {"workflow_id": workflow_id,
            "process": PROCESS_OF.get(description.workflow_type, description.workflow_type),
            "status": description.status.name if description.status else None,
            "entries": audit_entries(history)}
