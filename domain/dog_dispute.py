"""Models of the dog-dispute process (文明养犬: 自律 -> 共律 -> 法律), shared by workflow,
activities and API.

自律 self-discipline: the owner (identified first by the grid worker if unknown) corrects, the
reporter confirms. 共律 joint governance: 人民调解 by the community's mediator (人民调解法).
法律 the law: the behaviour's authority enforces. A resolved case is followed up 30 days later.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from domain.dogs import Behaviour
from domain.limits import ShortText, Text
from domain.tasks import Actor, DecisionSpec, EscalationPolicy, Limit, Task
from domain.timefmt import local_json
from domain.worktime import CalendarSnapshot

PROCESS = "dog_dispute"

Tier = Literal["self_discipline", "mediation", "legal"]
TIER_NAMES = {"self_discipline": "自律", "mediation": "共律", "legal": "法律"}
TIERS: tuple[Tier, ...] = ("self_discipline", "mediation", "legal")

Status = Literal["self_discipline", "mediation", "legal", "follow_up", "resolved", "closed",
                 "withdrawn"]
STATUS_NAMES = {"self_discipline": "自律", "mediation": "共律（人民调解）", "legal": "法律",
                "follow_up": "回访", "resolved": "已化解", "closed": "已结案",
                "withdrawn": "已撤回"}
TERMINAL = ("closed", "withdrawn")
ACTIVE = ("self_discipline", "mediation", "legal")  # a tier is working on the case

# How a tier ended the dispute (an Outcome's `result`).
Result = Literal[
    "corrected",  # 自律: the reporter confirmed it resolved (or stayed silent)
    "performed",  # 共律: the agreement was performed
    "advice",  # 共律: a party refused mediation; closed with advice (Art. 17/26)
    "warning", "fine", "seize", "no_violation",  # 法律
    "withdrawn",  # the reporter withdrew
]
RESULT_NAMES = {"corrected": "自律化解", "performed": "调解协议履行",
                "advice": "告知其他途径后结案", "warning": "警告", "fine": "罚款",
                "seize": "收容/没收", "no_violation": "不构成违法", "withdrawn": "撤回"}
RESOLVED_RESULTS = ("corrected", "performed", "warning", "fine", "seize", "no_violation")

Username = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9._-]+$")]


def workflow_id_for(case_id: str) -> str:
    return f"dog-dispute-{case_id}"


def _said(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Said = Annotated[Text, AfterValidator(_said)]
SaidShort = Annotated[ShortText, AfterValidator(_said)]


class DogPolicy(BaseModel):
    """Limits and the ladder, fixed per case when it starts (configuration)."""

    identify_limit: Limit = Limit(value=2, unit="working_days")
    correct_window: Limit = Limit(value=3, unit="calendar_days")  # 自律: the owner corrects
    confirm_window: Limit = Limit(value=3, unit="calendar_days")  # silence counts as resolved
    schedule_limit: Limit = Limit(value=3, unit="working_days")
    decide_limit: Limit = Limit(value=2, unit="working_days")  # after_refusal
    record_limit: Limit = Limit(value=1, unit="working_days")  # mediate, from the session
    performance_limit: Limit = Limit(value=3, unit="working_days")
    enforce_limit: Limit = Limit(value=5, unit="working_days")
    follow_up_limit: Limit = Limit(value=3, unit="working_days")
    mediation_days: int = Field(default=30, gt=0)  # 人民调解 concludes within a month
    judicial_days: int = Field(default=30, gt=0)  # 人民调解法 Art. 33: 司法确认 window
    follow_up_days: int = Field(default=30, gt=0)  # after resolution, the grid worker checks
    recurrence_days: int = Field(default=90, gt=0)  # a new dispute within: starts where it ended
    escalation: EscalationPolicy
    calendar: CalendarSnapshot | None = None


class Prior(BaseModel):
    """An earlier dispute about the same owner and behaviour that ended recently."""

    id: str
    ended_tier: Tier
    ended_at: datetime


class PriorQuery(BaseModel):
    owner: str
    behaviour: int
    community: str
    since: datetime
    exclude_id: str


class DogDisputeInput(BaseModel):
    id: str  # the workflow id is "dog-dispute-" + id
    community: str  # code
    community_name: str
    street: str  # the community's street or town
    behaviour: Behaviour  # the convention's rule as it stood when the case started
    convention_version: str
    place: str
    description: str
    dog_id: str | None = None
    dog_banned: bool = False
    owner: str | None = None  # the resident's username, if the reporter or registry knows
    urgent: bool = False  # a bite, an injury, a fight (人民调解法 Art. 25): straight to 公安
    evidence: list[str] = []  # references (domain.limits.Ref), never the files
    prior: Prior | None = None  # the API looks it up when the owner is known at the start
    reporter: Actor
    reported_at: datetime
    policy: DogPolicy


def opening(inp: DogDisputeInput) -> tuple[Tier, str | None]:
    """The tier a new dispute starts at, and why when it is not 自律. The API answers with it
    and the workflow starts there: the same pure function over the same input."""
    if inp.urgent:
        return "legal", ("紧急情况（伤人、打斗等可能激化为治安案件，人民调解法第二十五条），"
                         "直接移交公安")
    if inp.behaviour.direct_to_law or inp.dog_banned:
        return "legal", (f"涉及{inp.behaviour.name}（禁养或未登记犬只），"
                         f"由{inp.behaviour.legal_handler}依法处理")
    if inp.prior is not None:
        return inp.prior.ended_tier, prior_reason(inp.prior, inp.policy.recurrence_days)
    return "self_discipline", None


def prior_reason(prior: Prior, days: int) -> str:
    tier = TIER_NAMES[prior.ended_tier]
    return f"该养犬人{days}日内同类纠纷（{prior.id}）已在{tier}层级结束，本案从{tier}层级开始"


class Visit(BaseModel):
    """A persuasion visit (劝导) by property management or a volunteer."""

    at: datetime
    by: str
    role: str
    note: str


class Judicial(BaseModel):
    """A party's application for judicial confirmation (司法确认, 人民调解法 Art. 33)."""

    at: datetime
    by: str
    court: str
    note: str | None = None


