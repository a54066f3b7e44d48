"""Reading a case from its workflow, the source of truth, rather than from the projection."""

from typing import Any

from fastapi import HTTPException, status
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

GONE = (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)


async def live_view(client: Client, workflow_id: str, query: Any) -> Any | None:
    """The workflow's answer to `query` (one query, so a case and its tasks agree), or None
    when Temporal no longer has the workflow (past retention: the caller falls back to the
    projection). Temporal unreachable, or a query that fails, is a 503."""
    try:
        return await client.get_workflow_handle(workflow_id).query(query)
    except RPCError as err:
        if err.status in GONE:
            return None
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the case's workflow cannot be read now") from err
    except WorkflowQueryFailedError as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the case's workflow cannot be read now") from err
