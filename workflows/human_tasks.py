"""The human-task mechanism every workflow uses (DESIGN.md, principles 2-4).

A `TaskBoard` lives inside a workflow. It opens tasks (deadlines from the calendar activity),
validates and applies people's actions sent as Updates, runs each open task's escalation
ladder and expiry on timers, and handles requests that need someone's approval. A process
gives it three things: its escalation policy (who hears of a late task), the Pydantic models
of its decisions' data, and what an approved request does. Everything else is the same for
every process, and so is the single Update, `act`, through which people act.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.limits import MAX_DATA_BYTES
    from domain.tasks import (
        ASSIGNEE,
        CONFLICT,
        FAULT,
        FORBIDDEN,
        INVALID,
        NOT_FOUND,
        STATUS_TEXT,
        ActionResult,
        Actor,
        Assignee,
        BoardState,
        DeadlineRequest,
        DecisionSpec,
        EscalationPolicy,
        Limit,
        Notice,
        PendingRequest,
        Projection,
        Task,
        TaskAction,
        Watcher,
    )
    from domain.timefmt import local_text
    from domain.worktime import CalendarSnapshot, OutsideCalendar
    from workflows import stubs

APPROVE = "approve"
APPROVAL_DECISIONS = [DecisionSpec(name=APPROVE, label="批准"),
                      DecisionSpec(name="refuse", label="不批准", comment_required=True)]

OnApproved = Callable[[Task, TaskAction, Task], Awaitable[None]]
Check = Callable[[Task, DecisionSpec, TaskAction, BaseModel | None], None]


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID)


class TaskBoard:
    def __init__(self, *, process: str, case_id: str, escalation: EscalationPolicy,
                 publish: Callable[[], Awaitable[None]],
                 data_models: dict[str, type[BaseModel]] | None = None,
                 approval_limit: Limit = Limit(value=1, unit="working_days"),
                 on_approved: OnApproved | None = None,
                 request_context: Callable[[Task, TaskAction], dict[str, Any]] | None = None,
                 calendar: CalendarSnapshot | None = None,
                 state: BoardState | None = None) -> None:
        """`publish` projects the case with `take_changed()` tasks and `take_notices()`.
        `calendar` is the working calendar frozen into the case's input, if it carries one;
        `state` resumes a board carried across continue-as-new."""
        self.process = process
        self.case_id = case_id
        self.escalation = escalation
        self.publish = publish
        self.data_models = data_models or {}
        self.approval_limit = approval_limit
        self.on_approved = on_approved
        self.request_context = request_context
        self.calendar = calendar.working_time() if calendar is not None else None
        self.tasks: dict[str, Task] = {}
        self.pending: dict[str, PendingRequest] = {}  # by requesting task id
        self.fault: str | None = None
        self._seq = 0
        self._changed: dict[str, Task] = {}
        self._notices: list[Notice] = []
        self._consumed: list[str] = []  # closed tasks the main coroutine is acting on
        self._settled: set[str] = set()
        if state is not None:
            self._resume(state)

    # -- opening and waiting ------------------------------------------------------------

    async def open(self, *, step: str, step_code: str, title: str, role: str,
                   department: str | None = None, user: str | None = None,
                   users: Sequence[str] = (), also: Sequence[Assignee] = (), limit: Limit,
                   decisions: list[DecisionSpec], escalate: bool = True,
                   expires: bool = False, expire_share: float = 1.0,
                   expire_at: datetime | None = None, cap: datetime | None = None,
                   context: dict[str, Any] | None = None) -> Task:
        """Open a task. `user` or `users` narrow who of the role may act, `also` admits
        others. `escalate` runs the ladder; `expires` ends it unanswered at `expire_share` of
        its limit, or `expire_at` ends it at that instant (levels from there on never fire);
        `cap` ends the limit sooner (a deadline set from outside). The caller publishes the
        new task."""
        now = workflow.now()
        levels = [lv.share for lv in self.escalation.levels] if escalate else []
        if expires:
            levels = [s for s in levels if s < expire_share]
        shares = sorted({1.0, *levels, *([expire_share] if expires else [])})
        marks = dict(zip(shares, await self.deadlines(DeadlineRequest(
            start=now, limit=limit, shares=shares, cap=cap)), strict=True))
        if expire_at is not None:  # levels from the expiry on never fire
            levels = [s for s in levels if marks[s] < expire_at]
        self._seq += 1
        wf_id = workflow.info().workflow_id
        task = Task(
            id=f"{wf_id}.{self._seq}", workflow_id=wf_id, process=self.process,
            case_id=self.case_id, step=step, step_code=step_code, title=title,
            assignee_role=role, assignee_department=department, assignee_user=user,
            assignee_users=list(users), also=list(also), limit=limit, opened_at=now,
            decisions=decisions, context=context or {},
            ladder=[marks[s] for s in levels], due_at=marks[1.0],
            expires_at=expire_at if expire_at is not None
            else marks[expire_share] if expires else None,
        )
        task.warn_at = _warning(task)
        self.tasks[task.id] = task
        self._changed[task.id] = task
        self._spawn(self._watch(task), f"ladder of {task.id}")
        return task

    async def replan(self, task: Task, extra_hours: float = 0,
                     due: datetime | None = None) -> None:
        """New deadlines for an open task (an approved 延期): the running ladder re-plans, its
        level drops back to the thresholds already passed, and an expiry moves as far as the
        deadline did (the grace after the deadline stays what it was)."""
        assert task.limit is not None
        shares = sorted({1.0, *(lv.share for lv in self.escalation.levels[:len(task.ladder)])})
        marks = dict(zip(shares, await self.deadlines(DeadlineRequest(
            start=task.opened_at, limit=task.limit, shares=shares, extra_hours=extra_hours,
            due=due)), strict=True))
        now = workflow.now()
        task.ladder = [marks[lv.share] for lv in self.escalation.levels[:len(task.ladder)]]
        if task.expires_at is not None and task.due_at is not None:
            task.expires_at += marks[1.0] - task.due_at
        task.due_at = marks[1.0]
        task.warn_at = _warning(task)
        task.escalation_level = sum(1 for m in task.ladder if m <= now)
        task.watchers = self._watchers(task)
        task.plan += 1
        self._touch(task)

    def cancel(self, task: Task) -> None:
        if task.status != "open":
            return
        task.status = "cancelled"
        task.completed_at = workflow.now()
        self._touch(task)

    async def wait(self, task: Task) -> Task:
        """Block until a person acts on `task`, or it expires or is cancelled."""
        await self.wait_for([task])
        return task

    async def wait_all(self, tasks: Sequence[Task], **kw: Any) -> list[Task]:
        return await self.wait_for(tasks, need=len(tasks), **kw)

    async def wait_any(self, tasks: Sequence[Task], **kw: Any) -> list[Task]:
        return await self.wait_for(tasks, need=1, **kw)

    async def wait_for(self, tasks: Sequence[Task], need: int = 1,
                       on_each: Callable[[Task], Awaitable[None]] | None = None,
                       stop: Callable[[Task], bool] | None = None) -> list[Task]:
        """Wait until `need` of `tasks` are done (or no more can be): all, any, or a quorum;
        or until a task closes with an answer that ends the wait (`stop`: a party's refusal).

        Tasks that close before the end are settled one by one: `on_each` runs, the case is
        published, and the person who acted gets their answer without waiting for the rest.
        The answer that ends the wait is settled by the workflow's next step, so its response
        carries what that step opened. When the wait ends, the tasks still open are cancelled.
        Returns the tasks that closed (done, expired or cancelled from outside), in the order
        given."""
        self._settle()
        seen: set[str] = set()
        while True:
            await self._until(lambda: any(t.status != "open" and t.id not in seen
                                          for t in tasks))
            newly = [t for t in tasks if t.status != "open" and t.id not in seen]
            seen.update(t.id for t in newly)
            for t in newly:
                self._changed[t.id] = t
            done = sum(1 for t in tasks if t.status == "done")
            still_open = [t for t in tasks if t.status == "open"]
            stopped = stop is not None and any(t.status == "done" and stop(t) for t in newly)
            if done >= need or done + len(still_open) < need or not still_open or stopped:
                for t in still_open:
                    self.cancel(t)
                self._consumed.extend(t.id for t in newly)  # settled at the next wait
                return [t for t in tasks if t.id in seen]
            for t in newly:
                if on_each is not None:
                    await on_each(t)
            await self.publish()
            self._settled.update(t.id for t in newly)

    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.status == "open"]

    def stamp(self, state: Any, staff: Callable[[Task], bool] = lambda _: True) -> list[Task]:
        """A new version of the case's `state` (its fields `version`, `open_task_ids` and
        `current_due_at`): the open tasks, and the earliest deadline of those `staff` counts
        (a resident's answer window is not the staff's deadline). Returns the open tasks."""
        state.version += 1
        open_tasks = self.open_tasks()
        state.open_task_ids = [t.id for t in open_tasks]
        dues = [t.due_at for t in open_tasks if t.due_at and staff(t)]
        state.current_due_at = min(dues) if dues else None
        return open_tasks

    async def project(self, case: dict[str, Any]) -> None:
        """The case row, the tasks changed and the notices added since the last time, in one
        transaction (the process's case writer shapes the row)."""
        await stubs.project(Projection(process=self.process, case=case,
                                       tasks=self.take_changed(), notices=self.take_notices()))

    def take_changed(self) -> list[Task]:
        """Tasks changed since the last publish."""
        changed, self._changed = list(self._changed.values()), {}
        return changed

    def take_notices(self) -> list[Notice]:
        notices, self._notices = self._notices, []
        return notices

    def add_notice(self, notice: Notice) -> None:
        self._notices.append(notice)

    def release(self) -> None:
        """The workflow is done with its last action: let waiting Update handlers return."""
        self._settle()

    def cancel_open(self) -> None:
        """The case ends with tasks still open (e.g. voided): close them before publishing."""
        for task in self.open_tasks():
            self.cancel(task)

    def snapshot(self) -> BoardState:
        """The board's state for continue-as-new, when no action is in flight: its open tasks
        and requests (closed ones live on in the projection and the history)."""
        return BoardState(seq=self._seq, tasks=self.open_tasks(),
                          pending=list(self.pending.values()))

    # -- actions: the Update's validator and handler --------------------------------------

    def validate(self, action: TaskAction) -> tuple[Task, DecisionSpec, BaseModel | None]:
        """Reject before anything is written to history: 404, 409, 403, 422 in that order."""
        task = self.tasks.get(action.task_id)
        if task is None:
            raise ApplicationError(f"任务不存在: {action.task_id}", type=NOT_FOUND)
        if task.status != "open":
            raise ApplicationError(f"任务已关闭 (task is {task.status})", type=CONFLICT)
        if not task.may_act(action.actor):
            raise ApplicationError(
                f"{action.actor.username} is not the assignee of this task "
                f"({task.assignee_role}/{task.assignee_department or '-'})", type=FORBIDDEN)
        spec = task.spec(action.decision)
        if spec is None:
            raise invalid(f"unknown decision {action.decision!r}; allowed: "
                          f"{task.allowed_decisions}")
        if spec.approval is not None and task.id in self.pending:
            raise ApplicationError("a request for this task is already awaiting approval",
                                   type=CONFLICT)
        if spec.comment_required and not (action.comment or "").strip():
            raise invalid(f"decision {spec.name!r} ({spec.label}) needs a comment")
        return task, spec, self.parse_data(spec, action.data)

    def parse_data(self, spec: DecisionSpec, data: dict[str, Any]) -> BaseModel | None:
        """The decision's data, checked against its model: a 422 names the field."""
        if len(repr(data)) > MAX_DATA_BYTES:
            raise invalid(f"data is larger than {MAX_DATA_BYTES} bytes")
        if spec.data is None:
            if data:
                raise invalid(f"decision {spec.name!r} takes no data")
            return None
        try:
            return self.data_models[spec.data].model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "data"
            raise invalid(f"data.{where}: {first['msg']}") from None

    async def act(self, action: TaskAction) -> ActionResult:
        """Apply a validated action: a closing decision closes the task and returns once the
        workflow has settled it; a request opens its approval task and returns at once."""
        task = self.tasks[action.task_id]
        spec = task.spec(action.decision)
        assert spec is not None
        model = self.parse_data(spec, action.data)
        if spec.approval is not None:
            approval = await self._request(task, spec, action)
            return ActionResult(task=task, approval_task_id=approval.id)
        task.status = "done"
        task.decision = action.decision
        task.comment = action.comment
        task.data = model.model_dump(mode="json", exclude_unset=True) if model else {}
        task.actor = action.actor
        task.completed_at = workflow.now()
        task.version += 1
        await self._until(lambda: task.id in self._settled)
        return ActionResult(task=task)

    def data_of(self, task: Task) -> Any:
        """The typed data of a done task's decision."""
        spec = task.spec(task.decision or "")
        if spec is None or spec.data is None:
            return None
        return self.data_models[spec.data].model_validate(task.data)

    # -- requests and approvals -----------------------------------------------------------

    async def _request(self, task: Task, spec: DecisionSpec, action: TaskAction) -> Task:
        """Open an approval task for the request; the requesting task stays open."""
        rule = spec.approval
        assert rule is not None
        context = {"request": action.decision, "request_label": spec.label,
                   "for_task": task.id, "step": task.step,
                   "requested_by": action.actor.username, "reason": action.comment,
                   "data": action.data}
        if self.request_context is not None:
            context |= self.request_context(task, action)
        decisions = [d.model_copy(update={"data": rule.data}) if d.name == APPROVE else d
                     for d in APPROVAL_DECISIONS]
        approval = await self.open(
            step="审批", step_code="approve", title=f"审批{spec.label}：{task.title}",
            role=rule.role, department=rule.department,
            limit=rule.limit or self.approval_limit, decisions=decisions, context=context)
        self.pending[task.id] = PendingRequest(task_id=task.id, approval_id=approval.id,
                                               action=action)
        self._changed[task.id] = task
        await self.publish()
        self._spawn(self._decide(task, approval, action), f"approval {approval.id}")
        return approval

    async def _decide(self, task: Task, approval: Task, request: TaskAction) -> None:
        # A request is moot once its task closes some other way (handled meanwhile).
        await self._until(lambda: approval.status != "open" or task.status != "open")
        if approval.status == "open":
            self.cancel(approval)
            approval.comment = f"{task.step}任务{STATUS_TEXT[task.status]}，申请无需审批"
        del self.pending[task.id]
        if approval.status == "done" and approval.decision == APPROVE:
            if self.on_approved is not None:
                await self.on_approved(task, request, approval)
            verdict = "已批准"
        elif approval.status == "done":
            verdict = "未批准"
        elif approval.status == "expired":
            verdict = "审批超时未决，申请失效"
        else:
            verdict = f"未经审批即撤销：{task.step}任务已{STATUS_TEXT[task.status]}"
        if approval.comment and approval.status == "done":
            verdict += f"（{approval.comment}）"
        self.add_notice(Notice(
            key=f"{approval.id}:outcome:{request.actor.username}", kind="request",
            workflow_id=approval.workflow_id, task_id=approval.id,
            recipient_role=request.actor.role, recipient_department=request.actor.department,
            recipient_user=request.actor.username, message=f"{approval.title}：{verdict}"))
        self._changed[approval.id] = approval
        self._changed[task.id] = task
        await self.publish()
        self._settled.add(approval.id)

    # -- escalation and expiry -------------------------------------------------------------

    async def deadlines(self, req: DeadlineRequest) -> list[datetime]:
        """Working-time instants (a task's deadlines, or a process's own, such as a hearing's
        date). From the case's own calendar when it reaches far enough (no activity: the same
        pure function over data in the history), else from the calendar activity."""
        if self.calendar is not None:
            try:
                return self.calendar.deadlines(req.start, req.limit, req.shares,
                                               req.extra_hours, req.due, req.cap)
            except OutsideCalendar:
                pass
        return await stubs.compute_deadlines(req)

    async def _watch(self, task: Task) -> None:
        """The task's timers: each ladder level in turn, and its expiry."""
        while task.status == "open":
            plan = task.plan

            def changed(plan: int = plan) -> bool:
                return task.status != "open" or task.plan != plan

            level = task.escalation_level
            marks = [m for m in (task.ladder[level] if level < len(task.ladder) else None,
                                 task.expires_at) if m is not None]
            if not marks:
                await workflow.wait_condition(changed)  # top of the ladder: only a re-plan
                continue
            at = min(marks)
            delay = at - workflow.now()
            if delay > timedelta(0):
                expiring = at == task.expires_at
                what = "到期" if expiring else self.escalation.level_name(level + 1)
                try:
                    await workflow.wait_condition(changed, timeout=delay,
                                                  timeout_summary=f"{task.id} {what}")
                    continue
                except TimeoutError:
                    if changed():
                        continue
            if task.expires_at is not None and workflow.now() >= task.expires_at:
                task.status = "expired"
                task.completed_at = workflow.now()
                self._touch(task)
                return
            await self._escalate(task)

    async def _escalate(self, task: Task) -> None:
        task.escalation_level += 1
        task.watchers = self._watchers(task)
        self._touch(task)
        level = task.escalation_level
        rule = self.escalation.levels[level - 1]
        text = rule.text.format(title=task.title, due=local_text(task.due_at),
                                share=f"{rule.share:g}")
        message = f"【{rule.name}】{text}"
        for role, dept, user in self._recipients(task, level):
            named = f":{user}" if user and task.assignee_users else ""
            await stubs.notify(Notice(
                key=f"{task.id}:p{task.plan}:L{level}:{role}:{dept or '-'}{named}",
                kind="escalation",
                workflow_id=task.workflow_id, task_id=task.id, level=level,
                recipient_role=role, recipient_department=dept, recipient_user=user,
                message=message))
        await self.publish()

    def _recipients(self, task: Task, level: int) -> list[tuple[str, str | None, str | None]]:
        out = []
        for r in self.escalation.levels[level - 1].notify:
            if r.role == ASSIGNEE:  # each named user hears of it, else the role
                out += [(task.assignee_role, task.assignee_department, u)
                        for u in task.assignee_users or [task.assignee_user]]
                continue
            dept = task.assignee_department if r.department == ASSIGNEE else r.department
            if r.department == ASSIGNEE and dept is None:
                continue
            out.append((r.role, dept, None))
        return out

    def _watchers(self, task: Task) -> list[Watcher]:
        watchers: list[Watcher] = []
        for level in range(1, task.escalation_level + 1):
            if self.escalation.levels[level - 1].supervise:
                watchers += [Watcher(role=role, department=dept)
                             for role, dept, _ in self._recipients(task, level)
                             if Watcher(role=role, department=dept) not in watchers]
        return watchers

    # -- bookkeeping ----------------------------------------------------------------------

    def _touch(self, task: Task) -> None:
        task.version += 1
        self._changed[task.id] = task

    def _settle(self) -> None:
        self._settled.update(self._consumed)
        self._consumed.clear()

    async def _until(self, condition: Callable[[], bool]) -> None:
        """wait_condition that also wakes when a background coroutine failed, so a fault
        never leaves the case or an Update hanging: the Update is answered with the fault,
        and the workflow fails visibly with it."""
        await workflow.wait_condition(lambda: condition() or self.fault is not None)
        if self.fault is not None and not condition():
            raise ApplicationError(f"内部错误，操作未能完成: {self.fault}", type=FAULT,
                                   non_retryable=True)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception as err:  # noqa: BLE001  (recorded, then raised where awaited)
                workflow.logger.exception("%s failed", name)
                self.fault = f"{name}: {err}"

        asyncio.create_task(guarded())

    def _resume(self, state: BoardState) -> None:
        self._seq = state.seq
        for task in state.tasks:
            self.tasks[task.id] = task
            self._spawn(self._watch(task), f"ladder of {task.id}")
        for pending in state.pending:
            task = self.tasks.get(pending.task_id)
            approval = self.tasks.get(pending.approval_id)
            if task is None or approval is None:
                continue
            self.pending[task.id] = pending
            self._spawn(self._decide(task, approval, pending.action),
                        f"approval {approval.id}")


def _warning(task: Task) -> datetime | None:
    """The first ladder mark, when it comes before the deadline (a 预警)."""
    first = task.ladder[0] if task.ladder else None
    return first if first is not None and task.due_at and first < task.due_at else None


def actor_notice(workflow_id: str, actor: Actor, message: str, key: str) -> Notice:
    """A status notice to one person (a reporter, a requester)."""
    return Notice(key=f"{workflow_id}:{key}:{actor.username}", workflow_id=workflow_id,
                  recipient_role=actor.role, recipient_department=actor.department,
                  recipient_user=actor.username, message=message)
