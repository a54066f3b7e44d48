"""Sending an officer's action to the workflow that owns the task, as a Temporal Update."""

from typing import Any

from fastapi import HTTPException, status
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.tasks import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, TaskAction

_STATUS = {
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    FORBIDDEN: status.HTTP_403_FORBIDDEN,
    CONFLICT: status.HTTP_409_CONFLICT,
    INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


async def send_action(client: Client, workflow_id: str, action: TaskAction) -> dict[str, Any]:
    """Run the `act` update; a validator's rejection becomes 403/404/409/422, nothing written."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update("act", action, result_type=dict)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS:
            raise HTTPException(_STATUS[cause.type], cause.message) from err
        raise HTTPException(status.HTTP_409_CONFLICT, f"action failed: {cause}") from err
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise HTTPException(status.HTTP_409_CONFLICT,
                                "the case is no longer running; the task is closed") from err
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"Temporal error: {err.message}") from err
