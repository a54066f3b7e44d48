"""德分宝 redemptions' activities: resolving the reservation on the ledger and the case row
(the generic `project` activity calls the writer)."""

from typing import Any

from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.projection import case_writer, upsert
from db.engine import get_engine
from db.ledger import release, transfer
from db.models import RedemptionRow
from domain.ledger import LedgerError, TransferRequest
from domain.redemption import PROCESS, RedemptionState, Resolution


@activity.defn(name="resolve_redemption")
def resolve_redemption(res: Resolution) -> None:
    """Post the reservation (`<pending>:post`) or void it and give the offer's unit back
    (`<pending>:void`), once: a retry finds the first write."""
    req = TransferRequest(id=res.transfer_id, phase=res.phase, pending_id=res.pending_id,
                          kind="redemption", reason=res.reason[:200], actor=res.actor,
                          at=res.at)
    try:
        if res.phase == "post":
            transfer(get_engine(), req)
        else:
            release(get_engine(), req, res.offer_id)
    except LedgerError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from err


@case_writer(PROCESS)
def write_redemption(session: Session, data: dict[str, Any]) -> None:
    case = RedemptionState.model_validate(data)
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "code": case.code,
        "status": case.status, "resident": case.resident, "community": case.community,
        "offer_id": case.offer_id, "merchant": case.merchant, "points": case.points,
        "reserved_at": case.reserved_at, "expires_at": case.expires_at,
        "confirmed_at": case.confirmed_at, "ended_at": case.ended_at, "rating": case.rating,
        "state": data, "version": case.version,
    }
    upsert(session, RedemptionRow, case.id, case.version, values)
