"""惠新码 service requests on the time-skipping server: a union worker answers, the rider
rates once; a rights case is referred to legal aid, whose task ends with the outcome; a
late answer climbs the ladder; only a rights case may be referred."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from api.policy import rider_service_policy
from config import get_settings
from domain.rider_service import RateRequest, RiderServiceInput, workflow_id_for
from domain.tasks import CONFLICT, FORBIDDEN, INVALID, Actor, Task, TaskAction
from tests.support import save_history
from tests.workflows.dog_dispute_support import escalations, notices, sleep_until
from tests.workflows.test_deed import MINUTE, eventually
from workflows.rider_service import RiderServiceWorkflow

WORKER = Actor(username="union_worker", role="union_worker")
LAWYER = Actor(username="legal_aid", role="legal_aid")


async def start(client: Client, module: str, text: str) -> tuple[WorkflowHandle, Actor]:
    rider = Actor(username=f"rider_{uuid.uuid4().hex[:8]}", role="rider")
    inp = RiderServiceInput(id=uuid.uuid4().hex[:12], rider=rider.username, module=module,  # type: ignore[arg-type]
                            text=text, asked_at=datetime.now(UTC),
                            policy=rider_service_policy())
    handle = await client.start_workflow(RiderServiceWorkflow.run, inp,
                                         id=workflow_id_for(inp.id),
                                         task_queue=get_settings().task_queue)
    return handle, rider


async def open_task(handle: WorkflowHandle, step: str) -> Task:
    for _ in range(200):
        found = [t for t in await handle.query(RiderServiceWorkflow.tasks)
                 if t.status == "open" and t.step_code == step]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task")


async def act(handle: WorkflowHandle, step: str, actor: Actor, decision: str,
              comment: str | None = None) -> dict:
    task = await open_task(handle, step)
    result = await handle.execute_update(RiderServiceWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, actor=actor))
    return result.model_dump()["case"]


async def refused(handle: WorkflowHandle, kind: str, update, arg) -> None:  # noqa: ANN001
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    assert info.value.cause.type == kind  # type: ignore[union-attr]


async def test_answered_and_rated_once(env: WorkflowEnvironment) -> None:
    handle, rider = await start(env.client, "policy", "骑手可以参加职工医保吗？")
    task = await open_task(handle, "answer")
    assert (task.step, task.assignee_role) == ("政策法规答复", "union_worker")
    assert task.allowed_decisions == ["answer"]  # only a rights case may be referred
    await refused(handle, CONFLICT, RiderServiceWorkflow.rate, RateRequest(actor=rider, stars=5))
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(RiderServiceWorkflow.act, TaskAction(
            task_id=task.id, decision="refer", comment="转", actor=WORKER))
    assert info.value.cause.type == INVALID  # type: ignore[union-attr]
    case = await act(handle, "answer", WORKER, "answer", "可以，以灵活就业人员身份参保。")
    assert case["status"] == "answered"
    other = Actor(username="rider_other", role="rider")
    await refused(handle, FORBIDDEN, RiderServiceWorkflow.rate, RateRequest(actor=other, stars=1))
    done = await handle.execute_update(RiderServiceWorkflow.rate,
                                       RateRequest(actor=rider, stars=4))
    assert done.rating == 4  # the one rating ends the request's workflow
    final = await handle.result()
    assert (final.status, final.rating, final.answered_by) == ("answered", 4, "union_worker")
    await eventually(lambda: any("已答复" in n.message for n in notices(
        handle.id, recipient_user=rider.username)))
    await save_history(handle, "rider_service_answered_rated")


async def test_a_rights_case_goes_to_legal_aid(env: WorkflowEnvironment) -> None:
    handle, rider = await start(env.client, "rights", "平台克扣三个月配送费")
    task = await open_task(handle, "answer")
    assert task.allowed_decisions == ["answer", "refer"]
    case = await act(handle, "answer", WORKER, "refer", "涉及劳动报酬，转法律援助")
    assert case["status"] == "referred"
    legal = await open_task(handle, "legal_aid")
    assert legal.assignee_role == "legal_aid"
    await act(handle, "legal_aid", LAWYER, "conclude", "经调解，平台补发配送费 3,600 元")
    final = await handle.result()
    assert (final.status, final.outcome) == ("concluded", "经调解，平台补发配送费 3,600 元")
    await save_history(handle, "rider_service_referred_concluded")


async def test_a_late_answer_climbs_the_ladder(env: WorkflowEnvironment) -> None:
    handle, _ = await start(env.client, "counselling", "最近压力很大，睡不着")
    task = await open_task(handle, "answer")
    assert task.due_at is not None
    await sleep_until(env, task.due_at + MINUTE)
    await eventually(lambda: (2, "command_lead", None, None) in escalations(task.id))
    await act(handle, "answer", WORKER, "answer", "已预约心理咨询师，周三下午面谈。")
    final = await handle.result()
    assert final.status == "answered"
    await save_history(handle, "rider_service_escalated_answered")
