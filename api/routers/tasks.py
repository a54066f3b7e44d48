"""One inbox and one way to act, for every process (DESIGN.md, principle 2).

Nothing here knows a process: a task's decisions, their data's JSON Schema (from the process
registry) and who supervises it (from its process's ladder) come with the task. A process
router may register a `precheck` for checks that need the database (a category code that must
exist), which run before the action reaches the workflow.
"""

import json
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from api.actions import send_action
from api.deps import CurrentUser, SessionDep, TemporalDep, actor_of
from api.errors import responses
from api.localtime import LocalTime
from db.models import TaskAssignee, TaskRow, TaskWatch, User
from domain.limits import MAX_OFFSET, Text
from domain.roles import ADMIN, AUDITOR, REPORTER_ROLES
from domain.tasks import DecisionSpec, Task, TaskAction
from workflows.registry import by_workflow_id, processes

router = APIRouter(prefix="/tasks", tags=["tasks"])

CLOSED = ("done", "expired", "cancelled")
TASK_ID = Path(max_length=160, pattern=r"^[\w.\-]+$", description="e.g. incident-20261128-A1B2C3.2")

Hook = TypeVar("Hook", bound=Callable[..., Any])


def _per_process(table: dict[str, Any]) -> Callable[[str], Callable[[Hook], Hook]]:
    """A decorator factory that files a process router's function under its process."""

    def for_process(process: str) -> Callable[[Hook], Hook]:
        def register(fn: Hook) -> Hook:
            table[process] = fn
            return fn

        return register

    return for_process


Precheck = Callable[[Session, "Completion", str], None]  # (session, body, workflow id)
CaseView = Callable[[User, dict[str, Any]], dict[str, Any]]
_PRECHECKS: dict[str, Precheck] = {}
_CASE_VIEWS: dict[str, CaseView] = {}
# A check that needs the database, run before an action of the process is sent; it gets the
# task's workflow id, so it can read the case's row (the task row may not be projected yet).
precheck = _per_process(_PRECHECKS)
# How an action's answer shows the process's case to a reporter (staff see it whole);
# without one a reporter sees only its id and status.
case_view = _per_process(_CASE_VIEWS)


def shown_case(process: str, user: User, case: dict[str, Any]) -> dict[str, Any]:
    if user.role not in REPORTER_ROLES:
        return case
    view = _CASE_VIEWS.get(process)
    return view(user, case) if view else {k: case.get(k) for k in ("id", "status")}


class Completion(BaseModel):
    decision: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    comment: Text | None = None
    data: dict[str, Any] = Field(default={}, description="the decision's data; its JSON Schema "
                                 "is the decision's `data_schema` in the task")


class DecisionOut(BaseModel):
    name: str
    label: str
    comment_required: bool
    closes: bool = Field(description="false: a request that leaves the task open")
    approval_role: str | None = Field(None, description="who approves the request")
    data_schema: dict[str, Any] | None = Field(None, description="JSON Schema of `data`")


class AssigneeOut(BaseModel):
    role: str
    department: str | None
    users: list[str] = Field(description="if any, only these users of the role may act")


class TaskOut(BaseModel):
    id: str
    workflow_id: str
    process: str
    case_id: str
    step: str
    step_code: str
    title: str
    assignee_role: str
    assignee_department: str | None
    assignee_user: str | None
    assignees: list[AssigneeOut] = Field(description="everyone who may act on the task")
    opened_at: LocalTime | None
    warn_at: LocalTime | None
    due_at: LocalTime | None
    expires_at: LocalTime | None
    escalation_level: int
    supervised: bool = Field(description="overdue and followed by supervisors (督办)")
    status: Literal["open", "done", "expired", "cancelled"]
    allowed_decisions: list[str]
    decisions: list[DecisionOut]
    context: dict[str, Any]
    decision: str | None
    actor: str | None
    completed_at: LocalTime | None


class ActionOut(BaseModel):
    task: TaskOut
    case: dict[str, Any] = Field(description="the case's new state")
    approval_task_id: str | None = Field(None, description="the approval task a request opened")


@cache
def _schema(model: type[BaseModel]) -> str:
    # Building a JSON Schema is costly and the models never change while the API runs.
    return json.dumps(model.model_json_schema())


def decision_out(process: str, spec: DecisionSpec) -> DecisionOut:
    models = processes().get(process)
    model = models.data_models.get(spec.data) if models and spec.data else None
    return DecisionOut(name=spec.name, label=spec.label, comment_required=spec.comment_required,
                       closes=spec.closes,
                       approval_role=spec.approval.role if spec.approval else None,
                       data_schema=json.loads(_schema(model)) if model else None)


