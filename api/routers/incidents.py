"""Incident cases: report, follow, list (城市运行管理服务平台)."""

import secrets
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlmodel import col, select
from temporalio.client import WorkflowQueryFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.catalogue import category_info
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.localtime import localize
from api.policy import incident_policy
from config import get_settings
from db.models import Category, IncidentRow
from domain import geo
from domain.incident import OPEN_STATUSES, IncidentInput, Location, workflow_id_for
from domain.roles import CITIZEN, SERVICE, allowed_source
from domain.timefmt import SHANGHAI
from workflows.incident import IncidentWorkflow

router = APIRouter(prefix="/incidents", tags=["incidents"])

Source = Literal["citizen", "inspector", "ai_video", "city_dispatch"]


class IncidentReport(BaseModel):
    source: Source
    category_code: str = Field(min_length=1, max_length=16)
    description: str = Field(min_length=1, max_length=2000)
    location: Location
    street: str | None = None
    photos: list[str] = Field(default=[], max_length=20)


def new_case_id() -> str:
    # Readable by phone, unique without a central counter: date + 6 random hex digits.
    return f"{datetime.now(SHANGHAI):%Y%m%d}-{secrets.token_hex(3).upper()}"


def visible_to(user: CurrentUser, reporter: str) -> bool:
    """Citizens and machine accounts follow their own reports; staff see every case."""
    return user.role not in (CITIZEN, SERVICE) or user.username == reporter


@router.post("", status_code=status.HTTP_201_CREATED)
async def report(body: IncidentReport, user: CurrentUser, session: SessionDep,
                 client: TemporalDep) -> dict[str, Any]:
    source = allowed_source(user.role, user.report_source)
    if source != body.source:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"{user.username} may not report as {body.source!r}"
                            + (f"; use {source!r}" if source else ""))
    category = session.get(Category, body.category_code)
    if category is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown category_code {body.category_code!r}")
    try:
        street, area = geo.resolve(body.location.lat, body.location.lng, body.street or None)
    except ValueError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    policy = incident_policy()
    for _ in range(3):
        case_id = new_case_id()
        inp = IncidentInput(
            id=case_id, source=body.source, reporter=actor_of(user),
            category=category_info(category, area), area_class=area,
            description=body.description, location=body.location, street=street,
            photos=body.photos, reported_at=datetime.now(UTC), policy=policy)
        try:
            await client.start_workflow(IncidentWorkflow.run, inp, id=workflow_id_for(case_id),
                                        task_queue=get_settings().task_queue)
            break
        except WorkflowAlreadyStartedError:
            continue  # a random id collided; draw another
    else:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "could not allocate a case id")
    auto_filed = body.source == "inspector" and policy.auto_file_inspector_reports
    return {"id": case_id, "workflow_id": workflow_id_for(case_id),
            "status": "dispatching" if auto_filed else "filing",
            "category_code": category.code, "category_name": category.name,
            "street": street, "area_class": area,
            "reported_at": localize(inp.reported_at)}


@router.get("")
def list_incidents(user: CurrentUser, session: SessionDep, status_: str | None = Query(
        None, alias="status"), department: str | None = None, category_code: str | None = None,
        street: str | None = None, overdue: bool | None = None,
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
        ) -> list[dict[str, Any]]:
    query = select(IncidentRow)
    if user.role in (CITIZEN, SERVICE):
        query = query.where(IncidentRow.reporter == user.username)
    if status_:
        query = query.where(IncidentRow.status == status_)
    if department:
        query = query.where(IncidentRow.department == department)
    if category_code:
        query = query.where(IncidentRow.category_code == category_code)
    if street:
        query = query.where(IncidentRow.street == street)
    if overdue is not None:
        late = (col(IncidentRow.status).in_(OPEN_STATUSES)
                & (col(IncidentRow.current_due_at) < datetime.now(UTC)))
        query = query.where(late if overdue else ~late)
    query = query.order_by(col(IncidentRow.reported_at).desc()).offset(offset).limit(limit)
    return [localize(row.model_dump()) for row in session.exec(query).all()]


@router.get("/{case_id}")
async def get_incident(case_id: str, user: CurrentUser, client: TemporalDep) -> dict[str, Any]:
    """The case as its workflow sees it now (the source of truth, not the projection)."""
    handle = client.get_workflow_handle(workflow_id_for(case_id))
    try:
        state = await handle.query(IncidentWorkflow.case)
        tasks = await handle.query(IncidentWorkflow.tasks)
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no case {case_id}") from err
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"the case's workflow cannot be read now: {err.message}") from err
    except WorkflowQueryFailedError as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err
    if not visible_to(user, state.reporter):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may only follow your own reports")
    case = state.model_dump(by_alias=True)
    case["tasks"] = [t.model_dump(exclude={"decisions", "data", "ladder"}) |
                     {"allowed_decisions": t.allowed_decisions} for t in tasks]
    return localize(case)
