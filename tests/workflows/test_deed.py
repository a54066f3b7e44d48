"""Good deeds (德分宝 善行义举) on the time-skipping server, with the real worker and database:
a community worker of the resident's community approves (possibly fewer points) or rejects;
approved points post on the ledger within the caps; a late verification climbs the command
centre's ladder; a worker of another community is refused before anything is written.

Each test awards to a resident of its own (the activity opens the account), so the ledger's
caps and balances never depend on what other tests posted."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.calendar import working_time
from config import get_settings
from db.engine import get_engine
from db.ledger import balance
from db.ledger_check import problems
from db.models import DeedRow
from domain.deed import DeedInput, DeedState, deed_types, workflow_id_for
from domain.ledger import Caps, account_id
from domain.tasks import FORBIDDEN, INVALID, Actor, Task, TaskAction
from tests.support import save_history
from tests.workflows.dog_dispute_support import escalations, sleep_until, told
from tests.workflows.penalty_support import events
from workflows.deed import DeedWorkflow

COMMUNITY = "rongcheng"
WORKER = Actor(username="mediator_rongcheng", role="community_worker", department=COMMUNITY)
OTHER_WORKER = Actor(username="mediator_baijiayuan", role="community_worker",
                     department="baijiayuan")
SHARES = [0.8, 1.0, 2.0]  # the configured ladder (LADDER_SHARES)
MINUTE = timedelta(minutes=1)


def fresh_resident() -> str:
    return f"deeder_{uuid.uuid4().hex[:10]}"


def deed_input(resident: str, type_code: str = "volunteer", quantity: int = 3,
               caps: Caps | None = None) -> DeedInput:
    from api.policy import deed_policy

    table = deed_types()
    kind = table.type(type_code)
    assert kind is not None
    return DeedInput(
        id=uuid.uuid4().hex[:12], resident=resident, community=COMMUNITY,
        community_name="融城社区", type=kind, quantity=quantity,
        description="社区敬老院志愿服务", evidence=["media:photo-1"],
        recorded_by=Actor(username=resident, role="citizen"), reported_at=datetime.now(UTC),
        table_version=table.version, caps=caps or Caps(per_day=10_000, per_month=100_000,
                                                       balance=1_000_000),
        policy=deed_policy())


async def start(client: Client, inp: DeedInput) -> WorkflowHandle:
    return await client.start_workflow(DeedWorkflow.run, inp, id=workflow_id_for(inp.id),
                                       task_queue=get_settings().task_queue)


async def verify_task(handle: WorkflowHandle) -> Task:
    for _ in range(200):  # the task opens once its deadline is known
        found = [t for t in await handle.query(DeedWorkflow.tasks) if t.status == "open"]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no open verify task")


async def decide(handle: WorkflowHandle, actor: Actor, decision: str,
                 comment: str | None = None, **data) -> dict:
    task = await verify_task(handle)
    result = await handle.execute_update(DeedWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=actor))
    return result.model_dump()["case"]


async def settled(handle: WorkflowHandle) -> int:
    """The history's length once the workflow has finished what it was doing."""
    last = -1
    while (n := await events(handle)) != last:
        last = n
        await handle.query(DeedWorkflow.case)  # a round trip to the worker
    return n


async def refused(handle: WorkflowHandle, kind: str, actor: Actor, decision: str,
                  comment: str | None = None, **data) -> str:
    """The action is refused by the validator with `kind`, and nothing reaches the history."""
    task = await verify_task(handle)
    before = await settled(handle)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(DeedWorkflow.act, TaskAction(
            task_id=task.id, decision=decision, comment=comment, data=data, actor=actor))
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    assert await events(handle) == before
    return cause.message


def held(resident: str) -> int:
    with get_engine().connect() as conn:
        found = balance(conn, account_id("resident", resident))
    return found.posted if found else 0


def ledger_ok() -> None:
    assert problems(get_engine()) == []


async def eventually(probe: Callable[[], object], timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.05)):
        if probe():
            return
        await asyncio.sleep(0.05)
    assert probe()


def row(case_id: str) -> DeedRow | None:
    with Session(get_engine()) as session:
        return session.get(DeedRow, case_id)


