"""The human task shared by every process (DESIGN.md, principle 2).

Plain Pydantic models: workflows keep them in their state, activities project them into the
database, the API shows them. Nothing here does I/O, and nothing here knows a process: who
acts, who hears of a late task, and what a decision's data looks like all come from the
process that opens the task.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# Error types raised by update validators; the API maps them to HTTP status codes.
NOT_FOUND = "NotFound"  # 404
FORBIDDEN = "Forbidden"  # 403
CONFLICT = "Conflict"  # 409
INVALID = "Invalid"  # 422
FAULT = "Fault"  # 503: the case hit an internal error while settling the action

LimitUnit = Literal["working_hours", "working_days", "calendar_hours", "calendar_days"]
TaskStatus = Literal["open", "done", "expired", "cancelled"]
STATUS_TEXT = {"open": "待办", "done": "已办结", "expired": "已过期", "cancelled": "已撤销"}


class Limit(BaseModel):
    value: float = Field(gt=0)
    unit: LimitUnit

    @classmethod
    def parse(cls, text: str) -> "Limit":
        value, unit = text.split()
        return cls(value=float(value), unit=unit)  # type: ignore[arg-type]

    def label(self) -> str:
        names = {"working_hours": "工作小时", "working_days": "工作日",
                 "calendar_hours": "小时", "calendar_days": "天"}
        return f"{self.value:g}{names[self.unit]}"


class Actor(BaseModel):
    username: str
    role: str
    department: str | None = None
    display_name: str | None = None


SYSTEM = Actor(username="system", role="system", display_name="系统")

# -- escalation: each process's policy says who hears of a late task, and what -------------

ASSIGNEE = "$assignee"  # a Recipient's role or department: the task's own


class Recipient(BaseModel):
    """Who hears of an escalation level: a role (in a department), or the task's assignee."""

    role: str = ASSIGNEE
    department: str | None = None  # ASSIGNEE: the task's department (skipped if it has none)


class Assignee(BaseModel):
    """Who may act on a task: a role, in a department, and if `users` is set, one of them."""

    role: str
    department: str | None = None
    users: list[str] = []

    def admits(self, actor: "Actor") -> bool:
        if actor.role != self.role:
            return False
        if self.department and actor.department != self.department:
            return False
        return not self.users or actor.username in self.users


class Watcher(BaseModel):
    """A supervisor who sees an overdue task in their inbox (督办)."""

    role: str
    department: str | None = None


class LadderLevel(BaseModel):
    share: float = Field(gt=0)  # of the task's limit
    name: str  # 预警, 超期督办, ...
    text: str  # placeholders: {title} {due} {share}
    notify: list[Recipient]
    supervise: bool = False  # from this level on, the recipients follow the task as 督办


class EscalationPolicy(BaseModel):
    levels: list[LadderLevel]

    def level_name(self, level: int) -> str:
        return self.levels[level - 1].name if 0 < level <= len(self.levels) else "正常"


# -- decisions --------------------------------------------------------------------------


class Approval(BaseModel):
    """A decision that is a request: it leaves its task open and opens an approval task."""

    role: str
    department: str | None = None
    limit: Limit | None = None  # None: the board's approval limit
    data: str | None = None  # the approve decision's data model, by name


class DecisionSpec(BaseModel):
    name: str
    label: str
    comment_required: bool = False
    data: str | None = None  # name of the Pydantic model its data must match (see TaskBoard)
    closes: bool = True  # False: the task stays open (a request, see `approval`)
    approval: Approval | None = None


class TaskAction(BaseModel):
    """A person's action on a task, sent as a Temporal Update. The API sets the actor from the
    caller's token; nothing in the body can choose it."""

    task_id: str
    decision: str
    comment: str | None = None
    data: dict[str, Any] = {}
    actor: Actor


class Task(BaseModel):
    id: str
    workflow_id: str
    process: str
    case_id: str
    step: str  # Chinese step name shown to people, e.g. 立案
    step_code: str  # English identifier, e.g. file
    title: str
    assignee_role: str
    assignee_department: str | None = None
    assignee_user: str | None = None
    assignee_users: list[str] = []  # any one of these may act (the case's named officers)
    also: list[Assignee] = []  # others who may act too (an officer recording a paper answer)
    limit: Limit | None = None
    opened_at: datetime
    warn_at: datetime | None = None
    due_at: datetime | None = None
    ladder: list[datetime] = []  # instants at which escalation levels 1, 2, ... start
    expires_at: datetime | None = None  # the task ends unanswered at this instant
    escalation_level: int = 0
    watchers: list[Watcher] = []  # supervisors following it as 督办
    plan: int = 0  # bumps when the deadlines are re-planned (延期), so the ladder notifies anew
    status: TaskStatus = "open"
    decisions: list[DecisionSpec]
    context: dict[str, Any] = {}  # what the assignee needs to decide, e.g. a request
    decision: str | None = None
    comment: str | None = None
    data: dict[str, Any] = {}
    actor: Actor | None = None
    completed_at: datetime | None = None
    version: int = 0  # bumps on every change so stale projections never win

    @property
    def allowed_decisions(self) -> list[str]:
        return [d.name for d in self.decisions]

    def spec(self, decision: str) -> DecisionSpec | None:
        return next((d for d in self.decisions if d.name == decision), None)

    def assignees(self) -> list[Assignee]:
        users = [self.assignee_user] if self.assignee_user else self.assignee_users
        return [Assignee(role=self.assignee_role, department=self.assignee_department,
                         users=users), *self.also]

    def may_act(self, actor: Actor) -> bool:
        return any(a.admits(actor) for a in self.assignees())


class PendingRequest(BaseModel):
    """A request waiting for its approval task."""

    task_id: str
    approval_id: str
    action: TaskAction


class BoardState(BaseModel):
    """What a TaskBoard carries across continue-as-new: its open tasks and requests."""

    seq: int = 0
    tasks: list[Task] = []
    pending: list[PendingRequest] = []


class ActionResult(BaseModel):
    """What an action's Update returns once the workflow has settled it."""

    task: Task
    case: dict[str, Any] = {}
    approval_task_id: str | None = None


class DeadlineRequest(BaseModel):
    start: datetime
    limit: Limit
    shares: list[float]  # must include 1.0, the limit itself
    extra_hours: float = 0  # an approved extension
    due: datetime | None = None  # a fixed end instead (extension to a date)
    cap: datetime | None = None  # end sooner if this comes first (a city deadline)


NoticeKind = Literal["escalation", "status", "request"]


class Notice(BaseModel):
    """A notification; `key` makes sending it idempotent."""

    key: str
    kind: NoticeKind = "status"
    workflow_id: str
    task_id: str | None = None
    level: int = 0
    recipient_role: str
    recipient_department: str | None = None
    recipient_user: str | None = None
    message: str


class Projection(BaseModel):
    """One state change of a case, written in one transaction: the process's case row (its
    own writer knows the shape), the changed tasks, and the new notices."""

    process: str
    case: dict[str, Any] | None = None
    tasks: list[Task] = []
    notices: list[Notice] = []
