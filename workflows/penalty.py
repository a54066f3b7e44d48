"""Penalty case (行政处罚), from 立案 to 执行: one workflow per case.

立案 file -> 告知 notify -> 陈述申辩 answer (the party, or officers recording a paper answer;
the window runs out by itself) -> 听证 hearing (when asked for and allowed, after the notice
period) -> 法制审核 legal review (major cases and heard ones; a return opens 补正 revise) -> 决定
decide (due 90 days after 立案) -> 执行 execute (a fine: paid, or sent to court). Every step is a
task on the shared TaskBoard; the case moves as a small state machine over its status. Started
alone from the API, or as a child of a joint inspection.
"""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.enforcement import LEGAL_CENTER, PARTY
    from domain.penalty import (
        ANSWER,
        DECIDE,
        DECISION_DATA,
        EXECUTE,
        FILE,
        HEARING,
        NOTIFY,
        PROCESS,
        REVIEW,
        REVIEW_POINT_NAMES,
        REVISE,
        TERMINAL,
        DecideData,
        PaidData,
        PenaltyCaseView,
        PenaltyInput,
        PenaltyState,
        amount_due,
        days_late,
        surcharge,
    )
    from domain.roles import DEPT_HEAD, LEGAL_REVIEWER, OFFICER
    from domain.tasks import (
        CONFLICT,
        ActionResult,
        Actor,
        Assignee,
        DeadlineRequest,
        DecisionSpec,
        Limit,
        Notice,
        Task,
        TaskAction,
    )
    from domain.timefmt import local_text
    from workflows.human_tasks import TaskBoard, actor_notice, invalid


