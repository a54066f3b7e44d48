"""Taking in a report: start a new incident case, or join a repeat to an open one.

Shared by `POST /incidents` and Open311's `POST requests`.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, status
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.catalogue import category_info
from api.policy import incident_policy
from config import get_settings
from db.models import Category, IncidentRow
from domain import geo
from domain.incident import (
    JOINING_SOURCES,
    OPEN_STATUSES,
    IncidentInput,
    Location,
    Report,
    workflow_id_for,
)
from domain.tasks import Actor
from domain.timefmt import SHANGHAI
from workflows.incident import IncidentWorkflow

JOIN_RADIUS_M = 50
JOIN_WINDOW = timedelta(hours=24)


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


@dataclass
class Outcome:
    case_id: str
    category_name: str
    joined: bool  # True: a repeat report, joined to an open case (no new case)
    input: IncidentInput | None  # the new case's input when one was started
    street: str | None
    area_class: str


def new_case_id() -> str:
    # Readable by phone, unique without a central counter: date + 6 random hex digits.
    return f"{datetime.now(SHANGHAI):%Y%m%d}-{secrets.token_hex(3).upper()}"


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
    near = [(geo.distance_m(sub.location.lat, sub.location.lng, r.lat, r.lng), r) for r in rows]
    near = [(d, r) for d, r in near if d <= JOIN_RADIUS_M]
    return min(near, key=lambda x: x[0])[1] if near else None


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

    if sub.source in JOINING_SOURCES:
        existing = find_open_case(session, sub, now)
        if existing is not None:
            report = Report(source=sub.source, reporter=sub.reporter,
                            description=sub.description, location=sub.location,
                            photos=list(sub.photos), at=now)
            try:
                await client.get_workflow_handle(existing.workflow_id).signal(
                    IncidentWorkflow.join_report, report)
                return Outcome(existing.id, existing.category_name, True, None,
                               existing.street,
                               existing.area_class or area)
            except RPCError:
                pass  # the case ended meanwhile: open a new one

    policy = incident_policy()
    for _ in range(3):
        case_id = new_case_id()
        inp = IncidentInput(
            id=case_id, source=sub.source, reporter=sub.reporter,
            category=category_info(category, area), area_class=area,
            description=sub.description, location=sub.location, street=street,
            photos=list(sub.photos), reported_at=now, policy=policy,
            external_ref=sub.external_ref,
            city_deadline=sub.deadline.astimezone(UTC) if sub.deadline else None)
        try:
            await client.start_workflow(IncidentWorkflow.run, inp, id=workflow_id_for(case_id),
                                        task_queue=get_settings().task_queue)
            return Outcome(case_id, category.name, False, inp, street, area)
        except WorkflowAlreadyStartedError:
            continue  # a random id collided; draw another
    raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "could not allocate a case id")
