"""Incident case, from report to closure (城市运行管理服务平台).

立案 file -> 派遣 dispatch -> 处置 handle -> 核查 verify -> 结案 close -> 评价 evaluate.
Exception paths: 回退 (return to dispatch), 返工 (rework after a failed check, or reopened
after an upheld 不满意), and three requests that need `command_lead`'s approval: 延期
(extension), 挂账 (park until a date) and 作废 (void). Every step is a task on the shared
TaskBoard; the case moves as a small state machine over its status.
"""

from datetime import datetime, time, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import search_attributes as sa
    from domain.incident import (
        DECISION_DATA,
        PROCESS,
        STATUS_NAMES,
        CaseView,
        CategoryInfo,
        ExtendData,
        IncidentInput,
        IncidentState,
        ParkData,
        Report,
    )
    from domain.incident_steps import DISPATCH, EVALUATE, FILE, HANDLE, REVIEW, VERIFY
    from domain.limits import MAX_REPORTS_KEPT
    from domain.roles import CITIZEN, DISPATCHER, INSPECTOR, INTAKE, OFFICER
    from domain.tasks import (
        CONFLICT,
        ActionResult,
        DecisionSpec,
        Limit,
        Task,
        TaskAction,
    )
    from domain.timefmt import SHANGHAI, local_text
    from workflows import stubs
    from workflows.human_tasks import TaskBoard, actor_notice, invalid

