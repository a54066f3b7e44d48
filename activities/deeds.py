"""The good-deed process's activities (德分宝 善行义举): its case row (the generic `project`
activity calls it) and the award of approved points on the ledger."""

from typing import Any

from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.projection import case_writer, upsert
from db.engine import get_engine
from db.ledger import award, open_account
from db.models import DeedRow
from domain.deed import PROCESS, AwardRequest, AwardResult, DeedState
from domain.ledger import LedgerError, TransferRequest, account_id

AWARD_DEED_POINTS = "award_deed_points"


@case_writer(PROCESS)
def write_deed(session: Session, data: dict[str, Any]) -> None:
    """Insert the row at the first projection, then keep it in step."""
    case = DeedState.model_validate(data)
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "status": case.status,
        "resident": case.resident, "community": case.community, "type_code": case.type_code,
        "type_name": case.type_name, "points_asked": case.points_asked,
        "points_given": case.points_given, "recorded_by": case.recorded_by,
        "reported_at": case.reported_at, "decided_at": case.decided_at,
        "decided_by": case.decided_by, "table_version": case.table_version, "state": data,
        "version": case.version,
    }
    upsert(session, DeedRow, case.id, case.version, values)


@activity.defn(name=AWARD_DEED_POINTS)
def award_deed_points(req: AwardRequest) -> AwardResult:
    """Post the approved points, as many as fit under the caps. The transfer id is
    `deed:<case id>`, so a retried activity answers with what the first gave."""
    engine = get_engine()
    issuance = account_id("issuance", req.community)
    mine = account_id("resident", req.resident)
    open_account(engine, issuance, "issuance", req.community, req.community)
    open_account(engine, mine, "resident", req.resident, req.community)
    try:
        done = award(engine, TransferRequest(
            id=f"deed:{req.case_id}", debit=issuance, credit=mine, amount=req.points,
            kind="deed", reason=req.reason[:200], actor=req.actor, at=req.at), req.caps)
    except LedgerError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from err
    return AwardResult(transfer_id=done.transfer.id if done.transfer else None,
                       asked=req.points, given=done.given, capped_by=done.capped_by)
