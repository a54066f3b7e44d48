"""Dog disputes (文明养犬: 自律 -> 共律 -> 法律) on the time-skipping server, with the real worker
and database: each tier's resolution, refusals, agreements performed and breached, the
judicial-confirmation window, urgent and banned cases, follow-up and recurrence, the residents'
silence, every staff task's ladder, visits, withdrawal and the recurrence look-up.

A dispute that ends makes the next one of the same owner and behaviour start where it ended,
and the database is the session's: each test that ends a dispute, or has the grid worker
identify an owner, uses an (owner, behaviour) of its own, and none of those the HTTP tests use
(tests/api/test_dog_disputes.py)."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.calendar import working_time
from db.engine import get_engine
from db.models import DogDisputeRow
from domain.dog_dispute import JudicialRequest, Prior, VisitRequest, WithdrawRequest
from domain.tasks import CONFLICT, FORBIDDEN, INVALID, Actor, Task
from tests.support import save_history
from tests.workflows.dog_dispute_support import (
    GRID,
    GRID_RONGCHENG,
    MEDIATOR,
    OWNER,
    OWNER_2,
    POLICE,
    PROPERTY,
    REPORTER,
    VOLUNTEER,
    act,
    case,
    dog_input,
    escalations,
    notices,
    open_task,
    refused,
    refused_update,
    row,
    sleep_until,
    start,
    task_by_id,
    tasks,
)
from tests.workflows.test_incident_escalation import CST, at
from workflows.dog_dispute import DogDisputeWorkflow

MINUTE = timedelta(minutes=1)
SHARES = [0.8, 1.0, 2.0]  # the configured ladder (LADDER_SHARES)
COURT = "大渡口区人民法院"
OTHER_PROPERTY = Actor(username="property_rongcheng", role="property", department="rongcheng")


def said(workflow_id: str, user: str) -> list[str]:
    """Every status notice `user` got about the case, oldest first."""
    return [n.message for n in notices(workflow_id, recipient_user=user, kind="status")]


async def no_open_task(handle: WorkflowHandle, step: str) -> None:
    assert not [t for t in await tasks(handle, step) if t.status == "open"]


def session_data(instant: datetime, place: str = "社区调解室") -> dict:
    return {"at": instant.isoformat(), "place": place}


def agreement_data(perform_by: date, *obligations: str) -> dict:
    return {"terms": {"facts": "养犬人遛狗未牵绳，吓到举报人的孩子",
                      "obligations": list(obligations) or ["养犬人今后遛狗一律牵绳"],
                      "manner": "社区网格员监督", "perform_by": perform_by.isoformat()},
            "participants": ["leader_baijiayuan", "volunteer_baijiayuan"]}


async def visit(handle: WorkflowHandle, user: Actor, note: str = "物业上门劝导，养犬人表示会注意"):
    return await handle.execute_update(DogDisputeWorkflow.record_visit,
                                       VisitRequest(actor=user, note=note))


def judicial_request(user: Actor) -> JudicialRequest:
    return JudicialRequest(actor=user, court=COURT, note="双方共同申请")


async def apply_judicial(handle: WorkflowHandle, user: Actor):
    return await handle.execute_update(DogDisputeWorkflow.apply_judicial,
                                       judicial_request(user))


async def withdraw(handle: WorkflowHandle, user: Actor, reason: str = "已协商解决"):
    return await handle.execute_update(DogDisputeWorkflow.withdraw,
                                       WithdrawRequest(actor=user, reason=reason))


async def refused_visit(handle: WorkflowHandle, kind: str, user: Actor) -> str:
    return await refused_update(handle, kind, DogDisputeWorkflow.record_visit,
                                VisitRequest(actor=user, note="劝导"))


async def refused_judicial(handle: WorkflowHandle, kind: str, user: Actor) -> str:
    return await refused_update(handle, kind, DogDisputeWorkflow.apply_judicial,
                                judicial_request(user))


async def refused_withdraw(handle: WorkflowHandle, kind: str, user: Actor) -> str:
    return await refused_update(handle, kind, DogDisputeWorkflow.withdraw,
                                WithdrawRequest(actor=user, reason="已协商解决"))


async def now_of(env: WorkflowEnvironment) -> datetime:
    return await env.get_current_time()


async def today_of(env: WorkflowEnvironment) -> date:
    return (await now_of(env)).astimezone(CST).date()


async def eventually(probe: Callable[[], object], timeout: float = 10) -> None:
    """Notices of an escalation are written by an activity right after the level rises."""
    for _ in range(int(timeout / 0.05)):
        if probe():
            return
        await asyncio.sleep(0.05)
    assert probe()


def ladder_notices(task: Task, levels: int = 3) -> set[tuple[int, str, str | None, str | None]]:
    """Who hears of each level of the command centre's ladder: 预警 the assignee (each named
    user), 超期督办 the assignee department's head and command_lead, then command_lead."""
    users = task.assignee_users or [task.assignee_user]
    expected = {(1, task.assignee_role, task.assignee_department, u) for u in users}
    if levels >= 2:
        if task.assignee_department:
            expected.add((2, "dept_head", task.assignee_department, None))
        expected.add((2, "command_lead", None, None))
    if levels >= 3:
        expected.add((3, "command_lead", None, None))
    return expected


def check_deadlines(task: Task, limit) -> None:
    """A staff task's ladder runs over working time from its opening, for its step's limit."""
    marks = working_time().deadlines(task.opened_at, limit, SHARES)
    assert task.ladder == marks and task.warn_at == marks[0] and task.due_at == marks[1]
    assert task.expires_at is None


async def climb(env: WorkflowEnvironment, handle: WorkflowHandle, task: Task,
                levels: int = 3) -> None:
    """Nobody acts: the task rises one level at each mark of its ladder, on time, and each
    level's people are told; it stays open for its assignee."""
    assert len(task.ladder) >= levels
    for level, mark in enumerate(task.ladder[:levels], start=1):
        await sleep_until(env, mark - MINUTE)
        assert (await task_by_id(handle, task.id)).escalation_level == level - 1
        await sleep_until(env, mark + MINUTE)
        current = await task_by_id(handle, task.id)
        assert (current.escalation_level, current.status) == (level, "open")
    expected = ladder_notices(task, levels)
    await eventually(lambda: escalations(task.id) == expected)
    if levels >= 2:  # 督办: the community's head (or the department's) follows it
        watchers = {(w.role, w.department) for w in current.watchers}
        assert ("command_lead", None) in watchers
        if task.assignee_department:
            assert ("dept_head", task.assignee_department) in watchers


