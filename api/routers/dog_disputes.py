"""Dog disputes (文明养犬: 自律 → 共律 → 法律): report one, follow it, list them; persuasion
visits, judicial confirmation and withdrawal; the convention and the figures
(docs/dog_disputes.md). The steps themselves are tasks, acted on through `/tasks`.

Who reads a dispute, as its list shows it: the command centre, auditors and admins; the people
of its community (its roles and its head); the 法律 tier's department once the case reached it;
and its parties (the reporter and the owner). The parties' contact details (from the resident
register: the workflow holds usernames only) are for the mediator, grid worker and head of the
community, the 法律 tier's officers and the command centre; each party sees its own.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
)
from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select
from temporalio.client import Client

from activities.dog_dispute import find_prior
from api.actions import send_update
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.dog_stats import COLUMNS, figures, read, table
from api.errors import responses
from api.live import live_view
from api.localtime import LocalTime
from api.policy import dog_policy
from api.reporting import start_case
from api.routers.dogs import community_of
from api.routers.tasks import Completion, TaskOut, case_view, precheck, task_out
from api.tables import export
from db.models import CommunityRow, DogDisputeRow, DogRow, ResidentRow, User
from domain.dog_dispute import (
    PROCESS,
    DogDisputeInput,
    DogDisputeState,
    IdentifiedData,
    Judicial,
    JudicialRequest,
    PriorQuery,
    Said,
    SaidShort,
    Status,
    Terms,
    Tier,
    Visit,
    VisitRequest,
    WithdrawRequest,
    opening,
    workflow_id_for,
)
from domain.dogs import Convention, convention
from domain.limits import (
    FIRST_DAY,
    LAST_DAY,
    MAX_OFFSET,
    MAX_REFS,
    Day,
    Ref,
    ShortText,
    Text,
    plain_text,
)
from domain.roles import (
    ADMIN,
    AUDITOR,
    BUILDING_LEADER,
    CITIZEN,
    COMMAND_LEAD,
    COMMUNITY_ROLES,
    COMMUNITY_WORKER,
    DEPT_HEAD,
    GRID_WORKER,
    OFFICER,
)
from domain.tasks import Task
from workflows.dog_dispute import POLICE, DogDisputeWorkflow

router = APIRouter(prefix="/dog-disputes", tags=["dog disputes"])

CaseId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Code = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Username = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
# A community code or 登记证号: looked up, so an unknown one gets its own sentence (422).
Key = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(plain_text)]
SEE_ALL = (COMMAND_LEAD, AUDITOR, ADMIN)
REPORTERS = (CITIZEN, GRID_WORKER, BUILDING_LEADER)
CONTACT_ROLES = (COMMUNITY_WORKER, GRID_WORKER, DEPT_HEAD)  # of the dispute's community
NO_CASE = "no such dispute"


# --- bodies and answers --------------------------------------------------------------------


class DogDisputeRequest(BaseModel):
    """A report. Every field is bounded (issue 6): the report becomes the case's workflow
    input. Evidence is references to stored files or URLs, never the bytes."""

    community: Key = Field(description="社区代码, e.g. baijiayuan (GET /communities)")
    behaviour: StrictInt = Field(ge=1, le=11,
                                 description="公约条款 1-11 (GET /dog-disputes/convention)")
    place: ShortText = Field(description="地点, e.g. 3栋电梯口")
    description: Text = Field(description="发生了什么")
    dog_id: Key | None = Field(None, description="登记证号, if known (GET /dogs)")
    owner: Username | None = Field(None, description="养犬人的用户名, if known; with `dog_id`, "
                                   "the registry's owner")
    evidence: list[Ref] = Field(default=[], max_length=MAX_REFS,
                                description="证据：http(s) URL 或 `media:` 编号")
    urgent: bool = Field(False, description="伤人、打斗等可能激化的情况（人民调解法第二十五条）："
                                            "直接移交公安")

    @field_validator("place", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class DogDisputeCreated(BaseModel):
    id: str
    workflow_id: str
    status: Status
    tier: Tier


class VisitBody(BaseModel):
    note: Said = Field(description="劝导情况")


class JudicialBody(BaseModel):
    court: SaidShort = Field(description="受理司法确认申请的人民法院")
    note: Text | None = None


class WithdrawBody(BaseModel):
    reason: Said = Field(description="撤回理由")


class VisitOut(Visit):
    at: LocalTime


class JudicialOut(Judicial):
    at: LocalTime


class MediationOut(BaseModel):
    started_at: LocalTime
    due_at: LocalTime
    mediator: str | None
    session_at: LocalTime | None
    session_place: str | None
    consents: dict[str, str]
    participants: list[str]
    terms: Terms | None
    agreed_at: LocalTime | None
    judicial_due_at: LocalTime | None
    judicial: JudicialOut | None
    failed_reason: str | None
    performed: bool | None
    breach: str | None


class EnforcementOut(BaseModel):
    department: str | None
    role: str
    decision: str | None
    amount: float | None
    serious: bool
    record: str | None
    by: str | None
    at: LocalTime | None


class OutcomeOut(BaseModel):
    tier: Tier
    result: str
    at: LocalTime
    by: str | None
    note: str | None


class PartyOut(BaseModel):
    """A party: contact details only to those who may have them (else null)."""

    username: str
    role: Literal["reporter", "owner"]
    display_name: str | None
    building: str | None
    room: str | None
    phone: str | None


class DogDisputeOut(BaseModel):
    """The dispute as its workflow sees it now (domain.dog_dispute.DogDisputeState), its
    parties and the tasks the caller may see; `archived`: from the projection."""

    id: str
    workflow_id: str
    status: Status
    tier: Tier
    community: str
    community_name: str
    street: str
    behaviour: int
    behaviour_name: str
    rule: str
    convention_version: str
    place: str
    description: str
    dog_id: str | None
    owner: str | None
    reporter: str
    reporter_role: str
    urgent: bool
    evidence: list[str] = Field(description="to staff and the reporter only")
    reported_at: LocalTime
    started_tier: Tier
    path: list[Tier]
    start_reason: str | None
    prior_id: str | None
    owner_unknown: str | None
    owner_answer: str | None
    correction: str | None
    correct_due_at: LocalTime | None
    confirmation: str | None
    visits: list[VisitOut]
    mediation: MediationOut | None
    past_mediations: list[MediationOut] = Field(
        default=[], description="earlier rounds, before a recurrence reopened 共律")
    enforcement: EnforcementOut | None
    outcomes: list[OutcomeOut]
    ended_tier: Tier | None
    resolved_at: LocalTime | None
    follow_up_at: LocalTime | None
    recurrences: int
    closed_at: LocalTime | None
    open_task_ids: list[str]
    current_due_at: LocalTime | None
    version: int
    parties: list[PartyOut]
    tasks: list[TaskOut]
    archived: bool = False


class DogDisputeListed(BaseModel):
    """A dispute in a list (the projection)."""

    id: str
    workflow_id: str
    status: str
    tier: str
    community: str
    community_name: str | None
    street: str
    behaviour: int
    behaviour_name: str | None
    place: str | None
    dog_id: str | None
    owner: str | None
    reporter: str
    urgent: bool
    started_tier: str
    ended_tier: str | None
    result: str | None
    path: list[str]
    reported_at: LocalTime | None
    resolved_at: LocalTime | None
    closed_at: LocalTime | None
    current_due_at: LocalTime | None
    recurrences: int
    prior_id: str | None
    version: int


class BehaviourCount(BaseModel):
    code: int
    name: str
    count: int


class ResultCount(BaseModel):
    result: str
    name: str
    count: int


class TierEnded(BaseModel):
    tier: Tier
    name: str
    count: int
    results: list[ResultCount]


class TierShare(BaseModel):
    tier: Tier
    name: str
    reached: int = Field(description="disputes whose path reached the tier")
    resolved: int = Field(description="of those, resolved at the tier")
    share: float | None


class DogFigures(BaseModel):
    """Definitions in api/dog_stats.py and the README."""

    model_config = ConfigDict(populate_by_name=True)

    communities: list[str] | None = Field(description="the communities counted; null: all")
    from_: date | None = Field(alias="from")
    to: date | None
    disputes: int
    by_behaviour: list[BehaviourCount]
    by_ended_tier: list[TierEnded]
    resolved_share: list[TierShare]
    resolved: int
    median_days_to_resolution: float | None
    recurrences: int
    from_prior: int


# --- who reads what ------------------------------------------------------------------------


def of_community(user: User, community: str) -> bool:
    """One of the community's people, or its head (their department is its code)."""
    return user.role in (*COMMUNITY_ROLES, DEPT_HEAD) and user.department == community


