"""Incident case, from report to closure (城市运行管理服务平台).

立案 file -> 派遣 dispatch -> 处置 handle -> 核查 verify -> 结案 close -> 评价 evaluate.
回退 (return) sends a case from handling back to dispatch; 返工 (rework) from verification
back to handling with a new limit. Every step is a human task on the shared TaskBoard.
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.catalogue import lookup_category
    from activities.projection import project_incident
    from domain import search_attributes as sa
    from domain.departments import DEPARTMENTS
    from domain.incident import PROCESS, IncidentInput, IncidentState, Status
    from domain.roles import CITIZEN, DISPATCHER, INSPECTOR, INTAKE, OFFICER
    from domain.tasks import INVALID, DecisionSpec, Limit, Task, TaskAction
    from workflows.human_tasks import ACTIVITY_TIMEOUT, TaskBoard

FILE = [DecisionSpec(name="accept", label="立案"),
        DecisionSpec(name="reject", label="不予立案", comment_required=True)]
DISPATCH = [DecisionSpec(name="dispatch", label="派遣", data_required=["department"])]
HANDLE = [DecisionSpec(name="done", label="办结", data_required=["result"]),
          DecisionSpec(name="return", label="回退", comment_required=True)]
VERIFY = [DecisionSpec(name="pass", label="核查通过"),
          DecisionSpec(name="fail", label="返工", comment_required=True)]
EVALUATE = [DecisionSpec(name="satisfied", label="满意"),
            DecisionSpec(name="unsatisfied", label="不满意", comment_required=True)]


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, inp: IncidentInput) -> None:
        self.inp = inp
        self.board = TaskBoard(PROCESS, inp.id, inp.policy.ladder_shares, publish=self._save)
        self.state = IncidentState(
            id=inp.id, workflow_id=workflow.info().workflow_id, status="filing",
            source=inp.source, reporter=inp.reporter.username, category=inp.category,
            area_class=inp.area_class, description=inp.description, location=inp.location,
            street=inp.street, photos=inp.photos, reported_at=inp.reported_at,
        )
        self.state.suggested_department = self._suggest()

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        await self._save()
        if not await self._file():
            return await self._finish("rejected")
        while not await self._dispatch_and_handle():
            pass  # 回退: the department returned the case; dispatch again
        if inp.source == "citizen":
            await self._evaluate()
        return await self._finish("closed")

    # -- steps --------------------------------------------------------------------------

    async def _file(self) -> bool:
        policy = self.inp.policy
        if self.inp.source == "inspector" and policy.auto_file_inspector_reports:
            self.state.filed_at = workflow.now()  # inspector reports are pre-verified
            return True
        task = await self._ask("filing", "立案", "file", INTAKE, None, None,
                               policy.filing_limit, FILE)
        if task.decision == "reject":
            return False
        code = task.data.get("category_code")
        if code and code != self.state.category.code:
            await self._recategorise(code)
        self.state.filed_at = task.completed_at
        return True

    async def _dispatch_and_handle(self) -> bool:
        """One dispatch and its handling; False if the department returned the case."""
        task = await self._ask("dispatching", "派遣", "dispatch", DISPATCHER, None, None,
                               self.inp.policy.dispatch_limit, DISPATCH)
        self.state.department = task.data["department"]
        self.state.dispatched_at = task.completed_at
        while True:
            # The handling clock starts at dispatch and again at each 返工.
            task = await self._ask("handling", "处置", "handle", OFFICER,
                                   self.state.department, None, self.state.category.limit,
                                   HANDLE)
            if task.decision == "return":
                self.state.returns += 1
                self.state.department = None
                self.state.handle_due_at = None
                return False
            self.state.handled_at = task.completed_at
            self.state.result = task.data["result"]
            self.state.result_photos = list(task.data.get("photos") or [])
            task = await self._ask("verifying", "核查", "verify", INSPECTOR, None, None,
                                   self.inp.policy.verify_limit, VERIFY)
            if task.decision == "pass":
                self.state.closed_at = task.completed_at
                due = self.state.handle_due_at
                self.state.on_time = bool(due and self.state.handled_at <= due)
                return True
            self.state.reworks += 1

    async def _evaluate(self) -> None:
        task = await self._ask("evaluating", "评价", "evaluate", CITIZEN, None,
                               self.inp.reporter.username, self.inp.policy.evaluation_window,
                               EVALUATE, escalate=False, expires=True)
        if task.status == "done":
            self.state.evaluation = task.decision
            self.state.evaluation_comment = task.comment

    async def _ask(self, status: Status, step: str, step_code: str, role: str,
                   department: str | None, user: str | None, limit: Limit,
                   decisions: list[DecisionSpec], escalate: bool = True,
                   expires: bool = False) -> Task:
        """Open one task for the case's current step, publish the new state, wait for it."""
        self.state.status = status
        title = f"{step}：{self.state.category.name}（{self.state.id}）"
        task = await self.board.open(step=step, step_code=step_code, title=title, role=role,
                                     department=department, user=user, limit=limit,
                                     decisions=decisions, escalate=escalate, expires=expires)
        if step_code == "handle":
            self.state.handle_due_at = task.due_at
        await self._save()
        return await self.board.wait(task)

    async def _recategorise(self, code: str) -> None:
        try:
            self.state.category = await workflow.execute_local_activity(
                lookup_category, args=[code, self.state.area_class],
                start_to_close_timeout=ACTIVITY_TIMEOUT)
        except ActivityError:
            workflow.logger.warning("category %s not found; keeping %s", code,
                                    self.state.category.code)
            return
        self.state.suggested_department = self._suggest()

    async def _finish(self, status: Status) -> IncidentState:
        self.state.status = status
        self.board.cancel_open()
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # -- officer actions ----------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> dict:
        task = self.board.complete(action)
        await self.board.settled(task)
        return {"task": task.model_dump(mode="json"), "case": self.state.summary()}

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        task, spec = self.board.validate(action)
        if spec.name == "dispatch" and action.data.get("department") not in DEPARTMENTS:
            raise ApplicationError(f"unknown department {action.data.get('department')!r}",
                                   type=INVALID)
        if spec.name == "done" and not isinstance(action.data.get("result"), str):
            raise ApplicationError("data.result must be text", type=INVALID)
        photos = action.data.get("photos")
        if photos is not None and not (isinstance(photos, list)
                                       and all(isinstance(p, str) for p in photos)):
            raise ApplicationError("data.photos must be a list of references", type=INVALID)

    @workflow.query
    def case(self) -> IncidentState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    # -- bookkeeping --------------------------------------------------------------------

    def _suggest(self) -> str:
        # 先属主后属地 for 部件, 先属地后属主 for 事件 (falls back to the owner department).
        category = self.state.category
        if category.routing == "locality" and self.state.street in DEPARTMENTS:
            return self.state.street
        return category.department

    async def _save(self) -> None:
        state = self.state
        state.version += 1
        open_tasks = self.board.open_tasks()
        state.open_task_ids = [t.id for t in open_tasks]
        dues = [t.due_at for t in open_tasks if t.due_at and t.step_code != "evaluate"]
        state.current_due_at = min(dues) if dues else None
        overdue = any(t.escalation_level >= 2 for t in open_tasks)
        if self.inp.policy.search_attributes:
            self._index(overdue)
        await workflow.execute_local_activity(
            project_incident, args=[state, self.board.take_changed()],
            start_to_close_timeout=ACTIVITY_TIMEOUT)

    def _index(self, overdue: bool) -> None:
        state = self.state
        workflow.upsert_search_attributes([
            sa.CASE_STATUS.value_set(state.status),
            sa.CASE_CATEGORY.value_set(state.category.code),
            sa.CASE_DEPARTMENT.value_set(state.department or ""),
            sa.CASE_OVERDUE.value_set(overdue),
        ])
