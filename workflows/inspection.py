"""Joint multi-department inspection (多跨智查): one workflow per inspection task.

任务发布 -> 审批 (lead dept_head) -> 频次控制 (caps; command_lead's exception) -> 进一次门 (merge
into another inspection's visit, or host one) -> 部门邀约 (one task per department, at once) ->
现场检查 (one task per department, opened on the planned date) -> 处理处罚 (责令整改 and
re-inspection, or a penalty case as a child workflow) -> 结果.

An inspection merged into another's visit follows its host: the host invites the joiner's
departments, checks its items, and tells it the outcome (Signals both ways).
"""

import asyncio
from datetime import date, datetime, time, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from domain.departments import department_name
    from domain.enforcement import MIN_OFFICERS, Officer
    from domain.inspection import (
        COUNTED_TYPES,
        DECISION_DATA,
        DRAWN_TYPES,
        PROCESS,
        STATUS_NAMES,
        TERMINAL,
        TYPE_NAMES,
        DepartmentPart,
        Finding,
        InspectionInput,
        InspectionState,
        InviteData,
        ItemResult,
        Joiner,
        RecordData,
        Roster,
        RosterQuery,
        VisitClose,
        VisitCounts,
        VisitHost,
        VisitOutcome,
        VisitQuery,
    )
    from domain.inspection_steps import APPROVE_PLAN, CAP_EXCEPTION, INSPECT, INVITE, REINSPECT
    from domain.penalty import PenaltyInput, PenaltyState
    from domain.roles import COMMAND_LEAD, DEPT_HEAD, OFFICER
    from domain.tasks import (
        ActionResult,
        Actor,
        DecisionSpec,
        Limit,
        Notice,
        Task,
        TaskAction,
    )
    from domain.timefmt import SHANGHAI
    from workflows.human_tasks import TaskBoard, invalid

VISIT_COUNTS = "visit_counts"
HOST_OR_JOIN = "host_or_join"
CLOSE_VISIT = "close_visit"
ROSTER = "enforcement_roster"
VISIT_TIMEOUT = timedelta(seconds=30)
MAX_RECTIFY_DAYS = 366


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


