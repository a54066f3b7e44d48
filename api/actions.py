"""Sending a person's action to the workflow that owns the task (or the case), as a Temporal
Update."""

import logging
from datetime import timedelta
from typing import Any, TypeVar

from fastapi import HTTPException, status
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.tasks import CONFLICT, FAULT, FORBIDDEN, INVALID, NOT_FOUND, ActionResult, TaskAction

log = logging.getLogger(__name__)
T = TypeVar("T")

_STATUS = {
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    FORBIDDEN: status.HTTP_403_FORBIDDEN,
    CONFLICT: status.HTTP_409_CONFLICT,
    INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
    FAULT: status.HTTP_503_SERVICE_UNAVAILABLE,
}
# An Update returns once the workflow has settled; a case that cannot settle within this is
# answered 503 rather than left hanging (the action may still complete: see the task).
UPDATE_TIMEOUT = timedelta(seconds=60)


async def send_update(client: Client, workflow_id: str, update: str, arg: Any,
                      result_type: type[T], known: bool = True, missing: str = "no such task") -> T:
    """Run an Update of the workflow; a validator's rejection becomes 403/404/409/422, and
    nothing is written. `known`: the case is known to exist (else a missing workflow is a
    404 saying `missing`, not a 409)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, result_type=result_type,
                                           rpc_timeout=UPDATE_TIMEOUT)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS:
            raise HTTPException(_STATUS[cause.type], cause.message) from err
        log.warning("update %s on %s failed: %s", update, workflow_id, cause)
        raise HTTPException(status.HTTP_409_CONFLICT, "the action could not be applied") from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND and not known:
            raise HTTPException(status.HTTP_404_NOT_FOUND, missing) from err
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise HTTPException(status.HTTP_409_CONFLICT,
                                "the case is no longer running; the task is closed") from err
        log.warning("update %s on %s: Temporal error %s", update, workflow_id, err.message)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the case cannot be reached now; try again") from err


async def send_action(client: Client, workflow_id: str, action: TaskAction,
                      known: bool = True) -> ActionResult:
    """Run the task board's `act` Update. `known`: the task is in the projection (else a
    missing workflow is a 404, not a 409)."""
    return await send_update(client, workflow_id, "act", action, ActionResult, known)
