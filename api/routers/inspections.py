"""Joint inspections (多跨智查): publish one, follow it, list them, and its public result.

Who sees an inspection: staff of a department taking part (officer, dept_head), the legal
review centre, the command centre and auditors. The enterprise's own `party` account sees the
public result (结果公示) of its inspections; the result names no person and carries no photos.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import and_, delete
from sqlmodel import Session, col, select
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.inspection import write_inspection
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.localtime import LocalTime
from api.policy import inspection_policy, penalty_policy
from api.routers.tasks import TaskOut, task_out
from db.models import EnterpriseRow, InspectionDepartment, InspectionRow, TaskRow, User
from domain.credit_code import CreditCode
from domain.departments import department_name
from domain.enforcement import ENFORCEMENT_DEPARTMENTS, LEGAL_CENTER, Enterprise, enforcement_staff
from domain.inspection import (
    ANNOUNCED,
    DRAWN_TYPES,
    MAX_ITEMS,
    PROCESS,
    InspectionInput,
    InspectionState,
    InspectionType,
    Item,
    Status,
    workflow_id_for,
)
from domain.limits import MAX_OFFSET, Text
from domain.roles import ADMIN, AUDITOR, COMMAND_LEAD, DEPT_HEAD, LEGAL_REVIEWER, PARTY
from domain.timefmt import SHANGHAI
from workflows.registry import processes

router = APIRouter(prefix="/inspections", tags=["inspections"])

CaseId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
MAX_PLAN_DAYS = 366
SEE_ALL = (COMMAND_LEAD, AUDITOR, ADMIN, LEGAL_REVIEWER)


class InspectionRequest(BaseModel):
    """任务发布: the lead department (the caller's) plans a joint inspection."""

    type: InspectionType
    credit_code: CreditCode
    planned_date: date = Field(description="the day of the on-site check, Asia/Shanghai")
    items: list[Item] = Field(min_length=1, max_length=MAX_ITEMS,
                              description="what each department checks (部门: 检查事项)")
    reason: Text = Field(min_length=1)
    draw: bool = Field(False, description="双随机: draw every department's officers (routine "
                                          "and campaign inspections)")

    @field_validator("items")
    @classmethod
    def _known_departments(cls, items: list[Item]) -> list[Item]:
        seen = set()
        for item in items:
            if item.department not in ENFORCEMENT_DEPARTMENTS:
                raise ValueError(f"{item.department!r} is not an enforcement department; one "
                                 f"of {list(ENFORCEMENT_DEPARTMENTS)}")
            if (item.department, item.item) in seen:
                raise ValueError(f"item {item.item!r} of {item.department} is listed twice")
            seen.add((item.department, item.item))
        return items


class InspectionCreated(BaseModel):
    id: str
    workflow_id: str
    status: Status


class InspectionView(InspectionState):
    """Staff: the inspection as its workflow last projected it, and its tasks."""

    created_at: LocalTime
    approved_at: LocalTime | None = None
    inspected_at: LocalTime | None = None
    closed_at: LocalTime | None = None
    current_due_at: LocalTime | None = None
    tasks: list[TaskOut] = []


class InspectionListed(BaseModel):
    id: str
    workflow_id: str
    type: str
    status: str
    credit_code: str
    enterprise_name: str
    street: str | None
    lead_department: str
    planned_date: date
    merged_into: str | None
    items_total: int
    violations: int
    penalty_cases: int
    created_at: LocalTime | None
    closed_at: LocalTime | None


class PublicItem(BaseModel):
    department: str
    department_name: str | None
    item: str
    status: str
    legal_basis: str | None
    action: str | None
    outcome: str | None


class PublicInspection(BaseModel):
    """结果公示: what was checked and found, naming no person and showing no evidence."""

    id: str
    type: str
    status: str
    credit_code: str
    enterprise_name: str
    planned_date: date
    departments: list[str]
    merged_into: str | None
    items: list[PublicItem]
    closed_at: LocalTime | None


def visible(user: User, session: Session) -> Any:
    """The inspections the caller may see, as a WHERE clause (None: all of them)."""
    if user.role in SEE_ALL or (user.department == LEGAL_CENTER and user.role == DEPT_HEAD):
        return None
    if enforcement_staff(user.role, user.department):
        return col(InspectionRow.id).in_(select(InspectionDepartment.inspection_id).where(
            InspectionDepartment.department == user.department))
    if user.role == PARTY:  # its own, once the inspectors are at the door: checks are unannounced
        return and_(col(InspectionRow.status).in_(ANNOUNCED),
                    col(InspectionRow.credit_code).in_(select(EnterpriseRow.credit_code).where(
                        EnterpriseRow.party_username == user.username)))
    raise HTTPException(status.HTTP_403_FORBIDDEN, "inspections are for enforcement staff, "
                                                   "the command centre and the enterprise")


def _readable(user: User, session: Session, case_id: str) -> InspectionRow:
    row = session.get(InspectionRow, case_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such inspection")
    where = visible(user, session)
    if where is not None and session.exec(
            select(InspectionRow.id).where(InspectionRow.id == case_id, where)).first() is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this inspection is not yours to see")
    return row


def public(row: InspectionRow) -> PublicInspection:
    state = InspectionState.model_validate(row.state)
    return PublicInspection(
        id=state.id, type=state.type, status=state.status, credit_code=state.credit_code,
        enterprise_name=state.enterprise_name, planned_date=state.planned_date,
        departments=[department_name(p.department) or p.department for p in state.departments
                     if p.status == "accepted"], merged_into=state.merged_into,
        items=[PublicItem(department=i.department, department_name=department_name(
            i.department), item=i.item, status=i.status, legal_basis=i.legal_basis,
            action=i.action, outcome=i.outcome if i.settled else None) for i in state.items],
        closed_at=state.closed_at)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InspectionCreated,
             responses=responses(401, 403, 404, 422, 503))
async def publish(body: InspectionRequest, user: CurrentUser, session: SessionDep,
                  client: TemporalDep) -> InspectionCreated:
    """任务发布 by an officer or department head of an enforcement department, the lead."""
    if not enforcement_staff(user.role, user.department):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only officers and heads of enforcement "
                                                       "departments publish inspections")
    today = datetime.now(SHANGHAI).date()
    if body.draw and body.type not in DRAWN_TYPES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "draw: 双随机抽取只用于日常检查和专项检查 (routine, campaign)")
    if not today <= body.planned_date <= today + timedelta(days=MAX_PLAN_DAYS):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"planned_date must be from today to {MAX_PLAN_DAYS} days ahead")
    row = session.get(EnterpriseRow, body.credit_code)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no enterprise {body.credit_code}")
    case_id = f"{today:%Y%m%d}-{uuid.uuid4().hex[:6].upper()}"
    inp = InspectionInput(
        id=case_id, type=body.type, lead_department=user.department or "",
        enterprise=Enterprise(credit_code=row.credit_code, name=row.name, street=row.street,
                              party=row.party_username),
        planned_date=body.planned_date, items=body.items, reason=body.reason, draw=body.draw,
        created_by=actor_of(user), created_at=datetime.now(UTC), policy=inspection_policy(),
        penalty_policy=penalty_policy())
    state = InspectionState.start(inp, workflow_id_for(case_id))
    # The row first, so the inspection is in lists at once; the workflow's projections follow.
    write_inspection(session, state.model_dump(mode="json"))
    session.commit()
    session.close()
    try:
        await processes()[PROCESS].start(client, case_id, inp)
    except (RPCError, WorkflowAlreadyStartedError) as err:
        forget(session, case_id)  # no workflow behind it: no row either
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the inspection cannot be started now; try again") from err
    return InspectionCreated(id=case_id, workflow_id=state.workflow_id, status=state.status)


