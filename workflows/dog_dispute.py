"""Dog dispute (文明养犬纠纷), one workflow per dispute: 自律 -> 共律 -> 法律, then follow-up.

自律 self-discipline: the grid worker identifies an unknown owner; the owner is told the rule
and corrects within 3 days (or disputes); the reporter confirms (silence counts as resolved).
共律 joint governance, 人民调解 (人民调解法): the community's mediator schedules a session, each
party consents (a refusal ends mediation: the mediator refers the case to the law or closes it
with advice), the mediator records an agreement or a failure, and checks performance at its
due date. 法律 the law: the behaviour's authority (公安, 城管, 农业农村, or property management
for unclaimed dogs) warns, fines within the configured range, seizes, or finds no violation.
A resolved case is followed up 30 days later; a recurrence reopens it at the tier it ended at.

Every step is a task on the shared TaskBoard; the case is a small state machine over its
status. Persuasion visits, judicial confirmation and withdrawal are Updates with validators.
"""

import contextlib
from datetime import datetime, time, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.dog_dispute import (
        ACTIVE,
        AFTER_REFUSAL,
        CONFIRM,
        CONSENT,
        DECISION_DATA,
        ENFORCE,
        FOLLOW_UP,
        IDENTIFY,
        MEDIATE,
        PERFORMANCE,
        PROCESS,
        RESULT_NAMES,
        SCHEDULE,
        SELF_CORRECT,
        TERMINAL,
        TIER_NAMES,
        AgreementData,
        DogDisputeInput,
        DogDisputeState,
        DogDisputeView,
        Enforcement,
        FineData,
        IdentifiedData,
        Judicial,
        JudicialRequest,
        Mediation,
        Outcome,
        Prior,
        PriorQuery,
        Result,
        ScheduleData,
        Tier,
        Visit,
        VisitRequest,
        WithdrawRequest,
        opening,
        prior_reason,
    )
    from domain.roles import CITIZEN, COMMUNITY_WORKER, GRID_WORKER, OFFICER, PROPERTY, VOLUNTEER
    from domain.tasks import (
        CONFLICT,
        FORBIDDEN,
        ActionResult,
        Actor,
        DecisionSpec,
        Limit,
        Task,
        TaskAction,
    )
    from domain.timefmt import SHANGHAI, local_text
    from workflows.human_tasks import TaskBoard, actor_notice, invalid

PRIOR_DISPUTE = "prior_dispute"
ACTIVITY_TIMEOUT = timedelta(seconds=30)
MAX_VISITS = 50  # persuasion visits kept on one case: the history stays small
POLICE = "public_security"


class _Ended(Exception):
    """The case ended (withdrawn) while a step was between its waits."""


