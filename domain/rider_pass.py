"""惠新码 rider pass (issue 10): the models of RiderPassWorkflow, one per pass.

A rider applies; a `union_reviewer` approves (with a scope: the whole district or a list of
communities) or rejects within the review limit, on the ladder. An approved pass is valid
for a year; 30 days before its end the rider is reminded and may renew (reviewed again), or
it expires. The union may suspend, reinstate or revoke it, and the rider may cancel it.

Personal data (name, phone, ID number, photo) never enters a pass's history: the API keeps
it in the `rider` table; the workflow carries the pass id, the rider's username and platform.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.tasks import Actor, DecisionSpec, EscalationPolicy, Limit, Task
from domain.timefmt import local_json
from domain.worktime import CalendarSnapshot

PROCESS = "rider_pass"
DISTRICT = "district"

Status = Literal["reviewing", "active", "suspended", "expired", "revoked", "rejected",
                 "cancelled"]
STATUS_NAMES = {"reviewing": "审核中", "active": "有效", "suspended": "已暂停",
                "expired": "已过期", "revoked": "已吊销", "rejected": "未通过",
                "cancelled": "已注销"}
FINAL: tuple[Status, ...] = ("expired", "revoked", "rejected", "cancelled")
Platform = Literal["meituan", "eleme", "other"]
PassActionName = Literal["renew", "suspend", "reinstate", "revoke", "cancel"]
ACTION_NAMES = {"renew": "续期", "suspend": "暂停", "reinstate": "恢复", "revoke": "吊销",
                "cancel": "注销"}
# Which statuses each action may start from; who may take it is the workflow's validator's.
ALLOWED_FROM: dict[str, tuple[Status, ...]] = {
    "renew": ("active", "suspended"), "suspend": ("active",), "reinstate": ("suspended",),
    "revoke": ("active", "suspended"), "cancel": ("reviewing", "active", "suspended")}


def workflow_id_for(pass_id: str) -> str:
    return f"rider-pass-{pass_id}"


class RiderPassPolicy(BaseModel):
    review_limit: Limit = Limit(value=2, unit="working_days")
    valid_days: int = Field(365, ge=1)
    remind_days: int = Field(30, ge=1)
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None


class RiderPassInput(BaseModel):
    id: str
    rider: str  # username
    platform: Platform
    applied_at: datetime
    policy: RiderPassPolicy


class ScopeData(BaseModel):
    """An approval's scope: the whole district (default) or a list of community codes."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["district"] | list[str] = Field(
        DISTRICT, description='"district" or a list of community codes')


REVIEW = [DecisionSpec(name="approve", label="审核通过", data="ScopeData"),
          DecisionSpec(name="reject", label="不予通过", comment_required=True)]
DECISION_DATA: dict[str, type[BaseModel]] = {"ScopeData": ScopeData}


class PassAction(BaseModel):
    """`POST /rider-passes/{id}/actions`: the union suspends, reinstates or revokes; the rider
    renews or cancels. A reason is needed for all but a renewal."""

    action: PassActionName
    reason: str | None = Field(None, max_length=500)
    actor: Actor


class PassEvent(BaseModel):
    action: str
    by: str
    at: datetime
    reason: str | None = None


class RiderPassState(BaseModel):
    id: str
    workflow_id: str
    rider: str
    platform: Platform
    status: Status = "reviewing"
    scope: Literal["district"] | list[str] = DISTRICT
    applied_at: datetime
    approved_at: datetime | None = None
    approved_by: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    reminded_at: datetime | None = None
    renewing: bool = False  # a renewal is under review
    renewals: int = 0
    reason: str | None = None  # the last rejection, suspension, revocation or cancellation
    events: list[PassEvent] = []
    ended_at: datetime | None = None
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())


class RiderPassView(BaseModel):
    case: RiderPassState
    tasks: list[Task]