class Terms(BaseModel):
    """An agreement's terms (人民调解法 Art. 29)."""

    model_config = ConfigDict(extra="forbid")

    facts: Text | None = Field(None, description="纠纷的主要事实、争议事项")
    obligations: list[Said] = Field(min_length=1, max_length=20, description="各方约定的义务")
    manner: Text | None = Field(None, description="履行方式")
    perform_by: date = Field(description="履行期限")


class Mediation(BaseModel):
    """共律: one round of 人民调解."""

    started_at: datetime
    due_at: datetime  # concludes within mediation_days
    mediator: str | None = None
    session_at: datetime | None = None
    session_place: str | None = None
    consents: dict[str, str] = {}  # party username -> agree | refuse | silent
    participants: list[str] = []
    terms: Terms | None = None
    agreed_at: datetime | None = None
    judicial_due_at: datetime | None = None
    judicial: Judicial | None = None
    failed_reason: str | None = None
    performed: bool | None = None
    breach: str | None = None


class Enforcement(BaseModel):
    """法律: what the authority decided."""

    department: str | None
    role: str
    decision: str | None = None  # warning | fine | seize | no_violation
    amount: float | None = None
    serious: bool = False
    record: str | None = None
    by: str | None = None
    at: datetime | None = None


class Outcome(BaseModel):
    """How one tier ended (a case that recurs has more than one)."""

    tier: Tier
    result: Result
    at: datetime
    by: str | None = None
    note: str | None = None


class DogDisputeState(BaseModel):
    id: str
    workflow_id: str
    status: Status
    tier: Tier
    community: str
    community_name: str
    street: str
    behaviour: int
    behaviour_name: str
    rule: str
    convention_version: str
    place: str
    description: str
    dog_id: str | None = None
    owner: str | None = None
    reporter: str
    reporter_role: str
    urgent: bool = False
    evidence: list[str] = []
    reported_at: datetime
    started_tier: Tier
    path: list[Tier] = []  # the tiers the case has been at, in order (repeats on recurrence)
    start_reason: str | None = None  # why it did not start at 自律 (urgent, banned, prior)
    prior_id: str | None = None
    owner_unknown: str | None = None  # the grid worker's note when the owner was not found
    owner_answer: str | None = None  # correct | dispute | silent
    correction: str | None = None
    correct_due_at: datetime | None = None
    confirmation: str | None = None  # resolved | not_resolved | silent
    visits: list[Visit] = []
    mediation: Mediation | None = None  # the current (or last) round
    past_mediations: list[Mediation] = []  # earlier rounds, before a recurrence reopened 共律
    enforcement: Enforcement | None = None
    outcomes: list[Outcome] = []
    ended_tier: Tier | None = None
    resolved_at: datetime | None = None
    follow_up_at: datetime | None = None
    recurrences: int = 0
    closed_at: datetime | None = None
    open_task_ids: list[str] = []
    current_due_at: datetime | None = None
    version: int = 0

    @property
    def parties(self) -> list[str]:
        """The reporter and the owner (人民调解's parties)."""
        return [p for p in dict.fromkeys([self.reporter, self.owner]) if p]

    def summary(self) -> dict[str, Any]:
        return local_json(self.model_dump())


