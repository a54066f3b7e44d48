"""Incident cases: report, follow, list (城市运行管理服务平台)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.live import live_view
from api.localtime import LocalTime
from api.reporting import Submission, submit
from api.routers.tasks import Completion, TaskOut, case_view, precheck, task_out
from api.stats import table
from api.tables import MEDIA, export
from db.models import Category, IncidentReporter, IncidentRow, User
from domain.departments import DEPARTMENTS
from domain.incident import (
    OPEN_STATUSES,
    PROCESS,
    CategoryInfo,
    IncidentState,
    Location,
    Report,
    Status,
    workflow_id_for,
)
from domain.limits import (
    FIRST_DAY,
    LAST_DAY,
    MAX_AHEAD,
    MAX_OFFSET,
    MAX_REFS,
    Day,
    Ref,
    ShortText,
    Text,
    within_reach,
)
from domain.roles import DISTRICT_STAFF, allowed_source
from domain.tasks import Task
from domain.timefmt import SHANGHAI
from workflows.incident import IncidentWorkflow

router = APIRouter(prefix="/incidents", tags=["incidents"])

Source = Literal["citizen", "inspector", "ai_video", "city_dispatch"]
XLSX = MEDIA["xlsx"]
# Case ids are a date and hex digits; a bound keeps odd path text away from the database.
CaseId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class IncidentReport(BaseModel):
    """A report. Every field is bounded (issue 6): the report becomes the case's workflow
    input, or a Signal to the case it joins, so nothing here may grow its history unsafely.
    Photos are references to stored files or URLs, never the bytes."""

    source: Source
    category_code: str = Field(pattern=r"^[A-Z]{2}[0-9]{4}$", description="e.g. BJ0101")
    description: Text = Field(min_length=1)
    location: Location
    street: ShortText | None = Field(default=None, max_length=40,
                                     description="a street or town code; wins over location")
    photos: list[Ref] = Field(default=[], max_length=MAX_REFS,
                              description="http(s) URLs or `media:` ids, never data: URLs")
    external_ref: ShortText | None = Field(default=None, max_length=64,
                                           description="市级下派: the city's reference number")
    deadline: datetime | None = Field(
        default=None, description="市级下派: the city's handling deadline, with a time zone, "
                                  f"in the future and at most {MAX_AHEAD.days} days ahead")

    @field_validator("deadline")
    @classmethod
    def _bounded_deadline(cls, value: datetime | None) -> datetime | None:
        # The zone and the past are checked with the report (api.reporting); the bound here
        # comes first, so no far-off date reaches any time-zone arithmetic.
        return None if value is None else within_reach(value)


# --- what the routes answer ----------------------------------------------------------------


class ReportCreated(BaseModel):
    """201: a new case, started from the report."""

    id: str
    workflow_id: str
    joined: Literal[False]
    category_code: str
    category_name: str
    street: str | None
    area_class: str
    status: Literal["filing", "dispatching"] = Field(
        description="dispatching: an inspector's report, filed at once")
    reported_at: LocalTime


class ReportJoined(BaseModel):
    """200: a repeat report, joined to an open case (no new case)."""

    id: str = Field(description="the open case the report joined")
    workflow_id: str
    joined: Literal[True]
    category_code: str
    category_name: str
    street: str | None
    area_class: str
    message: str


class ReportView(Report):
    """One report of the case, as staff see it: who reported it too."""

    at: LocalTime


class MyReport(BaseModel):
    """One of the caller's own reports of the case."""

    source: str
    description: str
    location: Location
    photos: list[str]
    at: LocalTime


class IncidentView(IncidentState):
    """Staff: the case as its workflow sees it now, and its open and closed tasks."""

    city_deadline: LocalTime | None = None
    reports: list[ReportView] = []
    reported_at: LocalTime
    filed_at: LocalTime | None = None
    dispatched_at: LocalTime | None = None
    handle_due_at: LocalTime | None = None
    handled_at: LocalTime | None = None
    closed_at: LocalTime | None = None
    parked_until: LocalTime | None = None
    current_due_at: LocalTime | None = None
    tasks: list[TaskOut]


