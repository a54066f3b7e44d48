"""The human-task mechanism every workflow uses (DESIGN.md, principles 2-4).

A `TaskBoard` lives inside a workflow. It opens tasks (deadlines from the calendar activity),
validates and applies officer actions sent as Updates, and runs each open task's escalation
ladder on timers: warning, overdue, higher levels. Timers escalate and notify; they never
decide, so the task stays open for its assignee.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import compute_deadlines
    from activities.notify import notify
    from domain.roles import COMMAND_LEAD, DEPT_HEAD
    from domain.tasks import (
        CONFLICT,
        FORBIDDEN,
        INVALID,
        NOT_FOUND,
        DeadlineRequest,
        DecisionSpec,
        Limit,
        Notice,
        Task,
        TaskAction,
        level_name,
    )
    from domain.timefmt import local_text

ACTIVITY_TIMEOUT = timedelta(seconds=30)


class TaskBoard:
    def __init__(self, process: str, case_id: str, ladder_shares: list[float],
                 publish: Callable[[], Awaitable[None]]) -> None:
        """`publish` projects the case and `take_changed()` tasks in one local activity."""
        self.process = process
        self.case_id = case_id
        self.shares = ladder_shares
        self.publish = publish
        self.tasks: dict[str, Task] = {}
        self._changed: dict[str, Task] = {}
        self._seq = 0
        self._consumed: list[Task] = []
        self._settled: set[str] = set()

    # -- opening and waiting ------------------------------------------------------------

    async def open(self, *, step: str, step_code: str, title: str, role: str,
                   department: str | None = None, user: str | None = None, limit: Limit,
                   decisions: list[DecisionSpec], escalate: bool = True,
                   expires: bool = False, cap: datetime | None = None,
                   context: dict[str, Any] | None = None) -> Task:
        """Open a task. `escalate` runs the ladder; `expires` ends it unanswered at its limit;
        `cap` ends the limit sooner (a deadline set from outside).

        The caller publishes the new task along with the case's new state."""
        now = workflow.now()
        marks = await self._deadlines(DeadlineRequest(
            start=now, limit=limit, shares=self.shares if escalate else [1.0], cap=cap))
        self._seq += 1
        wf_id = workflow.info().workflow_id
        task = Task(
            id=f"{wf_id}.{self._seq}", workflow_id=wf_id, process=self.process,
            case_id=self.case_id, step=step, step_code=step_code, title=title,
            assignee_role=role, assignee_department=department, assignee_user=user,
            limit=limit, opened_at=now, decisions=decisions, context=context or {},
        )
        if escalate:
            task.ladder = marks
            task.warn_at, task.due_at = marks[0], marks[1]
        else:
            task.due_at = marks[0]
            task.expires_at = marks[0] if expires else None
        self.tasks[task.id] = task
        self._changed[task.id] = task
        if escalate:
            asyncio.create_task(self._ladder(task))
        return task

    async def replan(self, task: Task, extra_hours: float = 0,
                     due: datetime | None = None) -> None:
        """New deadlines for an open task (an approved 延期): the running ladder re-plans and
        its level drops back to the thresholds already passed."""
        assert task.limit is not None
        marks = await self._deadlines(DeadlineRequest(
            start=task.opened_at, limit=task.limit, shares=self.shares,
            extra_hours=extra_hours, due=due))
        now = workflow.now()
        task.ladder = marks  # a new list: the ladder coroutine sees the change
        task.warn_at, task.due_at = marks[0], marks[1]
        task.escalation_level = sum(1 for m in marks if m <= now)
        task.plan += 1
        task.version += 1
        self._changed[task.id] = task

    def cancel(self, task: Task) -> None:
        task.status = "cancelled"
        task.completed_at = workflow.now()
        task.version += 1
        self._changed[task.id] = task

    async def wait(self, task: Task, cancel_if: Callable[[], bool] | None = None) -> Task:
        """Block until a person acts on `task`, it expires, or `cancel_if()` turns true."""
        self._settle()
        if cancel_if is not None:
            await workflow.wait_condition(lambda: task.status != "open" or cancel_if())
            if task.status == "open":
                self.cancel(task)
        elif task.expires_at:
            try:
                await workflow.wait_condition(lambda: task.status != "open",
                                              timeout=task.expires_at - workflow.now(),
                                              timeout_summary=f"{task.id} expires")
            except TimeoutError:
                task.status = "expired"
                task.version += 1
        else:
            await workflow.wait_condition(lambda: task.status != "open")
        self._changed[task.id] = task
        self._consumed.append(task)
        return task

    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.status == "open"]

    def take_changed(self) -> list[Task]:
        """Tasks changed since the last publish."""
        changed, self._changed = list(self._changed.values()), {}
        return changed

    # -- actions (Update validator and handler) -----------------------------------------

    def validate(self, action: TaskAction) -> tuple[Task, DecisionSpec]:
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
        spec = next((d for d in task.decisions if d.name == action.decision), None)
        if spec is None:
            raise ApplicationError(
                f"unknown decision {action.decision!r}; allowed: {task.allowed_decisions}",
                type=INVALID)
        if spec.comment_required and not (action.comment or "").strip():
            raise ApplicationError(f"decision {spec.name!r} ({spec.label}) needs a comment",
                                   type=INVALID)
        missing = [k for k in spec.data_required if action.data.get(k) in (None, "", [])]
        if missing:
            raise ApplicationError(f"decision {spec.name!r} needs data: {missing}",
                                   type=INVALID)
        return task, spec

    def complete(self, action: TaskAction) -> Task:
        """Close the task with a closing decision (requests go to an approval task instead)."""
        task = self.tasks[action.task_id]
        task.status = "done"
        task.decision = action.decision
        task.comment = action.comment
        task.data = action.data
        task.actor = action.actor
        task.completed_at = workflow.now()
        task.version += 1
        return task

    async def settled(self, task: Task) -> None:
        """Wait until the workflow has acted on `task` and is waiting for people again."""
        await workflow.wait_condition(lambda: task.id in self._settled)

    def cancel_open(self) -> None:
        """The case ends with tasks still open (e.g. voided): close them before publishing."""
        for task in self.open_tasks():
            self.cancel(task)

    def release(self) -> None:
        """The workflow is done with its last action: let waiting Update handlers return."""
        self._settle()

    def _settle(self) -> None:
        self._settled.update(t.id for t in self._consumed)
        self._consumed.clear()

    # -- escalation ---------------------------------------------------------------------

    async def _deadlines(self, req: DeadlineRequest) -> list[datetime]:
        return await workflow.execute_local_activity(compute_deadlines, req,
                                                     start_to_close_timeout=ACTIVITY_TIMEOUT)

    async def _ladder(self, task: Task) -> None:
        while task.status == "open":
            ladder = task.ladder

            def changed(ladder: list[datetime] = ladder) -> bool:
                return task.status != "open" or task.ladder is not ladder  # closed or re-planned

            if task.escalation_level >= len(ladder):
                await workflow.wait_condition(changed)  # top of the ladder: only a re-plan
                continue
            delay = ladder[task.escalation_level] - workflow.now()
            if delay > timedelta(0):
                try:
                    await workflow.wait_condition(
                        changed, timeout=delay,
                        timeout_summary=f"{task.id} {level_name(task.escalation_level + 1)}")
                    continue
                except TimeoutError:
                    if changed():
                        continue
            await self._escalate(task)

    async def _escalate(self, task: Task) -> None:
        task.escalation_level += 1
        task.version += 1
        level = task.escalation_level
        for notice in self._notices(task, level):
            await workflow.execute_activity(notify, notice, start_to_close_timeout=ACTIVITY_TIMEOUT)
        self._changed[task.id] = task
        await self.publish()

    def _notices(self, task: Task, level: int) -> list[Notice]:
        name = level_name(level)
        due = local_text(task.due_at)
        wf_id = task.workflow_id
        if level == 1:
            text = f"【{name}】{task.title} 将于 {due} 到期"
            targets = [(task.assignee_role, task.assignee_department, task.assignee_user)]
        elif level == 2:
            text = f"【{name}】{task.title} 已于 {due} 超期，列入督办"
            targets = [(COMMAND_LEAD, None, None)]
            if task.assignee_department:
                targets.insert(0, (DEPT_HEAD, task.assignee_department, None))
        else:
            text = f"【{name}】{task.title} 超期已达时限{self.shares[-1]:g}倍，请指挥中心负责人督办"
            targets = [(COMMAND_LEAD, None, None)]
        return [
            Notice(key=f"{task.id}:p{task.plan}:L{level}:{role}:{dept or '-'}", workflow_id=wf_id,
                   task_id=task.id, level=level, recipient_role=role,
                   recipient_department=dept, recipient_user=user, message=text)
            for role, dept, user in targets
        ]
