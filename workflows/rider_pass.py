"""惠新码 rider pass, one workflow per pass (domain/rider_pass.py).

Review on the task board (a `union_reviewer`, within the limit, on the ladder), then a year
of validity driven by two timers: the reminder 30 days before the end, and the end. A
renewal is reviewed again while the pass stays valid; an approved one extends the pass by a
year from its current end. The union's suspend, reinstate and revoke and the rider's renew
and cancel are Updates whose validator refuses a wrong actor (403), a status that does not
allow the action (409) or a missing reason (422) before anything is written.
"""

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.rider_pass import (
        ACTION_NAMES,
        ALLOWED_FROM,
        DECISION_DATA,
        DISTRICT,
        FINAL,
        PROCESS,
        REVIEW,
        STATUS_NAMES,
        PassAction,
        PassEvent,
        RiderPassInput,
        RiderPassState,
        RiderPassView,
        ScopeData,
    )
    from domain.roles import ADMIN, RIDER, UNION_REVIEWER
    from domain.tasks import CONFLICT, FORBIDDEN, ActionResult, Actor, Task, TaskAction
    from domain.timefmt import local_text
    from workflows.human_tasks import TaskBoard, actor_notice, invalid

UNION_ACTIONS = ("suspend", "reinstate", "revoke")