class PublicIncidentView(BaseModel):
    """A reporter: the case's public facts, their own reports and their own tasks (the
    evaluation); nobody else's identity, place or photos."""

    id: str
    workflow_id: str
    status: Status
    category: CategoryInfo
    street: str | None
    report_count: int
    department: str | None
    reported_at: LocalTime
    filed_at: LocalTime | None
    dispatched_at: LocalTime | None
    handled_at: LocalTime | None
    closed_at: LocalTime | None
    result: str | None
    end_reason: str | None = Field(description="why it was rejected or voided")
    evaluation: str | None
    my_reports: list[MyReport]
    tasks: list[TaskOut]


class IncidentRowOut(BaseModel):
    """Staff: a case in a list (the projection), every column."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    workflow_id: str
    status: str
    source: str
    reporter: str
    category_code: str
    category_name: str
    department: str | None
    street: str | None
    description: str
    address: str | None
    lat: float | None
    lng: float | None
    area_class: str | None
    external_ref: str | None
    report_count: int
    reported_at: LocalTime | None
    filed_at: LocalTime | None
    dispatched_at: LocalTime | None
    handle_due_at: LocalTime | None
    handled_at: LocalTime | None
    closed_at: LocalTime | None
    current_due_at: LocalTime | None
    on_time: bool | None
    returns: int
    reworks: int
    extensions: int
    dispatches: int
    handling_hours: float | None
    evaluation: str | None
    version: int


class PublicIncidentRow(BaseModel):
    """A reporter: a case in their list, its public facts only (a case their report
    joined)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    workflow_id: str
    status: str
    category_code: str
    category_name: str
    department: str | None
    street: str | None
    report_count: int
    reported_at: LocalTime | None
    filed_at: LocalTime | None
    dispatched_at: LocalTime | None
    handled_at: LocalTime | None
    closed_at: LocalTime | None
    evaluation: str | None


class OwnIncidentRow(PublicIncidentRow):
    """A reporter: a case in their list whose first report was theirs, with its details."""

    description: str
    address: str | None
    lat: float | None
    lng: float | None


class ArchivedIncident(IncidentRowOut):
    """Staff: a case past Temporal's retention, from the projection alone."""

    archived: Literal[True]


class ArchivedOwnIncident(OwnIncidentRow):
    """A reporter: their case past Temporal's retention, from the projection alone."""

    archived: Literal[True]


class ArchivedPublicIncident(PublicIncidentRow):
    """A reporter: a case their report joined, past Temporal's retention."""

    archived: Literal[True]


IncidentListItem = IncidentRowOut | OwnIncidentRow | PublicIncidentRow
AnyIncidentView = (IncidentView | PublicIncidentView | ArchivedIncident | ArchivedOwnIncident
                   | ArchivedPublicIncident)


# --- who sees what -------------------------------------------------------------------------


def visible_to(user: CurrentUser, reporters: set[str]) -> bool:
    """Citizens and machine accounts follow their own reports; staff see every case."""
    return not reporter_only(user) or user.username in reporters


def reporter_only(user: CurrentUser) -> bool:
    """Anyone but the district's staff: a community's head (a dept_head whose unit is a
    community) is not district staff either."""
    staff = user.role in DISTRICT_STAFF and (user.department is None
                                             or user.department in DEPARTMENTS)
    return not staff


def public_row(row: IncidentRow, username: str) -> PublicIncidentRow:
    """A case as a reporter sees it in a list: its public facts, and the report details only
    when the first report was theirs (a joined reporter never sees another's text)."""
    if row.reporter == username:
        return OwnIncidentRow.model_validate(row)
    return PublicIncidentRow.model_validate(row)


def archived_row(row: IncidentRow, user: CurrentUser) -> AnyIncidentView:
    if not reporter_only(user):
        return ArchivedIncident.model_validate(row.model_dump() | {"archived": True})
    own = row.reporter == user.username
    model = ArchivedOwnIncident if own else ArchivedPublicIncident
    return model.model_validate(public_row(row, user.username).model_dump() | {"archived": True})


