"""Models of the joint inspection process (多跨智查), shared by workflow, activities and API.

任务发布 publish -> 审批 approve -> 频次控制 frequency control -> 部门邀约 invite -> 现场检查 joint
on-site check -> 处理处罚 handling (责令整改 and re-inspection, or a penalty case) -> 结果 result.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from domain.enforcement import MAX_FINE, Enterprise, Officer
from domain.limits import MAX_REFS, Ref, ShortText, Text
from domain.penalty import PenaltyPolicy
from domain.tasks import Actor, EscalationPolicy, Limit
from domain.worktime import CalendarSnapshot

PROCESS = "inspection"
MAX_ITEMS = 40  # check items in one inspection
MAX_OFFICERS = 10  # named officers of one department

InspectionType = Literal["routine", "complaint", "campaign", "follow_up"]
TYPE_NAMES = {"routine": "日常检查", "complaint": "投诉举报核查", "campaign": "专项检查",
              "follow_up": "复查"}
# Routine and campaign checks count toward the frequency caps; 个案 checks never do.
COUNTED_TYPES = ("routine", "campaign")
DRAWN_TYPES = ("routine", "campaign")  # 双随机 applies to these

Status = Literal["approving", "inviting", "scheduled", "inspecting", "handling", "closed",
                 "refused", "cancelled"]
STATUS_NAMES = {
    "approving": "待审批", "inviting": "部门邀约中", "scheduled": "待现场检查",
    "inspecting": "现场检查中", "handling": "处理中", "closed": "已办结", "refused": "未批准",
    "cancelled": "已取消",
}
TERMINAL = ("closed", "refused", "cancelled")
# What an enterprise may know of its inspections: nothing before the on-site check begins
# (checks are unannounced), and its public result once closed.
ANNOUNCED = ("inspecting", "handling", "closed")


def workflow_id_for(case_id: str) -> str:
    return f"inspection-{case_id}"


class Item(BaseModel):
    """One thing to check, by the department that checks it."""

    department: str = Field(max_length=40)
    item: ShortText = Field(min_length=1)


class InspectionPolicy(BaseModel):
    """Limits, caps and the ladder, fixed per inspection when it starts (configuration)."""

    approve_limit: Limit = Limit(value=2, unit="working_days")
    cap_limit: Limit = Limit(value=2, unit="working_days")
    invite_limit: Limit = Limit(value=2, unit="working_days")
    inspect_limit: Limit = Limit(value=2, unit="working_days")
    reinspect_limit: Limit = Limit(value=5, unit="working_days")
    merge_window_days: int = 10  # plans this close merge into one visit
    department_cap_per_year: int = 2  # routine inspections by one department, per year
    enterprise_cap_30_days: int = 3  # counted visits to one enterprise in 30 days
    draw_per_department: int = 2  # 双随机: officers drawn per department
    recusal_days: int = 365  # 回避: not an officer who inspected the enterprise this recently
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None


class InspectionInput(BaseModel):
    id: str
    type: InspectionType
    enterprise: Enterprise
    lead_department: str
    planned_date: date
    items: list[Item]
    reason: str
    draw: bool = False  # 双随机: the lead asks the workflow to draw every department's officers
    created_by: Actor
    created_at: datetime
    policy: InspectionPolicy
    penalty_policy: PenaltyPolicy  # for the penalty cases its violations become


# -- decision data --------------------------------------------------------------------------


class InviteData(BaseModel):
    """`accept`: the department's officers for the visit, by username, or a random draw
    (双随机; the workflow checks the roster and the count)."""

    officers: list[str] = Field(default=[], max_length=MAX_OFFICERS)
    draw: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> "InviteData":
        if self.draw and self.officers:
            raise ValueError("either name the officers or ask for a draw, not both")
        return self


class Finding(BaseModel):
    item: ShortText = Field(min_length=1)
    result: Literal["compliant", "violation"]
    legal_basis: ShortText | None = None
    evidence: list[Ref] = Field(default=[], max_length=MAX_REFS)
    action: Literal["rectify", "penalty"] | None = None
    rectify_by: date | None = None
    fine_proposed: float | None = Field(default=None, ge=0, le=MAX_FINE, allow_inf_nan=False)
    note: Text | None = None

    @model_validator(mode="after")
    def _settled_how(self) -> "Finding":
        if self.result == "compliant":
            if self.action is not None:
                raise ValueError(f"item {self.item!r} is compliant: it takes no action")
            return self
        if not self.legal_basis:
            raise ValueError(f"violation of {self.item!r} needs its legal_basis")
        if self.action is None:
            raise ValueError(f"violation of {self.item!r} needs an action: rectify or penalty")
        if self.action == "rectify" and self.rectify_by is None:
            raise ValueError(f"rectify of {self.item!r} needs rectify_by (a date)")
        return self


class RecordData(BaseModel):
    """`record`: the department's findings, one per item it checks, and who was there."""

    findings: list[Finding] = Field(min_length=1, max_length=MAX_ITEMS)
    officers_present: list[str] = Field(max_length=MAX_OFFICERS)


