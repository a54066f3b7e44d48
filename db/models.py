"""SQLModel tables. Workflows never import this module (DESIGN.md, principle 8)."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Stored in UTC, read back timezone-aware on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must carry a zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utc_column(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), **kw))


class User(SQLModel, table=True):
    username: str = Field(primary_key=True, max_length=64)
    display_name: str
    role: str = Field(index=True)
    department: str | None = Field(default=None, index=True)
    report_source: str | None = None  # service accounts: the one source they report as
    password_hash: str
    active: bool = True


class Category(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)
    name: str
    class_: str = Field(sa_column_kwargs={"name": "class"})
    major_class: str
    filing_condition: str = ""
    closing_condition: str = ""
    limits: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    department: str
    routing: str = "owner"


class TaskRow(SQLModel, table=True):
    """Projection of a workflow's human task, for inboxes and supervision lists."""

    __tablename__ = "task"
    id: str = Field(primary_key=True, max_length=128)
    workflow_id: str = Field(index=True)
    process: str = Field(index=True)
    case_id: str = Field(index=True)
    step: str
    step_code: str
    title: str
    assignee_role: str = Field(index=True)
    assignee_department: str | None = Field(default=None, index=True)
    assignee_user: str | None = Field(default=None, index=True)
    assignees: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    opened_at: datetime | None = utc_column()
    warn_at: datetime | None = utc_column()
    due_at: datetime | None = utc_column()
    expires_at: datetime | None = utc_column()
    escalation_level: int = Field(default=0, index=True)
    status: str = Field(default="open", index=True)
    allowed_decisions: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    decisions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    supervised: bool = False  # followed by supervisors as 督办 (task_watch has who)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    decision: str | None = None
    actor: str | None = None
    completed_at: datetime | None = utc_column()
    version: int = 0


class TaskAssignee(SQLModel, table=True):
    """Who may act on a task, for the inbox: one row per role/department/user it admits
    ("" = any). A task usually has one; named officers or a second party make more."""

    __tablename__ = "task_assignee"
    task_id: str = Field(primary_key=True, max_length=128)
    role: str = Field(primary_key=True, max_length=64)
    department: str = Field(default="", primary_key=True, max_length=64)
    username: str = Field(default="", primary_key=True, max_length=64)


class TaskWatch(SQLModel, table=True):
    """A supervisor following an overdue open task (督办), as its process's ladder says."""

    __tablename__ = "task_watch"
    task_id: str = Field(primary_key=True, max_length=128)
    role: str = Field(primary_key=True, max_length=64)
    department: str = Field(default="", primary_key=True, max_length=64)  # "" = any


class IncidentRow(SQLModel, table=True):
    """Projection of an incident case, for lists, filters and indicators."""

    __tablename__ = "incident"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    status: str = Field(index=True)
    source: str = Field(index=True)
    reporter: str = Field(index=True)
    category_code: str = Field(index=True)
    category_name: str
    department: str | None = Field(default=None, index=True)
    street: str | None = Field(default=None, index=True)
    description: str = ""
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    area_class: str | None = None
    external_ref: str | None = Field(default=None, index=True)  # 市级下派 reference number
    report_count: int = 1  # repeated reports joined to this case, itself included
    reported_at: datetime | None = utc_column()
    filed_at: datetime | None = utc_column()
    dispatched_at: datetime | None = utc_column()
    handle_due_at: datetime | None = utc_column()
    handled_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column()
    current_due_at: datetime | None = utc_column()
    on_time: bool | None = None
    returns: int = 0
    reworks: int = 0
    extensions: int = 0
    dispatches: int = 0
    handling_hours: float | None = None  # working hours from first dispatch to handled
    evaluation: str | None = None
    version: int = 0


class IncidentReporter(SQLModel, table=True):
    """Everyone who reported a case, the first reporter and those whose reports joined it."""

    __tablename__ = "incident_reporter"
    case_id: str = Field(primary_key=True, max_length=64)
    username: str = Field(primary_key=True, max_length=128, index=True)


