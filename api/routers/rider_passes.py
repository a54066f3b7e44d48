"""惠新码 rider passes (issue 10): applying, reading, the union's and rider's actions, the
gates, and the riders' service requests.

One RiderPassWorkflow per pass (`rider-pass-<id>`). Personal data stays in `rider_profile`:
the ID number only as a keyed hash and its last four characters; the name and phone are shown
masked, and only to the rider and the union's reviewers. The review is acted on through
`/tasks` like every step; suspend, reinstate, revoke, renew and cancel are
`POST /rider-passes/{id}/actions`.
"""

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.actions import send_update
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.live import live_view
from api.localtime import LocalTime
from api.policy import rider_pass_policy, rider_service_policy
from api.reporting import new_case_id, start_case, unprocessable
from api.routers.tasks import Completion, precheck
from db.locks import hold_lock
from db.models import (
    CommunityRow,
    GateRow,
    RiderPassRow,
    RiderProfileRow,
    RiderServiceRow,
    User,
)
from domain.id_number import id_number_problem, keyed_hash, mask_name, mask_phone
from domain.limits import Ref, ShortText, Text
from domain.rider_pass import (
    PROCESS,
    STATUS_NAMES,
    PassAction,
    PassActionName,
    Platform,
    RiderPassInput,
    RiderPassState,
    workflow_id_for,
)
from domain.rider_service import (
    MODULE_NAMES,
    Module,
    RateRequest,
    RiderServiceInput,
    RiderServiceState,
)
from domain.rider_service import PROCESS as SERVICE
from domain.rider_service import STATUS_NAMES as SERVICE_STATUS
from domain.rider_service import workflow_id_for as service_workflow_id
from domain.roles import ADMIN, AUDITOR, LEGAL_AID, RIDER, UNION_REVIEWER, UNION_WORKER
from security import InsecureSecret, id_hash_secret
from workflows.registry import processes
from workflows.rider_service import RiderServiceWorkflow

log = logging.getLogger(__name__)
router = APIRouter(tags=["惠新码 rider pass"])

LIVE = ("reviewing", "active", "suspended")
UNION_READERS = (UNION_REVIEWER, UNION_WORKER, ADMIN, AUDITOR)
SEES_PERSONAL = (UNION_REVIEWER,)  # besides the rider: who certifies the person
PASS_ID = Path(max_length=64, pattern=r"^[\w-]+$")
REQUEST_ID = Path(max_length=64, pattern=r"^[\w-]+$")  # a Path is bound to one name


class Application(BaseModel):
    name: ShortText = Field(min_length=1, max_length=40)
    phone: str = Field(pattern=r"^1\d{10}$", description="a mainland mobile number")
    id_number: str = Field(min_length=18, max_length=18, description="GB 11643, 18 characters")
    platform: Platform
    platform_rider_id: str = Field(min_length=1, max_length=40, pattern=r"^[\w-]+$")
    photo: Ref = Field(description="a URL or file reference of the rider's photo")


class Created(BaseModel):
    id: str
    workflow_id: str
    status: str


class Person(BaseModel):
    masked_name: str
    masked_phone: str
    id_last4: str
    platform_rider_id: str
    photo: str


class PassOut(BaseModel):
    id: str
    workflow_id: str
    rider: str
    platform: str
    status: str
    status_name: str
    scope: Any = Field(description='"district" or a list of community codes')
    applied_at: LocalTime | None
    approved_at: LocalTime | None
    valid_until: LocalTime | None
    reminded_at: LocalTime | None = None
    renewing: bool = False
    reason: str | None = None
    open_task_ids: list[str] = []
    person: Person | None = Field(None, description="the rider and union reviewers only")


class ActionIn(BaseModel):
    action: PassActionName
    reason: ShortText | None = None


class GateOut(BaseModel):
    id: str
    name: str
    community: str