def legal_codes(department: str) -> list[int]:
    """The behaviours whose 法律 tier is the department's officers (the current convention)."""
    return [b.code for b in convention().behaviours
            if b.legal_role == OFFICER and b.legal_department == department]


def readable(user: User) -> Any:
    """The disputes the caller may read, as a WHERE clause; None: all of them."""
    if user.role in SEE_ALL:
        return None
    row = DogDisputeRow
    clauses = []
    if user.department and user.role in (*COMMUNITY_ROLES, DEPT_HEAD):
        clauses.append(row.community == user.department)
    if user.department and user.role in (OFFICER, DEPT_HEAD):
        # A case never leaves 法律 once there (a recurrence reopens it there), so `tier` tells
        # whether it reached it; urgent reports go to 公安 whatever the behaviour.
        legal = [and_(col(row.behaviour).in_(legal_codes(user.department)),
                      col(row.urgent).is_(False))]
        if user.department == POLICE:
            legal.append(col(row.urgent).is_(True))
        clauses.append(and_(row.tier == "legal", or_(*legal)))
    if user.role == CITIZEN:
        clauses.append(or_(row.reporter == user.username, row.owner == user.username))
    return or_(*clauses) if clauses else false()


def may_read(user: User, case: DogDisputeState) -> bool:
    """The rule of `readable`, for one case the workflow answered for."""
    if user.role in SEE_ALL or of_community(user, case.community):
        return True
    e = case.enforcement
    if e is not None and e.department and user.role in (OFFICER, DEPT_HEAD) \
            and user.department == e.department:
        return True
    return user.role == CITIZEN and user.username in case.parties