class ReportLock(SQLModel, table=True):
    """One row per category: a report locks it while it decides to join or to open a case,
    so concurrent reports of one spot open exactly one case (on SQLite and PostgreSQL)."""

    __tablename__ = "report_lock"
    key: str = Field(primary_key=True, max_length=64)
    n: int = 0


class ApiKey(SQLModel, table=True):
    """An Open311 client's key; only its hash is stored, the key is shown once."""

    __tablename__ = "api_key"
    id: str = Field(primary_key=True, max_length=32)
    name: str
    key_hash: str = Field(unique=True)
    created_by: str
    created_at: datetime | None = utc_column()
    revoked_at: datetime | None = utc_column()


class Notification(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=160)
    kind: str = "status"  # status, request (an approval's outcome) or escalation
    workflow_id: str = Field(index=True)
    task_id: str | None = Field(default=None, index=True)
    level: int = 0
    recipient_role: str = Field(index=True)
    recipient_department: str | None = Field(default=None, index=True)
    recipient_user: str | None = None
    message: str
    created_at: datetime | None = utc_column()


class LoginAttempt(SQLModel, table=True):
    """Consecutive failed logins per username, known or not, for the login lock."""

    __tablename__ = "login_attempt"
    username: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = utc_column()


# -- enforcement: 多跨智查 and 行政处罚 (docs/enforcement.md) ----------------------------------


class EnterpriseRow(SQLModel, table=True):
    """A market entity (市场主体), by its unified social credit code (GB 32100)."""

    __tablename__ = "enterprise"
    credit_code: str = Field(primary_key=True, max_length=18)
    name: str
    address: str = ""
    street: str = Field(index=True)
    industry: str = ""
    risk_grade: str = "B"  # A (lowest risk) .. D
    party_username: str | None = Field(default=None, unique=True)  # its own account


class EnforcementOfficerRow(SQLModel, table=True):
    """The roster of enforcement officers (执法人员名录库)."""

    __tablename__ = "enforcement_officer"
    username: str = Field(primary_key=True, max_length=64)
    name: str
    department: str = Field(index=True)
    certificate_no: str = Field(unique=True)  # 执法证号
    certificate_expires: date


class InspectionRow(SQLModel, table=True):
    """Projection of a joint inspection, for lists, the enterprise's history and figures."""

    __tablename__ = "inspection"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    type: str = Field(index=True)
    status: str = Field(index=True)
    credit_code: str = Field(index=True)
    enterprise_name: str
    street: str | None = None
    lead_department: str = Field(index=True)
    planned_date: date = Field(index=True)
    created_by: str
    created_at: datetime | None = utc_column()
    approved_at: datetime | None = utc_column()
    inspected_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column()
    current_due_at: datetime | None = utc_column()
    visit_id: str | None = Field(default=None, index=True)
    merged_into: str | None = Field(default=None, index=True)
    items_total: int = 0
    items_checked: int = 0
    violations: int = 0
    penalty_cases: int = 0
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # the last view
    version: int = 0


class InspectionDepartment(SQLModel, table=True):
    """Departments taking part in an inspection (the lead and those invited)."""

    __tablename__ = "inspection_department"
    inspection_id: str = Field(primary_key=True, max_length=64)
    department: str = Field(primary_key=True, max_length=64, index=True)


class PenaltyCaseRow(SQLModel, table=True):
    """Projection of a penalty case (行政处罚案件)."""

    __tablename__ = "penalty_case"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    status: str = Field(index=True)
    credit_code: str = Field(index=True)
    enterprise_name: str
    department: str = Field(index=True)
    inspection_id: str | None = Field(default=None, index=True)
    item: str = ""
    officers: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    opened_at: datetime | None = utc_column()
    filed_at: datetime | None = utc_column()
    decision_due_at: datetime | None = utc_column()  # 立案 + 90 days (Art. 60)
    decided_at: datetime | None = utc_column()
    proposed_type: str | None = None
    proposed_fine: float | None = None
    decision_type: str | None = Field(default=None, index=True)
    fine: float | None = None
    hearing: bool = False
    legal_reviewed: bool = False
    payment_due_at: datetime | None = utc_column()
    paid_at: datetime | None = utc_column()
    amount_paid: float | None = None
    closed_at: datetime | None = utc_column()
    current_due_at: datetime | None = utc_column()
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # the last view
    version: int = 0


