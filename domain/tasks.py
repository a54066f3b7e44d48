"""The human task shared by every process (DESIGN.md, principle 2).

These are plain Pydantic models: workflows keep them in their state, activities project them
into the database, the API shows them. Nothing here does I/O.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# Error types raised by update validators; the API maps them to HTTP status codes.
NOT_FOUND = "NotFound"  # 404
FORBIDDEN = "Forbidden"  # 403
CONFLICT = "Conflict"  # 409
INVALID = "Invalid"  # 422

LimitUnit = Literal["working_hours", "working_days", "calendar_hours", "calendar_days"]
TaskStatus = Literal["open", "done", "expired", "cancelled"]

LEVEL_NAMES = {0: "正常", 1: "预警", 2: "超期督办", 3: "升级督办"}


def level_name(level: int) -> str:
    return LEVEL_NAMES.get(level, LEVEL_NAMES[3])


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


class DecisionSpec(BaseModel):
    name: str
    label: str
    comment_required: bool = False
    data_required: list[str] = []
    closes: bool = True  # False: a request (延期, 挂账, 作废) that leaves the task open


class TaskAction(BaseModel):
    """An officer's action on a task, sent as a Temporal Update."""

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
    limit: Limit | None = None
    opened_at: datetime
    warn_at: datetime | None = None
    due_at: datetime | None = None
    ladder: list[datetime] = []  # instants at which escalation levels 1, 2, 3 start
    expires_at: datetime | None = None
    escalation_level: int = 0
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

    def may_act(self, actor: Actor) -> bool:
        if actor.role != self.assignee_role:
            return False
        if self.assignee_department and actor.department != self.assignee_department:
            return False
        return not (self.assignee_user and actor.username != self.assignee_user)


class DeadlineRequest(BaseModel):
    start: datetime
    limit: Limit
    shares: list[float]  # must include 1.0, the limit itself
    extra_hours: float = 0  # an approved extension
    due: datetime | None = None  # a fixed end instead (extension to a date)
    cap: datetime | None = None  # end sooner if this comes first (a city deadline)


class Notice(BaseModel):
    """A notification; `key` makes sending it idempotent."""

    key: str
    workflow_id: str
    task_id: str | None = None
    level: int = 0
    recipient_role: str
    recipient_department: str | None = None
    recipient_user: str | None = None
    message: str