def sees_contacts(user: User, case: DogDisputeState) -> bool:
    """Staff who need to reach the parties: not property, volunteers or building leaders."""
    if user.role in SEE_ALL:
        return True
    if user.role in CONTACT_ROLES and user.department == case.community:
        return True
    e = case.enforcement
    return (e is not None and e.role == OFFICER and user.role in (OFFICER, DEPT_HEAD)
            and user.department == e.department)


def parties(session: Session, user: User, case: DogDisputeState) -> list[PartyOut]:
    people = [(case.reporter, "reporter")] + ([(case.owner, "owner")] if case.owner else [])
    names = [name for name, _ in people]
    users = {u.username: u for u in session.exec(
        select(User).where(col(User.username).in_(names))).all()}
    homes = {r.username: r for r in session.exec(
        select(ResidentRow).where(col(ResidentRow.username).in_(names))).all()}
    staff = sees_contacts(user, case)
    out = []
    for name, role in people:
        home = homes.get(name) if staff or name == user.username else None
        person = users.get(name)
        out.append(PartyOut(username=name, role=role,  # type: ignore[arg-type]
                            display_name=person.display_name if person else None,
                            building=home.building if home else None,
                            room=home.room if home else None, phone=home.phone if home else None))
    return out


def present(session: Session, user: User, case: DogDisputeState, tasks: list[Task],
            archived: bool = False) -> DogDisputeOut:
    """The case as the caller may see it: a resident sees only their own tasks, and the
    evidence only if they reported it."""
    data = case.model_dump()
    if user.role == CITIZEN:
        tasks = [t for t in tasks if t.assignee_user == user.username]
        if user.username != case.reporter:
            data["evidence"] = []
    return DogDisputeOut.model_validate(data | {
        "parties": parties(session, user, case), "tasks": [task_out(t) for t in tasks],
        "archived": archived})