MAX_EXTENSIONS = 2  # the second one only when command_lead approves it explicitly
MAX_PARK_DAYS = 366
TERMINAL = ("closed", "rejected", "voided")
LOOKUP_CATEGORY = "lookup_category"
LEAN_SAVES = "lean-saves-2026-11"  # no first projection before a task; unchanged attributes kept


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, inp: IncidentInput) -> None:
        self.inp = inp
        self.board = TaskBoard(
            process=PROCESS, case_id=inp.id, escalation=inp.policy.escalation,
            publish=self._save, data_models=DECISION_DATA,
            approval_limit=inp.policy.approval_limit, on_approved=self._apply,
            request_context=self._request_context, calendar=inp.policy.calendar)
        first = Report(source=inp.source, reporter=inp.reporter, description=inp.description,
                       location=inp.location, photos=inp.photos, at=inp.reported_at)
        self.state = IncidentState(
            id=inp.id, workflow_id=workflow.info().workflow_id, status="filing",
            source=inp.source, reporter=inp.reporter.username, category=inp.category,
            area_class=inp.area_class, description=inp.description, location=inp.location,
            street=inp.street, photos=inp.photos, reported_at=inp.reported_at,
            external_ref=inp.external_ref, city_deadline=inp.city_deadline,
            reports=[first], reporters=[inp.reporter.username], evaluable=inp.evaluable,
        )
        self.state.suggested_department = self._suggest()
        self._published_status: str | None = None
        self._indexed: tuple | None = None  # search attribute values last upserted

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        # The API writes the case's row before the start, so the first projection can wait for
        # the first task (one local activity less per case).
        if not workflow.patched(LEAN_SAVES):
            await self._save()
        if inp.source == "inspector" and inp.policy.auto_file_inspector_reports:
            self.state.filed_at = workflow.now()  # inspector reports are pre-verified
            self.state.status = "dispatching"
        steps = {"filing": self._file, "dispatching": self._dispatch, "handling": self._handle,
                 "parked": self._parked, "verifying": self._verify,
                 "evaluating": self._evaluate}
        while self.state.status not in TERMINAL:
            await steps[self.state.status]()
        return await self._finish()

    # -- steps: each waits for its task and sets the next status --------------------------

    async def _file(self) -> None:
        task = await self._ask("立案", "file", INTAKE, None, None, self.inp.policy.filing_limit,
                               FILE)
        if task.decision == "reject":
            self.state.status = "rejected"
            self.state.end_reason = task.comment
        elif task.decision == "accept":
            code = self.board.data_of(task).category_code
            if code and code != self.state.category.code:
                await self._recategorise(code)
            self.state.filed_at = task.completed_at
            self.state.status = "dispatching"

    async def _dispatch(self) -> None:
        task = await self._ask("派遣", "dispatch", DISPATCHER, None, None,
                               self.inp.policy.dispatch_limit, DISPATCH,
                               context={"suggested_department": self.state.suggested_department})
        if task.decision == "dispatch":
            self.state.department = self.board.data_of(task).department
            self.state.dispatched_at = task.completed_at
            self.state.dispatches += 1
            self.state.status = "handling"

    async def _handle(self) -> None:
        # The handling clock starts at dispatch, at each 返工 and on resuming from 挂账; a
        # city deadline (市级下派) ends it sooner when it comes first.
        task = await self._ask("处置", "handle", OFFICER, self.state.department, None,
                               self.state.category.limit, HANDLE, cap=self.state.city_deadline)
        if task.decision == "return":
            self.state.returns += 1
            self.state.department = None
            self.state.handle_due_at = None
            self.state.status = "dispatching"
        elif task.decision == "done":
            done = self.board.data_of(task)
            self.state.handled_at = task.completed_at
            self.state.result = done.result
            self.state.result_photos = list(done.photos)
            self.state.status = "verifying"

    async def _parked(self) -> None:
        resume = self.state.parked_until
        if resume and resume > workflow.now():
            await workflow.sleep(resume - workflow.now(),
                                 summary=f"挂账至 {local_text(resume)}")
        self.state.parked_until = None
        self.state.status = "handling"

    async def _verify(self) -> None:
        task = await self._ask("核查", "verify", INSPECTOR, None, None,
                               self.inp.policy.verify_limit, VERIFY)
        if task.decision == "pass":
            self.state.closed_at = task.completed_at
            due = self.state.handle_due_at
            self.state.on_time = bool(due and self.state.handled_at <= due)
            self.state.status = ("evaluating" if self.inp.source == "citizen"
                                 and self.state.evaluable else "closed")
        elif task.decision == "fail":
            self.state.reworks += 1
            self.state.status = "handling"

    async def _evaluate(self) -> None:
        task = await self._ask("评价", "evaluate", CITIZEN, None, self.inp.reporter.username,
                               self.inp.policy.evaluation_window, EVALUATE, escalate=False,
                               expires=True)
        if task.status == "done":  # optional: the window may run out unanswered
            self.state.evaluation = task.decision
            self.state.evaluation_comment = task.comment
        if task.decision == "unsatisfied":
            review = await self._ask("复核", "review", INTAKE, None, None,
                                     self.inp.policy.filing_limit, REVIEW,
                                     context={"evaluation_comment": task.comment})
            if review.decision == "uphold":  # reopen: handling again, with a new limit
                self.state.reworks += 1
                self.state.closed_at = None
                self.state.on_time = None
                self.state.status = "handling"
                return
        self.state.status = "closed"

    async def _ask(self, step: str, step_code: str, role: str, department: str | None,
                   user: str | None, limit: Limit, decisions: list[DecisionSpec],
                   escalate: bool = True, expires: bool = False, cap: datetime | None = None,
                   context: dict | None = None) -> Task:
        """Open the task of the current step, publish the new state, wait for the answer."""
        title = f"{step}：{self.state.category.name}（{self.state.id}）"
        task = await self.board.open(step=step, step_code=step_code, title=title, role=role,
                                     department=department, user=user, limit=limit,
                                     decisions=decisions, escalate=escalate, expires=expires,
                                     cap=cap, context=context)
        if step_code == "handle":
            self.state.handle_due_at = task.due_at
        await self._save()
        return await self.board.wait(task)

    async def _recategorise(self, code: str) -> None:
        try:
            self.state.category = await workflow.execute_local_activity(
                LOOKUP_CATEGORY, args=[code, self.state.area_class], result_type=CategoryInfo,
                start_to_close_timeout=stubs.TIMEOUT)
        except ActivityError as err:  # an unknown code (the API checks it first): keep ours
            if not isinstance(err.cause, ApplicationError):
                raise
            workflow.logger.warning("category %s not found; keeping %s", code,
                                    self.state.category.code)
            return
        self.state.suggested_department = self._suggest()

    async def _finish(self) -> IncidentState:
        self.board.cancel_open()
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # -- what an approved request does: 延期, 挂账, 作废 -------------------------------------

    def _request_context(self, task: Task, action: TaskAction) -> dict:
        if action.decision != "extend":
            return {}
        return {"extension_number": self.state.extensions + 1,
                "current_due_at": task.due_at.isoformat() if task.due_at else None}

    async def _apply(self, task: Task, request: TaskAction, approval: Task) -> None:
        if request.decision == "extend":
            ext = ExtendData.model_validate(request.data)
            await self.board.replan(task, extra_hours=ext.working_hours or 0, due=ext.end())
            self.state.extensions += 1
            self.state.handle_due_at = task.due_at
        elif request.decision == "park":
            self.board.cancel(task)
            self.state.parked_until = datetime.combine(
                ParkData.model_validate(request.data).resume_on, time(0), SHANGHAI)
            self.state.status = "parked"
            self.state.handle_due_at = None
        elif request.decision == "void":
            self.board.cancel(task)
            self.state.status = "voided"
            self.state.end_reason = request.comment

    # -- people's actions and repeated reports ---------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        task, spec, data = self.board.validate(action)
        if isinstance(data, ExtendData):
            self._check_extension(task, data)
        if spec.name == "park":
            today = workflow.now().astimezone(SHANGHAI).date()
            if not today < data.resume_on <= today + timedelta(days=MAX_PARK_DAYS):
                raise invalid(f"data.resume_on must be after today and within "
                              f"{MAX_PARK_DAYS} days")
        context = task.context
        if (task.step_code == "approve" and spec.name == "approve"
                and context.get("request") == "extend" and context.get("extension_number", 1) > 1
                and not data.second_extension):
            raise invalid("a second extension needs explicit approval: "
                          "data.second_extension = true")

    def _check_extension(self, task: Task, data: ExtendData) -> None:
        if self.state.extensions >= MAX_EXTENSIONS:
            raise ApplicationError("no further extension: the case had "
                                   f"{self.state.extensions} already", type=CONFLICT)
        end = data.end()
        if end is not None and task.due_at and end <= task.due_at:
            raise invalid(f"data.until must be after the current deadline "
                          f"{local_text(task.due_at)}")
        if end is not None and end > workflow.now() + timedelta(days=MAX_PARK_DAYS):
            raise invalid(f"data.until must be within {MAX_PARK_DAYS} days")

    @workflow.signal
    async def join_report(self, report: Report) -> None:
        """A repeat report (same category, nearby, recent) joins this case as a source. The
        case keeps a bounded number in full and counts the rest, so bursts of AI camera
        reports cannot grow its state without bound."""
        state = self.state
        state.report_count += 1
        if len(state.reports) < MAX_REPORTS_KEPT:
            state.reports.append(report)
        if report.reporter.username not in state.reporters:
            state.reporters.append(report.reporter.username)
        if report.reporter.role == CITIZEN:
            message = (f"您的上报已并入案件 {state.id}（{state.category.name}），"
                       f"当前状态：{STATUS_NAMES[state.status]}")
            self.board.add_notice(actor_notice(state.workflow_id, report.reporter, message,
                                               f"joined{state.report_count}"))
        await self._save()

    @workflow.query
    def case(self) -> IncidentState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> CaseView:
        return CaseView(case=self.state, tasks=list(self.board.tasks.values()))

    # -- bookkeeping ----------------------------------------------------------------------

    def _suggest(self) -> str:
        # 先属主后属地 for 部件, 先属地后属主 for 事件 (falls back to the owner department).
        category = self.state.category
        if category.routing == "locality" and self.state.street:
            return self.state.street
        return category.department

    def _status_updates(self) -> None:
        """Citizens who reported the case hear of each change of status."""
        state = self.state
        if state.status == self._published_status:
            return
        self._published_status = state.status
        citizens = {r.reporter.username: r.reporter for r in state.reports
                    if r.reporter.role == CITIZEN}
        for actor in citizens.values():
            self.board.add_notice(actor_notice(
                state.workflow_id, actor, f"您上报的案件 {state.id}（{state.category.name}）："
                f"{STATUS_NAMES[state.status]}", f"status{state.version}"))

    async def _save(self) -> None:
        state = self.state
        open_tasks = self.board.stamp(state, staff=lambda task: task.step_code != "evaluate")
        self._status_updates()
        if self.inp.policy.search_attributes:
            values = (state.status, state.category.code, state.department or "",
                      any(t.watchers for t in open_tasks))
            # Upsert only what changed: each upsert is an event in the history.
            if values != self._indexed or not workflow.patched(LEAN_SAVES):
                self._indexed = values
                workflow.upsert_search_attributes([
                    sa.CASE_STATUS.value_set(values[0]),
                    sa.CASE_CATEGORY.value_set(values[1]),
                    sa.CASE_DEPARTMENT.value_set(values[2]),
                    sa.CASE_OVERDUE.value_set(values[3]),
                ])
        # The row needs neither the reports in full nor photos (local activity inputs are
        # not in the history, so this changes nothing a replay sees).
        await self.board.project(state.model_dump(
            mode="json", by_alias=True, exclude={"reports", "photos", "result_photos"}))
