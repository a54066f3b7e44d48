"""Taking in a report: start a new incident case, or join a repeat to an open one.

Shared by `POST /incidents` and Open311's `POST requests`.

Reports of one spot arrive in bursts (AI cameras), so deciding "join or open" must be
serialised: a report first locks its category's row in `report_lock` (a row lock on
PostgreSQL, the single writer on SQLite), then looks for an open case nearby, and if there is
none writes the new case's row before it lets go. Every later report of that spot finds the
row, even before the new case's workflow has started; a joiner whose case is still starting
retries its signal for a few seconds.
"""

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from fastapi import HTTPException, status
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.incident import category_info
from api.policy import incident_policy
from db.engine import get_engine
from db.locks import hold_lock
from db.models import Category, IncidentRow
from domain import geo
from domain.incident import JOINING_SOURCES, OPEN_STATUSES, IncidentInput, Location, Report
from domain.tasks import Actor
from domain.timefmt import SHANGHAI
from workflows.incident import IncidentWorkflow
from workflows.registry import processes

Input = TypeVar("Input", bound=BaseModel)

JOIN_RADIUS_M = 50
JOIN_WINDOW = timedelta(hours=24)
STARTING_GRACE = timedelta(minutes=2)  # a row whose workflow never started is ignored after
SIGNAL_RETRY = 0.1  # s between signals to a case whose workflow is still starting
SIGNAL_PATIENCE = 10.0  # s


@dataclass
class Submission:
    source: str
    reporter: Actor
    category_code: str
    description: str
    location: Location
    street: str | None = None
    photos: tuple[str, ...] = ()
    external_ref: str | None = None
    deadline: datetime | None = None
    evaluable: bool = True  # False: the reporter cannot sign in to evaluate (Open311)


@dataclass
class Outcome:
    case_id: str
    category_name: str
    joined: bool  # True: a repeat report, joined to an open case (no new case)
    input: IncidentInput | None  # the new case's input when one was started
    street: str | None
    area_class: str


def new_case_id() -> str:
    # Readable by phone, unique without a central counter: date + 6 random hex digits; the
    # primary key and the workflow id reuse policy catch the rare collision.
    return f"{datetime.now(SHANGHAI):%Y%m%d}-{secrets.token_hex(3).upper()}"


async def start_case(client: Client, process: str, make: Callable[[str], Input],
                     what: str) -> Input:
    """Start a case of `process` under a fresh id (`make` builds its input from the id),
    drawing another on the rare collision; Temporal unreachable: 503. No row is written
    first: the workflow's first projection writes it, and GET reads the workflow."""
    for _ in range(3):
        inp = make(new_case_id())
        try:
            await processes()[process].start(client, inp.id, inp)  # type: ignore[attr-defined]
        except WorkflowAlreadyStartedError:
            continue  # an id used before: draw another
        except RPCError as err:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                f"{what} cannot be started now; try again") from err
        return inp
    raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "could not allocate a case id")


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def find_open_case(session: Session, sub: Submission, now: datetime) -> IncidentRow | None:
    """The nearest open case of the same category within 50 m reported in the last 24 h."""
    rows = session.exec(select(IncidentRow).where(
        IncidentRow.category_code == sub.category_code,
        col(IncidentRow.status).in_(OPEN_STATUSES),
        col(IncidentRow.reported_at) >= now - JOIN_WINDOW,
        col(IncidentRow.lat).is_not(None),
    )).all()
    near = [(geo.distance_m(sub.location.lat, sub.location.lng, r.lat, r.lng), r) for r in rows
            if r.version > 0 or r.reported_at >= now - STARTING_GRACE]
    near = [(d, r) for d, r in near if d <= JOIN_RADIUS_M]
    return min(near, key=lambda x: x[0])[1] if near else None