async def test_approve_fewer_points_posts_them(env: WorkflowEnvironment) -> None:
    resident = fresh_resident()
    inp = deed_input(resident, quantity=3)  # 志愿服务 2 points per half hour: 6 asked
    handle = await start(env.client, inp)
    task = await verify_task(handle)
    assert (task.step, task.assignee_role, task.assignee_department) == (
        "审核善行", "community_worker", COMMUNITY)
    assert task.context["points_asked"] == 6
    assert task.ladder == working_time().deadlines(task.opened_at, inp.policy.verify_limit,
                                                   SHARES)
    message = await refused(handle, INVALID, WORKER, "approve", points=7)
    assert "至多 6 分" in message
    await refused(handle, INVALID, WORKER, "approve", points=0)
    await refused(handle, INVALID, WORKER, "reject")  # a rejection needs its reason
    case = await decide(handle, WORKER, "approve", "实际服务一小时", points=4)
    assert (case["status"], case["points_asked"], case["points_approved"],
            case["points_given"], case["capped_by"]) == ("approved", 6, 4, 4, None)
    state: DeedState = await handle.result()
    assert state.transfer_id == f"deed:{inp.id}" and state.decided_by == WORKER.username
    assert state.table_version == deed_types().version
    assert held(resident) == 4
    ledger_ok()
    projected = row(inp.id)
    assert projected is not None
    assert (projected.status, projected.points_given, projected.table_version) == (
        "approved", 4, deed_types().version)
    assert told(handle.id, resident, "获得 4 积分")
    await save_history(handle, "deed_approved_fewer")


async def test_reject_posts_nothing(env: WorkflowEnvironment) -> None:
    resident = fresh_resident()
    inp = deed_input(resident, "neighbour", 1)
    handle = await start(env.client, inp)
    case = await decide(handle, WORKER, "reject", "经核实，未见相关情况")
    assert (case["status"], case["points_given"], case["reason"]) == (
        "rejected", None, "经核实，未见相关情况")
    await handle.result()
    assert held(resident) == 0
    ledger_ok()
    assert told(handle.id, resident, "未获认定")
    await save_history(handle, "deed_rejected")


async def test_verify_escalates_through_the_ladder(env: WorkflowEnvironment) -> None:
    resident = fresh_resident()
    handle = await start(env.client, deed_input(resident, "tidy_parking", 2))
    task = await verify_task(handle)
    assert len(task.ladder) == 3
    for level, mark in enumerate(task.ladder, start=1):
        await sleep_until(env, mark - MINUTE)
        current = next(t for t in await handle.query(DeedWorkflow.tasks) if t.id == task.id)
        assert current.escalation_level == level - 1
        await sleep_until(env, mark + MINUTE)
        current = next(t for t in await handle.query(DeedWorkflow.tasks) if t.id == task.id)
        assert (current.escalation_level, current.status) == (level, "open")
    expected = {(1, "community_worker", COMMUNITY, None),
                (2, "dept_head", COMMUNITY, None),  # head_rongcheng
                (2, "command_lead", None, None), (3, "command_lead", None, None)}
    await eventually(lambda: escalations(task.id) == expected)
    watchers = {(w.role, w.department) for w in current.watchers}
    assert {("command_lead", None), ("dept_head", COMMUNITY)} <= watchers
    # Timers escalate, they never decide: the worker still approves, late.
    case = await decide(handle, WORKER, "approve", points=2)
    assert (case["status"], case["points_given"]) == ("approved", 2)
    await handle.result()
    assert held(resident) == 2
    ledger_ok()
    await save_history(handle, "deed_escalated_approved")


async def test_a_cap_posts_what_fits_and_says_so(env: WorkflowEnvironment) -> None:
    resident = fresh_resident()
    inp = deed_input(resident, "volunteer", 4, caps=Caps(per_day=5, per_month=100,
                                                          balance=1000))
    handle = await start(env.client, inp)
    case = await decide(handle, WORKER, "approve", points=8)
    assert (case["points_approved"], case["points_given"], case["capped_by"]) == (
        8, 5, "per_day")
    await handle.result()
    assert held(resident) == 5
    ledger_ok()
    assert told(handle.id, resident, "每日上限，3 分未能发放")


async def test_another_communitys_worker_is_forbidden(env: WorkflowEnvironment) -> None:
    resident = fresh_resident()
    inp = deed_input(resident, "dog_keeping", 1)
    handle = await start(env.client, inp)
    await refused(handle, FORBIDDEN, OTHER_WORKER, "approve", points=3)
    resident_actor = Actor(username=resident, role="citizen")
    await refused(handle, FORBIDDEN, resident_actor, "approve", points=3)
    case = await decide(handle, WORKER, "approve", points=3)
    assert case["points_given"] == 3
    await handle.result()
    assert held(resident) == 3
    ledger_ok()
