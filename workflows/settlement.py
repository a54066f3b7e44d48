"""德分宝 monthly settlement (月度结算), domain/settlement.py.

MonthlySettlementWorkflow settles one month (`settlement-<yyyy-mm>`): every step over rows
is an activity (set-based SQL, or pages of accounts), so its history holds ids and totals
only. Each merchant's statement is reviewed in its own StatementReviewWorkflow on the task
board: the finance officer approves, or disputes lines; the merchant accepts the correction
or contests it; admin decides. When every statement is approved they post as one set.

SettlementScheduleWorkflow is what the Temporal Schedule starts at 02:00 on the 1st: it
starts the previous month's settlement under the month's own id, so a month started by hand
and by the schedule settles once.
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain.roles import ADMIN, FINANCE_OFFICER, MERCHANT
    from domain.settlement import (
        ANSWER,
        DECISION_DATA,
        REVIEW,
        RULE,
        STATEMENT,
        ComputeRequest,
        DisputeData,
        Expired,
        ExpireRequest,
        Posted,
        ReportRequest,
        Resolution,
        SettlementInput,
        SettlementPolicy,
        SettlementState,
        Statement,
        StatementInput,
        StatementResult,
        StatementState,
        StatementView,
        amount_text,
        expiry_cutoff,
        month_end,
        previous_month,
        statement_id,
        statement_workflow_id,
        workflow_id_for,
    )
    from domain.tasks import ActionResult, Notice, Projection, Task, TaskAction
    from workflows import stubs
    from workflows.human_tasks import TaskBoard, invalid

SHORT = timedelta(minutes=2)
LONG = timedelta(hours=2)  # expiry over every resident, in pages that heartbeat
HEARTBEAT = timedelta(minutes=2)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


@workflow.defn
class MonthlySettlementWorkflow:
    @workflow.init
    def __init__(self, inp: SettlementInput) -> None:
        self.inp = inp
        self.state = SettlementState(month=inp.month, workflow_id=workflow.info().workflow_id,
                                     started_by=inp.started_by, started_at=workflow.now())

    @workflow.run
    async def run(self, inp: SettlementInput) -> SettlementState:
        state, month = self.state, inp.month
        if workflow.now() < month_end(month):
            raise ApplicationError(f"{month} 尚未结束，不能结算", non_retryable=True)
        await self._save()
        state.closed_at = await self._do("close_ledger_month", month, result_type=datetime)
        await self._next("voiding")
        state.voided = await self._do("void_stale_redemptions", workflow.now(), result_type=int)
        await self._next("expiring")
        expired: Expired = await workflow.execute_activity(
            "expire_points", ExpireRequest(month=month, cutoff=expiry_cutoff(
                month, inp.policy.life_months), at=workflow.now()),
            result_type=Expired, start_to_close_timeout=LONG, heartbeat_timeout=HEARTBEAT,
            retry_policy=RETRY)
        state.expired_accounts, state.expired_points = expired.accounts, expired.points
        await self._next("statements")
        statements: list[Statement] = await self._do(
            "compute_statements", ComputeRequest(month=month, at=workflow.now()),
            result_type=list[Statement])
        state.statements = len(statements)
        await self._next("reviewing")
        results = await asyncio.gather(*(self._review(s) for s in statements))
        state.disputed = sum(1 for r in results if r.excluded)
        await self._next("posting")
        posted: Posted = await self._do("post_statements", Resolution(
            month=month, results=list(results), actor=inp.started_by, at=workflow.now()),
            result_type=Posted)
        state.points_settled, state.amount_fen = posted.points, posted.amount_fen
        state.reversed_points = posted.reversed_points
        await self._next("reporting")
        await self._do("publish_credit_report", ReportRequest(month=month, at=workflow.now()),
                       result_type=int)
        state.settled_at = workflow.now()
        await self._next("settled")
        return state

    async def _review(self, statement: Statement) -> StatementResult:
        result = await workflow.execute_child_workflow(
            StatementReviewWorkflow.run,
            StatementInput(month=self.inp.month, statement=statement, policy=self.inp.policy),
            id=statement_workflow_id(self.inp.month, statement.merchant))
        self.state.reviewed += 1  # shown by the query; the rows show each statement
        return result

    @workflow.query
    def case(self) -> SettlementState:
        return self.state

    async def _do(self, activity: str, arg: object, result_type: type | None = None):  # noqa: ANN202
        return await workflow.execute_activity(
            activity, arg, result_type=result_type, start_to_close_timeout=SHORT,
            retry_policy=RETRY, summary=f"{self.inp.month} {activity}")

    async def _next(self, step: str) -> None:
        self.state.step = step  # type: ignore[assignment]
        await self._save()

    async def _save(self) -> None:
        self.state.version += 1
        await stubs.project(Projection(process="settlement",
                                       case=self.state.model_dump(mode="json")))


@workflow.defn
class StatementReviewWorkflow:
    """One merchant's statement of a month, reviewed on the task board."""

    @workflow.init
    def __init__(self, inp: StatementInput) -> None:
        self.inp = inp
        s = inp.statement
        sid = statement_id(inp.month, s.merchant)
        self.board = TaskBoard(process=STATEMENT, case_id=sid,
                               escalation=inp.policy.escalation, publish=self._save,
                               data_models=DECISION_DATA, calendar=inp.policy.calendar)
        self.state = StatementState(
            id=sid, workflow_id=workflow.info().workflow_id, month=inp.month,
            merchant=s.merchant, merchant_name=s.merchant_name, community=s.community,
            redemptions=s.redemptions, points=s.points, rate=s.rate, amount_fen=s.amount_fen)

    @workflow.run
    async def run(self, inp: StatementInput) -> StatementResult:
        state, policy = self.state, inp.policy
        review = await self.board.open(
            step="审核结算单", step_code="review", title=self._title("审核结算单"),
            role=FINANCE_OFFICER, department=state.community, limit=policy.review_limit,
            decisions=REVIEW, context=self._context())
        await self._save()
        await self.board.wait(review)
        if review.decision == "dispute":
            await self._dispute(review, policy)
        state.status = "approved"
        state.approved_at = workflow.now()
        self._tell_merchant(f"{inp.month} 结算单已审核通过，"
                            f"{self._settled_text()}，将随当月结算入账。", "approved")
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return StatementResult(merchant=state.merchant, excluded=list(state.excluded))

    async def _dispute(self, review: Task, policy: SettlementPolicy) -> None:
        state = self.state
        data: DisputeData = self.board.data_of(review)
        state.status = "disputed"
        state.disputed_lines, state.dispute_reason = list(data.lines), data.reason
        state.disputed_by = review.actor.username if review.actor else None
        answer = await self.board.open(
            step="确认更正", step_code="answer", title=self._title("确认结算更正"),
            role=MERCHANT, department=state.merchant, limit=policy.answer_limit,
            decisions=ANSWER, context=self._context() | {
                "lines": state.disputed_lines, "reason": state.dispute_reason})
        self._tell_merchant(f"{state.month} 结算单有 {len(data.lines)} 笔明细被提出异议："
                            f"{data.reason}。请接受更正或提请裁定。", "disputed")
        await self._save()
        await self.board.wait(answer)
        state.answer, state.answer_comment = answer.decision, answer.comment
        if answer.decision == "accept":
            state.excluded = list(state.disputed_lines)
            return
        state.status = "contested"
        rule = await self.board.open(
            step="裁定争议", step_code="rule", title=self._title("裁定结算争议"), role=ADMIN,
            limit=policy.decide_limit, decisions=RULE, context=self._context() | {
                "lines": state.disputed_lines, "reason": state.dispute_reason,
                "merchant_comment": answer.comment})
        await self._save()
        await self.board.wait(rule)
        state.ruling, state.ruling_comment = rule.decision, rule.comment
        state.excluded = list(state.disputed_lines) if rule.decision == "uphold" else []

    # -- people's actions ------------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        _task, _spec, data = self.board.validate(action)
        if isinstance(data, DisputeData) and len(set(data.lines)) != len(data.lines):
            raise invalid("data.lines: 每笔明细只列一次")

    @workflow.query
    def case(self) -> StatementState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> StatementView:
        return StatementView(case=self.state, tasks=list(self.board.tasks.values()))

    # -- bookkeeping ----------------------------------------------------------------------

    def _title(self, what: str) -> str:
        s = self.state
        return f"{what}：{s.merchant_name} {s.month}（{s.redemptions} 笔，{s.points} 积分）"

    def _context(self) -> dict[str, object]:
        s = self.state
        return {"month": s.month, "merchant": s.merchant, "merchant_name": s.merchant_name,
                "redemptions": s.redemptions, "points": s.points, "rate": s.rate,
                "amount_fen": s.amount_fen, "amount": amount_text(s.amount_fen)}

    def _settled_text(self) -> str:
        s = self.state
        if not s.excluded:
            return f"{s.points} 积分，应付 {amount_text(s.amount_fen)}"
        return f"剔除 {len(s.excluded)} 笔有异议的明细后结算"

    def _tell_merchant(self, message: str, key: str) -> None:
        wf = self.state.workflow_id
        self.board.add_notice(Notice(  # to every user of the merchant
            key=f"{wf}:{key}", workflow_id=wf, recipient_role=MERCHANT,
            recipient_department=self.state.merchant, message=message))

    async def _save(self) -> None:
        self.board.stamp(self.state)
        await self.board.project(self.state.model_dump(mode="json"))


@workflow.defn
class SettlementScheduleWorkflow:
    """Started by the Temporal Schedule: settle the month before this one, once."""

    @workflow.run
    async def run(self, month: str | None = None) -> str:
        """`month`: the schedule passes none (the month before); a drill may name one."""
        month = month or previous_month(workflow.now())
        policy: SettlementPolicy = await workflow.execute_activity(
            "settlement_policy", result_type=SettlementPolicy, start_to_close_timeout=SHORT)
        try:
            await workflow.start_child_workflow(
                MonthlySettlementWorkflow.run,
                SettlementInput(month=month, started_by="schedule", policy=policy),
                id=workflow_id_for(month),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON)
        except WorkflowAlreadyStartedError:
            return f"{month}: already started"
        return f"{month}: started"