def _out(row: RiderPassRow, user: User, profile: RiderProfileRow | None) -> PassOut:
    state = row.state or {}
    person = None
    if profile is not None and (user.username == row.rider or user.role in SEES_PERSONAL):
        person = Person(masked_name=mask_name(profile.name),
                        masked_phone=mask_phone(profile.phone), id_last4=profile.id_last4,
                        platform_rider_id=profile.platform_rider_id, photo=profile.photo)
    return PassOut(
        id=row.id, workflow_id=row.workflow_id, rider=row.rider, platform=row.platform,
        status=row.status, status_name=STATUS_NAMES.get(row.status, row.status),
        scope=row.scope, applied_at=row.applied_at, approved_at=row.approved_at,
        valid_until=row.valid_until, reminded_at=state.get("reminded_at"),
        renewing=bool(state.get("renewing")), reason=state.get("reason"),
        open_task_ids=list(state.get("open_task_ids", [])), person=person)


def _readable(session: Session, user: User, pass_id: str) -> RiderPassRow:
    """The pass, if `user` may read it: its rider, or the union's staff (404 otherwise, as
    for a pass that does not exist)."""
    row = session.get(RiderPassRow, pass_id)
    if row is None or not (row.rider == user.username or user.role in UNION_READERS):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such rider pass")
    return row


@router.post("/rider-passes", status_code=status.HTTP_201_CREATED, response_model=Created,
             responses=responses(401, 403, 409, 422, 503))
async def apply(body: Application, user: CurrentUser, session: SessionDep,
                client: TemporalDep) -> Created:
    """申请惠新码 (riders): one live pass per rider; a wrong ID check character is a 422."""
    if user.role != RIDER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "惠新码 is applied for by riders")
    problem = id_number_problem(body.id_number)
    if problem:
        raise unprocessable(f"id_number: {problem}")
    try:
        id_hash = keyed_hash(body.id_number, id_hash_secret())
    except InsecureSecret as err:
        log.error("rider pass application refused: %s", err)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "applications are closed until the server is configured") from err
    now = datetime.now(UTC)
    hold_lock(session, f"rider-pass:{user.username}")  # two applications at once: one wins
    live = session.exec(select(RiderPassRow).where(RiderPassRow.rider == user.username,
                                                   col(RiderPassRow.status).in_(LIVE))).first()
    if live is not None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"您已有惠新码 {live.id}（{STATUS_NAMES[live.status]}），不能重复申请")
    other = session.exec(select(RiderProfileRow).where(
        RiderProfileRow.id_hash == id_hash, RiderProfileRow.username != user.username)).first()
    if other is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "这个身份证号已由另一个骑手账号申请")
    profile = session.get(RiderProfileRow, user.username) or RiderProfileRow(
        username=user.username, name="", phone="", id_hash="", id_last4="", platform="",
        platform_rider_id="", photo="")
    profile.name, profile.phone, profile.photo = body.name, body.phone, body.photo
    profile.id_hash, profile.id_last4 = id_hash, body.id_number.strip().upper()[-4:]
    profile.platform, profile.platform_rider_id = body.platform, body.platform_rider_id
    profile.updated_at = now
    session.add(profile)
    pass_id = new_case_id()
    session.add(RiderPassRow(id=pass_id, workflow_id=workflow_id_for(pass_id),
                             rider=user.username, platform=body.platform, status="reviewing",
                             scope="district", applied_at=now, state={}, version=0))
    session.commit()  # the row holds the place: a second application now finds it
    session.close()
    inp = RiderPassInput(id=pass_id, rider=user.username, platform=body.platform,
                         applied_at=now, policy=rider_pass_policy())
    try:
        await processes()[PROCESS].start(client, pass_id, inp)
    except (RPCError, WorkflowAlreadyStartedError) as err:
        with Session(session.get_bind()) as cleanup:  # nothing was started: free the place
            row = cleanup.get(RiderPassRow, pass_id)
            if row is not None:
                cleanup.delete(row)
                cleanup.commit()
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the application cannot be started now; try again") from err
    return Created(id=pass_id, workflow_id=workflow_id_for(pass_id), status="reviewing")