class Visit(SQLModel, table=True):
    """One trip to an enterprise (进一次门): hosted by an inspection, joined by others."""

    __tablename__ = "visit"
    id: str = Field(primary_key=True, max_length=64)  # the host inspection's id
    credit_code: str = Field(index=True)
    planned_date: date = Field(index=True)
    open: bool = True  # still taking joiners (until its on-site check begins)
    countable: bool = True  # counts toward the frequency caps (routine, campaign)
    created_at: datetime | None = utc_column()


class VisitDepartment(SQLModel, table=True):
    __tablename__ = "visit_department"
    visit_id: str = Field(primary_key=True, max_length=64)
    department: str = Field(primary_key=True, max_length=64, index=True)


class VisitOfficer(SQLModel, table=True):
    """Who went on a visit, and when: for 回避 in later draws."""

    __tablename__ = "visit_officer"
    visit_id: str = Field(primary_key=True, max_length=64)
    username: str = Field(primary_key=True, max_length=64, index=True)
    day: date


class VisitJoin(SQLModel, table=True):
    """An inspection merged into a visit it does not host."""

    __tablename__ = "visit_join"
    visit_id: str = Field(primary_key=True, max_length=64)
    inspection_id: str = Field(primary_key=True, max_length=64)


# -- dog disputes: 文明养犬 (docs/dog_disputes.md) -------------------------------------------


class CommunityRow(SQLModel, table=True):
    """A community (社区), under its street or town (data/communities.json)."""

    __tablename__ = "community"
    code: str = Field(primary_key=True, max_length=40)
    name: str
    street: str = Field(index=True)  # the street's or town's department code


class BuildingRow(SQLModel, table=True):
    __tablename__ = "building"
    id: str = Field(primary_key=True, max_length=64)  # "<community>-<n>", e.g. baijiayuan-3
    community: str = Field(index=True)
    name: str  # as people say it: 3栋


class ResidentRow(SQLModel, table=True):
    """A resident's contact details: personal data, masked by the API, never in a workflow."""

    __tablename__ = "resident"
    username: str = Field(primary_key=True, max_length=64)
    community: str = Field(index=True)
    building: str | None = None
    room: str | None = None
    phone: str | None = None


class DogRow(SQLModel, table=True):
    """The dog registry (养犬登记), by registration number (登记证号)."""

    __tablename__ = "dog"
    dog_id: str = Field(primary_key=True, max_length=40)
    owner: str = Field(index=True)  # the resident's username
    community: str = Field(index=True)
    name: str | None = None
    breed: str
    banned: bool = False  # a breed the regulation bans (禁养犬)
    vaccinated_on: date | None = None  # the last rabies vaccination
    registered_on: date | None = None  # None: never registered


class DogDisputeRow(SQLModel, table=True):
    """Projection of a dog dispute, for lists, the community's view and recurrence."""

    __tablename__ = "dog_dispute"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    status: str = Field(index=True)
    tier: str = Field(index=True)
    community: str = Field(index=True)
    street: str = Field(index=True)
    behaviour: int = Field(index=True)
    dog_id: str | None = None
    owner: str | None = Field(default=None, index=True)
    reporter: str = Field(index=True)
    urgent: bool = False
    started_tier: str
    ended_tier: str | None = Field(default=None, index=True)
    result: str | None = None  # the last outcome's result
    path: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # tiers visited
    reported_at: datetime | None = utc_column(index=True)
    resolved_at: datetime | None = utc_column()
    closed_at: datetime | None = utc_column()
    current_due_at: datetime | None = utc_column()
    recurrences: int = 0
    prior_id: str | None = None
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # the last view
    version: int = 0


# -- the points ledger (德分宝; domain/ledger.py, db/ledger.py) ------------------------------


class LedgerAccountRow(SQLModel, table=True):
    """An account and its running totals. The totals are a cache of its transfers, updated in
    the same transaction as each transfer and checked by `make ledger-check`."""

    __tablename__ = "ledger_account"
    id: str = Field(primary_key=True, max_length=96)
    kind: str = Field(index=True)
    owner: str = Field(index=True)  # a username, a merchant code, a community code, a month
    community: str | None = Field(default=None, index=True)
    negative_allowed: bool = False
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0
    created_at: datetime | None = utc_column()