@case_view(PROCESS)
def party_case(user: User, case: dict[str, Any]) -> dict[str, Any]:
    """An action's answer to a resident (their correction, confirmation, consent): the case,
    without the evidence unless they reported it."""
    if case.get("reporter") == user.username:
        return case
    return {k: v for k, v in case.items() if k != "evidence"}


@precheck(PROCESS)
def check_owner(session: Session, body: Completion, workflow_id: str) -> None:
    """The owner the grid worker identifies is a resident of the dispute's community (the
    workflow cannot look)."""
    if body.decision != "identified":
        return
    try:
        owner = IdentifiedData.model_validate(body.data).owner
    except ValidationError:
        return  # the workflow's validator names the bad field
    case = session.exec(select(DogDisputeRow).where(
        DogDisputeRow.workflow_id == workflow_id)).first()
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such task")
    person = session.get(User, owner)
    home = session.get(ResidentRow, owner)
    if person is None or person.role != CITIZEN or home is None or home.community != case.community:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"data.owner: {owner!r} is not a registered resident of the "
                            f"community {case.community}")


# --- routes --------------------------------------------------------------------------------


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def forbidden(message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, message)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DogDisputeCreated,
             responses=responses(401, 403, 413, 422, 503))
async def report(body: DogDisputeRequest, user: CurrentUser, session: SessionDep,
                 client: TemporalDep) -> DogDisputeCreated:
    """Report a dispute: a resident anywhere, a grid worker or building leader in their own
    community. It starts at 自律, or where the input sends it (urgent, banned or unregistered
    dog, a recent dispute of the same owner and behaviour): `tier` says which."""
    if user.role not in REPORTERS:
        raise forbidden("residents, grid workers and building leaders report dog disputes")
    community = session.get(CommunityRow, body.community)
    if community is None:
        raise unprocessable(f"unknown community {body.community!r} (GET /communities)")
    if user.role != CITIZEN and user.department != community.code:
        raise forbidden(f"a {user.role} reports in their own community ({user.department}) only")
    rules = convention()
    rule = rules.behaviour(body.behaviour)
    if rule is None:
        raise unprocessable(f"the convention has no behaviour {body.behaviour}")
    owner, banned = body.owner, False
    if body.dog_id is not None:
        dog = session.get(DogRow, body.dog_id)
        if dog is None:
            raise unprocessable(f"dog {body.dog_id!r} is not in the dog registry (养犬登记)")
        if dog.community != community.code:
            raise unprocessable(f"dog {dog.dog_id} is registered in {dog.community}, "
                                f"not in {community.code}")
        if owner is not None and owner != dog.owner:
            raise unprocessable(f"{owner} is not the owner of dog {dog.dog_id} in the registry")
        owner, banned = dog.owner, dog.banned
    if owner is not None:
        person = session.get(User, owner)
        if person is None or person.role != CITIZEN:
            raise unprocessable(f"owner {owner!r} is not a resident's account")
        if owner == user.username:
            raise unprocessable("you cannot report your own dog")
    now = datetime.now(UTC)
    policy = dog_policy()
    prior = find_prior(session, PriorQuery(
        owner=owner, behaviour=rule.code, community=community.code,
        since=now - timedelta(days=policy.recurrence_days), exclude_id="")) if owner else None
    place = {"community": community.code, "community_name": community.name,
             "street": community.street}
    session.close()  # don't hold a connection while Temporal starts the case
    inp = await start_case(client, PROCESS, lambda case_id: DogDisputeInput(
        id=case_id, **place, behaviour=rule, convention_version=rules.version,
        place=body.place, description=body.description, dog_id=body.dog_id,
        dog_banned=banned, owner=owner, urgent=body.urgent, evidence=body.evidence,
        prior=prior, reporter=actor_of(user), reported_at=now, policy=policy), "the dispute")
    tier, _ = opening(inp)
    return DogDisputeCreated(id=inp.id, workflow_id=workflow_id_for(inp.id), status=tier,
                             tier=tier)