@router.get("/rider-passes", response_model=list[PassOut], responses=responses(401, 403, 422))
def list_passes(user: CurrentUser, session: SessionDep,
                status_: Literal["reviewing", "active", "suspended", "expired", "revoked",
                                 "rejected", "cancelled"] | None = Query(None, alias="status"),
                limit: int = Query(100, ge=1, le=1000),
                offset: int = Query(0, ge=0, le=100_000)) -> list[PassOut]:
    """The passes (union staff, admin, auditors), newest first; a rider sees their own."""
    query = select(RiderPassRow)
    if user.role == RIDER:
        query = query.where(RiderPassRow.rider == user.username)
    elif user.role not in UNION_READERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "passes are read by the union's staff")
    if status_:
        query = query.where(RiderPassRow.status == status_)
    rows = session.exec(query.order_by(col(RiderPassRow.applied_at).desc())
                        .offset(offset).limit(limit)).all()
    profiles = {p.username: p for p in session.exec(select(RiderProfileRow).where(
        col(RiderProfileRow.username).in_({r.rider for r in rows})))} if rows else {}
    return [_out(r, user, profiles.get(r.rider)) for r in rows]


@router.get("/rider-passes/{pass_id}", response_model=PassOut,
            responses=responses(401, 404, 422))
def get_pass(user: CurrentUser, session: SessionDep, pass_id: str = PASS_ID) -> PassOut:
    """One pass: its rider, or the union's staff."""
    row = _readable(session, user, pass_id)
    return _out(row, user, session.get(RiderProfileRow, row.rider))


@router.post("/rider-passes/{pass_id}/actions", response_model=PassOut,
             responses=responses(401, 403, 404, 409, 422, 503))
async def act_on_pass(body: ActionIn, user: CurrentUser, session: SessionDep,
                      client: TemporalDep, pass_id: str = PASS_ID) -> PassOut:
    """The union suspends, reinstates or revokes (with a reason); the rider renews (in the
    30 days before the end) or cancels. The workflow's validator answers 403/409/422 before
    anything is written."""
    row = _readable(session, user, pass_id)
    profile = session.get(RiderProfileRow, row.rider)
    session.close()
    state = await send_update(client, row.workflow_id, "change", PassAction(
        action=body.action, reason=body.reason, actor=actor_of(user)), RiderPassState)
    row.status, row.scope = state.status, state.scope
    row.valid_until, row.approved_at = state.valid_until, state.approved_at
    row.state = state.model_dump(mode="json")
    return _out(row, user, profile)


@router.get("/gates", response_model=list[GateOut], responses=responses(401))
def list_gates(user: CurrentUser, session: SessionDep) -> list[GateOut]:
    """The community gates that verify 惠新码, and their communities."""
    return [GateOut(id=g.id, name=g.name, community=g.community)
            for g in session.exec(select(GateRow).order_by(GateRow.id))]


@precheck(PROCESS)
def check_scope(session: Session, body: Completion, workflow_id: str) -> None:
    """An approval's scope names communities that exist."""
    scope = body.data.get("scope") if body.decision == "approve" else None
    if not isinstance(scope, list):
        return  # "district", or the workflow's validator answers
    unknown = [c for c in scope if not isinstance(c, str) or session.get(CommunityRow, c) is None]
    if unknown:
        raise unprocessable(f"data.scope: 没有这些社区：{', '.join(map(str, unknown[:10]))}")


# -- service requests (心灵驿站, 政策法规, 就业服务, 权益维护) ---------------------------------


class ServiceIn(BaseModel):
    module: Module
    text: Text = Field(min_length=2)


class ServiceOut(BaseModel):
    id: str
    workflow_id: str
    module: str
    module_name: str
    status: str
    status_name: str
    text: str
    asked_at: LocalTime | None
    answer: str | None = None
    outcome: str | None = None
    closed_at: LocalTime | None = None
    rating: int | None = None
    open_task_ids: list[str] = []


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5)


def _service_out(row: RiderServiceRow) -> ServiceOut:
    state = row.state or {}
    return ServiceOut(
        id=row.id, workflow_id=row.workflow_id, module=row.module,
        module_name=MODULE_NAMES.get(row.module, row.module), status=row.status,
        status_name=SERVICE_STATUS.get(row.status, row.status), text=state.get("text", ""),
        asked_at=row.asked_at, answer=state.get("answer"), outcome=state.get("outcome"),
        closed_at=row.closed_at, rating=row.rating,
        open_task_ids=list(state.get("open_task_ids", [])))