def forget(session: Session, case_id: str) -> None:
    session.execute(delete(InspectionDepartment)
                    .where(col(InspectionDepartment.inspection_id) == case_id))
    session.execute(delete(InspectionRow).where(col(InspectionRow.id) == case_id))
    session.commit()


@router.get("", response_model=list[InspectionListed], responses=responses(401, 403, 422))
def list_inspections(user: CurrentUser, session: SessionDep,
                     credit_code: CreditCode | None = None,
                     department: str | None = Query(None, max_length=40,
                                                    pattern=r"^[a-z_]+$"),
                     status_: Status | None = Query(None, alias="status"),
                     limit: int = Query(100, ge=1, le=1000),
                     offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[InspectionListed]:
    """Inspections the caller may see, newest first."""
    query = select(InspectionRow)
    where = visible(user, session)
    if where is not None:
        query = query.where(where)
    if credit_code:
        query = query.where(InspectionRow.credit_code == credit_code)
    if department:
        query = query.where(col(InspectionRow.id).in_(select(InspectionDepartment.inspection_id)
                                                      .where(InspectionDepartment.department
                                                             == department)))
    if status_:
        query = query.where(InspectionRow.status == status_)
    query = query.order_by(col(InspectionRow.created_at).desc(), col(InspectionRow.id))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [InspectionListed.model_validate(r, from_attributes=True) for r in rows]


@router.get("/{case_id}", response_model=InspectionView | PublicInspection,
            responses=responses(401, 403, 404, 422))
def get_inspection(case_id: CaseId, user: CurrentUser,
                   session: SessionDep) -> InspectionView | PublicInspection:
    """The inspection with its tasks (the enterprise's own account: its public result)."""
    row = _readable(user, session, case_id)
    if user.role == PARTY:
        return public(row)
    tasks = session.exec(select(TaskRow).where(TaskRow.case_id == case_id,
                                               TaskRow.process == PROCESS)
                         .order_by(col(TaskRow.opened_at), col(TaskRow.id))).all()
    return InspectionView.model_validate(row.state | {"tasks": [task_out(t) for t in tasks]})


@router.get("/{case_id}/public", response_model=PublicInspection,
            responses=responses(404, 422))
def public_result(case_id: CaseId, session: SessionDep) -> PublicInspection:
    """结果公示 of a closed inspection: open to anyone, without personal data."""
    row = session.get(InspectionRow, case_id)
    if row is None or row.status != "closed":  # published once closed; unannounced before
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such closed inspection")
    return public(row)