def claim(sub: Submission, inp: IncidentInput, joining: bool) -> IncidentRow | None:
    """Under the category's lock: the open case this report joins, or None after writing the
    new case's row (its id drawn again on a collision)."""
    with Session(get_engine()) as session:
        hold_lock(session, sub.category_code)
        if joining:
            existing = find_open_case(session, sub, inp.reported_at)
            if existing is not None:
                session.expunge(existing)  # read after the session ends
                session.commit()
                return existing
        for _ in range(5):
            row = IncidentRow(
                id=inp.id, workflow_id=processes()["incident"].workflow_id(inp.id),
                status="filing", source=inp.source, reporter=inp.reporter.username,
                category_code=inp.category.code, category_name=inp.category.name,
                street=inp.street, description=inp.description,
                address=inp.location.address, lat=inp.location.lat, lng=inp.location.lng,
                area_class=inp.area_class, external_ref=inp.external_ref,
                reported_at=inp.reported_at, version=0)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                hold_lock(session, sub.category_code)
                inp.id = new_case_id()
                continue
            session.commit()
            return None
    raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "could not allocate a case id")


def forget(case_id: str) -> None:
    """The case's workflow could not start: drop the row claimed for it."""
    with Session(get_engine()) as session:
        row = session.get(IncidentRow, case_id)
        if row is not None and row.version == 0:
            session.delete(row)
            session.commit()


async def join(client: Client, existing: IncidentRow, report: Report) -> bool:
    """Signal the repeat to its case; False if the case ended meanwhile."""
    handle = client.get_workflow_handle(existing.workflow_id)
    waited = 0.0
    while True:
        try:
            await handle.signal(IncidentWorkflow.join_report, report)
            return True
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                    "the case cannot be reached now; try again") from err
            if existing.version > 0 or waited >= SIGNAL_PATIENCE:
                return False  # it ran and ended (or never started): open a new case
            await asyncio.sleep(SIGNAL_RETRY)
            waited += SIGNAL_RETRY


async def submit(session: Session, client: Client, sub: Submission) -> Outcome:
    """Validate a report, then join it to an open case or start a new case."""
    category = session.get(Category, sub.category_code)
    if category is None:
        raise unprocessable(f"unknown category_code {sub.category_code!r}")
    try:
        street, area = geo.resolve(sub.location.lat, sub.location.lng, sub.street or None)
    except ValueError as err:
        raise unprocessable(str(err)) from err
    if sub.source == "city_dispatch" and not sub.external_ref:
        raise unprocessable("a 市级下派 report needs the city's reference number (external_ref)")
    now = datetime.now(UTC)
    if sub.deadline is not None and sub.deadline.tzinfo is None:
        raise unprocessable("deadline needs a timezone, e.g. 2026-12-01T18:00:00+08:00")
    if sub.deadline is not None and sub.deadline <= now:
        raise unprocessable("deadline is in the past")
    info = category_info(category, area)
    session.close()  # the claim runs in its own short transaction

    for _ in range(3):
        inp = IncidentInput(
            id=new_case_id(), source=sub.source, reporter=sub.reporter, category=info,
            area_class=area, description=sub.description, location=sub.location,
            street=street, photos=list(sub.photos), reported_at=now, policy=incident_policy(),
            external_ref=sub.external_ref, evaluable=sub.evaluable,
            city_deadline=sub.deadline.astimezone(UTC) if sub.deadline else None)
        existing = await run_in_threadpool(claim, sub, inp, sub.source in JOINING_SOURCES)
        if existing is not None:
            report = Report(source=sub.source, reporter=sub.reporter,
                            description=sub.description, location=sub.location,
                            photos=list(sub.photos), at=now)
            if await join(client, existing, report):
                return Outcome(existing.id, existing.category_name, True, None,
                               existing.street, existing.area_class or area)
            continue  # the case ended meanwhile: decide again
        try:
            await processes()["incident"].start(client, inp.id, inp)
        except WorkflowAlreadyStartedError:
            await run_in_threadpool(forget, inp.id)
            continue  # an id a case used before (and whose row is gone): draw another
        except RPCError as err:
            await run_in_threadpool(forget, inp.id)
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                "Temporal is not reachable; the report was not taken") from err
        return Outcome(inp.id, info.name, False, inp, street, area)
    raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the report could not be placed")