DECISION_DATA: dict[str, type[BaseModel]] = {
    "InviteData": InviteData, "RecordData": RecordData,
}

# -- between the workflow and its activities -------------------------------------------------


class VisitQuery(BaseModel):
    inspection_id: str
    workflow_id: str
    credit_code: str
    type: InspectionType
    planned_date: date
    departments: list[str]
    window_days: int = 10


class VisitCounts(BaseModel):
    by_department: dict[str, int]  # counted visits this calendar year, per department
    last_30_days: int  # counted visits to the enterprise in the 30 days before the plan


class VisitHost(BaseModel):
    """The visit this inspection joined (`host` is its inspection), or None: it hosts its own."""

    host: str | None = None
    host_workflow_id: str | None = None
    host_lead: str | None = None


class VisitClose(BaseModel):
    visit_id: str
    credit_code: str
    day: date
    departments: list[str]
    officers: list[str]
    countable: bool


class RosterQuery(BaseModel):
    departments: list[str]
    credit_code: str
    day: date
    recusal_days: int = 365


class Roster(BaseModel):
    officers: dict[str, list[Officer]]  # by department
    recused: list[str] = []  # inspected this enterprise within the recusal period


class Joiner(BaseModel):
    """An inspection merged into another's visit: what it brings (a Signal to the host)."""

    inspection_id: str
    workflow_id: str
    lead_department: str
    type: InspectionType
    items: list[Item]
    created_by: Actor


class ItemResult(BaseModel):
    """What became of one check item: shown on the case and, without names, in public."""

    department: str
    item: str
    inspection_id: str  # the inspection that asked for it (a joiner's, or the host's)
    also_for: list[str] = []  # merged inspections that asked for the same check: one check
    status: Literal["pending", "compliant", "violation", "not_checked"] = "pending"
    legal_basis: str | None = None
    evidence: list[str] = []
    action: Literal["rectify", "penalty"] | None = None
    rectify_by: date | None = None
    fine_proposed: float | None = None
    note: str | None = None  # the officers' account of a violation
    outcome: str | None = None  # 整改合格, 复查不合格转立案, 处罚案件 <id> 已结案, ...
    settled: bool = False
    penalty_case_id: str | None = None
    reason: str | None = None  # why it was not checked


class DepartmentPart(BaseModel):
    department: str
    status: Literal["invited", "accepted", "declined", "no_answer"] = "invited"
    officers: list[str] = []
    drawn: bool = False
    reason: str | None = None


class VisitOutcome(BaseModel):
    """The host's last word to an inspection merged into its visit."""

    status: Status
    items: list[ItemResult]
    departments: list[DepartmentPart] = []  # how the joiner's departments took part


class InspectionState(BaseModel):
    id: str
    workflow_id: str
    status: Status
    type: InspectionType
    credit_code: str
    enterprise_name: str
    street: str | None = None
    lead_department: str
    planned_date: date
    reason: str
    created_by: str
    created_at: datetime
    departments: list[DepartmentPart] = []
    items: list[ItemResult] = []
    visit_id: str | None = None  # the visit this inspection went on (its own, or a host's)
    merged_into: str | None = None  # set when it joined another inspection's visit
    joined: list[str] = []  # inspections merged into this one's visit
    counts: VisitCounts | None = None
    cap_exceeded: bool = False
    approved_at: datetime | None = None
    inspected_at: datetime | None = None
    closed_at: datetime | None = None
    end_reason: str | None = None
    penalty_cases: list[str] = []
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    @classmethod
    def start(cls, inp: InspectionInput, workflow_id: str) -> "InspectionState":
        """The state a new inspection starts in (the API writes it as the first row)."""
        departments = dict.fromkeys([inp.lead_department, *(i.department for i in inp.items)])
        return cls(
            id=inp.id, workflow_id=workflow_id, status="approving", type=inp.type,
            credit_code=inp.enterprise.credit_code, enterprise_name=inp.enterprise.name,
            street=inp.enterprise.street, lead_department=inp.lead_department,
            planned_date=inp.planned_date, reason=inp.reason,
            created_by=inp.created_by.username, created_at=inp.created_at,
            departments=[DepartmentPart(department=d) for d in departments],
            items=[ItemResult(department=i.department, item=i.item, inspection_id=inp.id)
                   for i in inp.items])

    def summary(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


