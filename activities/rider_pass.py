"""惠新码 rider pass activities: its case row (the generic `project` activity calls it)."""

from typing import Any

from sqlmodel import Session

from activities.projection import case_writer, upsert
from db.models import RiderPassRow
from domain.rider_pass import PROCESS, RiderPassState


@case_writer(PROCESS)
def write_rider_pass(session: Session, data: dict[str, Any]) -> None:
    case = RiderPassState.model_validate(data)
    upsert(session, RiderPassRow, case.id, case.version, {
        "id": case.id, "workflow_id": case.workflow_id, "rider": case.rider,
        "platform": case.platform, "status": case.status, "scope": case.scope,
        "applied_at": case.applied_at, "approved_at": case.approved_at,
        "valid_until": case.valid_until, "ended_at": case.ended_at, "state": data,
        "version": case.version})
