"""Models of the penalty case process (行政处罚), shared by workflow, activities and API.

立案 file -> 告知 notify -> 陈述申辩 answer -> (听证 hearing) -> (法制审核 legal review, with 补正
revise) -> 决定 decide -> (执行 execute, for a fine) -> closed; or 不予立案 not_filed.
Article numbers are those of the 行政处罚法 (2021).
"""

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.enforcement import MAX_FINE, Enterprise, Penalty
from domain.limits import Text
from domain.tasks import Actor, DecisionSpec, EscalationPolicy, Limit, Task
from domain.timefmt import SHANGHAI, local_json
from domain.worktime import CalendarSnapshot

PROCESS = "penalty"

Status = Literal["filing", "notifying", "answering", "hearing", "reviewing", "deciding",
                 "executing", "closed", "not_filed"]
STATUS_NAMES = {
    "filing": "待立案", "notifying": "待告知", "answering": "陈述申辩期", "hearing": "听证",
    "reviewing": "法制审核", "deciding": "待决定", "executing": "执行中", "closed": "已结案",
    "not_filed": "不予立案",
}
TERMINAL = ("closed", "not_filed")
Answer = Literal["statement", "request_hearing", "waive", "expired"]

LATE_RATE = 0.03  # Art. 72: 每日按罚款数额的百分之三加处罚款, never more than the fine
HEARING_KINDS = ("suspension", "revocation")  # Art. 63, besides a large fine
MAJOR_KINDS = ("suspension", "revocation")  # Art. 58: 重大 cases need 法制审核


def workflow_id_for(case_id: str) -> str:
    return f"penalty-{case_id}"


def days_late(due_at: datetime, at: datetime) -> int:
    """Whole calendar days in Asia/Shanghai after the due date: paying on the due date (at
    any hour) is on time, the day after it is one day late, and so on; never negative."""
    return max(0, (at.astimezone(SHANGHAI).date() - due_at.astimezone(SHANGHAI).date()).days)


def surcharge(fine: float, due_at: datetime, at: datetime) -> float:
    """加处罚款 (Art. 72) owed at `at` on a fine due at `due_at`: 3% of the fine for each day
    late (`days_late`: whole calendar days in Asia/Shanghai after the due date), never more
    than the fine, in yuan rounded to the fen. Before then, and on the due date, nothing."""
    return round(float(min(fine, fine * LATE_RATE * days_late(due_at, at))), 2)


def amount_due(fine: float, due_at: datetime, at: datetime) -> float:
    """The fine and its surcharge at `at`, to the fen."""
    return round(fine + surcharge(fine, due_at, at), 2)


class PenaltyPolicy(BaseModel):
    """Limits and the ladder, fixed per case when it starts (configuration). Periods of 2,
    3, 5 or 7 days are working days (Art. 85), the others calendar days."""

    file_limit: Limit = Limit(value=2, unit="working_days")
    notify_limit: Limit = Limit(value=3, unit="working_days")
    answer_window: Limit = Limit(value=5, unit="working_days")  # Art. 45/64: 陈述申辩, 听证申请
    hearing_notice: Limit = Limit(value=7, unit="working_days")  # Art. 64: notice >= 7 days
    hearing_limit: Limit = Limit(value=3, unit="working_days")
    review_limit: Limit = Limit(value=5, unit="working_days")
    revise_limit: Limit = Limit(value=3, unit="working_days")
    decision_days: int = Field(default=90, gt=0)  # Art. 60: decided within 90 days of 立案
    payment_days: int = Field(default=15, gt=0)  # Art. 67: paid within 15 days
    hearing_fine: float = Field(default=100_000, gt=0)  # yuan: a fine from here may be heard
    major_fine: float = Field(default=100_000, gt=0)  # yuan: from here 法制审核 is required
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None

    def hearing_allowed(self, proposed: Penalty | None) -> bool:
        """Art. 63: the party may ask for a hearing of a large fine, a suspension or a
        revocation."""
        if proposed is None:
            return False
        return proposed.type in HEARING_KINDS or (
            proposed.type == "fine" and (proposed.fine or 0) >= self.hearing_fine)

    def major(self, proposed: Penalty | None) -> bool:
        if proposed is None:
            return False
        return proposed.type in MAJOR_KINDS or (
            proposed.type == "fine" and (proposed.fine or 0) >= self.major_fine)


class PenaltyInput(BaseModel):
    id: str  # the workflow id is "penalty-" + id
    enterprise: Enterprise
    department: str  # the enforcing department
    officers: list[str]  # usernames, >= 2 certified ones (Art. 42): the caller checks them
    inspection_id: str | None = None
    item: str  # what was violated (the check item)
    facts: str  # 违法事实
    legal_basis: str
    evidence: list[str] = []  # references (domain.limits.Ref), never the files
    fine_proposed: float | None = None  # the inspection's proposal, yuan: a hint for 告知
    opened_by: Actor
    opened_at: datetime
    policy: PenaltyPolicy


