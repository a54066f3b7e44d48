"""惠新码 activities: the case rows of passes and service requests (the generic `project`
activity calls the writers)."""

from typing import Any

from sqlmodel import Session

from activities.projection import case_writer, upsert
from db.models import RiderPassRow, RiderServiceRow
from domain.rider_pass import PROCESS, RiderPassState
from domain.rider_service import PROCESS as SERVICE
from domain.rider_service import RiderServiceState


@case_writer(PROCESS)
def write_rider_pass(session: Session, data: dict[str, Any]) -> None:
    case = RiderPassState.model_validate(data)
    upsert(session, RiderPassRow, case.id, case.version, {
        "id": case.id, "workflow_id": case.workflow_id, "rider": case.rider,
        "platform": case.platform, "status": case.status, "scope": case.scope,
        "applied_at": case.applied_at, "approved_at": case.approved_at,
        "valid_until": case.valid_until, "ended_at": case.ended_at, "state": data,
        "version": case.version})


@case_writer(SERVICE)
def write_rider_service(session: Session, data: dict[str, Any]) -> None:
    case = RiderServiceState.model_validate(data)
    upsert(session, RiderServiceRow, case.id, case.version, {
        "id": case.id, "workflow_id": case.workflow_id, "rider": case.rider,
        "module": case.module, "status": case.status, "asked_at": case.asked_at,
        "closed_at": case.closed_at, "referred": case.referred_at is not None,
        "rating": case.rating, "state": data, "version": case.version})