class LedgerTransferRow(SQLModel, table=True):
    """An immutable transfer: the tables refuse UPDATE and DELETE (triggers)."""

    __tablename__ = "ledger_transfer"
    id: str = Field(primary_key=True, max_length=128)
    phase: str = Field(index=True)
    debit: str = Field(index=True, max_length=96)
    credit: str = Field(index=True, max_length=96)
    amount: int
    # Unique: a pending transfer is posted or voided by exactly one transfer.
    pending_id: str | None = Field(default=None, unique=True, max_length=128)
    kind: str = Field(index=True)
    reason: str = ""
    actor: str
    at: datetime | None = utc_column(index=True)
    month: str = Field(index=True, max_length=7)


class LedgerMonthRow(SQLModel, table=True):
    """A month of the ledger; once closed, it takes no transfers dated in it."""

    __tablename__ = "ledger_month"
    month: str = Field(primary_key=True, max_length=7)
    closed_at: datetime | None = utc_column()


class DeedRow(SQLModel, table=True):
    """Projection of a good deed (善行义举) and its verification."""

    __tablename__ = "deed"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    status: str = Field(index=True)  # verifying, approved, rejected
    resident: str = Field(index=True)
    community: str = Field(index=True)
    type_code: str = Field(index=True)
    type_name: str
    points_asked: int
    points_given: int | None = None
    recorded_by: str
    reported_at: datetime | None = utc_column(index=True)
    decided_at: datetime | None = utc_column()
    decided_by: str | None = None
    table_version: str
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = 0


class MerchantRow(SQLModel, table=True):
    """A merchant that takes points (商家): its users have `department` = its code."""

    __tablename__ = "merchant"
    code: str = Field(primary_key=True, max_length=40)
    name: str
    community: str = Field(index=True)
    category: str  # barber, market, property, cinema, ...
    rate: float = 0.0  # yuan per point it is settled at (0: a donor)
    account: str = Field(max_length=96)  # its ledger account id


class OfferRow(SQLModel, table=True):
    """A merchant's offer: goods or a service for points."""

    __tablename__ = "offer"
    id: str = Field(primary_key=True, max_length=40)
    merchant: str = Field(index=True, max_length=40)
    title: str
    kind: str  # goods | service
    points: int
    stock: int  # units left; reserving one takes it, a void gives it back
    valid_until: date
    created_at: datetime | None = utc_column()


class RedemptionRow(SQLModel, table=True):
    """Projection of a redemption (积分兑换) and its single-use code."""

    __tablename__ = "redemption"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    code: str = Field(unique=True, max_length=8)
    status: str = Field(index=True)  # reserved, confirmed, voided, cancelled
    resident: str = Field(index=True)
    community: str = Field(index=True)
    offer_id: str = Field(index=True, max_length=40)
    merchant: str = Field(index=True, max_length=40)
    points: int
    reserved_at: datetime | None = utc_column(index=True)
    expires_at: datetime | None = utc_column()
    confirmed_at: datetime | None = utc_column()
    ended_at: datetime | None = utc_column()
    rating: int | None = None
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = 0


class SettlementRow(SQLModel, table=True):
    """Projection of a month's settlement (月度结算)."""

    __tablename__ = "settlement"
    month: str = Field(primary_key=True, max_length=7)
    workflow_id: str = Field(unique=True)
    step: str = Field(index=True)
    started_by: str
    started_at: datetime | None = utc_column()
    settled_at: datetime | None = utc_column()
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = 0


class StatementRow(SQLModel, table=True):
    """A merchant's statement of a month: its totals are computed once, in set-based SQL,
    from the closed month's confirmed redemptions; its review writes the rest."""

    __tablename__ = "settlement_statement"
    id: str = Field(primary_key=True, max_length=64)  # <month>-<merchant>
    month: str = Field(index=True, max_length=7)
    merchant: str = Field(index=True, max_length=40)
    merchant_name: str
    community: str = Field(index=True)
    redemptions: int
    points: int
    rate: float
    amount_fen: int  # what the statement first said is due
    status: str = Field(index=True)  # review, disputed, contested, approved, payable
    excluded: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    points_settled: int | None = None
    amount_fen_settled: int | None = None
    transfer_id: str | None = None
    payable_at: datetime | None = utc_column()
    created_at: datetime | None = utc_column()
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = 0