@workflow.defn
class RiderPassWorkflow:
    @workflow.init
    def __init__(self, inp: RiderPassInput) -> None:
        self.inp = inp
        self.board = TaskBoard(process=PROCESS, case_id=inp.id,
                               escalation=inp.policy.escalation, publish=self._save,
                               data_models=DECISION_DATA, calendar=inp.policy.calendar)
        self.state = RiderPassState(id=inp.id, workflow_id=workflow.info().workflow_id,
                                    rider=inp.rider, platform=inp.platform,
                                    applied_at=inp.applied_at)
        self._poke = False  # an action changed what the timers wait for
        self._renew = False  # a renewal was asked for: the main loop opens its review
        self._renewal: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, inp: RiderPassInput) -> RiderPassState:
        state = self.state
        review = await self._open_review("审核惠新码", "review")
        self._tell("您的惠新码申请已提交，等待区总工会审核。", "applied")
        await self._save()
        await self.board.wait(review)
        if state.status == "reviewing":  # not cancelled meanwhile
            if review.decision == "approve":
                self._activate(review)
                self._tell(f"您的惠新码已审核通过，有效期至 {local_text(state.valid_until)}。",
                           "approved")
            else:
                self._end("rejected", review.comment)
                self._tell(f"您的惠新码申请未通过：{review.comment}", "rejected")
            await self._save()
        self.board.release()
        while state.status not in FINAL:
            await self._tick()
        if self._renewal is not None:
            await self._renewal
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    async def _tick(self) -> None:
        """One step of the valid pass's life: open a renewal asked for, remind, expire, or
        sleep until the next of these or an action."""
        state, policy = self.state, self.inp.policy
        assert state.valid_until is not None
        if self._renew:
            self._renew = False
            self._renewal = asyncio.create_task(self._review_renewal())
        now = workflow.now()
        remind_at = state.valid_until - timedelta(days=policy.remind_days)
        if now >= state.valid_until:
            self._end("expired", None)
            self._tell("您的惠新码已过期。如需继续使用，请重新申请。", "expired")
            await self._save()
            return
        if state.reminded_at is None and now >= remind_at:
            state.reminded_at = now
            self._tell(f"您的惠新码将于 {local_text(state.valid_until)} 到期，"
                       "请在到期前申请续期。", f"remind-{state.renewals}")
            await self._save()
        wake = state.valid_until if state.reminded_at is not None else remind_at
        self._poke = False
        with contextlib.suppress(TimeoutError):  # the timer: remind or expire next round
            await workflow.wait_condition(lambda: self._poke or self._renew,
                                          timeout=wake - workflow.now())

    async def _review_renewal(self) -> None:
        state = self.state
        task = await self._open_review("审核惠新码续期", "renew")
        await self._save()
        await self.board.wait(task)
        state.renewing = False
        if task.status == "done" and task.decision == "approve" and state.status not in FINAL:
            assert state.valid_until is not None
            data: ScopeData = self.board.data_of(task)
            state.scope = data.scope
            state.valid_until += timedelta(days=self.inp.policy.valid_days)
            state.reminded_at = None
            state.renewals += 1
            self._event("renewed", task.actor, None)
            self._tell(f"您的惠新码已续期至 {local_text(state.valid_until)}。",
                       f"renewed-{state.renewals}")
        elif task.status == "done":
            self._event("renewal_rejected", task.actor, task.comment)
            self._tell(f"您的惠新码续期未通过：{task.comment}。原有效期不变。",
                       f"renewal-rejected-{len(state.events)}")
        await self._save()
        self.board.release()
        self._poke = True

    # -- people's actions ------------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        _task, _spec, data = self.board.validate(action)
        if isinstance(data, ScopeData) and isinstance(data.scope, list) and not data.scope:
            raise invalid('data.scope: "district" 或至少一个社区')

    @workflow.update
    async def change(self, req: PassAction) -> RiderPassState:
        state = self.state
        self._check(req)  # another action accepted in the same instant went first
        name = req.action
        if name == "renew":
            state.renewing = True
            self._renew = True
        elif name == "suspend":
            state.status = "suspended"
        elif name == "reinstate":
            state.status = "active"
        else:  # revoke, cancel: the pass ends, and any open review with it
            self.board.cancel_open()
            self._end("revoked" if name == "revoke" else "cancelled", req.reason)
        if name != "renew":
            state.reason = req.reason
        self._event(name, req.actor, req.reason)
        if name in UNION_ACTIONS:
            self._tell(f"您的惠新码已被{ACTION_NAMES[name]}：{req.reason}",
                       f"{name}-{len(state.events)}")
        await self._save()
        self._poke = True
        return state

    @change.validator
    def _validate_change(self, req: PassAction) -> None:
        self._check(req)

    def _check(self, req: PassAction) -> None:
        state, name, actor = self.state, req.action, req.actor
        if name in UNION_ACTIONS:
            if actor.role not in (UNION_REVIEWER, ADMIN):
                raise ApplicationError(f"只有区总工会可以{ACTION_NAMES[name]}惠新码",
                                       type=FORBIDDEN)
        elif actor.username != state.rider:
            raise ApplicationError(f"只有骑手本人可以{ACTION_NAMES[name]}惠新码",
                                   type=FORBIDDEN)
        if state.status not in ALLOWED_FROM[name]:
            raise ApplicationError(f"惠新码{self._status_text()}，不能{ACTION_NAMES[name]}",
                                   type=CONFLICT)
        if name == "renew":
            if state.renewing:
                raise ApplicationError("续期申请正在审核中", type=CONFLICT)
            if state.reminded_at is None:
                raise ApplicationError(
                    f"续期在到期前 {self.inp.policy.remind_days} 天内办理", type=CONFLICT)
        elif not (req.reason or "").strip():
            raise invalid(f"reason: {ACTION_NAMES[name]}需要说明理由")

    @workflow.query
    def case(self) -> RiderPassState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> RiderPassView:
        return RiderPassView(case=self.state, tasks=list(self.board.tasks.values()))

    # -- bookkeeping ----------------------------------------------------------------------

    async def _open_review(self, step: str, code: str) -> Task:
        return await self.board.open(
            step=step, step_code=code, title=f"{step}：{self.state.rider}（{self.state.id}）",
            role=UNION_REVIEWER, limit=self.inp.policy.review_limit, decisions=REVIEW,
            context={"pass_id": self.state.id, "rider": self.state.rider,
                     "platform": self.state.platform, "renewals": self.state.renewals})

    def _activate(self, review: Task) -> None:
        state, now = self.state, workflow.now()
        data: ScopeData | None = self.board.data_of(review)
        state.status = "active"
        state.scope = data.scope if data is not None else DISTRICT
        state.approved_at = state.valid_from = now
        state.approved_by = review.actor.username if review.actor else None
        state.valid_until = now + timedelta(days=self.inp.policy.valid_days)
        self._event("approved", review.actor, None)

    def _end(self, status: str, reason: str | None) -> None:
        self.state.status = status  # type: ignore[assignment]
        self.state.reason = reason
        self.state.ended_at = workflow.now()
        self.board.cancel_open()

    def _event(self, action: str, actor: Actor | None, reason: str | None) -> None:
        self.state.events.append(PassEvent(action=action, at=workflow.now(), reason=reason,
                                           by=actor.username if actor else "system"))

    def _status_text(self) -> str:
        return STATUS_NAMES[self.state.status]

    def _tell(self, message: str, key: str) -> None:
        rider = Actor(username=self.state.rider, role=RIDER)
        self.board.add_notice(actor_notice(self.state.workflow_id, rider, message, key))

    async def _save(self) -> None:
        self.board.stamp(self.state)
        await self.board.project(self.state.model_dump(mode="json"))
