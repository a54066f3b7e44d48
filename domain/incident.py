"""Models of the incident process (城市运行管理服务平台), shared by workflow, activities and API."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.tasks import Actor, Limit

PROCESS = "incident"

Status = Literal["filing", "dispatching", "handling", "verifying", "evaluating", "closed",
                 "rejected", "parked", "voided"]
STATUS_NAMES = {
    "filing": "待立案", "dispatching": "待派遣", "handling": "处置中", "verifying": "待核查",
    "evaluating": "待评价", "closed": "已结案", "rejected": "不予立案", "parked": "挂账",
    "voided": "已作废",
}
# A case is open (and can be joined by repeated reports) until it is closed or ended.
OPEN_STATUSES = ("filing", "dispatching", "handling", "verifying", "parked")
JOINING_SOURCES = ("ai_video", "citizen")


def workflow_id_for(case_id: str) -> str:
    return f"incident-{case_id}"


class Location(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)


class CategoryInfo(BaseModel):
    """A snapshot of a catalogue row, taken when the case starts or is re-categorised."""

    code: str
    name: str
    class_: str = Field(alias="class")
    major_class: str
    department: str
    routing: str = "owner"
    limit: Limit  # the handling limit for the case's area class

    model_config = {"populate_by_name": True}


class IncidentPolicy(BaseModel):
    """Step limits and the escalation ladder, fixed per case when it starts."""

    filing_limit: Limit
    dispatch_limit: Limit
    verify_limit: Limit
    evaluation_window: Limit
    approval_limit: Limit = Limit(value=1, unit="working_days")  # 延期/挂账/作废 approvals
    ladder_shares: list[float]
    auto_file_inspector_reports: bool = True
    # Off only on the time-skipping test server, which cannot register custom attributes.
    search_attributes: bool = True


class Report(BaseModel):
    """One report of the case: the first, or a repeat joined to it (a Signal)."""

    source: str
    reporter: Actor
    description: str
    location: Location
    photos: list[str] = []
    at: datetime


class IncidentInput(BaseModel):
    id: str
    source: str
    reporter: Actor
    category: CategoryInfo
    area_class: str = "B"
    description: str
    location: Location
    street: str | None = None
    photos: list[str] = []
    reported_at: datetime
    policy: IncidentPolicy
    external_ref: str | None = None  # 市级下派: the city's reference number
    city_deadline: datetime | None = None  # 市级下派: wins over the catalogue when sooner


class IncidentState(BaseModel):
    id: str
    workflow_id: str
    status: Status
    source: str
    reporter: str
    category: CategoryInfo
    area_class: str
    description: str
    location: Location
    street: str | None
    photos: list[str] = []
    external_ref: str | None = None
    city_deadline: datetime | None = None
    reports: list[Report] = []  # every report of this case, the first included
    suggested_department: str | None = None
    department: str | None = None
    reported_at: datetime
    filed_at: datetime | None = None
    dispatched_at: datetime | None = None
    handle_due_at: datetime | None = None
    handled_at: datetime | None = None
    closed_at: datetime | None = None
    on_time: bool | None = None
    result: str | None = None
    result_photos: list[str] = []
    returns: int = 0
    reworks: int = 0
    dispatches: int = 0
    extensions: int = 0
    parked_until: datetime | None = None
    end_reason: str | None = None  # why it was rejected or voided
    evaluation: str | None = None
    evaluation_comment: str | None = None
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    @property
    def reporters(self) -> set[str]:
        return {self.reporter} | {r.reporter.username for r in self.reports}

    def summary(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
