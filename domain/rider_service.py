"""惠新码 service requests (issue 10): a rider asks one of the four modules — 心灵驿站
counselling, 政策法规 policy, 就业服务 employment, 权益维护 rights — and a `union_worker`
answers within the limit, on the ladder. A rights case (unpaid wages, an injury, an unfair
platform penalty) may be referred to `legal_aid`, whose task ends with the outcome. The rider
follows the request and rates the answer once."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.tasks import Actor, DecisionSpec, EscalationPolicy, Limit, Task
from domain.timefmt import local_json
from domain.worktime import CalendarSnapshot

PROCESS = "rider_service"
Module = Literal["counselling", "policy", "employment", "rights"]
MODULE_NAMES = {"counselling": "心灵驿站", "policy": "政策法规", "employment": "就业服务",
                "rights": "权益维护"}
Status = Literal["open", "referred", "answered", "concluded"]
STATUS_NAMES = {"open": "待答复", "referred": "法律援助中", "answered": "已答复",
                "concluded": "已办结"}
RATING_DAYS = 30

ANSWER = [DecisionSpec(name="answer", label="答复", comment_required=True)]
ANSWER_OR_REFER = [*ANSWER,
                   DecisionSpec(name="refer", label="转法律援助", comment_required=True)]
CONCLUDE = [DecisionSpec(name="conclude", label="办结并告知结果", comment_required=True)]


def workflow_id_for(request_id: str) -> str:
    return f"rider-service-{request_id}"


class RiderServicePolicy(BaseModel):
    answer_limit: Limit = Limit(value=2, unit="working_days")
    legal_limit: Limit = Limit(value=10, unit="working_days")
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None


class RiderServiceInput(BaseModel):
    id: str
    rider: str
    module: Module
    text: str
    asked_at: datetime
    policy: RiderServicePolicy


class RateRequest(BaseModel):
    actor: Actor
    stars: int = Field(ge=1, le=5)


class RiderServiceState(BaseModel):
    id: str
    workflow_id: str
    rider: str
    module: Module
    text: str
    status: Status = "open"
    asked_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    referred_at: datetime | None = None
    referral_reason: str | None = None
    outcome: str | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())


class RiderServiceView(BaseModel):
    case: RiderServiceState
    tasks: list[Task]
