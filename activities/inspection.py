"""The inspection process's case row (its visits and roster live in activities/visits.py)."""

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session

from activities.projection import case_writer, upsert
from db.models import InspectionDepartment, InspectionRow
from domain.inspection import PROCESS, InspectionState


@case_writer(PROCESS)
def write_inspection(session: Session, data: dict[str, Any]) -> None:
    case = InspectionState.model_validate(data)
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "type": case.type,
        "status": case.status, "credit_code": case.credit_code,
        "enterprise_name": case.enterprise_name, "street": case.street,
        "lead_department": case.lead_department, "planned_date": case.planned_date,
        "created_by": case.created_by, "created_at": case.created_at,
        "approved_at": case.approved_at, "inspected_at": case.inspected_at,
        "closed_at": case.closed_at, "current_due_at": case.current_due_at,
        "visit_id": case.visit_id, "merged_into": case.merged_into,
        "items_total": len(case.items),
        "items_checked": sum(1 for i in case.items if i.status in ("compliant", "violation")),
        "violations": sum(1 for i in case.items if i.status == "violation"),
        "penalty_cases": len(case.penalty_cases), "state": data, "version": case.version,
    }
    row = session.get(InspectionRow, case.id)
    known = {d.department for d in case.departments}
    if not upsert(session, InspectionRow, case.id, case.version, values, row):
        return
    # Who takes part, for department filters and officers' lists: rewritten as it grows.
    session.execute(delete(InspectionDepartment)
                    .where(InspectionDepartment.inspection_id == case.id))
    session.add_all(InspectionDepartment(inspection_id=case.id, department=d)
                    for d in sorted(known))
