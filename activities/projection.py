"""Projections of workflow state into the database: inboxes, case lists, indicators.

Each write is an upsert keyed by the task or case id and guarded by the version the workflow
assigned, so a retried or late activity never overwrites a newer state (principle 7).
"""

from sqlmodel import Session
from temporalio import activity

from activities.calendar import working_time
from activities.notify import store_notice
from db.engine import get_engine
from db.models import IncidentRow, TaskRow
from domain.incident import IncidentState
from domain.tasks import Notice, Task


def _upsert(session: Session, model: type, key: str, version: int, values: dict) -> None:
    row = session.get(model, key)
    if row is None:
        session.add(model(**values))
    elif row.version <= version:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()


def _write_task(session: Session, task: Task) -> None:
    values = {
        "id": task.id, "workflow_id": task.workflow_id, "process": task.process,
        "case_id": task.case_id, "step": task.step, "step_code": task.step_code,
        "title": task.title, "assignee_role": task.assignee_role,
        "assignee_department": task.assignee_department, "assignee_user": task.assignee_user,
        "opened_at": task.opened_at, "warn_at": task.warn_at, "due_at": task.due_at,
        "expires_at": task.expires_at, "escalation_level": task.escalation_level,
        "status": task.status, "allowed_decisions": task.allowed_decisions,
        "decision": task.decision, "actor": task.actor.username if task.actor else None,
        "context": task.context,
        "completed_at": task.completed_at, "version": task.version,
    }
    _upsert(session, TaskRow, task.id, task.version, values)


@activity.defn
def project_incident(case: IncidentState, tasks: list[Task], notices: list[Notice]) -> None:
    """The case, its changed tasks and its new notices, in one transaction."""
    values = {
        "id": case.id, "workflow_id": case.workflow_id, "status": case.status,
        "source": case.source, "reporter": case.reporter, "category_code": case.category.code,
        "category_name": case.category.name, "department": case.department,
        "street": case.street, "description": case.description,
        "address": case.location.address, "lat": case.location.lat,
        "lng": case.location.lng, "area_class": case.area_class,
        "external_ref": case.external_ref, "report_count": len(case.reports) or 1,
        "reported_at": case.reported_at,
        "filed_at": case.filed_at, "dispatched_at": case.dispatched_at,
        "handle_due_at": case.handle_due_at, "handled_at": case.handled_at,
        "closed_at": case.closed_at, "current_due_at": case.current_due_at,
        "on_time": case.on_time, "returns": case.returns, "reworks": case.reworks,
        "extensions": case.extensions, "dispatches": case.dispatches,
        "handling_hours": handling_hours(case),
        "evaluation": case.evaluation, "version": case.version,
    }
    with Session(get_engine()) as session:
        _upsert(session, IncidentRow, case.id, case.version, values)
        for task in tasks:
            _write_task(session, task)
        for notice in notices:
            store_notice(session, notice)
        session.commit()


def handling_hours(case: IncidentState) -> float | None:
    """Working hours from the (last) dispatch to the department's 办结, for indicators."""
    if case.dispatched_at is None or case.handled_at is None:
        return None
    hours = working_time().working_hours_between(case.dispatched_at, case.handled_at)
    return round(hours, 2)
