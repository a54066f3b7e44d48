"""The dog-dispute process's activities: its case row (the generic `project` activity calls
it) and the look-up of a recent dispute of the same owner (docs/dog_disputes.md)."""

from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select
from temporalio import activity

from activities.projection import case_writer, upsert
from db.engine import get_engine
from db.models import DogDisputeRow
from domain.dog_dispute import PROCESS, DogDisputeState, Prior, PriorQuery


@case_writer(PROCESS)
def write_dog_dispute(session: Session, data: dict[str, Any]) -> None:
    """Insert the row at the first projection, then keep it in step; `state` is the case as
    projected (the workflow leaves the evidence list out)."""
    case = DogDisputeState.model_validate(data)
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "status": case.status,
        "tier": case.tier, "community": case.community, "street": case.street,
        "behaviour": case.behaviour, "dog_id": case.dog_id, "owner": case.owner,
        "reporter": case.reporter, "urgent": case.urgent, "started_tier": case.started_tier,
        "ended_tier": case.ended_tier,
        "result": case.outcomes[-1].result if case.outcomes else None,
        "path": list(case.path), "reported_at": case.reported_at,
        "resolved_at": case.resolved_at, "closed_at": case.closed_at,
        "current_due_at": case.current_due_at, "recurrences": case.recurrences,
        "prior_id": case.prior_id, "state": data, "version": case.version,
    }
    upsert(session, DogDisputeRow, case.id, case.version, values)


def _ended_at(row: DogDisputeRow) -> datetime | None:
    """When the dispute last ended: the later of resolution and closure. A case reopened on
    recurrence has neither (the workflow clears resolved_at), so it has not ended."""
    times = [t for t in (row.resolved_at, row.closed_at) if t is not None]
    return max(times) if times else None


def find_prior(session: Session, q: PriorQuery) -> Prior | None:
    """The most recent other dispute of the same owner, behaviour and community that ended at
    a tier on or after `since`: a new one starts at that tier (the recurrence rule). The API
    asks too, when the owner is known at the report."""
    rows = session.exec(select(DogDisputeRow).where(
        DogDisputeRow.owner == q.owner, DogDisputeRow.behaviour == q.behaviour,
        DogDisputeRow.community == q.community, DogDisputeRow.id != q.exclude_id,
        col(DogDisputeRow.ended_tier).is_not(None),
        # the later of the two is >= since exactly when either is
        or_(col(DogDisputeRow.resolved_at) >= q.since,
            col(DogDisputeRow.closed_at) >= q.since))).all()
    ended = [(at, row) for row in rows if (at := _ended_at(row)) is not None]
    if not ended:
        return None
    # Ties go to the greater id, so the answer never depends on the order rows come back in.
    at, row = max(ended, key=lambda pair: (pair[0], pair[1].id))
    return Prior.model_validate({"id": row.id, "ended_tier": row.ended_tier, "ended_at": at})


@activity.defn(name="prior_dispute")
def prior_dispute(q: PriorQuery) -> Prior | None:
    """`find_prior`, for a case whose owner the grid worker has just identified."""
    with Session(get_engine()) as session:
        return find_prior(session, q)