class DogDisputeView(BaseModel):
    """The case and its tasks, read in one query."""

    case: DogDisputeState
    tasks: list[Task]


# -- Updates besides the task board's `act` --------------------------------------------------


class VisitRequest(BaseModel):
    actor: Actor
    note: Said


class JudicialRequest(BaseModel):
    actor: Actor
    court: SaidShort
    note: Text | None = None


class WithdrawRequest(BaseModel):
    actor: Actor
    reason: Said


# -- the data each decision takes (validated by the task board, shown as JSON Schema) ------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentifiedData(_Data):
    owner: Username = Field(description="养犬人的用户名")


class CorrectData(_Data):
    action: Said = Field(description="已采取的改正措施")


class ScheduleData(_Data):
    at: datetime = Field(description="调解时间（带时区，须晚于现在、早于调解期限）")
    place: SaidShort = Field(description="调解地点")


class AgreementData(_Data):
    terms: Terms
    participants: list[SaidShort] = Field(min_length=1, max_length=20,
                                          description="参加调解的人员（楼栋长、志愿者等）")


class RecordData(_Data):
    record: Said = Field(description="处理记录")
    serious: bool = Field(False, description="情节严重")


class FineData(RecordData):
    amount: float = Field(gt=0, allow_inf_nan=False, description="罚款金额（元）")


DECISION_DATA: dict[str, type[BaseModel]] = {
    "identified": IdentifiedData, "correct": CorrectData, "schedule": ScheduleData,
    "agreement": AgreementData, "record": RecordData, "fine": FineData,
}

# -- the decisions of each step --------------------------------------------------------------

IDENTIFY = [DecisionSpec(name="identified", label="已查明养犬人", data="identified"),
            DecisionSpec(name="unknown", label="无法查明", comment_required=True)]
SELF_CORRECT = [DecisionSpec(name="correct", label="已改正", data="correct"),
                DecisionSpec(name="dispute", label="有异议，申请调解", comment_required=True)]
CONFIRM = [DecisionSpec(name="resolved", label="问题已解决"),
           DecisionSpec(name="not_resolved", label="问题未解决", comment_required=True)]
# Past mediation's 30 days a session can no longer be set: the mediator refers or closes.
SCHEDULE = [DecisionSpec(name="schedule", label="安排调解", data="schedule"),
            DecisionSpec(name="refer", label="移交法律途径", comment_required=True),
            DecisionSpec(name="close", label="告知其他途径后结案", comment_required=True)]
CONSENT = [DecisionSpec(name="agree", label="同意调解"),
           DecisionSpec(name="refuse", label="拒绝调解", comment_required=True)]
AFTER_REFUSAL = [DecisionSpec(name="refer", label="移交法律途径", comment_required=True),
                 DecisionSpec(name="close", label="告知其他途径后结案", comment_required=True)]
MEDIATE = [DecisionSpec(name="agreement", label="达成调解协议", data="agreement"),
           DecisionSpec(name="failed", label="调解不成", comment_required=True)]
PERFORMANCE = [DecisionSpec(name="performed", label="已履行"),
               DecisionSpec(name="breached", label="未履行", comment_required=True)]
ENFORCE = [DecisionSpec(name="warning", label="警告", data="record"),
           DecisionSpec(name="fine", label="罚款", data="fine"),
           DecisionSpec(name="seize", label="收容", data="record"),
           DecisionSpec(name="no_violation", label="不构成违法", data="record")]
FOLLOW_UP = [DecisionSpec(name="ok", label="回访正常"),
             DecisionSpec(name="recurred", label="问题复发", comment_required=True)]
