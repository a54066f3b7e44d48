"""One inbox and one way to act, for every process (DESIGN.md, principle 2)."""

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_
from sqlmodel import col, select

from api.actions import send_action
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.localtime import localize
from db.models import Category, TaskRow, User
from domain.roles import COMMAND_LEAD, DEPT_HEAD
from domain.tasks import TaskAction

router = APIRouter(prefix="/tasks", tags=["tasks"])

OVERDUE_LEVEL = 2


class Completion(BaseModel):
    decision: str = Field(min_length=1, max_length=40)
    comment: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = {}


def task_out(row: TaskRow) -> dict[str, Any]:
    return localize({
        "id": row.id, "workflow_id": row.workflow_id, "process": row.process,
        "case_id": row.case_id, "step": row.step, "step_code": row.step_code,
        "title": row.title, "assignee_role": row.assignee_role,
        "assignee_department": row.assignee_department, "assignee_user": row.assignee_user,
        "opened_at": row.opened_at, "due_at": row.due_at, "warn_at": row.warn_at,
        "expires_at": row.expires_at, "escalation_level": row.escalation_level,
        "supervised": row.escalation_level >= OVERDUE_LEVEL,  # 督办
        "status": row.status, "allowed_decisions": row.allowed_decisions,
        "context": row.context or {},
        "decision": row.decision, "actor": row.actor, "completed_at": row.completed_at,
    })


def assigned_to(user: User):
    return and_(
        TaskRow.assignee_role == user.role,
        or_(col(TaskRow.assignee_department).is_(None),
            TaskRow.assignee_department == user.department),
        or_(col(TaskRow.assignee_user).is_(None), TaskRow.assignee_user == user.username),
    )


def supervised_by(user: User):
    """Overdue tasks a supervisor follows: all for command_lead, own department for a head."""
    overdue = and_(TaskRow.status == "open", TaskRow.escalation_level >= OVERDUE_LEVEL)
    if user.role == COMMAND_LEAD:
        return overdue
    if user.role == DEPT_HEAD and user.department:
        return and_(overdue, TaskRow.assignee_department == user.department)
    return None


@router.get("")
def inbox(user: CurrentUser, session: SessionDep,
          status_: Literal["open", "done"] = Query("open", alias="status"),
          process: str | None = None, limit: int = Query(200, ge=1, le=1000),
          offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    """Tasks the caller may act on; supervisors also see the overdue tasks they follow."""
    if status_ == "open":
        mine = and_(assigned_to(user), TaskRow.status == "open")
        watch = supervised_by(user)
        where = or_(mine, watch) if watch is not None else mine
    else:
        where = and_(col(TaskRow.status).in_(("done", "expired", "cancelled")),
                     or_(assigned_to(user), TaskRow.actor == user.username))
    query = select(TaskRow).where(where)
    if process:
        query = query.where(TaskRow.process == process)
    query = query.order_by(col(TaskRow.due_at)).offset(offset).limit(limit)
    return [task_out(row) for row in session.exec(query).all()]


@router.get("/{task_id}")
def get_task(task_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    row = session.get(TaskRow, task_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no task {task_id}")
    return task_out(row)


@router.post("/{task_id}/complete")
async def complete(task_id: str, body: Completion, user: CurrentUser, session: SessionDep,
                   client: TemporalDep) -> dict[str, Any]:
    """Act on a task. The owning workflow's validator decides 403/409/422 before any write."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no task {task_id}")
    code = body.data.get("category_code")
    if code is not None and (not isinstance(code, str) or session.get(Category, code) is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown category_code {code!r}")
    session.close()  # don't hold a connection while the workflow works
    action = TaskAction(task_id=task_id, decision=body.decision, comment=body.comment,
                        data=body.data, actor=actor_of(user))
    result = await send_action(client, row.workflow_id, action)
    task = result["task"]
    task["allowed_decisions"] = [d["name"] for d in task.pop("decisions", [])]
    task.pop("ladder", None)
    return localize(result)