class PenaltyState(BaseModel):
    id: str
    workflow_id: str
    status: Status
    credit_code: str
    enterprise_name: str
    street: str | None = None
    party: str | None = None  # the enterprise's account, if it has one
    department: str
    officers: list[str]
    inspection_id: str | None = None
    item: str
    facts: str
    legal_basis: str
    evidence: list[str] = []
    fine_proposed: float | None = None
    opened_by: str
    opened_at: datetime
    filed_at: datetime | None = None
    decision_due_at: datetime | None = None  # 立案 + 90 days (Art. 60)
    notified_at: datetime | None = None
    proposed: Penalty | None = None  # as 告知 told the party
    answer_due_at: datetime | None = None
    answer: Answer | None = None
    answered_by: str | None = None
    statement: str | None = None
    hearing: bool = False  # a hearing was held
    hearing_requested_at: datetime | None = None
    hearing_at: datetime | None = None
    hearing_record: str | None = None
    legal_review_required: bool = False
    legal_reviewed: bool = False
    reviewed_at: datetime | None = None
    review_returns: int = 0
    review_points: list[str] = []  # the last return's points
    review_comment: str | None = None
    decision: Penalty | None = None
    decided_at: datetime | None = None
    payment_due_at: datetime | None = None
    paid_at: datetime | None = None
    amount_paid: float | None = None
    surcharge_paid: float | None = None
    transferred: bool = False  # 申请法院强制执行
    closed_at: datetime | None = None
    end_reason: str | None = None  # why it was not filed, or the transfer's note
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())

    def party_summary(self) -> dict[str, Any]:
        """What the party (行政相对人) sees: the case, the notice, its answer, the hearing, the
        decision and what it owes; not the staff's internal work (legal review, who opened
        it, the evidence files, the inspection's fine hint)."""
        return {k: v for k, v in self.summary().items() if k in PARTY_FIELDS}

    def owed(self, at: datetime) -> tuple[float, float] | None:
        """(surcharge, amount due) at `at` while a fine is unpaid, else None."""
        if (self.status != "executing" or self.decision is None or self.decision.fine is None
                or self.payment_due_at is None):
            return None
        fine = self.decision.fine
        return surcharge(fine, self.payment_due_at, at), amount_due(fine, self.payment_due_at, at)


PARTY_FIELDS = frozenset({
    "id", "workflow_id", "status", "credit_code", "enterprise_name", "street", "party",
    "department", "officers", "inspection_id", "item", "facts", "legal_basis", "opened_at",
    "filed_at", "decision_due_at", "notified_at", "proposed", "answer_due_at", "answer",
    "answered_by", "statement", "hearing", "hearing_requested_at", "hearing_at",
    "hearing_record", "decision", "decided_at", "payment_due_at", "paid_at", "amount_paid",
    "surcharge_paid", "transferred", "closed_at", "version",
})


class PenaltyCaseView(BaseModel):
    """The case and its tasks, read in one query."""

    case: PenaltyState
    tasks: list[Task]


# -- the data each decision takes (validated by the task board, shown as JSON Schema) ------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _said(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Said = Annotated[Text, AfterValidator(_said)]
"""Text a decision needs: not empty, not only spaces."""


class IssueData(_Data):
    proposed: Penalty = Field(description="拟作出的行政处罚：type 与罚款金额 fine（元）")

    @model_validator(mode="after")
    def _a_penalty(self) -> "IssueData":
        if self.proposed.type == "none":
            raise ValueError("a notice proposes a penalty; 不予处罚 is decided, not notified")
        return self


class StatementData(_Data):
    text: Said = Field(description="陈述、申辩意见")


class HeldData(_Data):
    record: Said = Field(description="听证笔录摘要")


ReviewPoint = Literal["subject", "facts", "evidence", "legal_basis", "discretion", "procedure"]
REVIEW_POINT_NAMES = {"subject": "主体", "facts": "事实", "evidence": "证据",
                      "legal_basis": "法律依据", "discretion": "裁量", "procedure": "程序"}


class ReturnData(_Data):
    points: list[ReviewPoint] = Field(min_length=1, max_length=len(REVIEW_POINT_NAMES),
                                      description="需补正的审核要点")

    @field_validator("points")
    @classmethod
    def _distinct(cls, points: list[str]) -> list[str]:
        return list(dict.fromkeys(points))


class DecideData(_Data):
    penalty: Penalty = Field(description="处罚决定；不予处罚为 {\"type\": \"none\"}")


class PaidData(_Data):
    amount: float = Field(gt=0, le=2 * MAX_FINE, allow_inf_nan=False,
                          description="缴纳金额（元），含加处罚款")

    @field_validator("amount")
    @classmethod
    def _fen(cls, amount: float) -> float:
        if not math.isclose(amount, round(amount, 2), abs_tol=1e-9):
            raise ValueError("an amount in yuan has at most two decimals (fen)")
        return amount


DECISION_DATA: dict[str, type[BaseModel]] = {
    "issue": IssueData, "statement": StatementData, "held": HeldData, "return": ReturnData,
    "decide": DecideData, "paid": PaidData,
}

# -- the decisions of each step --------------------------------------------------------------

FILE = [DecisionSpec(name="accept", label="立案"),
        DecisionSpec(name="reject", label="不予立案", comment_required=True)]
NOTIFY = [DecisionSpec(name="issue", label="送达行政处罚告知书", data="issue")]
ANSWER = [DecisionSpec(name="statement", label="陈述申辩", data="statement"),
          DecisionSpec(name="request_hearing", label="要求听证"),
          DecisionSpec(name="waive", label="放弃陈述申辩")]
HEARING = [DecisionSpec(name="held", label="听证已举行", data="held")]
REVIEW = [DecisionSpec(name="approve", label="审核通过"),
          DecisionSpec(name="return", label="退回补正", comment_required=True, data="return")]
REVISE = [DecisionSpec(name="resubmit", label="补正后重新报审", comment_required=True)]
DECIDE = [DecisionSpec(name="decide", label="作出处罚决定", data="decide")]
EXECUTE = [DecisionSpec(name="paid", label="已缴纳罚款", data="paid"),
           DecisionSpec(name="transferred", label="申请法院强制执行", comment_required=True)]
