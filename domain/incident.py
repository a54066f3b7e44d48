"""Models of the incident process (城市运行管理服务平台), shared by workflow, activities and API."""

from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.departments import DEPARTMENTS
from domain.limits import MAX_REFS, Ref, ShortText, Text
from domain.tasks import (
    Actor,
    EscalationPolicy,
    Limit,
    Task,
)
from domain.timefmt import SHANGHAI, local_json
from domain.worktime import CalendarSnapshot

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
    # NaN, Infinity and 1e400 (which JSON parsing turns into infinity) are no coordinates.
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    address: ShortText | None = None


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
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None  # working days known when the case started
    auto_file_inspector_reports: bool = True
    # Off only on the time-skipping test server, which cannot register custom attributes.
    search_attributes: bool = True


class Report(BaseModel):
    """One report of the case: the first, or a repeat joined to it (a Signal)."""

    source: str
    reporter: Actor
    description: str
    location: Location
    photos: list[Ref] = Field(default=[], max_length=MAX_REFS)
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
    evaluable: bool = True  # False: the reporter cannot sign in to evaluate (Open311)


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
    reports: list[Report] = []  # its reports in full, the first included, up to a bound
    report_count: int = 1  # every report, the first included
    reporters: list[str] = []  # usernames of everyone who reported it
    evaluable: bool = True
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

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump(by_alias=True))


class CaseView(BaseModel):
    """The case and its tasks, read in one query."""

    case: IncidentState
    tasks: list[Task]


# -- the data each decision takes (validated by the task board, shown as JSON Schema) ------

Department = Literal[tuple(DEPARTMENTS)]  # type: ignore[valid-type]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AcceptData(_Data):
    category_code: str | None = Field(default=None, max_length=16,
                                      description="立案时更正的类别编码")


class DispatchData(_Data):
    department: Department = Field(description="处置部门")  # type: ignore[valid-type]


class DoneData(_Data):
    result: Text = Field(min_length=1, description="处置结果")
    photos: list[Ref] = Field(default=[], max_length=MAX_REFS,
                              description="处置后照片的引用（URL 或 media: 编号）")


class ExtendData(_Data):
    working_hours: float | None = Field(default=None, gt=0, le=2000,
                                        description="延长的时长，以时限本身的小时计")
    until: date | datetime | None = Field(
        default=None, description="延至某日（当日 18:00）或带时区的时刻")

    @model_validator(mode="after")
    def one_of(self) -> "ExtendData":
        if (self.working_hours is None) == (self.until is None):
            raise ValueError("extend needs data.working_hours or data.until (one of them)")
        if isinstance(self.until, datetime) and self.until.tzinfo is None:
            raise ValueError("data.until needs a timezone, e.g. 2026-12-01T18:00:00+08:00")
        return self

    def end(self) -> datetime | None:
        if isinstance(self.until, datetime):
            return self.until
        if isinstance(self.until, date):
            return datetime.combine(self.until, time(18), SHANGHAI)
        return None


class ParkData(_Data):
    resume_on: date = Field(description="恢复处置的日期")


class ApproveExtensionData(_Data):
    second_extension: bool = Field(default=False, description="明确批准第二次延期")


DECISION_DATA: dict[str, type[BaseModel]] = {
    "accept": AcceptData, "dispatch": DispatchData, "done": DoneData, "extend": ExtendData,
    "park": ParkData, "approve_extension": ApproveExtensionData,
}