def public_case(state: IncidentState, tasks: list[Task], username: str) -> PublicIncidentView:
    """A case as a reporter sees it: the case's public facts, their own reports, and the
    tasks that are theirs (the evaluation); nobody else's identity, place or photos."""
    return PublicIncidentView.model_validate(state.model_dump() | {
        "my_reports": [r.model_dump() for r in state.reports
                       if r.reporter.username == username],
        "tasks": [task_out(t) for t in tasks if t.assignee_user == username]})


@router.post("", status_code=status.HTTP_201_CREATED,
             response_model=ReportCreated | ReportJoined,
             responses={200: {"model": ReportJoined, "description": "a repeat report, joined "
                              "to an open case"}} | responses(401, 403, 413, 422, 503))
async def report(body: IncidentReport, user: CurrentUser, session: SessionDep,
                 client: TemporalDep, response: Response) -> ReportCreated | ReportJoined:
    """Report a case. A repeat (same category, within 50 m and 24 h of an open case, from
    AI video or a citizen) joins that case instead: 200 with `joined: true`."""
    source = allowed_source(user.role, user.report_source)
    if source != body.source:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"{user.username} may not report as {body.source!r}"
                            + (f"; use {source!r}" if source else ""))
    outcome = await submit(session, client, Submission(
        source=body.source, reporter=actor_of(user), category_code=body.category_code,
        description=body.description, location=body.location, street=body.street,
        photos=tuple(body.photos), external_ref=body.external_ref, deadline=body.deadline))
    case = {"id": outcome.case_id, "workflow_id": workflow_id_for(outcome.case_id),
            "category_code": body.category_code, "category_name": outcome.category_name,
            "street": outcome.street, "area_class": outcome.area_class}
    if outcome.joined:
        response.status_code = status.HTTP_200_OK
        return ReportJoined(**case, joined=True, message=(
            f"您的上报已并入案件 {outcome.case_id}（同类问题已在处理中）"))
    inp = outcome.input
    auto_filed = body.source == "inspector" and inp.policy.auto_file_inspector_reports
    return ReportCreated(**case, joined=False, status="dispatching" if auto_filed else "filing",
                         reported_at=inp.reported_at)


@router.get("", response_model=list[IncidentListItem], responses=responses(401, 422))
def list_incidents(user: CurrentUser, session: SessionDep, status_: ShortText | None = Query(
        None, alias="status"), department: ShortText | None = None,
        category_code: ShortText | None = None, street: ShortText | None = None,
        overdue: bool | None = None, limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[IncidentListItem]:
    """Newest first. Staff see every column; a reporter sees every case they reported, joined
    repeats included, with the report details only where the first report was theirs."""
    query = select(IncidentRow)
    if reporter_only(user):  # their reports, joined ones included
        query = query.where(col(IncidentRow.id).in_(select(IncidentReporter.case_id).where(
            IncidentReporter.username == user.username)))
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
    rows = session.exec(query).all()
    if reporter_only(user):
        return [public_row(row, user.username) for row in rows]
    return [IncidentRowOut.model_validate(row) for row in rows]


@router.get("/stats", responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}, XLSX: {
        "schema": {"type": "string", "format": "binary"}}}}} | responses(401, 403, 422))
def stats(user: CurrentUser, session: SessionDep,
          from_: Day | None = Query(None, alias="from", description=(
              f"first day, Asia/Shanghai; {FIRST_DAY} to {LAST_DAY}")),
          to: Day | None = Query(None, description=(
              f"last day (inclusive), Asia/Shanghai; {FIRST_DAY} to {LAST_DAY}")),
          group_by: Literal["department", "category", "street", "source"] = "department",
          format: Literal["json", "csv", "xlsx"] = "json") -> Any:
    """Indicators per group for cases reported in [from, to]; definitions in the README."""
    if reporter_only(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "indicators are for staff")
    today = datetime.now(SHANGHAI).date()
    first = from_ or today.replace(day=1)
    last = to or today
    if last < first:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'to' is before 'from'")
    start = datetime.combine(first, time(0), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(0), SHANGHAI)
    rows = session.exec(select(IncidentRow).where(
        col(IncidentRow.reported_at) >= start.astimezone(UTC),
        col(IncidentRow.reported_at) < end.astimezone(UTC))).all()
    result = table(rows, group_by, datetime.now(UTC))
    if format == "json":
        return {"from": first, "to": last, "group_by": group_by, "rows": result}
    name = f"incident-stats-{group_by}-{first}-{last}"
    return export(result, format, name)


