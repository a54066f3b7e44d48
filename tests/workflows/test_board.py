"""The task board as any process meets it, shown with the test suite's drill process:
parallel tasks, a task that climbs the ladder and then expires, a request approved on the
board, continue-as-new with a task open, and a fault that answers the Update instead of
leaving it hanging."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from db.engine import get_engine
from db.models import Notification, TaskRow, TaskWatch
from domain.tasks import Actor, Limit, TaskAction
from tests.processes.drill import DrillInput, DrillWorkflow
from tests.workflows.support import record
from workflows.registry import processes

URBAN = Actor(username="officer_urban_mgmt", role="officer", department="urban_mgmt")
MARKET = Actor(username="officer_market_reg", role="officer", department="market_reg")
CITIZEN = Actor(username="citizen", role="citizen")
LEAD = Actor(username="command_lead", role="command_lead")
HOUR = timedelta(hours=1)


async def start(env: WorkflowEnvironment, **kw) -> WorkflowHandle:
    inp = DrillInput(id=uuid.uuid4().hex[:8], starter=LEAD, **kw)
    return await processes()["drill"].start(env.client, inp.id, inp)


async def open_task(handle: WorkflowHandle, step: str, dept: str | None = None):
    for _ in range(200):
        tasks = await handle.query(DrillWorkflow.tasks)
        found = [t for t in tasks if t.step_code == step and t.status == "open"
                 and (dept is None or t.assignee_department == dept)]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task")


async def act(handle: WorkflowHandle, task_id: str, actor: Actor, decision: str,
              comment: str | None = None, **data):
    return await handle.execute_update(DrillWorkflow.act, TaskAction(
        task_id=task_id, decision=decision, comment=comment, data=data, actor=actor))


async def test_parallel_tasks_each_action_returns_when_its_own_task_settles(
        env: WorkflowEnvironment) -> None:
    handle = await start(env)
    a = await open_task(handle, "sign", "urban_mgmt")
    b = await open_task(handle, "sign", "market_reg")
    first = await act(handle, a.id, URBAN, "agree", opinion="同意联合检查")
    # Returned while the other department's task is still open, with the case settled.
    assert first.task.status == "done" and first.case["signed"] == ["urban_mgmt"]
    assert (await open_task(handle, "sign", "market_reg")).id == b.id
    with Session(get_engine()) as session:
        assert session.get(TaskRow, a.id).status == "done"  # projected before the answer
        assert session.get(TaskRow, b.id).status == "open"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, b.id, MARKET, "agree", opinion="x" * 201)
    assert err.value.cause.type == "Invalid" and "opinion" in err.value.cause.message
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, b.id, MARKET, "agree", opinion="ok", extra=1)
    assert err.value.cause.type == "Invalid"
    second = await act(handle, b.id, MARKET, "object", "与本部门职责无关")
    assert second.case["status"] == "replying"
    reply = await open_task(handle, "reply")
    await act(handle, reply.id, CITIZEN, "reply", "已知悉")
    result = await handle.result()
    assert (result.status, result.signed) == ("replied", ["urban_mgmt"])
    await record(handle, "drill_parallel_all")


async def test_wait_any_cancels_the_rest(env: WorkflowEnvironment) -> None:
    handle = await start(env, sign_need=1)
    a = await open_task(handle, "sign", "urban_mgmt")
    b = await open_task(handle, "sign", "market_reg")
    await act(handle, b.id, MARKET, "agree", opinion="同意")
    await open_task(handle, "reply")
    tasks = {t.id: t for t in await handle.query(DrillWorkflow.tasks)}
    assert tasks[a.id].status == "cancelled"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, a.id, URBAN, "agree", opinion="迟到")
    assert err.value.cause.type == "Conflict"


async def test_an_expiring_task_climbs_the_ladder_then_ends_by_itself(
        env: WorkflowEnvironment) -> None:
    handle = await start(env, sign_need=1, reply_limit=Limit(value=10, unit="calendar_hours"))
    await act(handle, (await open_task(handle, "sign")).id, URBAN, "agree", opinion="同意")
    reply = await open_task(handle, "reply")
    opened = reply.opened_at
    assert reply.ladder == [opened + 8 * HOUR, opened + 10 * HOUR]  # 0.8 and 1.0; 2.0 is past
    assert reply.expires_at == opened + 15 * HOUR  # 1.5 of the limit

    await env.sleep(opened + 8 * HOUR + timedelta(minutes=1) - await env.get_current_time())
    assert (await open_task(handle, "reply")).escalation_level == 1
    await env.sleep(2 * HOUR)
    task = await open_task(handle, "reply")
    assert task.escalation_level == 2 and [w.role for w in task.watchers] == ["dept_head"]
    with Session(get_engine()) as session:
        watch = session.exec(select(TaskWatch).where(TaskWatch.task_id == task.id)).all()
        assert [(w.role, w.department) for w in watch] == [("dept_head", "urban_mgmt")]
    result = await handle.result()  # time skips to the expiry
    assert result.status == "expired"
    with Session(get_engine()) as session:
        notes = session.exec(select(Notification).where(
            Notification.task_id == reply.id, Notification.kind == "escalation")).all()
        assert sorted((n.level, n.recipient_role) for n in notes) == [
            (1, "citizen"), (2, "dept_head")]
        assert session.get(TaskRow, reply.id).status == "expired"
        assert not session.exec(select(TaskWatch).where(TaskWatch.task_id == reply.id)).all()
    await record(handle, "drill_expired")


async def test_a_request_is_approved_on_the_board(env: WorkflowEnvironment) -> None:
    handle = await start(env, sign_need=1, reply_limit=Limit(value=10, unit="calendar_hours"))
    await act(handle, (await open_task(handle, "sign")).id, URBAN, "agree", opinion="同意")
    reply = await open_task(handle, "reply")
    asked = await act(handle, reply.id, CITIZEN, "postpone", "出差", hours=5)
    assert asked.task.status == "open" and asked.approval_task_id
    with pytest.raises(WorkflowUpdateFailedError) as err:  # one request at a time
        await act(handle, reply.id, CITIZEN, "postpone", "再延", hours=1)
    assert err.value.cause.type == "Conflict"
    approval = await open_task(handle, "approve")
    assert approval.context["request"] == "postpone" and approval.assignee_role == "command_lead"
    await act(handle, approval.id, LEAD, "approve")
    task = await open_task(handle, "reply")
    assert task.due_at == reply.due_at + 5 * HOUR
    assert task.expires_at == reply.expires_at + 5 * HOUR
    await act(handle, reply.id, CITIZEN, "reply", "好的")
    await handle.result()
    with Session(get_engine()) as session:
        notes = session.exec(select(Notification).where(
            Notification.recipient_user == "citizen", Notification.kind == "request",
            Notification.workflow_id == handle.id)).all()
    assert [n.message.endswith("已批准") for n in notes] == [True]
    await record(handle, "drill_approved")


async def test_the_board_carries_an_open_task_across_continue_as_new(
        env: WorkflowEnvironment) -> None:
    handle = await start(env, sign_need=1, continue_as_new=True,
                         reply_limit=Limit(value=10, unit="calendar_hours"))
    first_run = (await handle.describe()).run_id
    await act(handle, (await open_task(handle, "sign")).id, URBAN, "agree", opinion="同意")
    reply = await open_task(handle, "reply")
    assert (await handle.describe()).run_id != first_run  # a new run holds the task
    assert (await handle.query(DrillWorkflow.case)).signed == ["urban_mgmt"]
    await env.sleep(reply.opened_at + 10 * HOUR + timedelta(minutes=1)
                    - await env.get_current_time())
    assert (await open_task(handle, "reply")).escalation_level == 2  # its ladder runs on
    result = await act(handle, reply.id, CITIZEN, "reply", "已处理")
    assert result.task.status == "done"
    assert (await handle.result()).status == "replied"
    await record(handle, "drill_continued")


async def test_a_fault_answers_the_update_and_fails_the_case_visibly(
        env: WorkflowEnvironment) -> None:
    handle = await start(env, sign_need=1)
    await act(handle, (await open_task(handle, "sign")).id, URBAN, "agree", opinion="同意")
    reply = await open_task(handle, "reply")
    await act(handle, reply.id, CITIZEN, "postpone", "故障演练", hours=13)
    approval = await open_task(handle, "approve")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await asyncio.wait_for(act(handle, approval.id, LEAD, "approve"), timeout=30)
    assert err.value.cause.type == "Fault" and "drill fault" in err.value.cause.message
    with pytest.raises(WorkflowFailureError):
        await handle.result()
