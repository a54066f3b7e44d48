"""德分宝 monthly settlement (月度结算, issue 9), shared by workflows, activities and API.

One MonthlySettlementWorkflow per month (`settlement-<yyyy-mm>`, so a month is settled once
however often it is started): close the month, void stale reservations, expire old points,
compute each merchant's statement in set-based SQL, review every statement in a child
StatementReviewWorkflow on the task board (finance officer; a dispute goes to the merchant,
a contested one to admin), post all approved statements as one all-or-nothing set, publish
the month's report. The workflows carry ids and totals, never rows.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.tasks import DecisionSpec, EscalationPolicy, Limit, Task
from domain.timefmt import SHANGHAI, local_json
from domain.worktime import CalendarSnapshot

PROCESS = "settlement"  # the month
STATEMENT = "statement"  # one merchant's statement of the month
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"  # 2000-01 … 2099-12
MAX_LINES = 200  # lines one dispute may name

Step = Literal["closing", "voiding", "expiring", "statements", "reviewing", "posting",
               "reporting", "settled"]
STEP_NAMES = {"closing": "关账", "voiding": "作废逾期兑换", "expiring": "积分到期",
              "statements": "生成结算单", "reviewing": "审核结算单", "posting": "入账",
              "reporting": "发布月报", "settled": "已结算"}
StatementStatus = Literal["review", "disputed", "contested", "approved", "payable"]
STATEMENT_NAMES = {"review": "待财务审核", "disputed": "待商家确认更正",
                   "contested": "待管理员裁定", "approved": "已审核待入账",
                   "payable": "已入账待支付"}


def valid_month(month: str) -> bool:
    return re.fullmatch(MONTH_PATTERN, month) is not None


def month_start(month: str) -> datetime:
    """The first instant of the month in Asia/Shanghai, in UTC."""
    year, mon = (int(x) for x in month.split("-"))
    return datetime(year, mon, 1, tzinfo=SHANGHAI).astimezone(UTC)


def next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def previous_month(at: datetime) -> str:
    """The month before the Asia/Shanghai month of `at` (what a run on the 1st settles)."""
    local = at.astimezone(SHANGHAI).replace(day=1) - timedelta(days=1)
    return local.strftime("%Y-%m")


def month_end(month: str) -> datetime:
    return month_start(next_month(month))


def expiry_cutoff(month: str, life_months: int) -> datetime:
    """Points given before this instant have outlived their life by the end of `month`."""
    year, mon = (int(x) for x in next_month(month).split("-"))
    index = year * 12 + mon - 1 - life_months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)


def workflow_id_for(month: str) -> str:
    return f"settlement-{month}"


def statement_id(month: str, merchant: str) -> str:
    return f"{month}-{merchant}"


def statement_workflow_id(month: str, merchant: str) -> str:
    return f"statement-{statement_id(month, merchant)}"


def line_transfer_id(redemption_id: str) -> str:
    """A statement line is a confirmed redemption: the transfer that posted it."""
    return f"redemption:{redemption_id}:post"


# -- policy, input and state of the month -------------------------------------------------


class SettlementPolicy(BaseModel):
    """Fixed per month when its settlement starts (configuration)."""

    life_months: int = Field(12, ge=1, le=120)  # a point expires after this
    review_limit: Limit = Limit(value=3, unit="working_days")  # finance officer
    answer_limit: Limit = Limit(value=3, unit="working_days")  # merchant, on a dispute
    decide_limit: Limit = Limit(value=5, unit="working_days")  # admin, on a contest
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None


class SettlementInput(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN)
    started_by: str  # a username, or "schedule"
    policy: SettlementPolicy


class Statement(BaseModel):
    """A merchant's statement as computed (totals only; its lines are the ledger's)."""

    merchant: str
    merchant_name: str
    community: str
    redemptions: int
    points: int
    rate: float  # yuan per point (0: a donor)
    amount_fen: int


class StatementResult(BaseModel):
    """What a review decided: the lines (redemption ids) taken out of the statement."""

    merchant: str
    excluded: list[str] = []


class Posted(BaseModel):
    statements: int
    points: int
    amount_fen: int
    reversed_points: int
    repeated: bool = False  # posted by an earlier attempt


class Expired(BaseModel):
    accounts: int
    points: int


class SettlementState(BaseModel):
    month: str
    workflow_id: str
    step: Step = "closing"
    started_by: str
    started_at: datetime
    closed_at: datetime | None = None
    voided: int | None = None  # stale reservations voided
    expired_accounts: int | None = None
    expired_points: int | None = None
    statements: int | None = None
    reviewed: int = 0
    disputed: int = 0  # statements whose review named lines that were taken out
    points_settled: int | None = None
    amount_fen: int | None = None
    reversed_points: int | None = None
    settled_at: datetime | None = None
    version: int = 0

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())


# -- one statement's review -----------------------------------------------------------------


class StatementInput(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN)
    statement: Statement
    policy: SettlementPolicy


class StatementState(BaseModel):
    id: str  # <month>-<merchant>
    workflow_id: str
    month: str
    merchant: str
    merchant_name: str
    community: str
    redemptions: int
    points: int
    rate: float
    amount_fen: int
    status: StatementStatus = "review"
    disputed_lines: list[str] = []
    dispute_reason: str | None = None
    disputed_by: str | None = None
    answer: str | None = None  # accept | contest
    answer_comment: str | None = None
    ruling: str | None = None  # uphold | dismiss
    ruling_comment: str | None = None
    excluded: list[str] = []  # lines taken out (the dispute stood)
    approved_by: str | None = None
    approved_at: datetime | None = None
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())


class StatementView(BaseModel):
    case: StatementState
    tasks: list[Task]


class DisputeData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(min_length=1, max_length=MAX_LINES,
                             description="有异议的结算明细（兑换单号）")
    reason: str = Field(min_length=2, max_length=500, description="异议理由")


REVIEW = [DecisionSpec(name="approve", label="审核通过"),
          DecisionSpec(name="dispute", label="提出异议", data="DisputeData")]
ANSWER = [DecisionSpec(name="accept", label="接受更正"),
          DecisionSpec(name="contest", label="不同意，提请管理员裁定", comment_required=True)]
RULE = [DecisionSpec(name="uphold", label="异议成立，剔除所列明细", comment_required=True),
        DecisionSpec(name="dismiss", label="异议不成立，按原结算单结算", comment_required=True)]
DECISION_DATA: dict[str, type[BaseModel]] = {"DisputeData": DisputeData}


class ExpireRequest(BaseModel):
    month: str
    cutoff: datetime  # points given before it expire
    at: datetime  # when the expiry transfers are dated


class ComputeRequest(BaseModel):
    month: str
    at: datetime


class ReportRequest(BaseModel):
    month: str
    at: datetime
    top: int = 10


class Resolution(BaseModel):
    """What the post activity writes: every approved statement at once."""

    month: str
    results: list[StatementResult]
    actor: str
    at: datetime


def amount_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d} 元"