@router.get("", response_model=list[DogDisputeListed], responses=responses(401, 422))
def list_disputes(user: CurrentUser, session: SessionDep, community: Code = None,
                  tier: Tier | None = None, status_: Status | None = Query(None, alias="status"),
                  behaviour: int | None = Query(None, ge=1, le=11),
                  limit: int = Query(100, ge=1, le=1000),
                  offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[DogDisputeListed]:
    """The disputes the caller may read, newest first (anyone else: none)."""
    query = select(DogDisputeRow)
    where = readable(user)
    if where is not None:
        query = query.where(where)
    if community:
        query = query.where(DogDisputeRow.community == community)
    if tier:
        query = query.where(DogDisputeRow.tier == tier)
    if status_:
        query = query.where(DogDisputeRow.status == status_)
    if behaviour:
        query = query.where(DogDisputeRow.behaviour == behaviour)
    query = query.order_by(col(DogDisputeRow.reported_at).desc(), col(DogDisputeRow.id))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [DogDisputeListed.model_validate(
        r.model_dump(exclude={"state"}) | {k: (r.state or {}).get(k) for k in (
            "community_name", "behaviour_name", "place")}) for r in rows]


def stats_scope(session: Session, user: User, community: str | None) -> list[str] | None:
    """The communities the caller asks about and may see (None: all), or 403."""
    if user.role in SEE_ALL:
        return [community] if community else None
    mine = community_of(session, user)
    if mine is not None:
        if community not in (None, mine):
            raise forbidden(f"you see the figures of your own community ({mine}) only")
        return [mine]
    if user.role == DEPT_HEAD and user.department:
        street = list(session.exec(select(CommunityRow.code).where(
            CommunityRow.street == user.department)).all())
        if street:
            if community is not None and community not in street:
                raise forbidden("you see the figures of your street's communities only")
            return [community] if community else street
    raise forbidden("dog-dispute figures are for the command centre, auditors, admins, and a "
                    "community's or street's own people")


@router.get("/stats", response_model=DogFigures, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}} | responses(401, 403, 422))
def dispute_stats(user: CurrentUser, session: SessionDep, community: Code = None,
                  from_: Day | None = Query(None, alias="from", description=(
                      f"first day reported, Asia/Shanghai; {FIRST_DAY} to {LAST_DAY}")),
                  to: Day | None = Query(None, description=(
                      f"last day reported (inclusive), Asia/Shanghai; {FIRST_DAY} to {LAST_DAY}")),
                  format: Literal["json", "csv"] = "json") -> Any:
    """Disputes by behaviour and by the tier where they ended, the share resolved at each
    tier, the median days to resolution and recurrences; definitions in the README."""
    if community is not None and session.get(CommunityRow, community) is None:
        raise unprocessable(f"unknown community {community!r} (GET /communities)")
    scope = stats_scope(session, user, community)
    if from_ and to and to < from_:
        raise unprocessable("'to' is before 'from'")
    figs = figures(read(session, scope, from_, to), convention())
    if format == "csv":
        span = f"{from_ or 'start'}-{to or 'now'}"
        return export(table(figs), "csv", f"dog-dispute-stats-{span}", COLUMNS)
    return DogFigures.model_validate(figs | {"communities": scope, "from": from_, "to": to})


