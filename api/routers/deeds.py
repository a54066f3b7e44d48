"""德分宝 good deeds (善行义举): the deed-type table, recording a deed (a resident for
themselves, a community worker for a resident of their community), and reading deeds. The
verification is a task on the shared board, acted on through `/tasks`.

Who reads a deed: its resident; the community workers and the head (dept_head) of its
community; auditors, admins and the command centre's lead.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import false
from sqlmodel import col, select

from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.live import live_view
from api.localtime import LocalTime
from api.policy import deed_policy
from api.reporting import start_case
from api.routers.credit import caps
from db.models import CommunityRow, DeedRow, ResidentRow, User
from domain.deed import MAX_QUANTITY, PROCESS, DeedInput, DeedState, deed_types, workflow_id_for
from domain.limits import MAX_OFFSET, MAX_REFS, Ref, Text
from domain.roles import ADMIN, AUDITOR, CITIZEN, COMMAND_LEAD, COMMUNITY_WORKER, DEPT_HEAD
from workflows.deed import DeedWorkflow

router = APIRouter(prefix="/credit", tags=["德分宝 points"])

SEE_ALL = (AUDITOR, ADMIN, COMMAND_LEAD)
COMMUNITY_READERS = (COMMUNITY_WORKER, DEPT_HEAD)
CaseId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Username = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class DeedTypeOut(BaseModel):
    code: str
    name: str
    points: int = Field(description="points per unit")
    unit: str


class DeedTypesOut(BaseModel):
    version: str = Field(description="the table's version; a deed records the one it used")
    types: list[DeedTypeOut]


class DeedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=40, description="a code of GET /credit/deed-types")
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY, description="units of the type")
    description: Text = Field(min_length=1)
    evidence: list[Ref] = Field(default_factory=list, max_length=MAX_REFS)
    resident: Username | None = Field(
        None, description="the resident (a community worker records for a resident of their "
                          "community); a resident records for themselves")


class DeedCreated(BaseModel):
    id: str
    workflow_id: str
    status: str


class DeedListed(BaseModel):
    id: str
    workflow_id: str
    status: str
    resident: str
    community: str
    type_code: str
    type_name: str
    points_asked: int
    points_given: int | None
    recorded_by: str
    reported_at: LocalTime | None
    decided_at: LocalTime | None
    decided_by: str | None
    table_version: str


class DeedCaseOut(BaseModel):
    """The deed as its workflow sees it (domain.deed.DeedState), times in Asia/Shanghai."""

    id: str
    workflow_id: str
    status: str
    resident: str
    community: str
    community_name: str | None
    type_code: str
    type_name: str
    unit: str
    unit_points: int
    quantity: int
    description: str
    evidence: list[str]
    recorded_by: str
    recorder_role: str
    reported_at: LocalTime
    table_version: str
    points_asked: int
    points_approved: int | None = Field(description="what the community worker approved")
    points_given: int | None = Field(description="what posted (less if a cap left less room)")
    capped_by: str | None = Field(description="per_day, per_month or balance")
    transfer_id: str | None
    decided_by: str | None
    decided_at: LocalTime | None
    reason: str | None
    current_due_at: LocalTime | None


class DeedOut(BaseModel):
    case: DeedCaseOut
    open_task_ids: list[str]
    archived: bool = Field(description="read from the projection: the workflow is past "
                                       "Temporal's retention")


def forbidden(message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, message)


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def may_read(user: User, resident: str, community: str) -> bool:
    if user.role in SEE_ALL:
        return True
    if user.role in COMMUNITY_READERS:
        return user.department == community
    return user.role == CITIZEN and user.username == resident


@router.get("/deed-types", response_model=DeedTypesOut, responses=responses(401))
def get_deed_types(user: CurrentUser) -> DeedTypesOut:
    """The deed types and their points per unit, with the table's version."""
    table = deed_types()
    return DeedTypesOut(version=table.version,
                        types=[DeedTypeOut.model_validate(t.model_dump()) for t in table.types])


