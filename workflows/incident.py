"""Incident case, from report to closure (城市运行管理服务平台).

立案 file -> 派遣 dispatch -> 处置 handle -> 核查 verify -> 结案 close -> 评价 evaluate.
Exception paths: 回退 (return to dispatch), 返工 (rework after a failed check, or reopened
after an upheld 不满意), and three requests that need `command_lead`'s approval: 延期
(extension), 挂账 (park until a date) and 作废 (void). Every step is a task on the shared
TaskBoard; the case moves as a small state machine over its status.
"""

import asyncio
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.catalogue import lookup_category
    from activities.projection import project_incident
    from domain import search_attributes as sa
    from domain.departments import DEPARTMENTS
    from domain.incident import (
        PROCESS,
        STATUS_NAMES,
        IncidentInput,
        IncidentState,
        Report,
    )
    from domain.roles import CITIZEN, COMMAND_LEAD, DISPATCHER, INSPECTOR, INTAKE, OFFICER
    from domain.tasks import (
        CONFLICT,
        INVALID,
        Actor,
        DecisionSpec,
        Limit,
        Notice,
        Task,
        TaskAction,
    )
    from domain.timefmt import SHANGHAI, local_text
    from workflows.human_tasks import ACTIVITY_TIMEOUT, TaskBoard

VOID = DecisionSpec(name="void", label="作废", comment_required=True, closes=False)
FILE = [DecisionSpec(name="accept", label="立案"),
        DecisionSpec(name="reject", label="不予立案", comment_required=True), VOID]
DISPATCH = [DecisionSpec(name="dispatch", label="派遣", data_required=["department"]), VOID]
HANDLE = [DecisionSpec(name="done", label="办结", data_required=["result"]),
          DecisionSpec(name="return", label="回退", comment_required=True),
          DecisionSpec(name="extend", label="申请延期", comment_required=True, closes=False),
          DecisionSpec(name="park", label="申请挂账", comment_required=True,
                       data_required=["resume_on"], closes=False)]
VERIFY = [DecisionSpec(name="pass", label="核查通过"),
          DecisionSpec(name="fail", label="返工", comment_required=True)]
EVALUATE = [DecisionSpec(name="satisfied", label="满意"),
            DecisionSpec(name="unsatisfied", label="不满意", comment_required=True)]
REVIEW = [DecisionSpec(name="uphold", label="不满意属实，重新处置", comment_required=True),
          DecisionSpec(name="dismiss", label="维持结案", comment_required=True)]
APPROVE = [DecisionSpec(name="approve", label="批准"),
           DecisionSpec(name="refuse", label="不批准", comment_required=True)]