def _state_out(case: RiderServiceState) -> ServiceOut:
    return ServiceOut(
        id=case.id, workflow_id=case.workflow_id, module=case.module,
        module_name=MODULE_NAMES[case.module], status=case.status,
        status_name=SERVICE_STATUS.get(case.status, case.status), text=case.text,
        asked_at=case.asked_at, answer=case.answer, outcome=case.outcome,
        closed_at=case.closed_at, rating=case.rating, open_task_ids=list(case.open_task_ids))


def _services_of(user: User) -> Any:
    c = RiderServiceRow.__table__.c
    if user.role == RIDER:
        return c.rider == user.username
    if user.role in UNION_READERS:
        return None
    if user.role == LEGAL_AID:
        return c.referred.is_(True)
    raise HTTPException(status.HTTP_403_FORBIDDEN, "service requests are the riders' and the "
                        "union's")


@router.post("/rider-services", status_code=status.HTTP_201_CREATED, response_model=ServiceOut,
             responses=responses(401, 403, 422, 503))
async def ask(body: ServiceIn, user: CurrentUser, session: SessionDep,
              client: TemporalDep) -> ServiceOut:
    """A rider's request to one of the four modules: a union worker answers within the limit;
    a rights case may go on to legal aid."""
    if user.role != RIDER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "service requests are made by riders")
    session.close()
    now = datetime.now(UTC)
    policy = rider_service_policy()
    inp = await start_case(client, SERVICE, lambda case_id: RiderServiceInput(
        id=case_id, rider=user.username, module=body.module, text=body.text, asked_at=now,
        policy=policy), "the request")
    return ServiceOut(id=inp.id, workflow_id=service_workflow_id(inp.id), module=inp.module,
                      module_name=MODULE_NAMES[inp.module], status="open",
                      status_name=SERVICE_STATUS["open"], text=inp.text, asked_at=now)


@router.get("/rider-services", response_model=list[ServiceOut],
            responses=responses(401, 403, 422))
def list_services(user: CurrentUser, session: SessionDep,
                  module: Module | None = None,
                  limit: int = Query(100, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=100_000)) -> list[ServiceOut]:
    """A rider's own requests; all for the union's staff; referred ones for legal aid."""
    where = _services_of(user)
    query = select(RiderServiceRow)
    if where is not None:
        query = query.where(where)
    if module:
        query = query.where(RiderServiceRow.module == module)
    rows = session.exec(query.order_by(col(RiderServiceRow.asked_at).desc())
                        .offset(offset).limit(limit)).all()
    return [_service_out(r) for r in rows]


@router.get("/rider-services/{request_id}", response_model=ServiceOut,
            responses=responses(401, 403, 404, 422, 503))
async def get_service(user: CurrentUser, session: SessionDep, client: TemporalDep,
                      request_id: str = REQUEST_ID) -> ServiceOut:
    """The request as its workflow sees it now (so right after it is made, before its row is
    projected), or, past retention, as projected."""
    where = _services_of(user)
    row = session.get(RiderServiceRow, request_id)
    session.close()  # don't hold a connection while the workflow answers
    found = await live_view(client, service_workflow_id(request_id), RiderServiceWorkflow.view)
    if found is None and row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such request")
    out = _state_out(found.case) if found is not None else _service_out(row)
    referred = found.case.referred_at is not None if found is not None else row.referred
    rider = found.case.rider if found is not None else row.rider
    if where is not None and not (rider == user.username if user.role == RIDER else referred):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such request")
    return out


@router.post("/rider-services/{request_id}/rating", response_model=ServiceOut,
             responses=responses(401, 403, 404, 409, 422, 503))
async def rate_service(body: RatingIn, user: CurrentUser, session: SessionDep,
                       client: TemporalDep, request_id: str = REQUEST_ID) -> ServiceOut:
    """The rider rates the answer once (1-5), after it came."""
    row = session.get(RiderServiceRow, request_id)
    if row is None or row.rider != user.username:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such request of yours")
    session.close()
    state = await send_update(client, row.workflow_id, "rate", RateRequest(
        actor=actor_of(user), stars=body.stars), RiderServiceState)
    row.rating, row.state = state.rating, state.model_dump(mode="json")
    return _service_out(row)
