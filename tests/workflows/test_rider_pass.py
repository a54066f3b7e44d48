"""惠新码 rider passes on the time-skipping server, with the real worker and database:
certification and rejection by the union; the reminder 30 days before the end, a renewal
reviewed again, expiry; suspension and reinstatement, revocation and the rider's own
cancellation; wrong actors and actions the status does not allow are refused before anything
is written."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.policy import rider_pass_policy
from config import get_settings
from domain.rider_pass import PassAction, RiderPassInput, RiderPassState, workflow_id_for
from domain.tasks import CONFLICT, FORBIDDEN, INVALID, Actor, Task, TaskAction
from tests.support import save_history
from tests.workflows.dog_dispute_support import escalations, notices, sleep_until
from tests.workflows.penalty_support import events
from tests.workflows.test_deed import MINUTE, eventually
from workflows.rider_pass import RiderPassWorkflow

REVIEWER = Actor(username="union_reviewer", role="union_reviewer")
UNION_WORKER = Actor(username="union_worker", role="union_worker")


def rider() -> Actor:
    return Actor(username=f"rider_{uuid.uuid4().hex[:8]}", role="rider")


async def start(client: Client, who: Actor) -> WorkflowHandle:
    inp = RiderPassInput(id=uuid.uuid4().hex[:12], rider=who.username, platform="meituan",
                         applied_at=datetime.now(UTC), policy=rider_pass_policy())
    return await client.start_workflow(RiderPassWorkflow.run, inp, id=workflow_id_for(inp.id),
                                       task_queue=get_settings().task_queue)


async def state(handle: WorkflowHandle) -> RiderPassState:
    return await handle.query(RiderPassWorkflow.case)


async def open_task(handle: WorkflowHandle, step: str) -> Task:
    for _ in range(200):  # the task opens once its deadline is known
        found = [t for t in await handle.query(RiderPassWorkflow.tasks)
                 if t.status == "open" and t.step_code == step]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task")


async def decide(handle: WorkflowHandle, step: str, decision: str, comment: str | None = None,
                 **data: Any) -> dict:
    task = await open_task(handle, step)
    result = await handle.execute_update(RiderPassWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=REVIEWER))
    return result.model_dump()["case"]


async def change(handle: WorkflowHandle, action: str, actor: Actor,
                 reason: str | None = None) -> RiderPassState:
    return await handle.execute_update(RiderPassWorkflow.change, PassAction(
        action=action, reason=reason, actor=actor))  # type: ignore[arg-type]


async def refused(handle: WorkflowHandle, kind: str, action: str, actor: Actor,
                  reason: str | None = None) -> str:
    before = await events(handle)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await change(handle, action, actor, reason)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    assert await events(handle) == before  # nothing written
    return cause.message


def told(handle: WorkflowHandle, who: Actor, text: str) -> bool:
    return any(text in n.message for n in notices(handle.id, recipient_user=who.username))


async def test_certified_for_communities_and_suspended_then_reinstated(
        env: WorkflowEnvironment) -> None:
    who = rider()
    handle = await start(env.client, who)
    task = await open_task(handle, "review")
    assert (task.step, task.assignee_role) == ("审核惠新码", "union_reviewer")
    assert set(task.context) == {"pass_id", "rider", "platform", "renewals"}  # no personal data
    with pytest.raises(WorkflowUpdateFailedError) as info:  # another role
        await handle.execute_update(RiderPassWorkflow.act, TaskAction(
            task_id=task.id, decision="approve", actor=who))
    assert info.value.cause.type == FORBIDDEN  # type: ignore[union-attr]
    case = await decide(handle, "review", "approve", scope=["baijiayuan", "rongcheng"])
    assert case["status"] == "active"
    now = await state(handle)
    assert now.scope == ["baijiayuan", "rongcheng"]
    assert now.valid_until - now.valid_from == timedelta(days=365)  # type: ignore[operator]
    await eventually(lambda: told(handle, who, "已审核通过"))

    await refused(handle, FORBIDDEN, "suspend", who, "自己暂停")
    await refused(handle, FORBIDDEN, "suspend", UNION_WORKER, "不是审核员")
    await refused(handle, INVALID, "suspend", REVIEWER)  # a reason is needed
    await refused(handle, CONFLICT, "reinstate", REVIEWER, "尚未暂停")
    await refused(handle, CONFLICT, "renew", who)  # not yet in the renewal window
    after = await change(handle, "suspend", REVIEWER, "平台反映冒用")
    assert after.status == "suspended"
    await refused(handle, CONFLICT, "suspend", REVIEWER, "再次暂停")
    after = await change(handle, "reinstate", REVIEWER, "核实无误")
    assert after.status == "active"
    await eventually(lambda: told(handle, who, "已被暂停"))
    after = await change(handle, "revoke", REVIEWER, "多次违规")
    assert (after.status, after.reason) == ("revoked", "多次违规")
    final: RiderPassState = await handle.result()
    assert [e.action for e in final.events] == ["approved", "suspend", "reinstate", "revoke"]
    await save_history(handle, "rider_pass_suspended_reinstated_revoked")


async def test_rejected_with_a_reason(env: WorkflowEnvironment) -> None:
    who = rider()
    handle = await start(env.client, who)
    task = await open_task(handle, "review")
    with pytest.raises(WorkflowUpdateFailedError):  # a rejection needs its reason
        await handle.execute_update(RiderPassWorkflow.act, TaskAction(
            task_id=task.id, decision="reject", actor=REVIEWER))
    case = await decide(handle, "review", "reject", "平台骑手编号无法核实")
    assert case["status"] == "rejected"
    final = await handle.result()
    assert (final.status, final.reason) == ("rejected", "平台骑手编号无法核实")
    await eventually(lambda: told(handle, who, "未通过"))
    await save_history(handle, "rider_pass_rejected")


async def test_a_late_review_climbs_the_ladder_and_the_rider_cancels(
        env: WorkflowEnvironment) -> None:
    who = rider()
    handle = await start(env.client, who)
    task = await open_task(handle, "review")
    assert task.due_at is not None
    await sleep_until(env, task.due_at + MINUTE)
    await eventually(lambda: (2, "command_lead", None, None) in escalations(task.id))
    after = await change(handle, "cancel", who, "已离职")
    assert after.status == "cancelled"
    final = await handle.result()
    assert final.status == "cancelled" and final.approved_at is None
    await save_history(handle, "rider_pass_escalated_cancelled")


async def test_reminded_renewed_then_expires(env: WorkflowEnvironment) -> None:
    who = rider()
    handle = await start(env.client, who)
    await decide(handle, "review", "approve")
    first = await state(handle)
    assert first.scope == "district" and first.valid_until is not None
    await sleep_until(env, first.valid_until - timedelta(days=30) + MINUTE)
    await eventually(lambda: told(handle, who, "请在到期前申请续期"))
    assert (await state(handle)).reminded_at is not None
    asked = await change(handle, "renew", who)
    assert asked.renewing is True
    await refused(handle, CONFLICT, "renew", who)  # one renewal at a time
    task = await open_task(handle, "renew")
    assert task.step == "审核惠新码续期"
    await decide(handle, "renew", "approve")
    renewed = await state(handle)
    assert renewed.valid_until == first.valid_until + timedelta(days=365)
    assert (renewed.renewals, renewed.renewing, renewed.reminded_at) == (1, False, None)
    # The second year: reminded again, not renewed, expired at its end.
    await sleep_until(env, renewed.valid_until + MINUTE)
    final = await handle.result()
    assert final.status == "expired" and final.ended_at is not None
    assert final.ended_at >= renewed.valid_until  # type: ignore[operator]
    await eventually(lambda: told(handle, who, "已过期"))
    await save_history(handle, "rider_pass_renewed_expired")
