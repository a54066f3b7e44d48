"""The incident process's activities: the catalogue look-up and its case row."""

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.calendar import working_time
from activities.projection import case_writer, upsert
from db.engine import get_engine
from db.models import Category, IncidentReporter, IncidentRow
from domain.incident import PROCESS, CategoryInfo, IncidentState
from domain.tasks import Limit


def category_info(row: Category, area_class: str) -> CategoryInfo:
    limit = row.limits.get(area_class) or row.limits["B"]
    return CategoryInfo(code=row.code, name=row.name, class_=row.class_,
                        major_class=row.major_class, department=row.department,
                        routing=row.routing, limit=Limit(**limit))


@activity.defn
def lookup_category(code: str, area_class: str) -> CategoryInfo:
    """A category corrected at filing needs its own limit."""
    with Session(get_engine()) as session:
        row = session.get(Category, code)
    if row is None:
        raise ApplicationError(f"unknown category {code}", type="UnknownCategory",
                               non_retryable=True)
    return category_info(row, area_class)


@case_writer(PROCESS)
def write_incident(session: Session, data: dict[str, Any]) -> None:
    case = IncidentState.model_validate(data)
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "status": case.status,
        "source": case.source, "reporter": case.reporter, "category_code": case.category.code,
        "category_name": case.category.name, "department": case.department,
        "street": case.street, "description": case.description,
        "address": case.location.address, "lat": case.location.lat,
        "lng": case.location.lng, "area_class": case.area_class,
        "external_ref": case.external_ref, "report_count": case.report_count,
        "reported_at": case.reported_at,
        "filed_at": case.filed_at, "dispatched_at": case.dispatched_at,
        "handle_due_at": case.handle_due_at, "handled_at": case.handled_at,
        "closed_at": case.closed_at, "current_due_at": case.current_due_at,
        "on_time": case.on_time, "returns": case.returns, "reworks": case.reworks,
        "extensions": case.extensions, "dispatches": case.dispatches,
        "handling_hours": handling_hours(case),
        "evaluation": case.evaluation, "version": case.version,
    }
    row = session.get(IncidentRow, case.id)
    reporters_known = row is not None and row.version > 0 and row.report_count == case.report_count
    if not upsert(session, IncidentRow, case.id, case.version, values, row) or reporters_known:
        return
    # Everyone who reported the case follows it in their list.
    session.execute(delete(IncidentReporter).where(IncidentReporter.case_id == case.id))
    session.add_all(IncidentReporter(case_id=case.id, username=u) for u in case.reporters)


def handling_hours(case: IncidentState) -> float | None:
    """Working hours from the (last) dispatch to the department's 办结, for indicators."""
    if case.dispatched_at is None or case.handled_at is None:
        return None
    hours = working_time().working_hours_between(case.dispatched_at, case.handled_at)
    return round(hours, 2)