def task_out(row: TaskRow | Task) -> TaskOut:
    if isinstance(row, Task):  # from the workflow, in an action's answer
        specs = row.decisions
        actor = row.actor.username if row.actor else None
        supervised = bool(row.watchers)
        assignees = [AssigneeOut(**a.model_dump()) for a in row.assignees()]
    else:  # from the projection
        specs = [DecisionSpec.model_validate(d) for d in row.decisions or []]
        actor, supervised = row.actor, row.supervised
        # Rows projected before assignees were kept have only the one assignee.
        assignees = [AssigneeOut.model_validate(a) for a in row.assignees or [
            {"role": row.assignee_role, "department": row.assignee_department,
             "users": [row.assignee_user] if row.assignee_user else []}]]
    return TaskOut(
        id=row.id, workflow_id=row.workflow_id, process=row.process, case_id=row.case_id,
        step=row.step, step_code=row.step_code, title=row.title,
        assignee_role=row.assignee_role, assignee_department=row.assignee_department,
        assignee_user=row.assignee_user, assignees=assignees, opened_at=row.opened_at,
        warn_at=row.warn_at,
        due_at=row.due_at, expires_at=row.expires_at, escalation_level=row.escalation_level,
        supervised=supervised and row.status == "open", status=row.status,
        allowed_decisions=[d.name for d in specs],
        decisions=[decision_out(row.process, d) for d in specs], context=row.context or {},
        decision=row.decision, actor=actor, completed_at=row.completed_at)


def assigned_to(user: User) -> Any:
    """Tasks whose assignees admit the caller (task_assignee has one row per assignee)."""
    return exists().where(
        TaskAssignee.task_id == TaskRow.id, TaskAssignee.role == user.role,
        or_(TaskAssignee.department == "", TaskAssignee.department == (user.department or "")),
        or_(TaskAssignee.username == "", TaskAssignee.username == user.username))


def supervised_by(user: User) -> Any:
    """Open tasks whose process's ladder put the caller's role (and department) on them."""
    return and_(TaskRow.status == "open", exists().where(
        TaskWatch.task_id == TaskRow.id, TaskWatch.role == user.role,
        or_(TaskWatch.department == "", TaskWatch.department == (user.department or ""))))


def open_for(user: User) -> Any:
    return or_(and_(assigned_to(user), TaskRow.status == "open"), supervised_by(user))


def closed_for(user: User) -> Any:
    return and_(col(TaskRow.status).in_(CLOSED),
                or_(assigned_to(user), TaskRow.actor == user.username))


@router.get("", response_model=list[TaskOut], responses=responses(401, 422))
def inbox(user: CurrentUser, session: SessionDep,
          status_: Literal["open", "done"] = Query("open", alias="status"),
          process: str | None = Query(None, max_length=40, pattern=r"^[a-z_]+$"),
          limit: int = Query(200, ge=1, le=1000),
          offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> list[TaskOut]:
    """Tasks the caller may act on, of every process; supervisors also see the overdue tasks
    they follow (督办). `status=done`: tasks the caller closed or could have."""
    query = select(TaskRow).where(open_for(user) if status_ == "open" else closed_for(user))
    if process:
        query = query.where(TaskRow.process == process)
    order = col(TaskRow.due_at) if status_ == "open" else col(TaskRow.completed_at).desc()
    query = query.order_by(order, col(TaskRow.id)).offset(offset).limit(limit)
    return [task_out(row) for row in session.exec(query).all()]


@router.get("/{task_id}", response_model=TaskOut, responses=responses(401, 403, 404, 422))
def get_task(user: CurrentUser, session: SessionDep, task_id: str = TASK_ID) -> TaskOut:
    """One task, to whoever may see it in an inbox: its assignee, its supervisors, whoever
    closed it, and auditors."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such task")
    if user.role not in (AUDITOR, ADMIN) and session.exec(
            select(TaskRow.id).where(TaskRow.id == task_id,
                                     or_(open_for(user), closed_for(user)))).first() is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this task is not yours to see")
    return task_out(row)


@router.post("/{task_id}/complete", response_model=ActionOut,
             responses=responses(401, 403, 404, 409, 413, 422, 503))
async def complete(body: Completion, user: CurrentUser, session: SessionDep,
                   client: TemporalDep, task_id: str = TASK_ID) -> ActionOut:
    """Act on a task. The owning workflow's validator decides 403/409/422 before anything is
    written, so a rejected action leaves no trace in the history."""
    row = session.get(TaskRow, task_id)
    # A task id names its workflow: `{workflow_id}.{n}`. A task the workflow has just opened
    # may not be projected yet (a client read it from the case), so the workflow decides.
    workflow_id = row.workflow_id if row else task_id.rpartition(".")[0]
    process = processes().get(row.process) if row else by_workflow_id(workflow_id)
    if process is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such task")
    if row is not None and row.status != "open":
        raise HTTPException(status.HTTP_409_CONFLICT, f"任务已关闭 (task is {row.status})")
    check = _PRECHECKS.get(process.name)
    if check is not None:
        check(session, body, workflow_id)
    session.close()  # don't hold a connection while the workflow works
    action = TaskAction(task_id=task_id, decision=body.decision, comment=body.comment,
                        data=body.data, actor=actor_of(user))
    result = await send_action(client, workflow_id, action, known=row is not None)
    return ActionOut(task=task_out(result.task), case=shown_case(process.name, user, result.case),
                     approval_task_id=result.approval_task_id)

