"""Penalty cases (行政处罚): open one alone, follow it, list them.

Cases opened by a joint inspection come the same way (its child workflows); this router also
opens one without an inspection. Who reads a case, as its list shows it: officers and heads
of the case's department, the legal review centre, the command centre, auditors and admins;
the enterprise's own `party` account reads its own cases in its own view (the notice, its
answer, the hearing, the decision and what it owes; not the staff's internal work).
"""

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import false
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.live import live_view
from api.localtime import LocalTime
from api.policy import penalty_policy
from api.reporting import start_case
from api.routers.tasks import TaskOut, case_view, task_out
from db.models import EnforcementOfficerRow, EnterpriseRow, PenaltyCaseRow, User
from domain.credit_code import CreditCode
from domain.enforcement import (
    LEGAL_CENTER,
    MAX_FINE,
    MIN_OFFICERS,
    Enterprise,
    Officer,
    Penalty,
    enforcement_staff,
)
from domain.limits import MAX_OFFSET, MAX_REFS, Ref, ShortText, Text
from domain.penalty import (
    PARTY_FIELDS,
    PROCESS,
    Answer,
    PenaltyInput,
    PenaltyState,
    Status,
    workflow_id_for,
)
from domain.roles import ADMIN, AUDITOR, COMMAND_LEAD, DEPT_HEAD, LEGAL_REVIEWER, OFFICER, PARTY
from domain.tasks import Task
from domain.timefmt import SHANGHAI
from workflows.penalty import PenaltyCaseWorkflow

router = APIRouter(prefix="/penalty-cases", tags=["penalty cases"])

# Case ids: a date and hex digits (opened here), or an inspection's id and a suffix.
CaseId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Username = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9._-]+$")]
MAX_OFFICERS = 10  # named officers of one case
SEE_ALL = (COMMAND_LEAD, AUDITOR, ADMIN)


class PenaltyCaseRequest(BaseModel):
    """立案 proposed by enforcement staff without an inspection (the case is opened for its
    department head to file). The officers are the caller's department's, by username."""

    credit_code: CreditCode
    item: ShortText = Field(description="违反的事项")
    facts: Text = Field(description="违法事实")
    legal_basis: ShortText = Field(description="法律依据")
    evidence: list[Ref] = Field(default=[], max_length=MAX_REFS,
                                description="证据：http(s) URL 或 `media:` 编号")
    fine_proposed: float | None = Field(default=None, gt=0, le=MAX_FINE, allow_inf_nan=False,
                                        description="拟罚款金额（元），供告知参考")
    officers: list[Username] = Field(min_length=MIN_OFFICERS, max_length=MAX_OFFICERS,
                                     description="办案执法人员（至少两名，持有效执法证）")

    @field_validator("item", "facts", "legal_basis")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("officers")
    @classmethod
    def _two_people(cls, officers: list[str]) -> list[str]:
        distinct = list(dict.fromkeys(officers))
        if len(distinct) < MIN_OFFICERS:
            raise ValueError(f"name at least {MIN_OFFICERS} different officers "
                             "(行政处罚法第四十二条)")
        return distinct


class PenaltyCaseCreated(BaseModel):
    id: str
    workflow_id: str
    status: Status


class Owed(BaseModel):
    """While a fine is unpaid: the 加处罚款 so far and what paying now takes (yuan)."""

    surcharge: float | None = Field(None, description="加处罚款 so far (3% a day late, "
                                    "never more than the fine)")
    amount_due: float | None = Field(None, description="罚款 + 加处罚款, if paid now")
    archived: bool = Field(False, description="past Temporal's retention: from the projection")


class PenaltyCaseView(PenaltyState, Owed):
    """Staff: the case as its workflow sees it now, and its tasks."""

    opened_at: LocalTime
    filed_at: LocalTime | None = None
    decision_due_at: LocalTime | None = None
    notified_at: LocalTime | None = None
    answer_due_at: LocalTime | None = None
    hearing_requested_at: LocalTime | None = None
    hearing_at: LocalTime | None = None
    reviewed_at: LocalTime | None = None
    decided_at: LocalTime | None = None
    payment_due_at: LocalTime | None = None
    paid_at: LocalTime | None = None
    closed_at: LocalTime | None = None
    current_due_at: LocalTime | None = None
    tasks: list[TaskOut]