@workflow.defn
class InspectionWorkflow:
    @workflow.init
    def __init__(self, inp: InspectionInput) -> None:
        self.inp = inp
        self.board = TaskBoard(process=PROCESS, case_id=inp.id,
                               escalation=inp.policy.escalation, publish=self._save,
                               data_models=DECISION_DATA, calendar=inp.policy.calendar)
        self.state = InspectionState.start(inp, workflow.info().workflow_id)
        self.roster: dict[str, list[Officer]] = {}
        self.recused: set[str] = set()
        self.joins: list[Joiner] = []  # Signals from inspections merged into this visit
        self.joiners: dict[str, Joiner] = {}  # those taken in, by inspection id
        self.outcome: VisitOutcome | None = None  # from the host, when merged into its visit
        self._told: str | None = None  # the status joiners last heard
        self._lead_told: str | None = None
        self._recorded_tasks: set[str] = set()

    @workflow.run
    async def run(self, inp: InspectionInput) -> InspectionState:
        await self._approve()
        if self.state.status == "approving":
            await self._frequency()
        if self.state.status == "approving":
            host = await workflow.execute_activity(
                HOST_OR_JOIN, self._visit_query(), result_type=VisitHost,
                start_to_close_timeout=VISIT_TIMEOUT)
            if host.host is None or not await self._follow(host):
                self.state.visit_id = inp.id
                await self._invite_phase()
                if self.state.status != "cancelled":
                    await self._inspect()
                    await self._handle()
                    self.state.status = "closed"
                    self.state.closed_at = workflow.now()
        return await self._finish()

    # -- 审批 and 频次控制 ---------------------------------------------------------------------

    async def _approve(self) -> None:
        inp = self.inp
        task = await self._ask(
            "审批", "approve_plan", DEPT_HEAD, inp.lead_department, inp.policy.approve_limit,
            APPROVE_PLAN, context={"type": TYPE_NAMES[inp.type], "reason": inp.reason,
                                   "planned_date": inp.planned_date.isoformat(),
                                   "items": [i.model_dump() for i in inp.items]})
        if task.decision == "refuse":
            self._end("refused", task.comment)
        else:
            self.state.approved_at = task.completed_at

    async def _frequency(self) -> None:
        """The caps (国办发〔2024〕54号): counted types only; over a cap, command_lead decides."""
        if self.inp.type not in COUNTED_TYPES:
            return
        policy = self.inp.policy
        counts = await workflow.execute_activity(
            VISIT_COUNTS, self._visit_query(), result_type=VisitCounts,
            start_to_close_timeout=VISIT_TIMEOUT)
        self.state.counts = counts
        over = {d: n for d, n in counts.by_department.items()
                if n >= policy.department_cap_per_year} if self.inp.type == "routine" else {}
        busy = counts.last_30_days >= policy.enterprise_cap_30_days
        if not (over or busy):
            return
        self.state.cap_exceeded = True
        task = await self._ask(
            "超频次审批", "cap_exception", COMMAND_LEAD, None, policy.cap_limit, CAP_EXCEPTION,
            context={"department_counts_this_year": counts.by_department,
                     "visits_last_30_days": counts.last_30_days,
                     "over_department_cap": sorted(over), "over_enterprise_cap": busy,
                     "caps": {"department_per_year": policy.department_cap_per_year,
                              "enterprise_per_30_days": policy.enterprise_cap_30_days}})
        if task.decision == "refuse":
            self._end("refused", task.comment)

    def _visit_query(self) -> VisitQuery:
        return VisitQuery(inspection_id=self.inp.id, workflow_id=self.state.workflow_id,
                          credit_code=self.inp.enterprise.credit_code, type=self.inp.type,
                          planned_date=self.inp.planned_date,
                          departments=[p.department for p in self.state.departments],
                          window_days=self.inp.policy.merge_window_days)

    # -- 进一次门: merged into another inspection's visit ---------------------------------------

    async def _follow(self, host: VisitHost) -> bool:
        """Hand the items to the host's visit, then follow it to its end. False: the host is
        gone (ended by an operator with its visit still open), so this one goes alone."""
        assert host.host and host.host_workflow_id
        inp, state = self.inp, self.state
        try:
            await workflow.get_external_workflow_handle(host.host_workflow_id).signal(
                "join_visit", Joiner(inspection_id=inp.id, workflow_id=state.workflow_id,
                                     lead_department=inp.lead_department, type=inp.type,
                                     items=inp.items, created_by=inp.created_by))
        except ApplicationError as err:
            workflow.logger.warning("host %s unreachable (%s): inspecting alone", host.host, err)
            return False
        state.merged_into = state.visit_id = host.host
        text = (f"检查任务 {inp.id}（{inp.enterprise.name}）已并入 {host.host} 的联合检查，"
                "进一次门、查多项事")
        self._tell(DEPT_HEAD, inp.lead_department, None, text, "merged")
        self._tell(inp.created_by.role, inp.created_by.department, inp.created_by.username,
                   text, "merged")
        state.status = "inviting"
        await self._save()
        self.board.release()  # the lead's approval is answered: the host does the rest
        while True:
            await workflow.wait_condition(lambda: self.outcome is not None)
            outcome, self.outcome = self.outcome, None
            assert outcome is not None
            state.status = outcome.status
            if outcome.items:
                state.items = outcome.items
            if outcome.departments:
                state.departments = outcome.departments
            if outcome.status in TERMINAL:
                state.closed_at = workflow.now()
                return True
            await self._save()

    @workflow.signal
    def join_visit(self, joiner: Joiner) -> None:
        """Another inspection of this enterprise merges into this visit (from its own workflow,
        right after `host_or_join` recorded it under the enterprise's lock)."""
        if joiner.inspection_id not in self.joiners and all(
                j.inspection_id != joiner.inspection_id for j in self.joins):
            self.joins.append(joiner)

    @workflow.signal
    def visit_update(self, outcome: VisitOutcome) -> None:
        """The host of the visit this inspection joined: its status, and at the end, results."""
        self.outcome = outcome

    # -- 部门邀约 ------------------------------------------------------------------------------

    async def _invite_phase(self) -> None:
        """Invite every department at once; joiners may bring more until the planned date."""
        state = self.state
        state.status = "inviting"
        await self._load_roster([p.department for p in state.departments])
        batch = [await self._invite(p.department) for p in state.departments]
        planned = start_of(self.inp.planned_date)
        while True:
            if batch:
                state.status = "inviting"
                await self._save()
                done = await self.board.wait_all(batch, on_each=self._answered)
                for task in done:
                    self._answered_now(task)
            if not any(p.status == "accepted" for p in state.departments):
                self._end("cancelled", "没有部门参加检查")
                return
            state.status = "scheduled"
            await self._save()
            self.board.release()
            wait = planned - workflow.now()
            if wait > timedelta(0) and not self.joins:
                try:
                    await workflow.wait_condition(lambda: bool(self.joins), timeout=wait,
                                                  timeout_summary=f"现场检查 {planned.date()}")
                except TimeoutError:
                    return
            if not self.joins:
                return
            batch = await self._take_joins(invite=True)

    async def _take_joins(self, invite: bool) -> list[Task]:
        """Take in the inspections merged into this visit: their items, and (before the on-site
        check) invitations to departments not yet part of it."""
        batch: list[Task] = []
        state = self.state
        if self.joins:
            self._told = None  # the next save tells every joiner where the visit stands
        for joiner in self.joins:
            self.joiners[joiner.inspection_id] = joiner
            state.joined.append(joiner.inspection_id)
            new = [d for d in dict.fromkeys(i.department for i in joiner.items)
                   if self._part(d) is None]
            if invite and new:
                state.departments += [DepartmentPart(department=d) for d in new]
                await self._load_roster(new)
                batch += [await self._invite(d) for d in new]
            for i in joiner.items:
                same = self._item(i.department, i.item)
                if same is not None:  # one check serves both (and one fine, Art. 29)
                    same.also_for.append(joiner.inspection_id)
                    continue
                item = ItemResult(department=i.department, item=i.item,
                                  inspection_id=joiner.inspection_id)
                part = self._part(i.department)
                if part is None or part.status in ("declined", "no_answer"):
                    item.status, item.settled = "not_checked", True
                    item.reason = (part.reason if part and part.reason
                                   else "并入时现场检查已开始")
                state.items.append(item)
            self._tell(DEPT_HEAD, joiner.lead_department, None,
                       f"检查任务 {joiner.inspection_id} 已并入 {state.id}（{state.enterprise_name}"
                       f"，{state.planned_date}）的联合检查", "joined")
        self.joins = []
        return batch

    async def _load_roster(self, departments: list[str]) -> None:
        roster = await workflow.execute_activity(
            ROSTER, RosterQuery(departments=departments, credit_code=self.state.credit_code,
                                day=self.inp.planned_date,
                                recusal_days=self.inp.policy.recusal_days),
            result_type=Roster, start_to_close_timeout=VISIT_TIMEOUT)
        self.roster |= roster.officers
        self.recused |= set(roster.recused)

    async def _invite(self, department: str) -> Task:
        inp = self.inp
        items = [i.item for i in self.state.items if i.department == department]
        return await self.board.open(
            step="邀约", step_code="invite", role=DEPT_HEAD, department=department,
            title=f"邀约：{inp.planned_date} {inp.enterprise.name}联合检查（{inp.id}）",
            limit=inp.policy.invite_limit, decisions=INVITE, expire_at=self._invites_end(),
            context={"lead_department": inp.lead_department, "type": TYPE_NAMES[inp.type],
                     "planned_date": inp.planned_date.isoformat(), "items": items,
                     "draw_allowed": inp.type in DRAWN_TYPES, "draw_requested": inp.draw,
                     "certified_officers": self._certified(department)})

    def _invites_end(self) -> datetime:
        """Invitations end when the on-site day begins; for a check planned for today (an
        urgent complaint), at the end of today, so the visit goes ahead once all have answered
        and never waits for a silent department past the day."""
        now = workflow.now()
        planned = start_of(self.inp.planned_date)
        return planned if planned > now else start_of(now.astimezone(SHANGHAI).date()
                                                      + timedelta(days=1))

    async def _answered(self, task: Task) -> None:
        self._answered_now(task)

    def _answered_now(self, task: Task) -> None:
        part = self._part(task.assignee_department or "")
        if part is None or part.status != "invited":
            return
        if task.decision == "accept":
            data: InviteData = self.board.data_of(task)
            part.status = "accepted"
            if data.draw or (self.inp.draw and not data.officers):
                part.officers, part.drawn = self._draw(part.department), True
            else:
                part.officers = list(dict.fromkeys(data.officers))
            return
        if task.decision == "decline":
            part.status, part.reason = "declined", f"部门不参加：{task.comment}"
        else:
            part.status, part.reason = "no_answer", "邀约未答复"
        for item in self.state.items:
            if item.department == part.department and not item.settled:
                item.status, item.settled, item.reason = "not_checked", True, part.reason

    def _draw(self, department: str) -> list[str]:
        """双随机: officers drawn with the workflow's seeded random, so a replay draws the same;
        the draw is in the history through the case each later event carries."""
        eligible = self._eligible(department)
        return sorted(workflow.random().sample(eligible, self.inp.policy.draw_per_department))

    def _certified(self, department: str) -> list[str]:
        return sorted(o.username for o in self.roster.get(department, [])
                      if o.valid_on(self.inp.planned_date))

    def _eligible(self, department: str) -> list[str]:
        return [u for u in self._certified(department) if u not in self.recused]

    # -- 现场检查 ------------------------------------------------------------------------------

    async def _inspect(self) -> None:
        state = self.state
        joined = await workflow.execute_activity(
            CLOSE_VISIT, VisitClose(
                visit_id=state.id, credit_code=state.credit_code, day=self.inp.planned_date,
                departments=[p.department for p in state.departments
                             if p.status == "accepted"],
                officers=[o for p in state.departments for o in p.officers],
                countable=self.inp.type in COUNTED_TYPES),
            result_type=list[str], start_to_close_timeout=VISIT_TIMEOUT)
        # Every joiner the lock let in signals right after; none is left behind.
        await workflow.wait_condition(lambda: all(
            j in self.joiners or any(x.inspection_id == j for x in self.joins) for j in joined))
        await self._take_joins(invite=False)
        state.status = "inspecting"
        tasks = []
        for part in state.departments:
            if part.status != "accepted":
                continue
            items = [i.item for i in state.items if i.department == part.department
                     and not i.settled]
            tasks.append(await self.board.open(
                step="现场检查", step_code="inspect", role=OFFICER, department=part.department,
                users=part.officers, limit=self.inp.policy.inspect_limit, decisions=INSPECT,
                title=f"现场检查：{state.enterprise_name}（{state.id}）",
                context={"items": items, "officers": part.officers,
                         "planned_date": state.planned_date.isoformat()}))
        await self._save()
        done = await self.board.wait_all(tasks, on_each=self._recorded)
        for task in done:
            await self._recorded(task)
        state.inspected_at = workflow.now()

    async def _recorded(self, task: Task) -> None:
        if task.status != "done" or task.id in self._recorded_tasks:
            return
        self._recorded_tasks.add(task.id)
        record: RecordData = self.board.data_of(task)
        for finding in record.findings:
            item = self._item(task.assignee_department or "", finding.item)
            if item is None:
                continue
            item.legal_basis, item.evidence = finding.legal_basis, list(finding.evidence)
            if finding.result == "compliant":
                item.status, item.settled, item.outcome = "compliant", True, "检查合格"
            else:
                item.status, item.action = "violation", finding.action
                item.rectify_by, item.fine_proposed = finding.rectify_by, finding.fine_proposed
                item.note = finding.note

    # -- 处理处罚 ------------------------------------------------------------------------------

    async def _handle(self) -> None:
        pending = [i for i in self.state.items if i.status == "violation" and not i.settled]
        if not pending:
            return
        self.state.status = "handling"
        await self._save()
        self.board.release()
        await asyncio.gather(*(self._settle_item(i) for i in pending))

    async def _settle_item(self, item: ItemResult) -> None:
        if item.action == "rectify" and item.rectify_by is not None:
            item.outcome = f"责令整改，期限 {item.rectify_by}"
            await self._save()
            self.board.release()
            due = start_of(item.rectify_by + timedelta(days=1))
            if due > workflow.now():
                await workflow.sleep(due - workflow.now(),
                                     summary=f"整改期限 {item.rectify_by}：{item.item}")
            part = self._part(item.department)
            task = await self.board.open(
                step="复查", step_code="reinspect", role=OFFICER, department=item.department,
                users=part.officers if part else [], limit=self.inp.policy.reinspect_limit,
                decisions=REINSPECT, title=f"整改复查：{self.state.enterprise_name} {item.item}"
                f"（{self.state.id}）",
                context={"item": item.item, "legal_basis": item.legal_basis,
                         "rectify_by": item.rectify_by.isoformat()})
            await self._save()
            await self.board.wait(task)
            if task.decision == "pass":
                item.outcome, item.settled = "整改合格", True
                await self._save()
                self.board.release()
                return
            item.outcome = f"复查不合格：{task.comment}，转立案处罚"
        await self._penalty(item)

    async def _penalty(self, item: ItemResult) -> None:
        state = self.state
        part = self._part(item.department)
        case_id = f"{state.id}-P{len(state.penalty_cases) + 1}"
        item.penalty_case_id = case_id
        state.penalty_cases.append(case_id)
        facts = item.note or f"{state.enterprise_name} 违反 {item.legal_basis}：{item.item}"
        handle = await workflow.start_child_workflow(
            "PenaltyCaseWorkflow", PenaltyInput(
                id=case_id, enterprise=self.inp.enterprise, department=item.department,
                officers=part.officers if part else [], inspection_id=state.id,
                item=item.item, facts=facts, legal_basis=item.legal_basis or "",
                evidence=item.evidence, fine_proposed=item.fine_proposed,
                opened_by=Actor(username="system", role="system", display_name="多跨智查"),
                opened_at=workflow.now(), policy=self.inp.penalty_policy),
            id=f"penalty-{case_id}", result_type=PenaltyState,
            # The case is a legal proceeding of its own: it outlives anything done to this one.
            parent_close_policy=ParentClosePolicy.ABANDON,
            retry_policy=RetryPolicy(maximum_attempts=1))
        item.outcome = f"已立案调查：处罚案件 {case_id}"
        await self._save()
        self.board.release()
        result: PenaltyState = await handle
        ended = "不予立案" if result.status == "not_filed" else (
            result.decision.label() if result.decision else result.status)
        item.outcome = f"处罚案件 {case_id}：{ended}"
        item.settled = True
        await self._save()
        self.board.release()

    # -- people's actions ----------------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        task, spec, data = self.board.validate(action)
        if isinstance(data, InviteData):
            self._check_invite(task, data)
        elif isinstance(data, RecordData):
            self._check_record(task, data)

    def _check_invite(self, task: Task, data: InviteData) -> None:
        department = task.assignee_department or ""
        if data.draw or (self.inp.draw and not data.officers):
            if self.inp.type not in DRAWN_TYPES:
                raise invalid("双随机抽取只用于日常检查和专项检查 (routine, campaign): name the "
                              "officers in data.officers")
            eligible = self._eligible(department)
            if len(eligible) < self.inp.policy.draw_per_department:
                raise invalid(f"可抽取的执法人员不足: {len(eligible)} eligible (certificate valid "
                              f"on {self.inp.planned_date}, not recused), "
                              f"{self.inp.policy.draw_per_department} needed")
            return
        officers = list(dict.fromkeys(data.officers))
        if len(officers) < MIN_OFFICERS:
            raise invalid(f"data.officers: name at least {MIN_OFFICERS} enforcement officers "
                          "(行政处罚法第四十二条), or set data.draw: true")
        self._check_certified(department, officers, self.inp.planned_date, "data.officers")

    def _check_certified(self, department: str, officers: list[str], day: date,
                         field: str) -> None:
        roster = {o.username: o for o in self.roster.get(department, [])}
        for username in officers:
            officer = roster.get(username)
            if officer is None:
                raise invalid(f"{field}: {username} is not an enforcement officer of "
                              f"{department_name(department) or department}")
            if not officer.valid_on(day):
                raise invalid(f"{field}: {username} 的执法证已于 {officer.certificate_expires} "
                              f"过期 (certificate not valid on {day})")

    def _check_record(self, task: Task, data: RecordData) -> None:
        department = task.assignee_department or ""
        part = self._part(department)
        today = workflow.now().astimezone(SHANGHAI).date()
        present = list(dict.fromkeys(data.officers_present))
        if len(present) < MIN_OFFICERS:
            raise invalid(f"data.officers_present: at least {MIN_OFFICERS} certified officers "
                          "must be present (行政处罚法第四十二条)")
        named = part.officers if part else []
        for username in present:
            if username not in named:
                raise invalid(f"data.officers_present: {username} is not named for this visit "
                              f"(named: {', '.join(named)})")
        self._check_certified(department, present, today, "data.officers_present")
        expected = {i.item for i in self.state.items
                    if i.department == department and not i.settled}
        given = [f.item for f in data.findings]
        if len(set(given)) != len(given):
            raise invalid("data.findings: one finding per item")
        unknown = [g for g in given if g not in expected]
        if unknown:
            raise invalid(f"data.findings: {unknown[0]!r} is not an item this department "
                          f"checks; items: {sorted(expected)}")
        missing = sorted(expected - set(given))
        if missing:
            raise invalid(f"data.findings: no finding for {missing}")
        for finding in data.findings:
            self._check_finding(finding, today)

    def _check_finding(self, finding: Finding, today: date) -> None:
        if finding.action == "rectify" and finding.rectify_by is not None and not (
                today < finding.rectify_by <= today + timedelta(days=MAX_RECTIFY_DAYS)):
            raise invalid(f"data.findings: rectify_by of {finding.item!r} must be after today "
                          f"and within {MAX_RECTIFY_DAYS} days")

    @workflow.query
    def case(self) -> InspectionState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    # -- bookkeeping -----------------------------------------------------------------------------

    async def _ask(self, step: str, step_code: str, role: str, department: str | None,
                   limit: Limit, decisions: list[DecisionSpec], context: dict) -> Task:
        title = f"{step}：{self.inp.enterprise.name} {TYPE_NAMES[self.inp.type]}（{self.inp.id}）"
        task = await self.board.open(step=step, step_code=step_code, title=title, role=role,
                                     department=department, limit=limit, decisions=decisions,
                                     context=context)
        await self._save()
        return await self.board.wait(task)

    def _part(self, department: str) -> DepartmentPart | None:
        return next((p for p in self.state.departments if p.department == department), None)

    def _item(self, department: str, name: str) -> ItemResult | None:
        return next((i for i in self.state.items if i.department == department
                     and i.item == name and not i.settled), None)

    def _end(self, status: str, reason: str | None) -> None:
        self.state.status = status  # type: ignore[assignment]
        self.state.end_reason = reason
        self.state.closed_at = workflow.now()

    def _tell(self, role: str, department: str | None, user: str | None, message: str,
              key: str) -> None:
        self.board.add_notice(Notice(
            key=f"{self.state.workflow_id}:{key}:{role}:{department or '-'}:{user or '-'}",
            workflow_id=self.state.workflow_id, recipient_role=role,
            recipient_department=department, recipient_user=user, message=message))

    async def _finish(self) -> InspectionState:
        self.board.cancel_open()
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _save(self) -> None:
        state = self.state
        self.board.stamp(state)
        if state.status != self._told:  # inspections merged into this visit follow it
            self._told = state.status
            for joiner in self.joiners.values():
                mine = [i for i in state.items if i.inspection_id == joiner.inspection_id
                        or joiner.inspection_id in i.also_for]
                theirs = {i.department for i in joiner.items}
                await workflow.get_external_workflow_handle(joiner.workflow_id).signal(
                    "visit_update", VisitOutcome(status=state.status, items=mine, departments=[
                        p for p in state.departments if p.department in theirs]))
        if state.status != self._lead_told:  # the lead hears of each change of status
            self._lead_told = state.status
            text = f"检查任务 {state.id}（{state.enterprise_name}）：{STATUS_NAMES[state.status]}"
            self._tell(DEPT_HEAD, self.inp.lead_department, None, text, f"status{state.version}")
        await self.board.project(state.model_dump(mode="json"))