@workflow.defn
class PenaltyCaseWorkflow:
    @workflow.init
    def __init__(self, inp: PenaltyInput) -> None:
        self.inp = inp
        self.board = TaskBoard(
            process=PROCESS, case_id=inp.id, escalation=inp.policy.escalation,
            publish=self._save, data_models=DECISION_DATA, calendar=inp.policy.calendar)
        firm = inp.enterprise
        self.state = PenaltyState(
            id=inp.id, workflow_id=workflow.info().workflow_id, status="filing",
            credit_code=firm.credit_code, enterprise_name=firm.name, street=firm.street,
            party=firm.party, department=inp.department, officers=list(inp.officers),
            inspection_id=inp.inspection_id, item=inp.item, facts=inp.facts,
            legal_basis=inp.legal_basis, evidence=list(inp.evidence),
            fine_proposed=inp.fine_proposed, opened_by=inp.opened_by.username,
            opened_at=inp.opened_at)

    @workflow.run
    async def run(self, inp: PenaltyInput) -> PenaltyState:
        # No projection before the first task: the filing task's save writes the case row
        # (a case started by an inspection has no row before that).
        steps = {"filing": self._file, "notifying": self._notify, "answering": self._answer,
                 "hearing": self._hearing, "reviewing": self._review,
                 "deciding": self._decide, "executing": self._execute}
        while self.state.status not in TERMINAL:
            await steps[self.state.status]()
        return await self._finish()

    # -- steps: each waits for its task and sets the next status --------------------------

    async def _file(self) -> None:
        task = await self._ask("立案", "file", DEPT_HEAD, self.inp.department,
                               self.inp.policy.file_limit, FILE)
        if task.decision == "reject":
            self.state.status = "not_filed"
            self.state.end_reason = task.comment
            self.state.closed_at = task.completed_at
        elif task.decision == "accept":
            assert task.completed_at is not None
            self.state.filed_at = task.completed_at
            self.state.decision_due_at = task.completed_at + timedelta(
                days=self.inp.policy.decision_days)
            self.state.status = "notifying"

    async def _notify(self) -> None:
        task = await self._ask("告知", "notify", OFFICER, self.inp.department,
                               self.inp.policy.notify_limit, NOTIFY, users=self.inp.officers,
                               context={"fine_proposed": self.inp.fine_proposed,
                                        "legal_basis": self.inp.legal_basis})
        if task.decision == "issue":
            self.state.proposed = self.board.data_of(task).proposed
            self.state.notified_at = task.completed_at
            self.state.status = "answering"

    async def _answer(self) -> None:
        """陈述申辩: the party answers, or officers record its paper answer. The window runs
        out by itself; the case then goes on as if the party waived it."""
        proposed = self.state.proposed
        assert proposed is not None
        window = {"limit": self.inp.policy.answer_window, "decisions": ANSWER,
                  "escalate": False, "expires": True, "context": {
                      "proposed": proposed.model_dump(mode="json"),
                      "proposed_label": proposed.label(),
                      "hearing_allowed": self.inp.policy.hearing_allowed(proposed)}}
        party = self.inp.enterprise.party
        if party:  # its officers may record a paper answer too
            task = await self._ask("陈述申辩", "answer", PARTY, None, user=party, also=[
                Assignee(role=OFFICER, department=self.inp.department,
                         users=self.inp.officers)], **window)
        else:
            task = await self._ask("陈述申辩", "answer", OFFICER, self.inp.department,
                                   users=self.inp.officers, **window)
        if task.status == "done":
            self.state.answer = task.decision  # type: ignore[assignment]
            self.state.answered_by = task.actor.username if task.actor else None
            if task.decision == "statement":
                self.state.statement = self.board.data_of(task).text
            elif task.decision == "request_hearing":  # its grounds, if it gave them
                self.state.statement = task.comment
        else:  # the window ran out: as if waived
            self.state.answer = "expired"
        if task.decision == "request_hearing":
            self.state.hearing_requested_at = task.completed_at
            self.state.status = "hearing"
            return
        self._to_review_or_decision()

    async def _hearing(self) -> None:
        """The party and the officers hear of the hearing's time (Art. 64: at least 7 days
        ahead); the case sleeps until then, then the officers record it."""
        state = self.state
        if state.hearing_at is None:
            assert state.hearing_requested_at is not None
            state.hearing_at = await self._after(state.hearing_requested_at,
                                                 self.inp.policy.hearing_notice)
            text = f"{self._about()}定于 {local_text(state.hearing_at)} 举行听证"
            self._tell_party(f"{text}，请准时参加。", "hearing")
            for officer in self.inp.officers:
                self.board.add_notice(Notice(
                    key=f"{state.workflow_id}:hearing:{officer}", workflow_id=state.workflow_id,
                    recipient_role=OFFICER, recipient_department=self.inp.department,
                    recipient_user=officer, message=text))
            await self._save()
        self.board.release()  # the party's request is answered now, not after the hearing
        wait = state.hearing_at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait, summary=f"听证 {local_text(state.hearing_at)}")
        task = await self._ask("听证", "hearing", OFFICER, self.inp.department,
                               self.inp.policy.hearing_limit, HEARING, users=self.inp.officers,
                               context={"hearing_at": state.hearing_at.isoformat()})
        if task.decision == "held":
            state.hearing = True
            state.hearing_record = self.board.data_of(task).record
            self._to_review_or_decision()

    async def _review(self) -> None:
        state = self.state
        task = await self._ask("法制审核", "legal_review", LEGAL_REVIEWER, LEGAL_CENTER,
                               self.inp.policy.review_limit, REVIEW,
                               context={"returns": state.review_returns})
        if task.decision == "approve":
            state.legal_reviewed = True
            state.reviewed_at = task.completed_at
            state.status = "deciding"
        elif task.decision == "return":
            state.review_returns += 1
            state.review_points = list(self.board.data_of(task).points)
            state.review_comment = task.comment
            points = "、".join(REVIEW_POINT_NAMES[p] for p in state.review_points)
            await self._ask("补正", "revise", OFFICER, self.inp.department,
                            self.inp.policy.revise_limit, REVISE, users=self.inp.officers,
                            context={"points": state.review_points, "points_label": points,
                                     "comment": task.comment})
            # then 法制审核 again: the status stays `reviewing`

    async def _decide(self) -> None:
        """Due 90 calendar days after 立案 (Art. 60), whenever the task opens: its limit is
        capped there, so its ladder warns before that instant and escalates after it."""
        state = self.state
        proposed = state.proposed
        assert state.decision_due_at is not None and proposed is not None
        task = await self._ask(
            "决定", "decide", DEPT_HEAD, self.inp.department,
            Limit(value=self.inp.policy.decision_days, unit="calendar_days"), DECIDE,
            cap=state.decision_due_at, context={
                "proposed": proposed.model_dump(mode="json"), "proposed_label": proposed.label(),
                "answer": state.answer, "hearing": state.hearing,
                "legal_reviewed": state.legal_reviewed})
        if task.decision != "decide":
            return
        assert task.completed_at is not None
        penalty = self.board.data_of(task).penalty
        state.decision = penalty
        state.decided_at = task.completed_at
        text = f"{self._about()}决定：{penalty.label()}"
        if penalty.type == "fine":
            state.payment_due_at = task.completed_at + timedelta(
                days=self.inp.policy.payment_days)
            text += (f"，请于 {local_text(state.payment_due_at)} 前缴纳；逾期每日按罚款数额的 3% "
                     "加处罚款（行政处罚法第七十二条）")
            state.status = "executing"
        else:
            state.closed_at = task.completed_at
            state.status = "closed"
        self._tell_party(text + "。", "decision")

    async def _execute(self) -> None:
        state = self.state
        assert state.payment_due_at is not None and state.decision is not None
        task = await self._ask(
            "执行", "execute", OFFICER, self.inp.department,
            Limit(value=self.inp.policy.payment_days, unit="calendar_days"), EXECUTE,
            users=self.inp.officers, cap=state.payment_due_at,
            context={"fine": state.decision.fine,
                     "payment_due_at": state.payment_due_at.isoformat()})
        if task.status != "done":
            return
        assert task.completed_at is not None and state.decision.fine is not None
        if task.decision == "paid":
            state.paid_at = task.completed_at
            state.amount_paid = self.board.data_of(task).amount
            state.surcharge_paid = surcharge(state.decision.fine, state.payment_due_at,
                                             task.completed_at)
        elif task.decision == "transferred":
            state.transferred = True
            state.end_reason = task.comment
        state.closed_at = task.completed_at
        state.status = "closed"

    def _to_review_or_decision(self) -> None:
        # Art. 58: 重大 cases (and, here, every heard one) go to 法制审核 before the decision.
        state = self.state
        state.legal_review_required = state.hearing or self.inp.policy.major(state.proposed)
        state.status = "reviewing" if state.legal_review_required else "deciding"

    async def _ask(self, step: str, step_code: str, role: str, department: str | None,
                   limit: Limit, decisions: list[DecisionSpec], *, user: str | None = None,
                   users: list[str] | None = None, also: list[Assignee] | None = None,
                   escalate: bool = True, expires: bool = False, cap: datetime | None = None,
                   context: dict | None = None) -> Task:
        """Open the task of the current step, publish the new state, wait for the answer."""
        state = self.state
        title = f"{step}：{state.enterprise_name} {state.item}（{state.id}）"
        task = await self.board.open(step=step, step_code=step_code, title=title, role=role,
                                     department=department, user=user, users=users or (),
                                     also=also or (), limit=limit, decisions=decisions,
                                     escalate=escalate, expires=expires, cap=cap,
                                     context=context)
        if step_code == "answer":
            self._answer_opened(task)
        await self._save()
        return await self.board.wait(task)

    def _answer_opened(self, task: Task) -> None:
        """告知 reaches the party with its answer window."""
        state = self.state
        proposed = state.proposed
        assert proposed is not None
        state.answer_due_at = task.expires_at
        hearing = "、要求听证" if self.inp.policy.hearing_allowed(proposed) else ""
        self._tell_party(
            f"行政处罚事先告知：{state.enterprise_name} {state.item}，违法事实：{state.facts}；"
            f"依据：{state.legal_basis}；拟作出{proposed.label()}。您可于 "
            f"{local_text(task.expires_at)} 前陈述、申辩{hearing}，逾期视为放弃。", "notice")

    async def _after(self, start: datetime, limit: Limit) -> datetime:
        """`limit` after `start`, from the case's calendar when it reaches far enough."""
        return (await self.board.deadlines(DeadlineRequest(start=start, limit=limit,
                                                           shares=[1.0])))[0]

    def _about(self) -> str:
        state = self.state
        return f"行政处罚案件 {state.id}（{state.enterprise_name}，{state.item}）"

    def _tell_party(self, message: str, key: str) -> None:
        party = self.inp.enterprise.party
        if party:
            self.board.add_notice(actor_notice(self.state.workflow_id,
                                               Actor(username=party, role=PARTY), message, key))

    async def _finish(self) -> PenaltyState:
        self.board.cancel_open()
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # -- people's actions ------------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        # The party sees its case as its case page shows it, not the staff's internal work.
        result.case = (self.state.party_summary() if action.actor.role == PARTY
                       else self.state.summary())
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        task, spec, data = self.board.validate(action)
        state = self.state
        if spec.name == "request_hearing" and not self.inp.policy.hearing_allowed(
                state.proposed):
            floor = self.inp.policy.hearing_fine
            raise invalid(f"听证仅适用于较大数额罚款（不低于 {floor:g} 元）、责令停产停业、"
                          "吊销许可证件（行政处罚法第六十三条）；本案拟作出"
                          f"{state.proposed.label() if state.proposed else '-'}")
        if isinstance(data, DecideData) and state.proposed is not None \
                and data.penalty.heavier_than(state.proposed):
            raise invalid(f"决定不得重于告知的处罚（{state.proposed.label()}），"
                          "行政处罚法第四十五条：不得因陈述、申辩而给予更重的处罚")
        if spec.name in ("paid", "transferred"):
            self._check_execution(spec.name, data)

    def _check_execution(self, decision: str, data: object) -> None:
        state = self.state
        fine = state.decision.fine if state.decision else None
        due_at = state.payment_due_at
        if fine is None or due_at is None:
            raise ApplicationError("no fine to execute", type=CONFLICT)
        now = workflow.now()
        owed = amount_due(fine, due_at, now)
        if isinstance(data, PaidData) and data.amount < owed:
            late = surcharge(fine, due_at, now)
            raise invalid(f"应缴金额 {owed:.2f} 元（罚款 {fine:.2f} 元"
                          + (f" + 加处罚款 {late:.2f} 元" if late else "")
                          + f"），缴纳金额 {data.amount:.2f} 元不足")
        if decision == "transferred" and days_late(due_at, now) == 0:
            raise invalid(f"罚款缴纳期限至 {local_text(due_at)}，逾期后方可申请法院强制执行")

    @workflow.query
    def case(self) -> PenaltyState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> PenaltyCaseView:
        return PenaltyCaseView(case=self.state, tasks=list(self.board.tasks.values()))

    # -- bookkeeping ----------------------------------------------------------------------

    async def _save(self) -> None:
        # The answer window is the party's, not a deadline of the staff's.
        self.board.stamp(self.state, staff=lambda task: task.step_code != "answer")
        # The row needs no evidence list (local activity inputs are not in the history).
        await self.board.project(self.state.model_dump(mode="json", exclude={"evidence"}))

