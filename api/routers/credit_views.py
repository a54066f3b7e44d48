"""德分宝 as the console shows it: a deed's verification tasks, for its case page's timeline,
read by whoever may read the deed (as GET /credit/deeds/{id}); and rating a redemption by its
id, since a confirmed redemption's code is no longer shown to its resident."""

from fastapi import APIRouter, HTTPException, Path, status
from sqlmodel import col, select

from api.deps import CurrentUser, SessionDep, TemporalDep
from api.errors import responses
from api.live import live_view
from api.routers.deeds import CaseId, forbidden, may_read
from api.routers.offers import RatingIn, RedemptionOut, rate_row
from api.routers.tasks import TaskOut, task_out
from db.models import DeedRow, RedemptionRow, TaskRow
from domain.deed import workflow_id_for
from workflows.deed import DeedWorkflow

router = APIRouter(prefix="/credit", tags=["德分宝 points"])


@router.get("/deeds/{case_id}/tasks", response_model=list[TaskOut],
            responses=responses(401, 403, 404, 422, 503))
async def deed_tasks(case_id: CaseId, user: CurrentUser, session: SessionDep,
                     client: TemporalDep) -> list[TaskOut]:
    """The deed's tasks, oldest first: from its workflow (so a deed just recorded already has
    its task), or, past retention, from the task board's projection."""
    row = session.get(DeedRow, case_id)
    wid = workflow_id_for(case_id)
    projected = session.exec(select(TaskRow).where(TaskRow.workflow_id == wid)
                             .order_by(col(TaskRow.opened_at), col(TaskRow.id))).all()
    session.close()  # don't hold a connection while the workflow answers
    found = await live_view(client, wid, DeedWorkflow.view)
    if found is not None:
        resident, community = found.case.resident, found.case.community
        tasks = [task_out(t) for t in sorted(found.tasks, key=lambda t: t.opened_at)]
    elif row is not None:
        resident, community = row.resident, row.community
        tasks = [task_out(t) for t in projected]
    else:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such deed")
    if not may_read(user, resident, community):
        raise forbidden("this deed is not yours to see")
    return tasks


@router.post("/redemptions/id/{redemption_id}/rating", response_model=RedemptionOut,
             responses=responses(401, 403, 404, 409, 422, 503))
async def rate_by_id(body: RatingIn, user: CurrentUser, session: SessionDep,
                     client: TemporalDep,
                     redemption_id: str = Path(max_length=40, pattern=r"^[A-Za-z0-9]+$")
                     ) -> RedemptionOut:
    """The resident rates a confirmed redemption, once (1-5 stars), named by its id (as
    POST /credit/redemptions/{code}/rating)."""
    row = session.get(RedemptionRow, redemption_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such redemption")
    return await rate_row(row, body, user, session, client)