@workflow.defn
class DogDisputeWorkflow:
    @workflow.init
    def __init__(self, inp: DogDisputeInput) -> None:
        self.inp = inp
        self.board = TaskBoard(
            process=PROCESS, case_id=inp.id, escalation=inp.policy.escalation,
            publish=self._save, data_models=DECISION_DATA, calendar=inp.policy.calendar)
        tier, reason = opening(inp)
        rule = inp.behaviour
        self.state = DogDisputeState(
            id=inp.id, workflow_id=workflow.info().workflow_id, status=tier, tier=tier,
            community=inp.community, community_name=inp.community_name, street=inp.street,
            behaviour=rule.code, behaviour_name=rule.name, rule=rule.rule,
            convention_version=inp.convention_version, place=inp.place,
            description=inp.description, dog_id=inp.dog_id, owner=inp.owner,
            reporter=inp.reporter.username, reporter_role=inp.reporter.role, urgent=inp.urgent,
            evidence=list(inp.evidence), reported_at=inp.reported_at, started_tier=tier,
            path=[tier], start_reason=reason, prior_id=inp.prior.id if inp.prior else None)
        if tier == "mediation":
            self.state.mediation = self._new_round(inp.reported_at)

    @workflow.run
    async def run(self, inp: DogDisputeInput) -> DogDisputeState:
        state = self.state
        text = f"{self._about()}已受理，进入{TIER_NAMES[state.tier]}层级"
        self._tell_parties(text + (f"：{state.start_reason}" if state.start_reason else "。"),
                           "opened")
        steps = {"self_discipline": self._self_discipline, "mediation": self._mediation,
                 "legal": self._legal, "resolved": self._until_follow_up,
                 "follow_up": self._follow_up}
        while state.status not in TERMINAL:
            try:
                await steps[state.status]()
            except _Ended:
                break
        return await self._finish()

    # -- 自律 -------------------------------------------------------------------------------

    async def _self_discipline(self) -> None:
        state, policy = self.state, self.inp.policy
        if state.owner is None:
            task = await self._ask("查明养犬人", "identify_owner", GRID_WORKER, state.community,
                                   policy.identify_limit, IDENTIFY)
            if task.decision == "unknown":
                state.owner_unknown = task.comment
                self._to_tier("legal", f"养犬人无法查明（{task.comment}），由"
                                       f"{self.inp.behaviour.legal_handler}依法处理")
                return
            state.owner = self.board.data_of(task).owner
            prior = await workflow.execute_activity(
                PRIOR_DISPUTE, PriorQuery(
                    owner=state.owner, behaviour=state.behaviour, community=state.community,
                    since=workflow.now() - timedelta(days=policy.recurrence_days),
                    exclude_id=state.id),
                result_type=Prior | None, start_to_close_timeout=ACTIVITY_TIMEOUT)
            self._check_ended()
            if prior is not None:  # a recent dispute of this owner: start where it ended
                state.prior_id = prior.id
                state.start_reason = prior_reason(prior, policy.recurrence_days)
                if prior.ended_tier != "self_discipline":
                    self._to_tier(prior.ended_tier, state.start_reason)
                    return
        owner = state.owner
        task = await self._ask("自律整改", "self_correct", CITIZEN, None, policy.correct_window,
                               SELF_CORRECT, user=owner, expires=True,
                               context=self._rule_context())
        if task.status == "expired":
            state.owner_answer = "silent"
        elif task.decision == "dispute":
            state.owner_answer = "dispute"
            self._to_tier("mediation", f"养犬人有异议：{task.comment}")
            return
        else:
            state.owner_answer = "correct"
            state.correction = self.board.data_of(task).action
        reporter = self.inp.reporter
        task = await self._ask(
            "确认整改", "confirm", reporter.role, reporter.department, policy.confirm_window,
            CONFIRM, user=reporter.username, expires=True,
            context={"owner_answer": state.owner_answer, "correction": state.correction})
        if task.status == "expired":
            state.confirmation = "silent"
            self._resolve("self_discipline", "corrected", None, "举报人逾期未答复，视为已解决")
        elif task.decision == "resolved":
            state.confirmation = "resolved"
            self._resolve("self_discipline", "corrected", task.actor, None)
        else:
            state.confirmation = "not_resolved"
            self._to_tier("mediation", f"举报人确认问题未解决：{task.comment}")

    # -- 共律: 人民调解 -------------------------------------------------------------------------

    async def _mediation(self) -> None:
        state, policy = self.state, self.inp.policy
        m = state.mediation
        assert m is not None
        task = await self._ask("安排调解", "schedule_mediation", COMMUNITY_WORKER,
                               state.community, policy.schedule_limit, SCHEDULE, cap=m.due_at,
                               context={"mediation_due_at": m.due_at.isoformat()})
        if task.decision == "refer":
            self._to_tier("legal", f"调解员移交法律途径：{task.comment}")
            return
        if task.decision == "close":
            self._close("mediation", "advice", task.actor, task.comment)
            return
        data: ScheduleData = self.board.data_of(task)
        m.mediator = task.actor.username if task.actor else None
        m.session_at, m.session_place = data.at, data.place
        if not await self._consent(m):
            task = await self._ask("调解终止处理", "after_refusal", COMMUNITY_WORKER,
                                   state.community, policy.decide_limit, AFTER_REFUSAL,
                                   users=self._mediator(), context={"consents": m.consents})
            if task.decision == "refer":
                self._to_tier("legal", "当事人不同意调解（人民调解法第十七条），"
                                       f"调解员移交法律途径：{task.comment}")
            else:
                self._close("mediation", "advice", task.actor, task.comment)
            return
        self._tell_parties(f"{self._about()}定于 {local_text(m.session_at)} 在{m.session_place}"
                           "进行人民调解，请准时参加。", f"session:{len(state.path)}")
        await self._save()
        self.board.release()  # the last consent is answered now, not after the session
        await self._sleep_until(m.session_at, f"人民调解 {local_text(m.session_at)}")
        task = await self._ask("人民调解", "mediate", COMMUNITY_WORKER, state.community,
                               policy.record_limit, MEDIATE, users=self._mediator(),
                               cap=max(m.due_at, workflow.now() + timedelta(hours=1)),
                               context={"session_at": m.session_at.isoformat(),
                                        "session_place": m.session_place})
        if task.decision == "failed":
            m.failed_reason = task.comment
            self._to_tier("legal", f"调解不成（人民调解法第二十六条）：{task.comment}")
            return
        agreed: AgreementData = self.board.data_of(task)
        now = workflow.now()
        m.terms, m.participants, m.agreed_at = agreed.terms, list(agreed.participants), now
        m.judicial_due_at = now + timedelta(days=policy.judicial_days)
        self._tell_parties(
            f"{self._about()}已达成调解协议：{'；'.join(agreed.terms.obligations)}，履行期限 "
            f"{agreed.terms.perform_by.isoformat()}。双方可于 {local_text(m.judicial_due_at)} 前"
            "共同向人民法院申请司法确认（人民调解法第三十三条）。", f"agreement:{len(state.path)}")
        await self._save()
        self.board.release()
        check_at = datetime.combine(agreed.terms.perform_by + timedelta(days=1), time(9),
                                    tzinfo=SHANGHAI)
        await self._sleep_until(check_at, f"履行期限 {agreed.terms.perform_by.isoformat()}")
        task = await self._ask("履行回访", "performance", COMMUNITY_WORKER, state.community,
                               policy.performance_limit, PERFORMANCE, users=self._mediator(),
                               context={"terms": agreed.terms.model_dump(mode="json")})
        if task.decision == "performed":
            m.performed = True
            self._resolve("mediation", "performed", task.actor, None)
        else:
            m.performed, m.breach = False, task.comment
            self._to_tier("legal", f"调解协议未履行：{task.comment}")

    async def _consent(self, m: Mediation) -> bool:
        """Each party agrees or refuses, one task each, open at once until the session. A
        refusal ends the wait (Art. 17: a party who refuses is not mediated); silence until
        the session counts as a refusal."""
        state = self.state
        assert m.session_at is not None
        hours = max((m.session_at - workflow.now()).total_seconds() / 3600, 0.01)
        tasks = []
        for party in state.parties:
            actor = self._party(party)
            tasks.append(await self.board.open(
                step="调解意愿", step_code="consent", title=self._title("调解意愿"),
                role=actor.role, department=actor.department, user=party,
                limit=Limit(value=hours, unit="calendar_hours"), decisions=CONSENT,
                expires=True, expire_at=m.session_at,
                context={"session_at": m.session_at.isoformat(),
                         "session_place": m.session_place, "mediator": m.mediator}))
            m.consents[party] = "pending"
        self._tell_parties(f"{self._about()}拟于 {local_text(m.session_at)} 在{m.session_place}"
                           "进行人民调解（免费，人民调解法第四条），请在待办中答复是否同意调解。",
                           f"consent:{len(state.path)}")
        await self._save()

        def record(task: Task) -> None:
            m.consents[task.assignee_user or ""] = {
                "done": task.decision or "", "expired": "silent", "cancelled": "moot"}[task.status]

        async def answered(task: Task) -> None:
            record(task)
            if task.decision == "refuse":  # no mediation: the other answers are moot
                for other in tasks:
                    self.board.cancel(other)

        if workflow.patched("consent-refusal-ends-wait"):
            # A refusal ends the wait; the refuser's answer then carries after_refusal.
            await self.board.wait_for(
                tasks, need=len(tasks), on_each=answered,
                stop=lambda task: task.decision == "refuse")
        else:  # cases recorded before: the refusal was answered before after_refusal opened
            await self.board.wait_for(tasks, need=len(tasks), on_each=answered)
        self._check_ended()
        for task in tasks:  # all closed now: answered, silent, or moot after a refusal
            record(task)
        return all(c == "agree" for c in m.consents.values())

    # -- 法律 -------------------------------------------------------------------------------

    async def _legal(self) -> None:
        state, rule = self.state, self.inp.behaviour
        if state.urgent:  # Art. 25: a case that may turn into a public-order case is 公安's
            role, department, handler = OFFICER, POLICE, "公安"
        elif rule.legal_role == PROPERTY:
            role, department, handler = PROPERTY, state.community, rule.legal_handler
        else:
            role, department, handler = rule.legal_role, rule.legal_department, \
                rule.legal_handler
        state.enforcement = Enforcement(department=department, role=role)
        decisions = [d for d in ENFORCE if self._allowed(d)]
        fine = rule.fine
        task = await self._ask("依法处理", "enforce", role, department,
                               self.inp.policy.enforce_limit, decisions, context={
                                   "handler": handler, "fine_range": fine.label() if fine
                                   else None, "article": fine.article if fine else None,
                                   "history": [o.model_dump(mode="json")
                                               for o in state.outcomes]} | self._rule_context())
        data = self.board.data_of(task)
        enforcement = state.enforcement
        enforcement.decision, enforcement.record = task.decision, data.record
        enforcement.serious = data.serious
        enforcement.amount = data.amount if isinstance(data, FineData) else None
        enforcement.by = task.actor.username if task.actor else None
        enforcement.at = task.completed_at
        result: Result = task.decision  # type: ignore[assignment]
        self._resolve("legal", result, task.actor, data.record)

    def _allowed(self, spec: DecisionSpec) -> bool:
        rule = self.inp.behaviour
        if spec.name == "fine":
            return rule.fine is not None
        if spec.name == "seize":
            return rule.seize or self.state.urgent
        return True

    # -- follow-up --------------------------------------------------------------------------

    async def _until_follow_up(self) -> None:
        state = self.state
        assert state.follow_up_at is not None
        await self._save()
        self.board.release()
        await self._sleep_until(state.follow_up_at, f"回访 {local_text(state.follow_up_at)}")
        state.status = "follow_up"

    async def _follow_up(self) -> None:
        state = self.state
        assert state.ended_tier is not None
        task = await self._ask("回访", "follow_up", GRID_WORKER, state.community,
                               self.inp.policy.follow_up_limit, FOLLOW_UP,
                               context={"ended_tier": state.ended_tier,
                                        "outcomes": [o.model_dump(mode="json")
                                                     for o in state.outcomes]})
        if task.decision == "ok":
            state.closed_at = task.completed_at
            state.status = "closed"
            self._tell_parties(f"{self._about()}回访正常，已结案。", "closed")
            return
        # Reopen where it ended: the same tier works on it again (`outcomes` keeps the story).
        tier = state.ended_tier
        state.recurrences += 1
        state.ended_tier = state.resolved_at = state.follow_up_at = None
        if tier == "self_discipline":
            state.owner_answer = state.correction = state.confirmation = None
        self._to_tier(tier, f"回访发现问题复发：{task.comment}")

    # -- transitions ------------------------------------------------------------------------

    def _to_tier(self, tier: Tier, reason: str) -> None:
        state = self.state
        state.tier = state.status = tier
        state.path.append(tier)
        if tier == "mediation":
            if state.mediation is not None:  # a recurrence: keep the earlier round's record
                state.past_mediations.append(state.mediation)
            state.mediation = self._new_round(workflow.now())
        self._tell_parties(f"{self._about()}转入{TIER_NAMES[tier]}层级：{reason}",
                           f"tier:{len(state.path)}")

    def _resolve(self, tier: Tier, result: Result, by: Actor | None, note: str | None) -> None:
        state = self.state
        now = workflow.now()
        state.outcomes.append(Outcome(tier=tier, result=result, at=now,
                                      by=by.username if by else None, note=note))
        state.ended_tier = tier
        state.resolved_at = now
        state.follow_up_at = now + timedelta(days=self.inp.policy.follow_up_days)
        state.status = "resolved"
        self._tell_parties(f"{self._about()}已在{TIER_NAMES[tier]}层级化解（{RESULT_NAMES[result]}），"
                           f"网格员将于 {local_text(state.follow_up_at)} 前后回访。",
                           f"resolved:{len(state.path)}")

    def _close(self, tier: Tier, result: Result, by: Actor | None, note: str | None) -> None:
        state = self.state
        now = workflow.now()
        state.outcomes.append(Outcome(tier=tier, result=result, at=now,
                                      by=by.username if by else None, note=note))
        state.ended_tier = tier
        state.closed_at = now
        state.status = "closed"
        self._tell_parties(f"{self._about()}已结案：{note}", f"closed:{len(state.path)}")

    def _new_round(self, at: datetime) -> Mediation:
        return Mediation(started_at=at,
                         due_at=at + timedelta(days=self.inp.policy.mediation_days))

    # -- helpers ----------------------------------------------------------------------------

    async def _ask(self, step: str, step_code: str, role: str, department: str | None,
                   limit: Limit, decisions: list[DecisionSpec], *, user: str | None = None,
                   users: list[str] | None = None, expires: bool = False,
                   cap: datetime | None = None, context: dict | None = None) -> Task:
        """Open the step's task, publish, wait: a done task, or an expired window. A task
        cancelled because the case ended stops the step."""
        self._check_ended()
        task = await self.board.open(step=step, step_code=step_code, title=self._title(step),
                                     role=role, department=department, user=user,
                                     users=users or (), limit=limit, decisions=decisions,
                                     expires=expires, cap=cap, context=context)
        if step_code == "self_correct":
            self.state.correct_due_at = task.expires_at
            self._tell(self._party(user or ""), (
                f"{self._about()}：您的犬只涉及《社区文明养犬自治公约》第{self.inp.behaviour.code}条"
                f"「{self.inp.behaviour.name}」：{self.inp.behaviour.rule}。请于 "
                f"{local_text(task.expires_at)} 前改正并在待办中答复，或提出异议申请调解。"),
                f"rule:{len(self.state.path)}:{self.state.recurrences}")
        await self._save()
        await self.board.wait(task)
        self._check_ended()
        return task

    async def _sleep_until(self, at: datetime, summary: str) -> None:
        wait = at - workflow.now()
        if wait > timedelta(0):
            with contextlib.suppress(TimeoutError):  # the time came: the step goes on
                await workflow.wait_condition(lambda: self.state.status in TERMINAL,
                                              timeout=wait, timeout_summary=summary)
        self._check_ended()

    def _check_ended(self) -> None:
        if self.state.status in TERMINAL:
            raise _Ended

    def _mediator(self) -> list[str]:
        m = self.state.mediation
        return [m.mediator] if m and m.mediator else []

    def _party(self, username: str) -> Actor:
        reporter = self.inp.reporter
        if username == reporter.username:
            return reporter
        return Actor(username=username, role=CITIZEN)

    def _rule_context(self) -> dict:
        rule = self.inp.behaviour
        return {"behaviour": rule.code, "behaviour_name": rule.name, "rule": rule.rule,
                "place": self.state.place, "description": self.state.description}

    def _title(self, step: str) -> str:
        state = self.state
        return f"{step}：{state.community_name} {state.behaviour_name}（{state.id}）"

    def _about(self) -> str:
        state = self.state
        return f"涉犬纠纷 {state.id}（{state.community_name}，{state.behaviour_name}）"

    def _tell(self, actor: Actor, message: str, key: str) -> None:
        self.board.add_notice(actor_notice(self.state.workflow_id, actor, message, key))

    def _tell_parties(self, message: str, key: str) -> None:
        for party in self.state.parties:
            self._tell(self._party(party), message, f"{key}:{self.state.recurrences}")

    async def _finish(self) -> DogDisputeState:
        self.board.cancel_open()
        await self._save()
        self.board.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    # -- people's actions ------------------------------------------------------------------

    @workflow.update
    async def act(self, action: TaskAction) -> ActionResult:
        result = await self.board.act(action)
        result.case = self.state.summary()
        return result

    @act.validator
    def _validate_act(self, action: TaskAction) -> None:
        _task, _spec, data = self.board.validate(action)
        state = self.state
        if isinstance(data, IdentifiedData) and data.owner == state.reporter:
            raise invalid("养犬人不能是举报人本人")
        if isinstance(data, ScheduleData):
            m = state.mediation
            if data.at.tzinfo is None:
                raise invalid("data.at: 请给出带时区的时间，例如 2026-12-01T15:00:00+08:00")
            if data.at <= workflow.now():
                raise invalid("data.at: 调解时间须晚于现在")
            if m is not None and data.at > m.due_at:
                raise invalid(f"data.at: 人民调解须于 {local_text(m.due_at)} 前完成"
                              f"（{self.inp.policy.mediation_days}日）")
        if isinstance(data, AgreementData):
            today = workflow.now().astimezone(SHANGHAI).date()
            if data.terms.perform_by < today:
                raise invalid("data.terms.perform_by: 履行期限不能早于今天")
            if (data.terms.perform_by - today).days > 366:
                raise invalid("data.terms.perform_by: 履行期限不能超过一年")
        if isinstance(data, FineData):
            fine = self.inp.behaviour.fine
            assert fine is not None  # `fine` is offered only where the rule has a range
            if not fine.admits(data.amount, data.serious):
                raise invalid(f"data.amount: 罚款 {data.amount:g} 元超出"
                              f"「{self.inp.behaviour.name}」的罚款幅度 {fine.label()}"
                              f"（{fine.article}）")

    @workflow.update
    async def record_visit(self, req: VisitRequest) -> Visit:
        visit = Visit(at=workflow.now(), by=req.actor.username, role=req.actor.role,
                      note=req.note)
        self.state.visits.append(visit)
        if self.state.owner:
            self._tell(self._party(self.state.owner),
                       f"{self._about()}：{'物业' if req.actor.role == PROPERTY else '志愿者'}"
                       f"已上门劝导：{req.note}", f"visit:{len(self.state.visits)}")
        await self._save()
        return visit

    @record_visit.validator
    def _validate_visit(self, req: VisitRequest) -> None:
        state = self.state
        actor = req.actor
        if actor.role not in (PROPERTY, VOLUNTEER) or actor.department != state.community:
            raise ApplicationError(f"只有{state.community_name}的物业或志愿者可以记录劝导",
                                   type=FORBIDDEN)
        if state.status not in ACTIVE:
            raise ApplicationError(f"纠纷{state.status}，不再记录劝导", type=CONFLICT)
        if len(state.visits) >= MAX_VISITS:
            raise ApplicationError(f"本案已记录 {MAX_VISITS} 次劝导", type=CONFLICT)

    @workflow.update
    async def apply_judicial(self, req: JudicialRequest) -> Judicial:
        m = self.state.mediation
        assert m is not None
        m.judicial = Judicial(at=workflow.now(), by=req.actor.username, court=req.court,
                              note=req.note)
        for party in self.state.parties:
            self._tell(self._party(party), f"{self._about()}：{req.actor.username} 已向"
                       f"{req.court}申请司法确认调解协议。",
                       f"judicial:{len(self.state.path)}:{self.state.recurrences}")
        await self._save()
        return m.judicial

    @apply_judicial.validator
    def _validate_judicial(self, req: JudicialRequest) -> None:
        state = self.state
        if req.actor.username not in state.parties:
            raise ApplicationError("只有纠纷当事人可以申请司法确认", type=FORBIDDEN)
        m = state.mediation
        if m is None or m.agreed_at is None or m.judicial_due_at is None:
            raise ApplicationError("本案没有调解协议，无从申请司法确认", type=CONFLICT)
        if m.judicial is not None:
            raise ApplicationError(f"{m.judicial.by} 已于 {local_text(m.judicial.at)} 申请司法确认",
                                   type=CONFLICT)
        if workflow.now() > m.judicial_due_at:
            raise ApplicationError(
                f"司法确认须在调解协议生效之日起{self.inp.policy.judicial_days}日内申请"
                f"（人民调解法第三十三条），已于 {local_text(m.judicial_due_at)} 截止",
                type=CONFLICT)

    @workflow.update
    async def withdraw(self, req: WithdrawRequest) -> DogDisputeState:
        state = self.state
        now = workflow.now()
        state.outcomes.append(Outcome(tier=state.tier, result="withdrawn", at=now,
                                      by=req.actor.username, note=req.reason))
        state.status = "withdrawn"
        state.closed_at = now
        self.board.cancel_open()
        self._tell_parties(f"{self._about()}已由举报人撤回：{req.reason}", "withdrawn")
        await self._save()
        return state

    @withdraw.validator
    def _validate_withdraw(self, req: WithdrawRequest) -> None:
        state = self.state
        if req.actor.username != state.reporter:
            raise ApplicationError("只有举报人可以撤回纠纷", type=FORBIDDEN)
        if state.status not in ("self_discipline", "mediation"):
            raise ApplicationError(f"纠纷处于{state.status}，不能撤回"
                                   "（法律层级由主管部门依法处理）", type=CONFLICT)

    @workflow.query
    def case(self) -> DogDisputeState:
        return self.state

    @workflow.query
    def tasks(self) -> list[Task]:
        return list(self.board.tasks.values())

    @workflow.query
    def view(self) -> DogDisputeView:
        return DogDisputeView(case=self.state, tasks=list(self.board.tasks.values()))

    # -- bookkeeping ----------------------------------------------------------------------

    async def _save(self) -> None:
        # Residents' answer windows are theirs, not a deadline of the staff's.
        self.board.stamp(self.state, staff=lambda task: task.expires_at is None)
        await self.board.project(self.state.model_dump(mode="json", exclude={"evidence"}))
