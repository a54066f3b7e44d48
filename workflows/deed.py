"""A good deed (德分宝 善行义举), one workflow per deed: a community worker of the resident's
community verifies it (审核善行) within its limit, the command centre's ladder escalating a
late task; approved points, possibly fewer than the deed type gives, post from the
community's issuance account to the resident's as far as the earning caps allow, and the
resident is told what they got and, if less, why.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.deed import (
        CAP_NAMES,
        DECISION_DATA,
        PROCESS,
        VERIFY,
        ApproveData,
        AwardRequest,
        AwardResult,
        DeedInput,
        DeedState,
        DeedView,
    )
    from domain.roles import CITIZEN, COMMUNITY_WORKER
    from domain.tasks import ActionResult, Actor, Task, TaskAction
    from workflows.human_tasks import TaskBoard, actor_notice, invalid

AWARD_DEED_POINTS = "award_deed_points"
ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class DeedWorkflow:
    @workflow.init
    def __init__(self, inp: DeedInput) -> None:
        self.inp = inp
        self.board = TaskBoard(
            process=PROCESS, case_id=inp.id, escalation=inp.policy.escalation,
            publish=self._save, data_models=DECISION_DATA, calendar=inp.policy.calendar)
        self.state = DeedState(
            id=inp.id, workflow_id=workflow.info().workflow_id, status="verifying",
            resident=inp.resident, community=inp.community, community_name=inp.community_name,
            type_code=inp.type.code, type_name=inp.type.name, unit=inp.type.unit,
            unit_points=inp.type.points, quantity=inp.quantity, description=inp.description,
            evidence=list(inp.evidence), recorded_by=inp.recorded_by.username,
            recorder_role=inp.recorded_by.role, reported_at=inp.reported_at,
            table_version=inp.table_version, points_asked=inp.points_asked)

    @workflow.run
    async def run(self, inp: DeedInput) -> DeedState:
        state = self.state
        task = await self.board.open(
            step="审核善行", step_code="verify", title=self._title(), role=COMMUNITY_WORKER,
            department=state.community, limit=inp.policy.verify_limit, decisions=VERIFY,
            context={"resident": state.resident, "type": state.type_code,
                     "type_name": state.type_name, "quantity": state.quantity,
                     "unit": state.unit, "points_asked": state.points_asked,
                     "description": state.description, "table_version": state.table_version})
        self._tell(f"{self._about()}已提交，等待社区审核。", "recorded")
        await self._save()
        await self.board.wait(task)
        state.decided_by = task.actor.username if task.actor else None
        state.decided_at = workflow.now()
        state.reason = task.comment
        if task.decision == "reject":
            state.status = "rejected"
            self._tell(f"{self._about()}未获认定：{task.comment}", "decided")
        else:
            data: ApproveData = self.board.data_of(task)
            state.points_approved = data.points
            result = await workflow.execute_activity(
                AWARD_DEED_POINTS, AwardRequest(
                    case_id=state.id, resident=state.resident, community=state.community,
                    points=data.points, reason=f"善行义举：{state.type_name}（{state.id}）",
                    actor=state.decided_by or "system", at=workflow.now(), caps=inp.caps),
                result_type=AwardResult, start_to_close_timeout=ACTIVITY_TIMEOUT)
            state.status = "approved"
            state.points_given, state.capped_by = result.given, result.capped_by
            state.transfer_id = result.transfer_id
            self._tell(self._award_text(data.points, result), "decided")
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    def _award_text(self, approved: int, result: AwardResult) -> str:
        state = self.state
        text = f"{self._about()}已审核通过，获得 {result.given} 积分"
        if approved < state.points_asked:
            text += f"（按类型可得 {state.points_asked} 分，审核认定 {approved} 分"
            text += f"：{state.reason}）" if state.reason else "）"
        if result.given < approved:
            cap = CAP_NAMES.get(result.capped_by or "", "积分上限")
            text += f"；已达{cap}，{approved - result.given} 分未能发放"
        return text + "。"

    # -- people's actions ------------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        _task, _spec, data = self.board.validate(action)
        if isinstance(data, ApproveData) and data.points > self.state.points_asked:
            raise invalid(f"data.points: 至多 {self.state.points_asked} 分"
                          f"（{self.state.type_name} {self.state.unit_points} 分/"
                          f"{self.state.unit} × {self.state.quantity}）")

    @workflow.query
    def case(self) -> DeedState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> DeedView:
        return DeedView(case=self.state, tasks=list(self.board.tasks.values()))

    # -- bookkeeping ----------------------------------------------------------------------

    def _title(self) -> str:
        s = self.state
        return f"审核善行：{s.resident} {s.type_name} ×{s.quantity}（{s.id}）"

    def _about(self) -> str:
        s = self.state
        return f"您的善行义举「{s.type_name}」×{s.quantity}（{s.id}）"

    def _tell(self, message: str, key: str) -> None:
        resident = Actor(username=self.state.resident, role=CITIZEN)
        self.board.add_notice(actor_notice(self.state.workflow_id, resident, message, key))

    async def _save(self) -> None:
        self.board.stamp(self.state)
        await self.board.project(self.state.model_dump(mode="json", exclude={"evidence"}))
