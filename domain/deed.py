"""Models of the good-deed process (德分宝 善行义举), shared by workflow, activities and API.

A resident (or a community worker for a resident) records a deed of a type from the deed-type
table (data/deed_types.json); a `community_worker` of the resident's community verifies it
within its limit (the command centre's ladder escalates a late one); approved points post from
the community's issuance account to the resident's, as many as fit under the earning caps.
"""

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.ledger import Caps
from domain.tasks import Actor, DecisionSpec, EscalationPolicy, Limit, Task
from domain.timefmt import local_json
from domain.worktime import CalendarSnapshot

PROCESS = "deed"
DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "deed_types.json"

Status = Literal["verifying", "approved", "rejected"]
STATUS_NAMES = {"verifying": "待审核", "approved": "已通过", "rejected": "未通过"}
MAX_QUANTITY = 100  # units of one deed (e.g. 100 half hours, 100 books)


def workflow_id_for(case_id: str) -> str:
    return f"deed-{case_id}"


class DeedType(BaseModel):
    """A row of the deed-type table: points per unit."""

    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    name: str
    points: int = Field(gt=0, le=1000)
    unit: str


class DeedTable(BaseModel):
    version: str
    types: list[DeedType]

    def type(self, code: str) -> DeedType | None:
        return next((t for t in self.types if t.code == code), None)


def load_deed_types(path: Path = DATA_PATH) -> DeedTable:
    table = DeedTable.model_validate(json.loads(path.read_text(encoding="utf-8")))
    codes = [t.code for t in table.types]
    if not codes or len(set(codes)) != len(codes):
        raise ValueError(f"{path}: deed types need unique codes")
    return table


@cache
def deed_types() -> DeedTable:
    import os

    return load_deed_types(Path(os.environ.get("DEED_TYPES_FILE") or DATA_PATH))


class DeedPolicy(BaseModel):
    """The verify limit and the ladder, fixed per case when it starts (configuration)."""

    verify_limit: Limit = Limit(value=2, unit="working_days")
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None


class DeedInput(BaseModel):
    id: str  # the workflow id is "deed-" + id
    resident: str  # the resident's username
    community: str  # the resident's community code
    community_name: str | None = None
    type: DeedType  # the table's row as it stood when the deed was recorded
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY)
    description: str
    evidence: list[str] = []  # references (domain.limits.Ref), never the files
    recorded_by: Actor
    reported_at: datetime
    table_version: str
    caps: Caps
    policy: DeedPolicy

    @property
    def points_asked(self) -> int:
        return self.type.points * self.quantity


class DeedState(BaseModel):
    id: str
    workflow_id: str
    status: Status
    resident: str
    community: str
    community_name: str | None = None
    type_code: str
    type_name: str
    unit: str
    unit_points: int
    quantity: int
    description: str
    evidence: list[str] = []
    recorded_by: str
    recorder_role: str
    reported_at: datetime
    table_version: str
    points_asked: int
    points_approved: int | None = None  # what the worker approved (may be fewer)
    points_given: int | None = None  # what posted (fewer again if a cap left less room)
    capped_by: str | None = None  # per_day, per_month or balance
    transfer_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None  # the worker's comment (a rejection's reason)
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())


class DeedView(BaseModel):
    case: DeedState
    tasks: list[Task]


class ApproveData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int = Field(ge=1, description="给予的积分（不超过该善行按类型计算的积分，可以更少）")


class AwardRequest(BaseModel):
    """What the award activity posts: `deed:<case id>` from issuance:<community> to
    resident:<username>."""

    case_id: str
    resident: str
    community: str
    points: int = Field(gt=0)
    reason: str
    actor: str
    at: datetime
    caps: Caps


class AwardResult(BaseModel):
    transfer_id: str | None
    asked: int
    given: int
    capped_by: str | None = None


DECISION_DATA: dict[str, type[BaseModel]] = {"approve": ApproveData}
VERIFY = [DecisionSpec(name="approve", label="审核通过", data="approve"),
          DecisionSpec(name="reject", label="不予认定", comment_required=True)]
CAP_NAMES = {"per_day": "每日上限", "per_month": "每月上限", "balance": "积分存量上限"}
