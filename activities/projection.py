"""Projections of workflow state into the database: inboxes, case lists, indicators.

One generic activity, `project`, writes every process's state change in one transaction: the
changed tasks (with who supervises them), the new notices, and the case row through the
writer its process registered with `case_writer`. A new process registers its writer and
touches nothing here. Each write is guarded by the version the workflow assigned, so a
retried or late activity never overwrites a newer state (principle 7).
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notify import store_notice
from db.engine import get_engine
from db.models import TaskAssignee, TaskRow, TaskWatch
from domain.tasks import Projection, Task

CaseWriter = Callable[[Session, dict[str, Any]], None]
_WRITERS: dict[str, CaseWriter] = {}


def case_writer(process: str) -> Callable[[CaseWriter], CaseWriter]:
    """Register the function that writes `process`'s case row from its state."""

    def register(fn: CaseWriter) -> CaseWriter:
        _WRITERS[process] = fn
        return fn

    return register


def upsert(session: Session, model: type[SQLModel], key: str, version: int,
           values: dict[str, Any], row: Any = None) -> bool:
    """Insert or update a row unless the stored one is newer; True if written. `row` is the
    stored row when the caller has read it already."""
    row = row if row is not None else session.get(model, key)
    if row is None:
        session.add(model(**values))
    elif row.version <= version:
        for name, value in values.items():
            setattr(row, name, value)
    else:
        return False
    return True


def _write_task(session: Session, task: Task) -> None:
    values = {
        "id": task.id, "workflow_id": task.workflow_id, "process": task.process,
        "case_id": task.case_id, "step": task.step, "step_code": task.step_code,
        "title": task.title, "assignee_role": task.assignee_role,
        "assignee_department": task.assignee_department, "assignee_user": task.assignee_user,
        "assignees": [a.model_dump(mode="json") for a in task.assignees()],
        "opened_at": task.opened_at, "warn_at": task.warn_at, "due_at": task.due_at,
        "expires_at": task.expires_at, "escalation_level": task.escalation_level,
        "status": task.status, "allowed_decisions": task.allowed_decisions,
        "decisions": [d.model_dump(mode="json") for d in task.decisions],
        "supervised": bool(task.watchers),
        "decision": task.decision, "actor": task.actor.username if task.actor else None,
        "context": task.context, "completed_at": task.completed_at, "version": task.version,
    }
    row = session.get(TaskRow, task.id)
    was_watched = bool(row and row.supervised)
    if not upsert(session, TaskRow, task.id, task.version, values, row):
        return
    if row is None:  # who may act is fixed when the task opens (a re-projection rewrites it)
        session.execute(delete(TaskAssignee).where(TaskAssignee.task_id == task.id))
        session.add_all(TaskAssignee(task_id=task.id, role=a.role, department=a.department or "",
                                     username=u)
                        for a in task.assignees() for u in a.users or [""])
    if not (was_watched or task.watchers):
        return  # most writes: nobody follows the task, before or after
    session.execute(delete(TaskWatch).where(TaskWatch.task_id == task.id))
    if task.status == "open":
        session.add_all(TaskWatch(task_id=task.id, role=w.role, department=w.department or "")
                        for w in task.watchers)


@activity.defn
def project(batch: Projection) -> None:
    """The case, its changed tasks and its new notices, in one transaction."""
    with Session(get_engine()) as session:
        if batch.case is not None:
            writer = _WRITERS.get(batch.process)
            if writer is None:
                raise ApplicationError(f"no case writer for process {batch.process!r}",
                                       non_retryable=True)
            writer(session, batch.case)
        for task in batch.tasks:
            _write_task(session, task)
        for notice in batch.notices:
            store_notice(session, notice)
        session.commit()