MAX_EXTENSIONS = 2  # the second one only when command_lead approves it explicitly
MAX_EXTENSION_HOURS = 2000
MAX_PARK_DAYS = 366
TERMINAL = ("closed", "rejected", "voided")


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
            external_ref=inp.external_ref, city_deadline=inp.city_deadline,
            reports=[Report(source=inp.source, reporter=inp.reporter,
                            description=inp.description, location=inp.location,
                            photos=inp.photos, at=inp.reported_at)],
        )
        self.state.suggested_department = self._suggest()
        self.pending: dict[str, Task] = {}  # open approval task per requesting task id
        self._notices: list[Notice] = []
        self._published_status: str | None = None

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
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
            code = task.data.get("category_code")
            if code and code != self.state.category.code:
                await self._recategorise(code)
            self.state.filed_at = task.completed_at
            self.state.status = "dispatching"

    async def _dispatch(self) -> None:
        task = await self._ask("派遣", "dispatch", DISPATCHER, None, None,
                               self.inp.policy.dispatch_limit, DISPATCH,
                               context={"suggested_department": self.state.suggested_department})
        if task.decision == "dispatch":
            self.state.department = task.data["department"]
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
            self.state.handled_at = task.completed_at
            self.state.result = task.data["result"]
            self.state.result_photos = list(task.data.get("photos") or [])
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
            self.state.status = "evaluating" if self.inp.source == "citizen" else "closed"
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
                lookup_category, args=[code, self.state.area_class],
                start_to_close_timeout=ACTIVITY_TIMEOUT)
        except Exception:  # noqa: BLE001  (the API checked the code; keep the old one)
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

    # -- requests needing command_lead's approval: 延期, 挂账, 作废 ---------------------------

    async def _request(self, task: Task, action: TaskAction) -> Task:
        """Open an approval task for `command_lead`; the requesting task stays open."""
        context = {"request": action.decision, "for_task": task.id, "step": task.step,
                   "requested_by": action.actor.username, "reason": action.comment,
                   "data": action.data}
        if action.decision == "extend":
            context["extension_number"] = self.state.extensions + 1
            context["current_due_at"] = task.due_at.isoformat() if task.due_at else None
        label = next(d.label for d in task.decisions if d.name == action.decision)
        approval = await self.board.open(
            step="审批", step_code="approve", title=f"审批{label}：{self.state.id}",
            role=COMMAND_LEAD, limit=self.inp.policy.approval_limit, decisions=APPROVE,
            context=context)
        self.pending[task.id] = approval
        await self._save()
        asyncio.create_task(self._decide(task, approval, action))
        return approval

    async def _decide(self, task: Task, approval: Task, request: TaskAction) -> None:
        # A request is moot once its task is closed some other way (e.g. handled meanwhile).
        await self.board.wait(approval, cancel_if=lambda: task.status != "open")
        del self.pending[task.id]
        if approval.decision == "approve" and task.status == "open":
            await self._apply(task, request)
        verdict = "已批准" if approval.decision == "approve" else "未批准"
        if approval.comment:
            verdict += f"（{approval.comment}）"
        self._notices.append(self._notice_to(request.actor, f"{approval.title}：{verdict}",
                                             approval.id))
        await self._save()
        self.board.release()

    async def _apply(self, task: Task, request: TaskAction) -> None:
        if request.decision == "extend":
            hours = request.data.get("working_hours")
            until = parse_until(request.data.get("until"))
            await self.board.replan(task, extra_hours=float(hours or 0), due=until)
            self.state.extensions += 1
            self.state.handle_due_at = task.due_at
        elif request.decision == "park":
            self.board.cancel(task)
            self.state.parked_until = datetime.combine(
                date.fromisoformat(request.data["resume_on"]), time(0), SHANGHAI)
            self.state.status = "parked"
            self.state.handle_due_at = None
        elif request.decision == "void":
            self.board.cancel(task)
            self.state.status = "voided"
            self.state.end_reason = request.comment

    # -- officer actions and repeated reports ----------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> dict:
        task = self.board.tasks[action.task_id]
        spec = next(d for d in task.decisions if d.name == action.decision)
        if spec.closes:
            self.board.complete(action)
            await self.board.settled(task)
            return {"task": task.model_dump(mode="json"), "case": self.state.summary()}
        approval = await self._request(task, action)
        return {"task": task.model_dump(mode="json"), "case": self.state.summary(),
                "approval_task_id": approval.id}

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        task, spec = self.board.validate(action)
        data = action.data
        if not spec.closes and task.id in self.pending:
            raise ApplicationError("a request for this task is already awaiting approval",
                                   type=CONFLICT)
        if spec.name == "dispatch" and data.get("department") not in DEPARTMENTS:
            raise invalid(f"unknown department {data.get('department')!r}")
        if spec.name == "done" and not isinstance(data.get("result"), str):
            raise invalid("data.result must be text")
        photos = data.get("photos")
        if photos is not None and not (isinstance(photos, list)
                                       and all(isinstance(p, str) for p in photos)):
            raise invalid("data.photos must be a list of references")
        if spec.name == "extend":
            self._check_extension(task, data)
        if spec.name == "park":
            self._check_resume_on(data.get("resume_on"))
        if task.step_code == "approve" and spec.name == "approve":
            context = task.context
            if (context.get("request") == "extend" and context.get("extension_number", 1) > 1
                    and data.get("second_extension") is not True):
                raise invalid("a second extension needs explicit approval: "
                              "data.second_extension = true")

    def _check_extension(self, task: Task, data: dict) -> None:
        if self.state.extensions >= MAX_EXTENSIONS:
            raise ApplicationError("no further extension: the case had "
                                   f"{self.state.extensions} already", type=CONFLICT)
        hours, until = data.get("working_hours"), data.get("until")
        if (hours is None) == (until is None):
            raise invalid("extend needs data.working_hours or data.until (one of them)")
        if hours is not None and not (isinstance(hours, int | float)
                                      and 0 < hours <= MAX_EXTENSION_HOURS):
            raise invalid(f"data.working_hours must be a number in (0, {MAX_EXTENSION_HOURS}]")
        if until is not None:
            end = parse_until(until)
            if end is None:
                raise invalid("data.until must be a date (YYYY-MM-DD) or a datetime with zone")
            if task.due_at and end <= task.due_at:
                raise invalid(f"data.until must be after the current deadline "
                              f"{local_text(task.due_at)}")

    def _check_resume_on(self, value: object) -> None:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise invalid("data.resume_on must be a date, YYYY-MM-DD") from None
        today = workflow.now().astimezone(SHANGHAI).date()
        if not today < day <= today + timedelta(days=MAX_PARK_DAYS):
            raise invalid(f"data.resume_on must be after today and within {MAX_PARK_DAYS} days")

    @workflow.signal
    async def join_report(self, report: Report) -> None:
        """A repeat report (same category, nearby, recent) joins this case as a source."""
        self.state.reports.append(report)
        if report.reporter.role == CITIZEN:
            message = (f"您的上报已并入案件 {self.state.id}（{self.state.category.name}），"
                       f"当前状态：{STATUS_NAMES[self.state.status]}")
            self._notices.append(self._notice_to(report.reporter, message,
                                                 f"joined{len(self.state.reports)}"))
        await self._save()

    @workflow.query
    def case(self) -> IncidentState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    # -- bookkeeping ----------------------------------------------------------------------

    def _suggest(self) -> str:
        # 先属主后属地 for 部件, 先属地后属主 for 事件 (falls back to the owner department).
        category = self.state.category
        if category.routing == "locality" and self.state.street in DEPARTMENTS:
            return self.state.street
        return category.department

    def _notice_to(self, actor: Actor, message: str, key: str) -> Notice:
        return Notice(key=f"{self.state.workflow_id}:{key}:{actor.username}",
                      workflow_id=self.state.workflow_id, recipient_role=actor.role,
                      recipient_department=actor.department, recipient_user=actor.username,
                      message=message)

    def _status_updates(self) -> None:
        """Citizens who reported the case hear of each change of status."""
        state = self.state
        if state.status == self._published_status:
            return
        self._published_status = state.status
        citizens = {r.reporter.username: r.reporter for r in state.reports
                    if r.reporter.role == CITIZEN}
        for actor in citizens.values():
            self._notices.append(self._notice_to(
                actor, f"您上报的案件 {state.id}（{state.category.name}）："
                f"{STATUS_NAMES[state.status]}", f"status{state.version}"))

    async def _save(self) -> None:
        state = self.state
        state.version += 1
        open_tasks = self.board.open_tasks()
        state.open_task_ids = [t.id for t in open_tasks]
        dues = [t.due_at for t in open_tasks if t.due_at and t.step_code != "evaluate"]
        state.current_due_at = min(dues) if dues else None
        self._status_updates()
        if self.inp.policy.search_attributes:
            workflow.upsert_search_attributes([
                sa.CASE_STATUS.value_set(state.status),
                sa.CASE_CATEGORY.value_set(state.category.code),
                sa.CASE_DEPARTMENT.value_set(state.department or ""),
                sa.CASE_OVERDUE.value_set(any(t.escalation_level >= 2 for t in open_tasks)),
            ])
        notices, self._notices = self._notices, []
        await workflow.execute_local_activity(
            project_incident, args=[state, self.board.take_changed(), notices],
            start_to_close_timeout=ACTIVITY_TIMEOUT)


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID)


def parse_until(value: object) -> datetime | None:
    """'2026-12-31' (end of that working day, 18:00 local) or an ISO datetime with zone."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(18), SHANGHAI)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None
