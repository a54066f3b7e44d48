"""Helpers for driving dog disputes directly on the time-skipping server, with the demo
community's people (db/seed.py) and the convention's rules (data/dog_convention.json)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from config import get_settings
from db.engine import get_engine
from db.models import DogDisputeRow, Notification
from db.seed import DOG_VACCINATED
from domain.dog_dispute import DogDisputeInput, DogDisputeState, Prior, workflow_id_for
from domain.dogs import convention
from domain.tasks import Actor, Task, TaskAction
from tests.workflows.penalty_support import events
from workflows.dog_dispute import DogDisputeWorkflow

COMMUNITY = "baijiayuan"


def citizen(username: str) -> Actor:
    return Actor(username=username, role="citizen")


REPORTER = citizen("resident_baijiayuan")
OWNER = citizen("dog_owner_1")
OWNER_2 = citizen("dog_owner_2")
GRID = Actor(username="grid_baijiayuan", role="grid_worker", department=COMMUNITY)
GRID_RONGCHENG = Actor(username="grid_rongcheng", role="grid_worker", department="rongcheng")
MEDIATOR = Actor(username="mediator_baijiayuan", role="community_worker", department=COMMUNITY)
PROPERTY = Actor(username="property_baijiayuan", role="property", department=COMMUNITY)
VOLUNTEER = Actor(username="volunteer_baijiayuan", role="volunteer", department=COMMUNITY)
VOLUNTEER_RONGCHENG = Actor(username="volunteer_rongcheng", role="volunteer",
                            department="rongcheng")
POLICE = Actor(username="officer_public_security", role="officer",
               department="public_security")
URBAN = Actor(username="officer_urban_mgmt", role="officer", department="urban_mgmt")

# Who hears of an escalation: (level, role, department, user).
HEAD = ("dept_head", COMMUNITY, None)  # head_baijiayuan, the community's head
HEAD_POLICE = ("dept_head", "public_security", None)  # head_public_security
LEAD = ("command_lead", None, None)


def fresh_owner() -> Actor:
    """A resident of this test alone. A dispute whose owner the grid worker identifies looks
    for a recent dispute of that owner and behaviour (the recurrence rule), and the session's
    database holds other tests' disputes of the demo owners."""
    return citizen(f"owner_{uuid.uuid4().hex[:10]}")


def dog_input(behaviour: int = 4, *, owner: Actor | None = OWNER,
              reporter: Actor = REPORTER, dog_id: str | None = DOG_VACCINATED,
              urgent: bool = False, dog_banned: bool = False, prior: Prior | None = None,
              description: str = "遛狗不牵绳，吓到小孩") -> DogDisputeInput:
    from api.policy import dog_policy

    rules = convention()
    rule = rules.behaviour(behaviour)
    assert rule is not None
    return DogDisputeInput(
        id=uuid.uuid4().hex[:12], community=COMMUNITY, community_name="百佳园社区",
        street="jiansheng", behaviour=rule, convention_version=rules.version,
        place="3栋楼下", description=description,
        dog_id=dog_id if owner is not None else None, dog_banned=dog_banned,
        owner=owner.username if owner else None, urgent=urgent,
        evidence=["media:photo-1"], prior=prior, reporter=reporter,
        reported_at=datetime.now(UTC), policy=dog_policy())


async def start(client: Client, inp: DogDisputeInput) -> WorkflowHandle:
    return await client.start_workflow(DogDisputeWorkflow.run, inp,
                                       id=workflow_id_for(inp.id),
                                       task_queue=get_settings().task_queue)


async def case(handle: WorkflowHandle) -> DogDisputeState:
    return await handle.query(DogDisputeWorkflow.case)


async def tasks(handle: WorkflowHandle, step: str | None = None) -> list[Task]:
    found = await handle.query(DogDisputeWorkflow.tasks)
    return [t for t in found if step is None or t.step_code == step]


async def open_task(handle: WorkflowHandle, step: str, user: str | None = None) -> Task:
    """The open `step` task; where several are open at once (consent, one per party), the one
    of `user`."""
    for _ in range(200):  # the task opens once its deadline is known
        found = [t for t in await tasks(handle, step) if t.status == "open"
                 and (user is None or user in (t.assignee_user, *t.assignee_users))]
        if len(found) > 1:
            raise AssertionError(f"{len(found)} open {step} tasks: say whose")
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task" + (f" of {user}" if user else ""))


async def task_by_id(handle: WorkflowHandle, task_id: str) -> Task:
    return next(t for t in await tasks(handle) if t.id == task_id)


async def act(handle: WorkflowHandle, step: str, actor: Actor, decision: str,
              comment: str | None = None, *, assignee: str | None = None,
              **data: Any) -> dict:
    """`actor` decides on the open `step` task (of `assignee`, when one task per party is
    open); returns the case as the action's answer shows it."""
    consent = step == "consent"
    task = await open_task(handle, step, assignee or (actor.username if consent else None))
    result = await handle.execute_update(DogDisputeWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=actor))
    return result.model_dump()["case"]


async def settled(handle: WorkflowHandle) -> int:
    """The history's length once the workflow has finished what it was doing."""
    last = -1
    while (n := await events(handle)) != last:
        last = n
        await handle.query(DogDisputeWorkflow.case)  # a round trip to the worker
    return n


async def refused_update(handle: WorkflowHandle, kind: str, update: Any, arg: Any) -> str:
    """The Update is refused by its validator with `kind`, and nothing reaches the history."""
    before = await settled(handle)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    assert await events(handle) == before
    return cause.message


async def refused(handle: WorkflowHandle, kind: str, step: str, actor: Actor, decision: str,
                  comment: str | None = None, *, assignee: str | None = None,
                  **data: Any) -> str:
    """The action on the open `step` task is refused with `kind`, and nothing is written."""
    task = await open_task(handle, step, assignee)
    return await refused_update(handle, kind, DogDisputeWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=actor))


async def sleep_until(env: WorkflowEnvironment, instant: datetime) -> None:
    delay = instant - await env.get_current_time()
    if delay > timedelta(0):
        await env.sleep(delay)


def notices(workflow_id: str, **match: Any) -> list[Notification]:
    """The case's notices (in the order written), those whose fields equal `match`."""
    with Session(get_engine()) as session:
        found = session.exec(select(Notification).where(
            Notification.workflow_id == workflow_id).order_by(col(Notification.created_at)))
        return [n for n in found if all(getattr(n, k) == v for k, v in match.items())]


def told(workflow_id: str, user: str, text: str) -> list[str]:
    """The status notices `user` got that say `text`."""
    return [n.message for n in notices(workflow_id, recipient_user=user, kind="status")
            if text in n.message]


def escalations(task_id: str) -> set[tuple[int, str, str | None, str | None]]:
    """Who heard of the task's escalation, at which level."""
    with Session(get_engine()) as session:
        found = session.exec(select(Notification).where(Notification.task_id == task_id))
        return {(n.level, n.recipient_role, n.recipient_department, n.recipient_user)
                for n in found if n.kind == "escalation"}


def row(case_id: str) -> DogDisputeRow:
    with Session(get_engine()) as session:
        found = session.get(DogDisputeRow, case_id)
        assert found is not None
        return found


def local(instant: datetime) -> datetime:
    from domain.timefmt import SHANGHAI

    return instant.astimezone(SHANGHAI)
