"""Helpers for driving incident workflows directly on the time-skipping server."""

import asyncio
import uuid
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from config import get_settings
from domain.incident import CategoryInfo, IncidentInput, Location
from domain.tasks import Actor, Limit, TaskAction
from tests.support import save_history
from workflows.incident import IncidentWorkflow


def incident_input(source: str = "citizen", limit: str = "3 working_days",
                   reporter: str = "citizen") -> IncidentInput:
    from api.policy import incident_policy

    policy = incident_policy().model_copy(update={"search_attributes": False})
    return IncidentInput(
        id=uuid.uuid4().hex[:10], source=source,
        reporter=Actor(username=reporter, role=source),
        category=CategoryInfo(code="BJ0101", name="上水井盖", class_="部件",
                              major_class="公用设施", department="urban_mgmt",
                              limit=Limit.parse(limit)),
        area_class="B", description="井盖破损", location=Location(lat=29.48, lng=106.48),
        street="jiugongmiao", reported_at=datetime.now(UTC), policy=policy)


async def start(client: Client, inp: IncidentInput) -> WorkflowHandle:
    return await client.start_workflow(IncidentWorkflow.run, inp, id=f"incident-{inp.id}",
                                       task_queue=get_settings().task_queue)


async def act(handle: WorkflowHandle, step: str, user: Actor, decision: str,
              comment: str | None = None, **data) -> dict:
    for _ in range(200):  # the task opens once its deadline activity has run
        tasks = await handle.query(IncidentWorkflow.tasks)
        task = next((t for t in tasks if t.step_code == step and t.status == "open"), None)
        if task:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"no open {step} task")
    result = await handle.execute_update(IncidentWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=user))
    return result.model_dump()


async def record(handle: WorkflowHandle, name: str) -> None:
    """Save a history from the time-skipping server for the replay tests (RECORD_HISTORIES=1)."""
    await save_history(handle, name)


INTAKE = Actor(username="intake", role="intake")
DISPATCHER = Actor(username="dispatcher", role="dispatcher")
OFFICER = Actor(username="officer_urban_mgmt", role="officer", department="urban_mgmt")
INSPECTOR = Actor(username="inspector", role="inspector")
CITIZEN = Actor(username="citizen", role="citizen")