async def window_warns_then_expires(env: WorkflowEnvironment, handle: WorkflowHandle,
                                   task: Task) -> None:
    """A resident's window: one 预警 to the resident at 80%, then it runs out by itself."""
    assert task.expires_at is not None and len(task.ladder) == 1
    assert task.warn_at == task.ladder[0] < task.expires_at
    await sleep_until(env, task.ladder[0] + MINUTE)
    assert (await task_by_id(handle, task.id)).escalation_level == 1
    await sleep_until(env, task.expires_at + MINUTE)
    expired = await task_by_id(handle, task.id)
    assert (expired.status, expired.escalation_level) == ("expired", 1)
    await eventually(lambda: escalations(task.id) == {
        (1, "citizen", None, task.assignee_user)})


async def settle_session(env: WorkflowEnvironment, handle: WorkflowHandle, days: int = 2,
                         *parties: Actor) -> datetime:
    """The mediator schedules a session `days` days ahead at 15:00, the parties consent, and
    time runs to just after it: the mediate task is open."""
    session = at(await today_of(env) + timedelta(days=days), 15)
    await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    for party in parties:
        await act(handle, "consent", party, "agree")
    await sleep_until(env, session + MINUTE)
    await open_task(handle, "mediate")
    return session


def check_at(perform_by: date) -> datetime:
    """Performance is checked at 09:00 the day after the agreement's deadline."""
    return at(perform_by + timedelta(days=1), 9)


# -- 自律 -----------------------------------------------------------------------------------