class PartyPenaltyCaseView(Owed):
    """The enterprise's own account: its case, the notice, its answer, the hearing, the
    decision and what it owes, and its own tasks."""

    id: str
    workflow_id: str
    status: Status
    credit_code: str
    enterprise_name: str
    street: str | None
    party: str | None
    department: str
    officers: list[str]
    inspection_id: str | None
    item: str
    facts: str
    legal_basis: str
    opened_at: LocalTime
    filed_at: LocalTime | None
    decision_due_at: LocalTime | None
    notified_at: LocalTime | None
    proposed: Penalty | None
    answer_due_at: LocalTime | None
    answer: Answer | None
    answered_by: str | None
    statement: str | None
    hearing: bool
    hearing_requested_at: LocalTime | None
    hearing_at: LocalTime | None
    hearing_record: str | None
    decision: Penalty | None
    decided_at: LocalTime | None
    payment_due_at: LocalTime | None
    paid_at: LocalTime | None
    amount_paid: float | None
    surcharge_paid: float | None
    transferred: bool
    closed_at: LocalTime | None
    version: int
    tasks: list[TaskOut]


class PartyPenaltyCaseListed(BaseModel):
    """The enterprise's own account: its case in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    workflow_id: str
    status: str
    credit_code: str
    enterprise_name: str
    department: str
    inspection_id: str | None
    item: str
    opened_at: LocalTime | None
    filed_at: LocalTime | None
    decision_due_at: LocalTime | None
    decided_at: LocalTime | None
    proposed_type: str | None
    proposed_fine: float | None
    decision_type: str | None
    fine: float | None
    hearing: bool
    payment_due_at: LocalTime | None
    paid_at: LocalTime | None
    amount_paid: float | None
    closed_at: LocalTime | None


class PenaltyCaseListed(PartyPenaltyCaseListed):
    """Staff: a case in a list (the projection), every column but the projected state."""

    officers: list[str]
    legal_reviewed: bool
    current_due_at: LocalTime | None
    version: int


AnyView = PenaltyCaseView | PartyPenaltyCaseView
AnyListed = PenaltyCaseListed | PartyPenaltyCaseListed


# --- who reads what ------------------------------------------------------------------------


def readable(user: User) -> Any:
    """The cases the caller may read, as a WHERE clause; None: all of them."""
    if user.role in SEE_ALL or (user.role == LEGAL_REVIEWER and user.department == LEGAL_CENTER):
        return None
    if user.role in (OFFICER, DEPT_HEAD) and user.department:
        return PenaltyCaseRow.department == user.department
    if user.role == PARTY:
        return col(PenaltyCaseRow.credit_code).in_(select(EnterpriseRow.credit_code).where(
            EnterpriseRow.party_username == user.username))
    return false()  # nobody else reads any


def may_read(session: Session, user: User, case: PenaltyState) -> bool:
    """The same rule as `readable`, for one case the workflow answered for."""
    if user.role in SEE_ALL or (user.role == LEGAL_REVIEWER and user.department == LEGAL_CENTER):
        return True
    if user.role in (OFFICER, DEPT_HEAD) and user.department:
        return case.department == user.department
    if user.role == PARTY:
        firm = session.get(EnterpriseRow, case.credit_code)
        return firm is not None and firm.party_username == user.username
    return False


def owed(case: PenaltyState) -> dict[str, Any]:
    money = case.owed(datetime.now(UTC))
    return {"surcharge": money[0], "amount_due": money[1]} if money else {}


def view(user: User, case: PenaltyState, tasks: list[Task], archived: bool = False) -> AnyView:
    extra = owed(case) | {"archived": archived}
    if user.role == PARTY:
        mine = [task_out(t) for t in tasks if t.assignee_user == user.username]
        return PartyPenaltyCaseView.model_validate(
            case.model_dump(include=set(PARTY_FIELDS)) | extra | {"tasks": mine})
    return PenaltyCaseView.model_validate(
        case.model_dump() | extra | {"tasks": [task_out(t) for t in tasks]})


@case_view(PROCESS)
def party_case(user: User, case: dict[str, Any]) -> dict[str, Any]:
    """An action's answer to the party (its answer to 告知): as its case page shows it."""
    return {k: v for k, v in case.items() if k in PARTY_FIELDS}


