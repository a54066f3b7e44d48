"""The penalty process's activities: its case row (the generic `project` activity calls it)."""

from typing import Any

from sqlmodel import Session

from activities.projection import case_writer, upsert
from db.models import PenaltyCaseRow
from domain.penalty import PROCESS, PenaltyState


@case_writer(PROCESS)
def write_penalty_case(session: Session, data: dict[str, Any]) -> None:
    """Insert the row at the case's first projection (a case an inspection starts has none
    before), then keep it in step; `state` is the case as projected (no evidence list)."""
    case = PenaltyState.model_validate(data)
    proposed, decision = case.proposed, case.decision
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "status": case.status,
        "credit_code": case.credit_code, "enterprise_name": case.enterprise_name,
        "department": case.department, "inspection_id": case.inspection_id,
        "item": case.item, "officers": case.officers, "opened_at": case.opened_at,
        "filed_at": case.filed_at, "decision_due_at": case.decision_due_at,
        "decided_at": case.decided_at,
        "proposed_type": proposed.type if proposed else None,
        "proposed_fine": proposed.fine if proposed else None,
        "decision_type": decision.type if decision else None,
        "fine": decision.fine if decision else None,
        "hearing": case.hearing, "legal_reviewed": case.legal_reviewed,
        "payment_due_at": case.payment_due_at, "paid_at": case.paid_at,
        "amount_paid": case.amount_paid, "closed_at": case.closed_at,
        "current_due_at": case.current_due_at, "state": data, "version": case.version,
    }
    upsert(session, PenaltyCaseRow, case.id, case.version, values)