async def test_self_discipline_corrected_confirmed_followed_up_and_closed(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(3, owner=OWNER, dog_id=None,
                    description="犬只未按时接种狂犬病疫苗")
    handle = await start(env.client, inp)
    task = await open_task(handle, "self_correct")
    # The owner's window: 3 calendar days, no ladder beyond its 预警.
    assert (task.assignee_role, task.assignee_department, task.assignee_user) == (
        "citizen", None, "dog_owner_1")
    assert task.expires_at == task.due_at == task.opened_at + timedelta(days=3)
    assert task.context["behaviour"] == 3 and task.context["place"] == "3栋楼下"
    state = await case(handle)
    assert (state.status, state.tier, state.started_tier, state.path, state.start_reason) == (
        "self_discipline", "self_discipline", "self_discipline", ["self_discipline"], None)
    assert state.correct_due_at == task.expires_at
    assert state.current_due_at is None  # a resident's window is no staff deadline
    wf = state.workflow_id
    owner = said(wf, "dog_owner_1")
    assert any("第3条" in m and "定期接种疫苗" in m and "前改正" in m for m in owner)
    assert any("进入自律层级" in m for m in said(wf, "resident_baijiayuan"))
    projected = row(inp.id)
    assert (projected.status, projected.tier, projected.owner, projected.reporter) == (
        "self_discipline", "self_discipline", "dog_owner_1", "resident_baijiayuan")

    await refused(handle, FORBIDDEN, "self_correct", OWNER_2, "correct", action="已接种")
    await refused(handle, FORBIDDEN, "self_correct", REPORTER, "correct", action="已接种")
    await refused(handle, INVALID, "self_correct", OWNER, "correct")  # says what was done
    await refused(handle, INVALID, "self_correct", OWNER, "dispute")  # a reason
    r = await act(handle, "self_correct", OWNER, "correct", action="已带犬只补种狂犬病疫苗")
    assert (r["status"], r["owner_answer"], r["correction"]) == (
        "self_discipline", "correct", "已带犬只补种狂犬病疫苗")
    confirm = await open_task(handle, "confirm")
    assert (confirm.assignee_role, confirm.assignee_user) == ("citizen", "resident_baijiayuan")
    assert confirm.expires_at == confirm.opened_at + timedelta(days=3)
    assert confirm.context == {"owner_answer": "correct", "correction": "已带犬只补种狂犬病疫苗"}
    await refused(handle, FORBIDDEN, "confirm", OWNER, "resolved")
    r = await act(handle, "confirm", REPORTER, "resolved")
    assert (r["status"], r["tier"], r["ended_tier"], r["confirmation"]) == (
        "resolved", "self_discipline", "self_discipline", "resolved")
    state = await case(handle)
    assert state.follow_up_at == state.resolved_at + timedelta(days=30)
    assert [(o.tier, o.result, o.by) for o in state.outcomes] == [
        ("self_discipline", "corrected", "resident_baijiayuan")]
    assert any("已在自律层级化解" in m for m in said(wf, "dog_owner_1"))
    projected = row(inp.id)
    assert (projected.status, projected.ended_tier, projected.result) == (
        "resolved", "self_discipline", "corrected")
    await refused_visit(handle, CONFLICT, PROPERTY)  # no tier works on it now
    await refused_withdraw(handle, CONFLICT, REPORTER)

    # 30 days later the grid worker checks, and the case closes.
    await sleep_until(env, state.follow_up_at - MINUTE)
    await no_open_task(handle, "follow_up")
    await sleep_until(env, state.follow_up_at + MINUTE)
    follow = await open_task(handle, "follow_up")
    assert (follow.assignee_role, follow.assignee_department) == ("grid_worker", "baijiayuan")
    assert follow.context["ended_tier"] == "self_discipline"
    check_deadlines(follow, inp.policy.follow_up_limit)
    assert (await case(handle)).status == "follow_up"
    await refused(handle, FORBIDDEN, "follow_up", GRID_RONGCHENG, "ok")
    await refused(handle, INVALID, "follow_up", GRID, "recurred")  # says what recurred
    r = await act(handle, "follow_up", GRID, "ok")
    assert r["status"] == "closed"
    final = await handle.result()
    assert final.status == "closed" and final.closed_at and final.recurrences == 0
    assert [t.step_code for t in await tasks(handle)] == ["self_correct", "confirm", "follow_up"]
    assert any("回访正常，已结案" in m for m in said(wf, "resident_baijiayuan"))
    projected = row(inp.id)
    assert (projected.status, projected.ended_tier, projected.result, projected.path) == (
        "closed", "self_discipline", "corrected", ["self_discipline"])
    assert projected.closed_at and projected.version == final.version
    await save_history(handle, "dog_dispute_self_corrected")


async def test_the_grid_worker_of_the_community_identifies_an_unknown_owner(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(6, owner=None, description="夜间犬吠扰民")
    handle = await start(env.client, inp)
    task = await open_task(handle, "identify_owner")
    assert (task.assignee_role, task.assignee_department, task.assignee_user) == (
        "grid_worker", "baijiayuan", None)
    check_deadlines(task, inp.policy.identify_limit)
    state = await case(handle)
    assert state.owner is None and state.current_due_at == task.due_at
    assert row(inp.id).current_due_at == task.due_at

    await refused(handle, FORBIDDEN, "identify_owner", GRID_RONGCHENG, "identified",
                      owner="dog_owner_1")
    await refused(handle, FORBIDDEN, "identify_owner", MEDIATOR, "identified",
                      owner="dog_owner_1")
    message = await refused(handle, INVALID, "identify_owner", GRID, "identified",
                                owner="resident_baijiayuan")
    assert "举报人" in message
    await refused(handle, INVALID, "identify_owner", GRID, "identified", owner="a b")
    await refused(handle, INVALID, "identify_owner", GRID, "identified")
    await refused(handle, INVALID, "identify_owner", GRID, "unknown")  # why not
    r = await act(handle, "identify_owner", GRID, "identified", owner="dog_owner_1")
    assert (r["owner"], r["status"], r["prior_id"], r["start_reason"]) == (
        "dog_owner_1", "self_discipline", None, None)
    task = await open_task(handle, "self_correct")
    assert task.assignee_user == "dog_owner_1"
    assert any("第6条" in m for m in said(state.workflow_id, "dog_owner_1"))
    assert row(inp.id).owner == "dog_owner_1"


async def test_silence_and_the_ladders_of_the_self_discipline_tier(
        env: WorkflowEnvironment) -> None:
    """Nobody hurries: identify_owner and follow_up climb the whole ladder; the owner's and
    the reporter's windows warn once and run out (the owner did nothing; the reporter is
    satisfied)."""
    inp = dog_input(5, owner=None, description="犬便未清理")
    handle = await start(env.client, inp)
    identify = await open_task(handle, "identify_owner")
    await climb(env, handle, identify)
    assert any(t.id == identify.id for t in await tasks(handle, "identify_owner"))
    r = await act(handle, "identify_owner", GRID, "identified", owner="dog_owner_2")
    assert r["owner"] == "dog_owner_2" and r["prior_id"] is None

    correct = await open_task(handle, "self_correct")
    assert correct.assignee_user == "dog_owner_2" and correct.ladder[0] == correct.warn_at
    assert abs(correct.warn_at - (correct.opened_at + timedelta(days=3) * 0.8)) < MINUTE
    await window_warns_then_expires(env, handle, correct)
    confirm = await open_task(handle, "confirm")
    state = await case(handle)
    assert (state.status, state.owner_answer, state.correction) == (
        "self_discipline", "silent", None)
    assert confirm.context["owner_answer"] == "silent"
    await window_warns_then_expires(env, handle, confirm)
    state = await case(handle)
    assert (state.status, state.ended_tier, state.confirmation) == (
        "resolved", "self_discipline", "silent")
    assert [(o.result, o.by, o.note) for o in state.outcomes] == [
        ("corrected", None, "举报人逾期未答复，视为已解决")]
    assert not [n for n in escalations(correct.id) if n[0] > 1]  # no 督办 of residents

    await sleep_until(env, state.follow_up_at + MINUTE)
    follow = await open_task(handle, "follow_up")
    await climb(env, handle, follow)
    r = await act(handle, "follow_up", GRID, "ok")  # late, still the grid worker's
    assert r["status"] == "closed"
    final = await handle.result()
    assert final.status == "closed"
    assert [(t.step_code, t.status, t.escalation_level) for t in await tasks(handle)] == [
        ("identify_owner", "done", 3), ("self_correct", "expired", 1),
        ("confirm", "expired", 1), ("follow_up", "done", 3)]
    assert row(inp.id).status == "closed"
    await save_history(handle, "dog_dispute_silence_escalated")


# -- 共律 ---------------------------------------------------------------------------------


async def test_mediation_agreement_performed_judicial_confirmation_and_a_recurrence(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(8, owner=OWNER, dog_id=None, description="病犬未及时诊治")
    handle = await start(env.client, inp)
    wf = (await case(handle)).workflow_id
    r = await act(handle, "self_correct", OWNER, "dispute", "我的狗已经在治疗")
    assert (r["status"], r["tier"], r["path"], r["owner_answer"]) == (
        "mediation", "mediation", ["self_discipline", "mediation"], "dispute")
    state = await case(handle)
    m = state.mediation
    assert m is not None and m.due_at == m.started_at + timedelta(days=30)
    assert any("转入共律层级" in msg for msg in said(wf, "resident_baijiayuan"))
    message = await refused_judicial(handle, CONFLICT, OWNER)
    assert "调解协议" in message

    schedule = await open_task(handle, "schedule_mediation")
    assert (schedule.assignee_role, schedule.assignee_department, schedule.assignee_users) == (
        "community_worker", "baijiayuan", [])
    check_deadlines(schedule, inp.policy.schedule_limit)
    assert schedule.context["mediation_due_at"] == m.due_at.isoformat()
    current = await now_of(env)
    await refused(handle, FORBIDDEN, "schedule_mediation", GRID, "schedule",
                      **session_data(current + timedelta(days=2)))
    await refused(handle, INVALID, "schedule_mediation", MEDIATOR, "schedule",
                      **session_data(current - timedelta(hours=1)))
    message = await refused(handle, INVALID, "schedule_mediation", MEDIATOR, "schedule",
                                **session_data(m.due_at + MINUTE))
    assert "30日" in message
    await refused(handle, INVALID, "schedule_mediation", MEDIATOR, "schedule",
                      at=(current + timedelta(days=2)).replace(tzinfo=None).isoformat(),
                      place="社区调解室")
    session = at(current.astimezone(CST).date() + timedelta(days=2), 15)
    r = await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    assert r["mediation"]["mediator"] == "mediator_baijiayuan"
    assert r["mediation"]["consents"] == {"resident_baijiayuan": "pending",
                                          "dog_owner_1": "pending"}
    consents = [t for t in await tasks(handle, "consent") if t.status == "open"]
    assert {(t.assignee_role, t.assignee_user) for t in consents} == {
        ("citizen", "resident_baijiayuan"), ("citizen", "dog_owner_1")}
    assert all(t.expires_at == session and t.context["mediator"] == "mediator_baijiayuan"
               for t in consents)
    assert all(any("请在待办中答复是否同意调解" in msg for msg in said(wf, u))
               for u in ("resident_baijiayuan", "dog_owner_1"))
    owners = next(t for t in consents if t.assignee_user == "dog_owner_1")
    await refused(handle, FORBIDDEN, "consent", REPORTER, "agree", assignee=owners.assignee_user)
    r = await act(handle, "consent", REPORTER, "agree")
    assert r["mediation"]["consents"] == {"resident_baijiayuan": "agree",
                                          "dog_owner_1": "pending"}
    r = await act(handle, "consent", OWNER, "agree")
    assert r["mediation"]["consents"] == {"resident_baijiayuan": "agree",
                                          "dog_owner_1": "agree"}
    assert any("进行人民调解，请准时参加" in msg for msg in said(wf, "dog_owner_1"))

    # The mediate task opens at the session, for the mediator who scheduled it.
    await sleep_until(env, session - MINUTE)
    await no_open_task(handle, "mediate")
    await sleep_until(env, session + MINUTE)
    mediate = await open_task(handle, "mediate")
    assert mediate.assignee_users == ["mediator_baijiayuan"]
    assert mediate.context["session_place"] == "社区调解室"
    check_deadlines(mediate, inp.policy.record_limit)
    another = Actor(username="mediator_2_baijiayuan", role="community_worker",
                    department="baijiayuan")
    await refused(handle, FORBIDDEN, "mediate", another, "failed", "不成")
    day = session.astimezone(CST).date()
    await refused(handle, INVALID, "mediate", MEDIATOR, "agreement",
                      **agreement_data(day - timedelta(days=1)))
    await refused(handle, INVALID, "mediate", MEDIATOR, "agreement",
                      **agreement_data(day + timedelta(days=400)))
    perform_by = day + timedelta(days=7)
    r = await act(handle, "mediate", MEDIATOR, "agreement",
                  **agreement_data(perform_by, "养犬人七日内带犬就医并出示诊疗记录"))
    assert r["status"] == "mediation"
    state = await case(handle)
    m = state.mediation
    assert m.terms.perform_by == perform_by and m.participants == [
        "leader_baijiayuan", "volunteer_baijiayuan"]
    assert m.judicial_due_at == m.agreed_at + timedelta(days=30)
    assert any("已达成调解协议" in msg and "司法确认" in msg for msg in said(wf, "dog_owner_1"))

    # 司法确认: a party, within 30 days, once.
    await refused_judicial(handle, FORBIDDEN, MEDIATOR)
    await refused_judicial(handle, FORBIDDEN, OWNER_2)
    judicial = await apply_judicial(handle, OWNER)
    assert (judicial.by, judicial.court) == ("dog_owner_1", "大渡口区人民法院")
    message = await refused_judicial(handle, CONFLICT, REPORTER)
    assert "dog_owner_1" in message
    assert (await case(handle)).mediation.judicial == judicial
    assert any("申请司法确认调解协议" in msg for msg in said(wf, "resident_baijiayuan"))

    # Performance is checked the day after its deadline.
    await sleep_until(env, check_at(perform_by) - MINUTE)
    await no_open_task(handle, "performance")
    await sleep_until(env, check_at(perform_by) + MINUTE)
    performance = await open_task(handle, "performance")
    assert performance.assignee_users == ["mediator_baijiayuan"]
    assert performance.context["terms"]["perform_by"] == perform_by.isoformat()
    check_deadlines(performance, inp.policy.performance_limit)
    r = await act(handle, "performance", MEDIATOR, "performed")
    assert (r["status"], r["ended_tier"]) == ("resolved", "mediation")
    state = await case(handle)
    assert state.mediation.performed is True
    assert [(o.tier, o.result, o.by) for o in state.outcomes] == [
        ("mediation", "performed", "mediator_baijiayuan")]
    projected = row(inp.id)
    assert (projected.status, projected.ended_tier, projected.result) == (
        "resolved", "mediation", "performed")

    # The follow-up finds it again: the case reopens at 共律, where it ended.
    await sleep_until(env, state.follow_up_at + MINUTE)
    r = await act(handle, "follow_up", GRID, "recurred", "病犬又在楼道内随地便溺")
    assert (r["status"], r["tier"], r["recurrences"], r["ended_tier"]) == (
        "mediation", "mediation", 1, None)
    assert r["path"] == ["self_discipline", "mediation", "mediation"]
    schedule = await open_task(handle, "schedule_mediation")
    assert schedule.id != (await tasks(handle, "schedule_mediation"))[0].id
    state = await case(handle)
    assert state.mediation.agreed_at is None and state.mediation.judicial is None
    assert state.mediation.started_at == schedule.opened_at
    assert state.outcomes[0].result == "performed"  # the story so far stays
    earlier = state.past_mediations  # and so does the first round's agreement
    assert len(earlier) == 1 and earlier[0].terms and earlier[0].judicial is not None
    assert any("回访发现问题复发" in msg for msg in said(wf, "dog_owner_1"))
    projected = row(inp.id)
    assert (projected.status, projected.recurrences, projected.ended_tier) == (
        "mediation", 1, None)

    # The reporter withdraws while 共律 works on it again.
    await refused_withdraw(handle, FORBIDDEN, OWNER)
    ended = await withdraw(handle, REPORTER, "双方已私下和解")
    assert ended.status == "withdrawn"
    final = await handle.result()
    assert final.status == "withdrawn" and final.outcomes[-1].tier == "mediation"
    assert (await task_by_id(handle, schedule.id)).status == "cancelled"
    await save_history(handle, "dog_dispute_mediated_recurred")


async def test_an_agreement_breached_goes_to_the_law(env: WorkflowEnvironment) -> None:
    inp = dog_input(9, owner=OWNER_2, dog_id=None,
                    description="邻里因犬只问题多次争吵")
    handle = await start(env.client, inp)
    await act(handle, "self_correct", OWNER_2, "correct", action="已与邻居沟通")
    await refused(handle, INVALID, "confirm", REPORTER, "not_resolved")  # says why
    r = await act(handle, "confirm", REPORTER, "not_resolved", "对方仍不道歉")
    assert (r["status"], r["confirmation"], r["path"]) == (
        "mediation", "not_resolved", ["self_discipline", "mediation"])
    session = await settle_session(env, handle, 3, REPORTER, OWNER_2)
    perform_by = session.astimezone(CST).date() + timedelta(days=40)
    await act(handle, "mediate", MEDIATOR, "agreement",
              **agreement_data(perform_by, "养犬人向邻居书面道歉"))
    m = (await case(handle)).mediation
    # Nobody applied within the 30 days: too late now.
    await sleep_until(env, m.judicial_due_at + MINUTE)
    message = await refused_judicial(handle, CONFLICT, REPORTER)
    assert "30日内" in message and "截止" in message

    await sleep_until(env, check_at(perform_by) + MINUTE)
    await refused(handle, INVALID, "performance", MEDIATOR, "breached")  # says how
    r = await act(handle, "performance", MEDIATOR, "breached", "养犬人拒绝道歉")
    assert (r["status"], r["tier"]) == ("legal", "legal")
    state = await case(handle)
    assert (state.mediation.performed, state.mediation.breach) == (False, "养犬人拒绝道歉")
    assert state.path == ["self_discipline", "mediation", "legal"]
    enforce = await open_task(handle, "enforce")
    assert (enforce.assignee_role, enforce.assignee_department) == ("officer", "public_security")
    assert enforce.allowed_decisions == ["warning", "no_violation"]  # no fine, no seizure
    assert enforce.context["handler"] == "公安（涉犬治安纠纷）"
    assert enforce.context["fine_range"] is None
    check_deadlines(enforce, inp.policy.enforce_limit)
    await refused(handle, INVALID, "enforce", POLICE, "fine", amount=100, record="罚款")
    await refused(handle, FORBIDDEN, "enforce", MEDIATOR, "warning", record="警告")
    r = await act(handle, "enforce", POLICE, "warning", record="对养犬人予以警告")
    assert (r["status"], r["ended_tier"]) == ("resolved", "legal")
    state = await case(handle)
    e = state.enforcement
    assert (e.decision, e.by, e.record, e.amount) == (
        "warning", "officer_public_security", "对养犬人予以警告", None)
    assert [(o.tier, o.result) for o in state.outcomes] == [("legal", "warning")]
    projected = row(inp.id)
    assert (projected.status, projected.ended_tier, projected.result, projected.path) == (
        "resolved", "legal", "warning", ["self_discipline", "mediation", "legal"])
    await save_history(handle, "dog_dispute_breached_warned")


@pytest.mark.parametrize("decision", ["close", "refer"])
async def test_a_party_refusing_mediation(env: WorkflowEnvironment, decision: str) -> None:
    """The case starts at 共律 (the owner's dispute of the same behaviour ended there lately);
    the owner refuses (人民调解法 Art. 17): the reporter's consent is moot, and the mediator
    closes the case with advice or refers it to the law."""
    now = await now_of(env)
    prior = Prior(id="20260101-PRIOR1", ended_tier="mediation", ended_at=now - timedelta(days=20))
    inp = dog_input(4, owner=OWNER_2, dog_id=None, prior=prior)
    handle = await start(env.client, inp)
    state = await case(handle)
    assert (state.status, state.started_tier, state.path, state.prior_id) == (
        "mediation", "mediation", ["mediation"], "20260101-PRIOR1")
    assert "20260101-PRIOR1" in state.start_reason and "共律" in state.start_reason
    assert state.mediation.due_at == inp.reported_at + timedelta(days=30)
    assert any(state.start_reason in m for m in said(state.workflow_id, "dog_owner_2"))

    session = at(await today_of(env) + timedelta(days=2), 15)
    await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    await refused(handle, INVALID, "consent", OWNER_2, "refuse", assignee="dog_owner_2")  # says why
    await act(handle, "consent", OWNER_2, "refuse", "不需要调解")
    after = await open_task(handle, "after_refusal")
    reporters = next(t for t in await tasks(handle, "consent")
                     if t.assignee_user == "resident_baijiayuan")
    assert reporters.status == "cancelled"
    assert (await case(handle)).mediation.consents == {"resident_baijiayuan": "moot",
                                                       "dog_owner_2": "refuse"}
    assert after.assignee_users == ["mediator_baijiayuan"]
    assert after.context["consents"] == {"resident_baijiayuan": "moot", "dog_owner_2": "refuse"}
    check_deadlines(after, inp.policy.decide_limit)
    await no_open_task(handle, "mediate")
    await refused(handle, INVALID, "after_refusal", MEDIATOR, decision)  # a comment

    if decision == "close":
        r = await act(handle, "after_refusal", MEDIATOR, "close", "已告知可向法院起诉")
        assert (r["status"], r["ended_tier"]) == ("closed", "mediation")
        final = await handle.result()
        assert [(o.tier, o.result, o.by, o.note) for o in final.outcomes] == [
            ("mediation", "advice", "mediator_baijiayuan", "已告知可向法院起诉")]
        assert final.follow_up_at is None  # a closed case is not followed up
        projected = row(inp.id)
        assert (projected.status, projected.result, projected.prior_id) == (
            "closed", "advice", "20260101-PRIOR1")
        await save_history(handle, "dog_dispute_refused_advice")
        return
    r = await act(handle, "after_refusal", MEDIATOR, "refer", "当事人拒绝调解，移交公安")
    assert (r["status"], r["path"]) == ("legal", ["mediation", "legal"])
    enforce = await open_task(handle, "enforce")
    assert (enforce.assignee_role, enforce.assignee_department) == ("officer", "public_security")
    assert enforce.allowed_decisions == ["warning", "fine", "seize", "no_violation"]
    r = await act(handle, "enforce", POLICE, "fine", amount=200, record="携犬出户未系犬绳")
    assert (r["status"], r["ended_tier"]) == ("resolved", "legal")
    assert (await case(handle)).enforcement.amount == 200


# -- 法律 -----------------------------------------------------------------------------------


async def test_an_urgent_report_goes_to_the_police_and_recurs_at_the_law(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(10, owner=OWNER_2, dog_id=None, urgent=True,
                    description="犬只咬伤行人，养犬人拒不配合")
    handle = await start(env.client, inp)
    state = await case(handle)
    assert (state.status, state.started_tier, state.urgent) == ("legal", "legal", True)
    assert "紧急情况" in state.start_reason and "公安" in state.start_reason
    enforce = await open_task(handle, "enforce")
    assert (enforce.assignee_role, enforce.assignee_department) == ("officer", "public_security")
    assert enforce.allowed_decisions == ["warning", "fine", "seize", "no_violation"]
    assert enforce.context["handler"] == "公安" and enforce.context["fine_range"] == "1-200 元"
    assert state.current_due_at == enforce.due_at
    check_deadlines(enforce, inp.policy.enforce_limit)
    # The law's tier is the authority's: the reporter cannot withdraw.
    await refused_withdraw(handle, CONFLICT, REPORTER)
    await refused(handle, FORBIDDEN, "enforce", GRID_RONGCHENG, "warning", record="x")
    urban = Actor(username="officer_urban_mgmt", role="officer", department="urban_mgmt")
    await refused(handle, FORBIDDEN, "enforce", urban, "warning", record="x")
    message = await refused(handle, INVALID, "enforce", POLICE, "fine", amount=500,
                                record="阻碍执行职务")
    assert "1-200 元" in message and "治安管理处罚法" in message
    await refused(handle, INVALID, "enforce", POLICE, "fine", amount=0, record="x")
    await refused(handle, INVALID, "enforce", POLICE, "fine", amount=150)  # the record
    await refused(handle, INVALID, "enforce", POLICE, "warning", record="  ")
    r = await act(handle, "enforce", POLICE, "fine", amount=150, record="阻碍执行职务，罚款150元")
    assert (r["status"], r["tier"], r["ended_tier"]) == ("resolved", "legal", "legal")
    state = await case(handle)
    assert (state.enforcement.decision, state.enforcement.amount) == ("fine", 150)
    assert any("罚款" in m and "已在法律层级化解" in m for m in said(state.workflow_id,
                                                               "resident_baijiayuan"))

    # A recurrence reopens at the law: 公安 again, with the story so far.
    await sleep_until(env, state.follow_up_at + MINUTE)
    r = await act(handle, "follow_up", GRID, "recurred", "犬只再次无绳外出")
    assert (r["status"], r["tier"], r["recurrences"], r["path"]) == (
        "legal", "legal", 1, ["legal", "legal"])
    again = await open_task(handle, "enforce")
    assert again.id != enforce.id and again.assignee_department == "public_security"
    assert [o["result"] for o in again.context["history"]] == ["fine"]
    r = await act(handle, "enforce", POLICE, "seize", record="依法收容犬只", serious=True)
    assert (r["status"], r["recurrences"]) == ("resolved", 1)
    state = await case(handle)
    assert [o.result for o in state.outcomes] == ["fine", "seize"]
    await sleep_until(env, state.follow_up_at + MINUTE)
    await act(handle, "follow_up", GRID, "ok")
    final = await handle.result()
    assert (final.status, final.recurrences, final.ended_tier) == ("closed", 1, "legal")
    projected = row(inp.id)
    assert (projected.status, projected.recurrences, projected.result, projected.path) == (
        "closed", 1, "seize", ["legal", "legal"])
    await save_history(handle, "dog_dispute_urgent_recurred")


@pytest.mark.parametrize(("behaviour", "banned", "says"), [
    (1, False, "不饲养禁养犬只"), (2, False, "依法办理养犬登记"), (4, True, "禁养")])
async def test_banned_and_unregistered_dogs_start_at_the_law(
        env: WorkflowEnvironment, behaviour: int, banned: bool, says: str) -> None:
    inp = dog_input(behaviour, owner=OWNER_2, dog_id=None, dog_banned=banned)
    handle = await start(env.client, inp)
    enforce = await open_task(handle, "enforce")
    assert (enforce.assignee_role, enforce.assignee_department) == ("officer", "public_security")
    assert "seize" in enforce.allowed_decisions and "fine" in enforce.allowed_decisions
    state = await case(handle)
    assert (state.status, state.started_tier, state.path) == ("legal", "legal", ["legal"])
    assert says in state.start_reason and "公安" in state.start_reason
    assert not await tasks(handle, "self_correct")
    assert row(inp.id).started_tier == "legal"
    await refused_withdraw(handle, CONFLICT, REPORTER)


async def test_an_owner_never_found_leaves_an_unclaimed_dog_to_property(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(11, owner=None, description="小区内流浪犬无人认领")
    handle = await start(env.client, inp)
    r = await act(handle, "identify_owner", GRID, "unknown", "走访三栋楼无人认领")
    assert (r["status"], r["owner_unknown"], r["path"]) == (
        "legal", "走访三栋楼无人认领", ["self_discipline", "legal"])
    enforce = await open_task(handle, "enforce")
    assert (enforce.assignee_role, enforce.assignee_department) == ("property", "baijiayuan")
    assert enforce.allowed_decisions == ["warning", "seize", "no_violation"]
    await refused(handle, FORBIDDEN, "enforce", OTHER_PROPERTY, "seize", record="x")
    r = await act(handle, "enforce", PROPERTY, "seize", record="交由物业按规定收容")
    assert (r["status"], r["ended_tier"]) == ("resolved", "legal")
    assert (await case(handle)).outcomes[-1].by == "property_baijiayuan"


# -- every staff task's ladder ------------------------------------------------------------


async def test_the_ladders_of_scheduling_consent_after_refusal_and_enforcement(
        env: WorkflowEnvironment) -> None:
    now = await now_of(env)
    prior = Prior(id="20260101-PRIOR2", ended_tier="mediation", ended_at=now - timedelta(days=5))
    inp = dog_input(9, owner=OWNER, dog_id=None, prior=prior,
                    description="邻里因犬只问题争执")
    handle = await start(env.client, inp)
    schedule = await open_task(handle, "schedule_mediation")
    await climb(env, handle, schedule)
    assert (2, "dept_head", "baijiayuan", None) in escalations(schedule.id)  # 百佳园's head

    session = at(await today_of(env) + timedelta(days=3), 15)
    await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    await act(handle, "consent", REPORTER, "agree")
    owners = await open_task(handle, "consent", "dog_owner_1")
    await window_warns_then_expires(env, handle, owners)  # silence: no consent
    reporters = next(t for t in await tasks(handle, "consent")
                     if t.assignee_user == "resident_baijiayuan")
    assert not escalations(reporters.id)  # answered before its warning
    after = await open_task(handle, "after_refusal")
    assert after.context["consents"] == {"resident_baijiayuan": "agree",
                                         "dog_owner_1": "silent"}
    await no_open_task(handle, "mediate")
    await climb(env, handle, after)
    await act(handle, "after_refusal", MEDIATOR, "refer", "养犬人不答复，移交公安")

    enforce = await open_task(handle, "enforce")
    await climb(env, handle, enforce)
    r = await act(handle, "enforce", POLICE, "no_violation", record="经查不构成违法")
    assert (r["status"], r["ended_tier"]) == ("resolved", "legal")
    assert [(t.step_code, t.status, t.escalation_level) for t in await tasks(handle)] == [
        ("schedule_mediation", "done", 3), ("consent", "done", 0), ("consent", "expired", 1),
        ("after_refusal", "done", 3), ("enforce", "done", 3)]
    await save_history(handle, "dog_dispute_ladders_refer")


async def test_the_ladders_of_the_session_record_and_the_performance_check(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(8, owner=OWNER_2, dog_id=None,
                    description="犬只尸体随意丢弃")
    handle = await start(env.client, inp)
    await act(handle, "self_correct", OWNER_2, "dispute", "不是我的狗")
    await settle_session(env, handle, 2, REPORTER, OWNER_2)
    mediate = await open_task(handle, "mediate")
    await climb(env, handle, mediate)
    perform_by = (await today_of(env)) + timedelta(days=3)
    await act(handle, "mediate", MEDIATOR, "agreement",
              **agreement_data(perform_by, "养犬人承担无害化处理费用"))
    await sleep_until(env, check_at(perform_by) + MINUTE)
    performance = await open_task(handle, "performance")
    await climb(env, handle, performance)
    r = await act(handle, "performance", MEDIATOR, "performed")
    assert (r["status"], r["ended_tier"]) == ("resolved", "mediation")
    levels = {t.step_code: t.escalation_level for t in await tasks(handle)}
    assert (levels["mediate"], levels["performance"]) == (3, 3)


# -- visits, withdrawal, the recurrence look-up --------------------------------------------


async def test_visits_and_withdrawal(env: WorkflowEnvironment) -> None:
    inp = dog_input(5, owner=OWNER, dog_id=None, description="犬便未清理")
    handle = await start(env.client, inp)
    wf = (await case(handle)).workflow_id
    correct = await open_task(handle, "self_correct")
    made = await visit(handle, PROPERTY)
    assert (made.by, made.role) == ("property_baijiayuan", "property")
    await visit(handle, VOLUNTEER, "志愿者劝导，赠送拾便袋")
    for who in (REPORTER, OWNER, OTHER_PROPERTY, GRID):
        await refused_visit(handle, FORBIDDEN, who)
    state = await case(handle)
    assert [(v.by, v.note) for v in state.visits] == [
        ("property_baijiayuan", "物业上门劝导，养犬人表示会注意"),
        ("volunteer_baijiayuan", "志愿者劝导，赠送拾便袋")]
    owner = said(wf, "dog_owner_1")
    assert any("物业已上门劝导" in m for m in owner) and any("志愿者已上门劝导" in m for m in owner)
    assert row(inp.id).state["visits"][1]["by"] == "volunteer_baijiayuan"

    for who in (OWNER, MEDIATOR, GRID):
        await refused_withdraw(handle, FORBIDDEN, who)
    ended = await withdraw(handle, REPORTER)
    assert (ended.status, ended.outcomes[-1].result, ended.outcomes[-1].by) == (
        "withdrawn", "withdrawn", "resident_baijiayuan")
    final = await handle.result()
    assert final.status == "withdrawn" and final.closed_at and final.open_task_ids == []
    assert (await task_by_id(handle, correct.id)).status == "cancelled"
    assert all(any("已由举报人撤回" in m for m in said(wf, u))
               for u in ("dog_owner_1", "resident_baijiayuan"))
    projected = row(inp.id)
    assert (projected.status, projected.result, projected.ended_tier) == (
        "withdrawn", "withdrawn", None)


async def test_an_identified_owner_with_a_recent_dispute_starts_where_it_ended(
        env: WorkflowEnvironment) -> None:
    now = await now_of(env)
    earlier = f"20260101-{uuid.uuid4().hex[:6].upper()}"
    with Session(get_engine()) as session:
        session.add(DogDisputeRow(
            id=earlier, workflow_id=f"dog-dispute-{earlier}", status="closed",
            tier="mediation", community="baijiayuan", street="jiansheng", behaviour=3,
            owner="dog_owner_2", reporter="resident_baijiayuan", started_tier="self_discipline",
            ended_tier="mediation", result="performed", path=["self_discipline", "mediation"],
            reported_at=now - timedelta(days=60), resolved_at=now - timedelta(days=50),
            closed_at=now - timedelta(days=20), version=9))
        session.commit()
    inp = dog_input(3, owner=None, description="犬只疫苗过期未补种")
    handle = await start(env.client, inp)
    r = await act(handle, "identify_owner", GRID, "identified", owner="dog_owner_2")
    assert (r["status"], r["tier"], r["prior_id"], r["path"]) == (
        "mediation", "mediation", earlier, ["self_discipline", "mediation"])
    assert earlier in r["start_reason"] and "共律" in r["start_reason"]
    await open_task(handle, "schedule_mediation")
    assert not await tasks(handle, "self_correct")
    assert row(inp.id).prior_id == earlier


@pytest.mark.parametrize("when", ["consenting", "before_the_session"])
async def test_withdrawal_while_mediation_waits(env: WorkflowEnvironment, when: str) -> None:
    """The reporter withdraws while a party has not answered yet, or while both wait for the
    session: the case ends then, its open tasks cancelled, and no session is held."""
    now = await now_of(env)
    prior = Prior(id="20260101-PRIOR3", ended_tier="mediation", ended_at=now - timedelta(days=9))
    inp = dog_input(6, owner=OWNER, dog_id=None, prior=prior, description="夜间犬吠扰民")
    handle = await start(env.client, inp)
    session = at(await today_of(env) + timedelta(days=2), 15)
    await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    await act(handle, "consent", REPORTER, "agree")
    if when == "before_the_session":
        await act(handle, "consent", OWNER, "agree")
    ended = await withdraw(handle, REPORTER, "已私下和解")
    assert (ended.status, ended.open_task_ids) == ("withdrawn", [])
    final = await handle.result()
    assert final.status == "withdrawn" and final.outcomes[-1].tier == "mediation"
    steps = [(t.step_code, t.status) for t in await tasks(handle)]
    assert ("mediate", "open") not in steps and not [s for _, s in steps if s == "open"]
    if when == "consenting":
        assert ("consent", "cancelled") in steps
    assert row(inp.id).status == "withdrawn"


# -- a refusal's answer, and a second round's judicial notices ----------------------------------


async def test_a_refusal_answers_with_the_refusal_applied(env: WorkflowEnvironment) -> None:
    now = await now_of(env)
    prior = Prior(id="20260101-PRIOR4", ended_tier="mediation", ended_at=now - timedelta(days=3))
    handle = await start(env.client, dog_input(4, owner=OWNER_2, dog_id=None, prior=prior))
    session = at(await today_of(env) + timedelta(days=2), 15)
    await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    r = await act(handle, "consent", OWNER_2, "refuse", "不需要调解")
    after = await open_task(handle, "after_refusal")
    assert r["mediation"]["consents"] == {"resident_baijiayuan": "moot",
                                          "dog_owner_2": "refuse"}
    assert r["open_task_ids"] == [after.id]
    r = await act(handle, "after_refusal", MEDIATOR, "close", "已告知可向法院起诉")
    assert r["status"] == "closed"
    await handle.result()
    await save_history(handle, "dog_dispute_refusal_ends_wait")  # the patched path


async def test_a_second_rounds_judicial_application_is_told(env: WorkflowEnvironment) -> None:
    inp = dog_input(11, owner=OWNER, dog_id=None, description="犬只长期散放无人看管")
    handle = await start(env.client, inp)
    wf = (await case(handle)).workflow_id
    await act(handle, "self_correct", OWNER, "dispute", "犬只平时都关在家里")
    for round_ in (1, 2):
        session = await settle_session(env, handle, 2, REPORTER, OWNER)
        perform_by = session.astimezone(CST).date() + timedelta(days=3)
        await act(handle, "mediate", MEDIATOR, "agreement", **agreement_data(perform_by))
        assert (await apply_judicial(handle, OWNER)).by == "dog_owner_1"
        applied = [m for m in said(wf, "resident_baijiayuan") if "申请司法确认调解协议" in m]
        assert len(applied) == round_
        await sleep_until(env, check_at(perform_by) + MINUTE)
        await act(handle, "performance", MEDIATOR, "performed")
        await sleep_until(env, (await case(handle)).follow_up_at + MINUTE)
        await act(handle, "follow_up", GRID, "recurred", "犬只再次散放")


# -- a failed session, an urgent report of any behaviour, a prior ended at 自律 -----------------


def inp_wf(inp) -> str:
    """The workflow id of a case started from `inp`."""
    return f"dog-dispute-{inp.id}"


async def test_a_session_near_the_end_of_mediation_is_recorded_by_then_or_goes_to_the_law(
        env: WorkflowEnvironment) -> None:
    inp = dog_input(5, owner=OWNER_2, dog_id=None, description="犬便多次未清理")
    handle = await start(env.client, inp)
    await act(handle, "self_correct", OWNER_2, "dispute", "不是我家狗")
    m = (await case(handle)).mediation
    session = m.due_at - timedelta(hours=2)  # allowed: the session lies before the due
    await act(handle, "schedule_mediation", MEDIATOR, "schedule", **session_data(session))
    await act(handle, "consent", REPORTER, "agree")
    await act(handle, "consent", OWNER_2, "agree")
    await sleep_until(env, session + MINUTE)
    mediate = await open_task(handle, "mediate")
    # Mediation concludes within its 30 days: the record is due then, and warns before.
    assert mediate.due_at == m.due_at and mediate.warn_at < m.due_at
    await climb(env, handle, mediate)
    r = await act(handle, "mediate", MEDIATOR, "failed", "双方各执一词")
    assert (r["status"], r["path"], r["mediation"]["failed_reason"]) == (
        "legal", ["self_discipline", "mediation", "legal"], "双方各执一词")
    enforce = await open_task(handle, "enforce")  # dog waste: 城管 at the law tier
    assert (enforce.assignee_role, enforce.assignee_department) == ("officer", "urban_mgmt")
    assert enforce.allowed_decisions == ["warning", "fine", "no_violation"]
    assert any("调解不成" in m for m in said(inp_wf(inp), "dog_owner_2"))
    await handle.terminate("test over")


async def test_an_urgent_report_goes_to_the_police_whatever_the_behaviour(
        env: WorkflowEnvironment) -> None:
    # Dog waste is 城管's at the law tier, but a bite is 公安's at once (人民调解法 Art. 25).
    inp = dog_input(5, owner=OWNER, dog_id=None, urgent=True, description="犬只咬伤行人")
    handle = await start(env.client, inp)
    enforce = await open_task(handle, "enforce")
    assert (enforce.assignee_role, enforce.assignee_department) == ("officer", "public_security")
    assert enforce.allowed_decisions == ["warning", "fine", "seize", "no_violation"]
    assert enforce.context["fine_range"] == "50-200 元"
    message = await refused(handle, INVALID, "enforce", POLICE, "fine", amount=300,
                            record="罚款")
    assert "50-200 元" in message
    assert not [m for m in said(inp_wf(inp), "dog_owner_1") if "第5条" in m]  # no 自律
    await handle.terminate("test over")


async def test_a_prior_that_ended_at_self_discipline_keeps_the_case_there(
        env: WorkflowEnvironment) -> None:
    now = await now_of(env)
    owner = Actor(username=f"owner_{uuid.uuid4().hex[:10]}", role="citizen")
    earlier = f"20260101-{uuid.uuid4().hex[:6].upper()}"
    with Session(get_engine()) as session:
        session.add(DogDisputeRow(
            id=earlier, workflow_id=f"dog-dispute-{earlier}", status="resolved",
            tier="self_discipline", community="baijiayuan", street="jiansheng", behaviour=6,
            owner=owner.username, reporter="resident_baijiayuan",
            started_tier="self_discipline", ended_tier="self_discipline", result="corrected",
            path=["self_discipline"], reported_at=now - timedelta(days=10),
            resolved_at=now - timedelta(days=5), version=3))
        session.commit()
    handle = await start(env.client, dog_input(6, owner=None, description="夜间犬吠扰民"))
    r = await act(handle, "identify_owner", GRID, "identified", owner=owner.username)
    assert (r["status"], r["path"], r["prior_id"]) == (
        "self_discipline", ["self_discipline"], earlier)
    assert earlier in r["start_reason"] and "自律" in r["start_reason"]
    assert (await open_task(handle, "self_correct")).assignee_user == owner.username
    await handle.terminate("test over")


async def test_mediation_not_scheduled_within_its_30_days_can_still_move_on(
        env: WorkflowEnvironment) -> None:
    handle = await start(env.client, dog_input(7, owner=OWNER_2, dog_id=None,
                                               description="携犬乘电梯未避让"))
    await act(handle, "self_correct", OWNER_2, "dispute", "狗已抱在怀里")
    m = (await case(handle)).mediation
    await sleep_until(env, m.due_at + MINUTE)
    plan = await open_task(handle, "schedule_mediation")
    assert plan.escalation_level == 3
    assert plan.allowed_decisions == ["schedule", "refer", "close"]
    # Too late for a session (the 30 days are over); the mediator refers it to the law.
    await refused(handle, INVALID, "schedule_mediation", MEDIATOR, "schedule",
                  **session_data(await now_of(env) + timedelta(days=1)))
    r = await act(handle, "schedule_mediation", MEDIATOR, "refer", "调解期限届满未能调解")
    assert (r["status"], r["tier"]) == ("legal", "legal")
    await open_task(handle, "enforce")
    await handle.terminate("test over")
