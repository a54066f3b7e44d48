"""德分宝 redemption (积分兑换), one workflow per reservation (domain/redemption.py).

The reservation (pending transfer and one unit of stock) is written by the API before the
workflow starts. The workflow waits for the merchant's `confirm` (posts the transfer), the
resident's `cancel` or the expiry (void it and give the unit back), then, after a
confirmation, for the resident's one `rate` until the rating window closes. Actions are
Updates with validators: a wrong actor or a redemption in the wrong state is refused before
anything is written to the history.
"""

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.redemption import (
        PROCESS,
        CancelRequest,
        ConfirmRequest,
        RateRequest,
        RedemptionInput,
        RedemptionState,
        Resolution,
    )
    from domain.roles import MERCHANT
    from domain.tasks import CONFLICT, FORBIDDEN, INVALID, SYSTEM, Actor, Projection
    from workflows import stubs

RESOLVE = "resolve_redemption"
ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class RedemptionWorkflow:
    @workflow.init
    def __init__(self, inp: RedemptionInput) -> None:
        self.inp = inp
        self.state = RedemptionState(
            id=inp.id, workflow_id=workflow.info().workflow_id, resident=inp.resident,
            community=inp.community, offer_id=inp.offer_id, offer_title=inp.offer_title,
            merchant=inp.merchant, merchant_name=inp.merchant_name, points=inp.points,
            pending_id=inp.pending_id, code=inp.code, reserved_at=inp.reserved_at,
            expires_at=inp.reserved_at + timedelta(days=inp.days))

    @workflow.run
    async def run(self, inp: RedemptionInput) -> RedemptionState:
        state = self.state
        await self._save()
        left = state.expires_at - workflow.now()
        try:
            await workflow.wait_condition(lambda: state.status != "reserved",
                                          timeout=max(left, timedelta(seconds=1)))
        except TimeoutError:
            state.status = "voided"
            await self._resolve("void", SYSTEM, "兑换码逾期未核销，积分退回")
        if state.status == "confirmed":
            await workflow.wait_condition(workflow.all_handlers_finished)
            with contextlib.suppress(TimeoutError):  # the rating window closes
                await workflow.wait_condition(lambda: state.rating is not None,
                                              timeout=timedelta(days=inp.rating_days))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    # -- people's actions ------------------------------------------------------------------

    @workflow.update
    async def confirm(self, req: ConfirmRequest) -> RedemptionState:
        self._still_reserved()  # another action accepted in the same instant went first
        self.state.status = "confirmed"  # at once: the expiry no longer applies
        await self._resolve("post", req.actor, f"{self.inp.merchant_name}核销兑换")
        return self.state

    @confirm.validator
    def _validate_confirm(self, req: ConfirmRequest) -> None:
        if req.actor.role != MERCHANT or req.actor.department != self.inp.merchant:
            raise ApplicationError(f"只有{self.inp.merchant_name}可以核销这张兑换码",
                                   type=FORBIDDEN)
        self._still_reserved()

    @workflow.update
    async def cancel(self, req: CancelRequest) -> RedemptionState:
        self._still_reserved()
        self.state.status = "cancelled"
        await self._resolve("void", req.actor, "居民取消兑换，积分退回")
        return self.state

    @cancel.validator
    def _validate_cancel(self, req: CancelRequest) -> None:
        if req.actor.username != self.inp.resident:
            raise ApplicationError("只有兑换的居民本人可以取消", type=FORBIDDEN)
        self._still_reserved()

    @workflow.update
    async def rate(self, req: RateRequest) -> RedemptionState:
        self.state.rating = req.stars
        self.state.rated_at = workflow.now()
        await self._save()
        return self.state

    @rate.validator
    def _validate_rate(self, req: RateRequest) -> None:
        state = self.state
        if req.actor.username != self.inp.resident:
            raise ApplicationError("只有兑换的居民本人可以评价", type=FORBIDDEN)
        if not 1 <= req.stars <= 5:
            raise ApplicationError("stars: 评价为 1 至 5 星", type=INVALID)
        if state.status != "confirmed" or state.confirmed_at is None:
            raise ApplicationError("核销之后才能评价", type=CONFLICT)
        if state.rating is not None:
            raise ApplicationError("这次兑换已经评价过了", type=CONFLICT)

    def _still_reserved(self) -> None:
        status = self.state.status
        if status == "confirmed":
            raise ApplicationError("兑换码已经核销过了", type=CONFLICT)
        if status != "reserved":
            raise ApplicationError("兑换已取消或已过期作废", type=CONFLICT)

    @workflow.query
    def case(self) -> RedemptionState:
        return self.state

    # -- bookkeeping ----------------------------------------------------------------------

    async def _resolve(self, phase: str, actor: Actor, reason: str) -> None:
        state = self.state
        now = workflow.now()
        await workflow.execute_activity(
            RESOLVE, Resolution(redemption_id=state.id, pending_id=state.pending_id,
                                offer_id=state.offer_id, phase=phase,  # type: ignore[arg-type]
                                reason=reason, actor=actor.username, at=now),
            start_to_close_timeout=ACTIVITY_TIMEOUT, summary=f"{phase} {state.pending_id}")
        if phase == "post":
            state.confirmed_at = now
            state.confirmed_by = actor.username
        else:
            state.ended_at = now
            state.ended_by = actor.username
        await self._save()

    async def _save(self) -> None:
        self.state.version += 1
        await stubs.project(Projection(process=PROCESS,
                                       case=self.state.model_dump(mode="json")))
