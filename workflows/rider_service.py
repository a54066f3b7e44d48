"""惠新码 service request, one workflow per request (domain/rider_service.py): a union
worker answers (or, for a rights case, refers it to legal aid, whose task ends with the
outcome); then the rider may rate the answer once until the rating window closes."""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.rider_service import (
        ANSWER,
        ANSWER_OR_REFER,
        CONCLUDE,
        MODULE_NAMES,
        PROCESS,
        RATING_DAYS,
        RateRequest,
        RiderServiceInput,
        RiderServiceState,
        RiderServiceView,
    )
    from domain.roles import LEGAL_AID, RIDER, UNION_WORKER
    from domain.tasks import CONFLICT, FORBIDDEN, ActionResult, Actor, Task, TaskAction
    from workflows.human_tasks import TaskBoard, actor_notice


@workflow.defn
class RiderServiceWorkflow:
    @workflow.init
    def __init__(self, inp: RiderServiceInput) -> None:
        self.inp = inp
        self.board = TaskBoard(process=PROCESS, case_id=inp.id,
                               escalation=inp.policy.escalation, publish=self._save,
                               calendar=inp.policy.calendar)
        self.state = RiderServiceState(id=inp.id, workflow_id=workflow.info().workflow_id,
                                       rider=inp.rider, module=inp.module, text=inp.text,
                                       asked_at=inp.asked_at)

    @workflow.run
    async def run(self, inp: RiderServiceInput) -> RiderServiceState:
        state, module = self.state, MODULE_NAMES[inp.module]
        task = await self.board.open(
            step=f"{module}答复", step_code="answer", title=f"{module}：{inp.text[:40]}",
            role=UNION_WORKER, limit=inp.policy.answer_limit,
            decisions=ANSWER_OR_REFER if inp.module == "rights" else ANSWER,
            context={"module": inp.module, "module_name": module, "text": inp.text})
        self._tell(f"您的{module}诉求已收到，将于时限内答复。", "asked")
        await self._save()
        await self.board.wait(task)
        if task.decision == "refer":
            state.status = "referred"
            state.referred_at = workflow.now()
            state.referral_reason = task.comment
            legal = await self.board.open(
                step="法律援助", step_code="legal_aid", title=f"法律援助：{inp.text[:40]}",
                role=LEGAL_AID, limit=inp.policy.legal_limit, decisions=CONCLUDE,
                context={"module": inp.module, "text": inp.text, "referral": task.comment})
            self._tell("您的权益维护诉求已转法律援助律师办理。", "referred")
            await self._save()
            await self.board.wait(legal)
            state.status, state.outcome = "concluded", legal.comment
            state.answered_by = legal.actor.username if legal.actor else None
            self._tell(f"法律援助已办结：{legal.comment}", "concluded")
        else:
            state.status, state.answer = "answered", task.comment
            state.answered_by = task.actor.username if task.actor else None
            self._tell(f"您的{module}诉求已答复：{task.comment}", "answered")
        state.closed_at = workflow.now()
        await self._save()
        self.board.release()
        with contextlib.suppress(TimeoutError):  # the rating window closes
            await workflow.wait_condition(lambda: state.rating is not None,
                                          timeout=timedelta(days=RATING_DAYS))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        self.board.validate(action)

    @workflow.update
    async def rate(self, req: RateRequest) -> RiderServiceState:
        self.state.rating = req.stars
        await self._save()
        return self.state

    @rate.validator
    def _validate_rate(self, req: RateRequest) -> None:
        if req.actor.username != self.state.rider:
            raise ApplicationError("只有提出诉求的骑手本人可以评价", type=FORBIDDEN)
        if self.state.closed_at is None:
            raise ApplicationError("答复或办结之后才能评价", type=CONFLICT)
        if self.state.rating is not None:
            raise ApplicationError("这个诉求已经评价过了", type=CONFLICT)

    @workflow.query
    def case(self) -> RiderServiceState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> RiderServiceView:
        return RiderServiceView(case=self.state, tasks=list(self.board.tasks.values()))

    def _tell(self, message: str, key: str) -> None:
        rider = Actor(username=self.state.rider, role=RIDER)
        self.board.add_notice(actor_notice(self.state.workflow_id, rider, message, key))

    async def _save(self) -> None:
        self.board.stamp(self.state)
        await self.board.project(self.state.model_dump(mode="json"))