@router.get("/convention", response_model=Convention, responses=responses(401))
def get_convention(user: CurrentUser) -> Convention:
    """The convention's eleven behaviours (who handles each, the 法律 tier, fines and 收容) and
    the 重庆市养犬管理条例's figures, as new disputes take them."""
    return convention()


async def read_case(session: Session, user: User, client: Client, case_id: str) -> DogDisputeOut:
    """The case from its workflow, or past Temporal's retention from the projection
    (`archived`); 404 unknown, 403 not the caller's to read."""
    session.close()  # don't hold a connection while the workflow answers
    found = await live_view(client, workflow_id_for(case_id), DogDisputeWorkflow.view)
    if found is not None:
        case, tasks, archived = found.case, found.tasks, False
    else:
        row = session.get(DogDisputeRow, case_id)
        if row is None or not row.state:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_CASE)
        case, tasks, archived = DogDisputeState.model_validate(row.state), [], True
    if not may_read(user, case):
        raise forbidden("this dispute is not yours to see")
    return present(session, user, case, tasks, archived)


@router.get("/{case_id}", response_model=DogDisputeOut,
            responses=responses(401, 403, 404, 422, 503))
async def get_dispute(case_id: CaseId, user: CurrentUser, session: SessionDep,
                      client: TemporalDep) -> DogDisputeOut:
    """The dispute as its workflow sees it now, its parties and tasks."""
    return await read_case(session, user, client, case_id)


def known(session: Session, case_id: str) -> bool:
    """Whether the case is projected: else a missing workflow is a 404, not a 409."""
    found = session.get(DogDisputeRow, case_id) is not None
    session.close()  # don't hold a connection while the workflow works
    return found


@router.post("/{case_id}/visits", status_code=status.HTTP_201_CREATED, response_model=VisitOut,
             responses=responses(401, 403, 404, 409, 413, 422, 503))
async def record_visit(case_id: CaseId, body: VisitBody, user: CurrentUser,
                       session: SessionDep, client: TemporalDep) -> VisitOut:
    """A persuasion visit (劝导) by property management or a volunteer of the community,
    while a tier works on the case."""
    visit = await send_update(
        client, workflow_id_for(case_id), "record_visit",
        VisitRequest(actor=actor_of(user), note=body.note), Visit,
        known=known(session, case_id), missing=NO_CASE)
    return VisitOut.model_validate(visit.model_dump())


@router.post("/{case_id}/judicial-confirmation", status_code=status.HTTP_201_CREATED,
             response_model=JudicialOut, responses=responses(401, 403, 404, 409, 413, 422, 503))
async def apply_judicial(case_id: CaseId, body: JudicialBody, user: CurrentUser,
                         session: SessionDep, client: TemporalDep) -> JudicialOut:
    """A party's application for judicial confirmation (司法确认) of the mediation agreement,
    within its window (人民调解法第三十三条); without an agreement or later: 409."""
    judicial = await send_update(
        client, workflow_id_for(case_id), "apply_judicial",
        JudicialRequest(actor=actor_of(user), court=body.court, note=body.note), Judicial,
        known=known(session, case_id), missing=NO_CASE)
    return JudicialOut.model_validate(judicial.model_dump())


@router.post("/{case_id}/withdraw", response_model=DogDisputeOut,
             responses=responses(401, 403, 404, 409, 413, 422, 503))
async def withdraw(case_id: CaseId, body: WithdrawBody, user: CurrentUser,
                   session: SessionDep, client: TemporalDep) -> DogDisputeOut:
    """The reporter withdraws the dispute during 自律 or 共律; the answer is the case."""
    workflow_id = workflow_id_for(case_id)
    state = await send_update(
        client, workflow_id, "withdraw", WithdrawRequest(actor=actor_of(user), reason=body.reason),
        DogDisputeState, known=known(session, case_id), missing=NO_CASE)
    found = await live_view(client, workflow_id, DogDisputeWorkflow.view)
    if found is not None:
        return present(session, user, found.case, found.tasks)
    return present(session, user, state, [])

