"""A small process that exists only in the test suite, to show that a new process is its
workflow, its models, its policy and its registration, and nothing else: it appears in
`/tasks`, `/audit` and the replay test without touching them.

会签 two departments in parallel (all, any or a quorum), then a 答复 task for one person that
climbs the ladder and expires by itself, with a 延后 request that command_lead approves. It can
continue as new with its reply task open, as a long-running process would.
"""


from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.limits import ShortText
    from domain.tasks import (
        ASSIGNEE,
        ActionResult,
        Actor,
        Approval,
        BoardState,
        DecisionSpec,
        EscalationPolicy,
        LadderLevel,
        Limit,
        Projection,
        Recipient,
        Task,
        TaskAction,
    )
    from workflows import stubs
    from workflows.human_tasks import TaskBoard

PROCESS = "drill"


class PostponeData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours: float = Field(gt=0, le=48, description="延后的小时数")


class SignData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opinion: ShortText = Field(min_length=1)


DATA: dict[str, type[BaseModel]] = {"postpone": PostponeData, "sign": SignData}

SIGN = [DecisionSpec(name="agree", label="同意", data="sign"),
        DecisionSpec(name="object", label="反对", comment_required=True)]
REPLY = [DecisionSpec(name="reply", label="答复", comment_required=True),
         DecisionSpec(name="postpone", label="申请延后", comment_required=True, data="postpone",
                      closes=False, approval=Approval(role="command_lead"))]

LADDER = EscalationPolicy(levels=[
    LadderLevel(share=0.8, name="预警", text="{title} 将于 {due} 到期", notify=[Recipient()]),
    LadderLevel(share=1.0, name="超期", text="{title} 已于 {due} 超期",
                notify=[Recipient(role="dept_head", department="urban_mgmt")], supervise=True),
    LadderLevel(share=2.0, name="升级", text="{title} 超期已达{share}倍",
                notify=[Recipient(role="command_lead", department=ASSIGNEE)], supervise=True),
])


class DrillInput(BaseModel):
    id: str
    starter: Actor
    replier: str = "citizen"
    sign_need: int = 2  # 2: all, 1: any
    sign_limit: Limit = Limit(value=1, unit="working_days")
    reply_limit: Limit = Limit(value=5, unit="calendar_days")
    expire_share: float = 1.5
    continue_as_new: bool = False
    stage: str = "sign"
    board: BoardState | None = None
    signed: list[str] = []


class DrillState(BaseModel):
    id: str
    status: str = "signing"
    signed: list[str] = []
    reply: str | None = None


@workflow.defn
class DrillWorkflow:
    @workflow.init
    def __init__(self, inp: DrillInput) -> None:
        self.inp = inp
        self.state = DrillState(id=inp.id, signed=list(inp.signed),
                                status="signing" if inp.stage == "sign" else "replying")
        self.board = TaskBoard(process=PROCESS, case_id=inp.id, escalation=LADDER,
                               publish=self._save, data_models=DATA,
                               on_approved=self._approved, state=inp.board)

    @workflow.run
    async def run(self, inp: DrillInput) -> DrillState:
        if inp.stage == "sign":
            tasks = [await self.board.open(
                step="会签", step_code="sign", title=f"会签（{dept}）：{inp.id}", role="officer",
                department=dept, limit=inp.sign_limit, decisions=SIGN)
                for dept in ("urban_mgmt", "market_reg")]
            await self._save()
            await self.board.wait_for(tasks, need=inp.sign_need, on_each=self._signed)
            for task in tasks:
                await self._signed(task)
            self.state.status = "replying"
            await self.board.open(
                step="答复", step_code="reply", title=f"答复：{inp.id}", role="citizen",
                user=inp.replier, limit=inp.reply_limit, decisions=REPLY, expires=True,
                expire_share=inp.expire_share)
            await self._save()
            if inp.continue_as_new:
                self.board.release()
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={
                    "stage": "reply", "board": self.board.snapshot(),
                    "signed": self.state.signed}))
        reply = next(t for t in self.board.tasks.values() if t.step_code == "reply")
        await self.board.wait(reply)
        self.state.status = "replied" if reply.status == "done" else reply.status
        self.state.reply = reply.comment
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _signed(self, task: Task) -> None:
        dept = task.assignee_department or ""
        if task.decision == "agree" and dept not in self.state.signed:
            self.state.signed.append(dept)

    async def _approved(self, task: Task, request: TaskAction, approval: Task) -> None:
        hours = PostponeData.model_validate(request.data).hours
        if hours == 13:  # a deliberate fault, to show that one never leaves an Update hanging
            raise RuntimeError("drill fault on approval")
        await self.board.replan(task, extra_hours=hours)  # moves its expiry too

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.model_dump(mode="json")
        return result

    @act.validator
    def _validate(self, action: TaskAction) -> None:
        self.board.validate(action)

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def case(self) -> DrillState:
        return self.state

    async def _save(self) -> None:
        await stubs.project(Projection(process=PROCESS, tasks=self.board.take_changed(),
                                       notices=self.board.take_notices()))