class WeekOut(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W05")
    start: date = Field(description="its Monday, Asia/Shanghai")
    reported: int = Field(description="cases reported that week")
    closed: int = Field(description="cases closed (结案) that week")


class WeeklyOut(BaseModel):
    weeks: list[WeekOut] = Field(description="oldest first, the current week last")


@router.get("/stats/weekly", response_model=WeeklyOut, responses=responses(401, 403, 422))
def weekly(user: CurrentUser, session: SessionDep,
           weeks: int = Query(12, ge=1, le=104)) -> WeeklyOut:
    """Trends: cases reported and closed per ISO week (Asia/Shanghai) over the last `weeks`
    weeks, the current one included; staff only, like /stats."""
    if reporter_only(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "indicators are for staff")
    today = datetime.now(SHANGHAI).date()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    start = datetime.combine(first, time(0), SHANGHAI).astimezone(UTC)
    rows = session.exec(select(IncidentRow.reported_at, IncidentRow.closed_at).where(
        (col(IncidentRow.reported_at) >= start) | (col(IncidentRow.closed_at) >= start))).all()
    mondays = [first + timedelta(weeks=n) for n in range(weeks)]
    reported = dict.fromkeys(mondays, 0)
    closed = dict.fromkeys(mondays, 0)
    for reported_at, closed_at in rows:
        for moment, counts in ((reported_at, reported), (closed_at, closed)):
            if moment is not None:
                day = moment.astimezone(SHANGHAI).date()
                monday = day - timedelta(days=day.weekday())
                if monday in counts:
                    counts[monday] += 1
    return WeeklyOut(weeks=[WeekOut(week="{}-W{:02d}".format(*m.isocalendar()[:2]), start=m,
                                    reported=reported[m], closed=closed[m]) for m in mondays])


@router.get("/{case_id}", response_model=AnyIncidentView,
            responses=responses(401, 403, 404, 422, 503))
async def get_incident(case_id: CaseId, user: CurrentUser, client: TemporalDep,
                       session: SessionDep) -> AnyIncidentView:
    """The case as its workflow sees it now (the source of truth, not the projection):
    `IncidentView` for staff; `PublicIncidentView` for a reporter, its public facts and their
    own reports only. A case past Temporal's retention comes from the projection, marked
    `archived`."""
    view = await live_view(client, workflow_id_for(case_id), IncidentWorkflow.view)
    if view is None:  # past Temporal's retention only the projection is left: that, marked so
        row = session.get(IncidentRow, case_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such case")
        reporters = set(session.exec(select(IncidentReporter.username).where(
            IncidentReporter.case_id == case_id)).all()) | {row.reporter}
        if not visible_to(user, reporters):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "you may only follow your own reports")
        return archived_row(row, user)
    state, tasks = view.case, view.tasks
    if not visible_to(user, set(state.reporters) | {state.reporter}):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you may only follow your own reports")
    if reporter_only(user):
        return public_case(state, tasks, user.username)
    return IncidentView.model_validate(state.model_dump() | {
        "tasks": [task_out(t) for t in tasks]})


@case_view(PROCESS)
def reporter_case(user: User, case: dict[str, Any]) -> dict[str, Any]:
    """An action's answer to a reporter (their evaluation): the public facts and their own
    reports, as GET /incidents/{id} shows them."""
    public = {k: v for k, v in case.items() if k in PublicIncidentView.model_fields}
    public["my_reports"] = [{k: v for k, v in r.items() if k != "reporter"}
                            for r in case.get("reports", [])
                            if r.get("reporter", {}).get("username") == user.username]
    public.pop("tasks", None)
    return public


@precheck(PROCESS)
def check_category(session: Session, body: Completion, _workflow_id: str) -> None:
    """A category corrected at filing must be in the catalogue (the workflow cannot look)."""
    code = body.data.get("category_code") if body.decision == "accept" else None
    if code is not None and (not isinstance(code, str) or session.get(Category, code) is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown category_code {str(code)[:20]!r}")