class CreditReportRow(SQLModel, table=True):
    """The month's published report (月报), written once the month is settled."""

    __tablename__ = "credit_report"
    month: str = Field(primary_key=True, max_length=7)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    published_at: datetime | None = utc_column()


class RiderPassRow(SQLModel, table=True):
    """Projection of a 惠新码 rider pass. No personal data: the rider's name, phone, ID
    number and photo are kept apart, for those who need them."""

    __tablename__ = "rider_pass"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    rider: str = Field(index=True)
    platform: str
    status: str = Field(index=True)
    scope: Any = Field(default=None, sa_column=Column(JSON))  # "district" or community codes
    applied_at: datetime | None = utc_column(index=True)
    approved_at: datetime | None = utc_column()
    valid_until: datetime | None = utc_column(index=True)
    ended_at: datetime | None = utc_column()
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = 0


class RiderProfileRow(SQLModel, table=True):
    """A rider's personal data (惠新码), shown to the rider and the union's reviewers only:
    the ID number is kept as a keyed hash (HMAC, ID_HASH_SECRET) and its last four."""

    __tablename__ = "rider_profile"
    username: str = Field(primary_key=True, max_length=64)
    name: str
    phone: str
    id_hash: str = Field(unique=True, max_length=64)  # one person, one rider account
    id_last4: str = Field(max_length=4)
    platform: str
    platform_rider_id: str
    photo: str
    updated_at: datetime | None = utc_column()


class GateRow(SQLModel, table=True):
    """A community gate that verifies 惠新码 (data/gates.json)."""

    __tablename__ = "gate"
    id: str = Field(primary_key=True, max_length=40)
    name: str
    community: str = Field(index=True, max_length=40)
    # The gate device's key (X-Gate-Key), as a SHA-256 of 32 random bytes; none until issued.
    key_hash: str | None = Field(default=None, unique=True, max_length=64)
    key_issued_at: datetime | None = utc_column()


class RiderKeyRow(SQLModel, table=True):
    """A signing key's public half and validity; the private half lives in a file outside
    the repository and outside every row the API returns (RIDER_KEY_DIR)."""

    __tablename__ = "rider_key"
    kid: str = Field(primary_key=True, max_length=40)
    public_x: str  # the raw Ed25519 public key, base64url without padding (a JWK's `x`)
    created_at: datetime | None = utc_column()
    retired_at: datetime | None = utc_column()


class GateScanRow(SQLModel, table=True):
    """Every scan at a gate, allowed or not (no personal data: the pass id and outcome)."""

    __tablename__ = "gate_scan"
    id: int | None = Field(default=None, primary_key=True)
    gate: str = Field(index=True, max_length=40)
    community: str = Field(index=True, max_length=40)
    at: datetime | None = utc_column(index=True)
    pass_id: str | None = Field(default=None, index=True, max_length=64)
    cti: str | None = Field(default=None, max_length=64)
    allowed: bool
    reason: str | None = Field(default=None, index=True, max_length=20)
    scanned_by: str


class CodeUseRow(SQLModel, table=True):
    """A code that let someone in, by its `cti`: at another gate it is a replay."""

    __tablename__ = "code_use"
    cti: str = Field(primary_key=True, max_length=64)
    gate: str = Field(max_length=40)
    at: datetime | None = utc_column()


class RiderServiceRow(SQLModel, table=True):
    """Projection of a rider's service request (心灵驿站, 政策法规, 就业服务, 权益维护)."""

    __tablename__ = "rider_service"
    id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(unique=True)
    rider: str = Field(index=True)
    module: str = Field(index=True)
    status: str = Field(index=True)
    asked_at: datetime | None = utc_column(index=True)
    closed_at: datetime | None = utc_column()
    referred: bool = False
    rating: int | None = None
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = 0