# --- routes --------------------------------------------------------------------------------


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def check_officers(session: Session, names: list[str], department: str, today: date) -> None:
    """Each named officer is on the department's roster with a certificate valid today."""
    rows = {r.username: r for r in session.exec(select(EnforcementOfficerRow).where(
        col(EnforcementOfficerRow.username).in_(names))).all()}
    for name in names:
        row = rows.get(name)
        if row is None or row.department != department:
            raise unprocessable(f"{name} is not on the roster of enforcement officers of "
                                f"{department} (执法人员名录库)")
        officer = Officer(username=row.username, department=row.department,
                          certificate_no=row.certificate_no,
                          certificate_expires=row.certificate_expires)
        if not officer.valid_on(today):
            raise unprocessable(f"{name}'s enforcement certificate {row.certificate_no} expired "
                                f"on {row.certificate_expires} (行政处罚法第四十二条)")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PenaltyCaseCreated,
             responses=responses(401, 403, 404, 413, 422, 503))
async def open_case(body: PenaltyCaseRequest, user: CurrentUser, session: SessionDep,
                    client: TemporalDep) -> PenaltyCaseCreated:
    """Open a case without an inspection, for the caller's department; its head files it."""
    if not enforcement_staff(user.role, user.department):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only officers and heads of enforcement "
                                                       "departments open penalty cases")
    department = user.department or ""
    firm = session.get(EnterpriseRow, body.credit_code)
    if firm is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no enterprise {body.credit_code}")
    now = datetime.now(UTC)
    check_officers(session, body.officers, department, now.astimezone(SHANGHAI).date())
    enterprise = Enterprise(credit_code=firm.credit_code, name=firm.name, street=firm.street,
                            party=firm.party_username)
    session.close()  # don't hold a connection while Temporal starts the case
    policy = penalty_policy()
    inp = await start_case(client, PROCESS, lambda case_id: PenaltyInput(
        id=case_id, enterprise=enterprise, department=department, officers=body.officers,
        item=body.item, facts=body.facts, legal_basis=body.legal_basis,
        evidence=body.evidence, fine_proposed=body.fine_proposed, opened_by=actor_of(user),
        opened_at=now, policy=policy), "the case")
    return PenaltyCaseCreated(id=inp.id, workflow_id=workflow_id_for(inp.id), status="filing")


@router.get("", response_model=list[AnyListed], responses=responses(401, 422))
def list_cases(user: CurrentUser, session: SessionDep,
               credit_code: CreditCode | None = None,
               inspection_id: str | None = Query(None, max_length=64,
                                                 pattern=r"^[A-Za-z0-9._-]+$"),
               status_: Status | None = Query(None, alias="status"),
               limit: int = Query(100, ge=1, le=1000),
               offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[AnyListed]:
    """The cases the caller may read, newest first (anyone else: none)."""
    query = select(PenaltyCaseRow)
    where = readable(user)
    if where is not None:
        query = query.where(where)
    if credit_code:
        query = query.where(PenaltyCaseRow.credit_code == credit_code)
    if inspection_id:
        query = query.where(PenaltyCaseRow.inspection_id == inspection_id)
    if status_:
        query = query.where(PenaltyCaseRow.status == status_)
    query = query.order_by(col(PenaltyCaseRow.opened_at).desc(), col(PenaltyCaseRow.id))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    model = PartyPenaltyCaseListed if user.role == PARTY else PenaltyCaseListed
    return [model.model_validate(r) for r in rows]


@router.get("/{case_id}", response_model=AnyView, responses=responses(401, 403, 404, 422, 503))
async def get_case(case_id: CaseId, user: CurrentUser, session: SessionDep,
                   client: TemporalDep) -> AnyView:
    """The case as its workflow sees it now, with the surcharge so far and the amount due
    while a fine is unpaid: `PenaltyCaseView` for staff, `PartyPenaltyCaseView` for the
    enterprise. A case past Temporal's retention comes from the projection, `archived`."""
    session.close()  # don't hold a connection while the workflow answers
    found = await live_view(client, workflow_id_for(case_id), PenaltyCaseWorkflow.view)
    archived = found is None
    if found is not None:
        case, tasks = found.case, found.tasks
    else:  # past Temporal's retention: the projection, marked `archived`
        row = session.get(PenaltyCaseRow, case_id)
        if row is None or not row.state:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such case")
        case, tasks = PenaltyState.model_validate(row.state), []
    if not may_read(session, user, case):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this case is not yours to see")
    return view(user, case, tasks, archived)