@router.post("/deeds", status_code=status.HTTP_201_CREATED, response_model=DeedCreated,
             responses=responses(401, 403, 413, 422, 503))
async def record_deed(body: DeedRequest, user: CurrentUser, session: SessionDep,
                      client: TemporalDep) -> DeedCreated:
    """Record a good deed: a resident for themselves, or a community worker for a resident of
    their own community (`resident`). A community worker of the community verifies it."""
    if user.role == CITIZEN:
        if body.resident not in (None, user.username):
            raise forbidden("a resident records their own good deeds only")
        home = session.get(ResidentRow, user.username)
        if home is None:
            raise forbidden("you are not a registered resident of a community")
    elif user.role == COMMUNITY_WORKER:
        if body.resident is None:
            raise unprocessable("resident: a community worker names the resident")
        home = session.get(ResidentRow, body.resident)
        person = session.get(User, body.resident)
        if home is None or person is None or person.role != CITIZEN:
            raise unprocessable(f"resident {body.resident!r} is not a registered resident")
        if home.community != user.department:
            raise forbidden(f"a community worker records deeds of their own community "
                            f"({user.department}) only")
    else:
        raise forbidden("good deeds are recorded by residents and community workers")
    table = deed_types()
    kind = table.type(body.type)
    if kind is None:
        raise unprocessable(f"unknown deed type {body.type!r} (GET /credit/deed-types)")
    community = session.get(CommunityRow, home.community)
    community_name = community.name if community else None
    session.close()  # don't hold a connection while Temporal starts the case
    now = datetime.now(UTC)
    policy = deed_policy()
    inp = await start_case(client, PROCESS, lambda case_id: DeedInput(
        id=case_id, resident=home.username, community=home.community,
        community_name=community_name, type=kind, quantity=body.quantity,
        description=body.description, evidence=body.evidence, recorded_by=actor_of(user),
        reported_at=now, table_version=table.version, caps=caps(), policy=policy), "the deed")
    return DeedCreated(id=inp.id, workflow_id=workflow_id_for(inp.id), status="verifying")


@router.get("/deeds", response_model=list[DeedListed], responses=responses(401, 422))
def list_deeds(user: CurrentUser, session: SessionDep,
               status_: str | None = Query(None, alias="status", max_length=20),
               limit: int = Query(100, ge=1, le=1000),
               offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[DeedListed]:
    """The deeds the caller may read, newest first: a resident's own, a community's for its
    community workers and head, all for auditors, admins and the command centre's lead."""
    query = select(DeedRow)
    if user.role in SEE_ALL:
        pass
    elif user.role in COMMUNITY_READERS and user.department:
        query = query.where(DeedRow.community == user.department)
    elif user.role == CITIZEN:
        query = query.where(DeedRow.resident == user.username)
    else:
        query = query.where(false())
    if status_:
        query = query.where(DeedRow.status == status_)
    query = query.order_by(col(DeedRow.reported_at).desc(), col(DeedRow.id))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [DeedListed.model_validate(r.model_dump(exclude={"state"})) for r in rows]


@router.get("/deeds/{case_id}", response_model=DeedOut,
            responses=responses(401, 403, 404, 422, 503))
async def get_deed(case_id: CaseId, user: CurrentUser, session: SessionDep,
                   client: TemporalDep) -> DeedOut:
    """The deed as its workflow sees it now (or, past retention, as projected)."""
    row = session.get(DeedRow, case_id)
    session.close()  # don't hold a connection while the workflow answers
    found = await live_view(client, workflow_id_for(case_id), DeedWorkflow.view)
    if found is not None:
        case, archived = found.case, False
    elif row is not None and row.state:
        case, archived = DeedState.model_validate(row.state), True
    else:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such deed")
    if not may_read(user, case.resident, case.community):
        raise forbidden("this deed is not yours to see")
    return DeedOut(case=DeedCaseOut.model_validate(case.model_dump()),
                   open_task_ids=list(case.open_task_ids), archived=archived)
