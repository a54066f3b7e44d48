"""Helpers for driving penalty cases directly on the time-skipping server."""

import asyncio
import uuid
from datetime import UTC, datetime

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from config import get_settings
from db.seed import demo_credit_code
from domain.enforcement import Enterprise
from domain.penalty import PenaltyInput
from domain.tasks import Actor, Task, TaskAction
from workflows.penalty import PenaltyCaseWorkflow

DEPARTMENT = "market_reg"
OFFICERS = ["officer_market_reg", "officer_market_reg_2"]
OFFICER = Actor(username="officer_market_reg", role="officer", department=DEPARTMENT)
HEAD = Actor(username="head_market_reg", role="dept_head", department=DEPARTMENT)
REVIEWER = Actor(username="legal_reviewer", role="legal_reviewer", department="legal_center")
PARTY = Actor(username="party_1", role="party")
STRANGER = Actor(username="party_2", role="party")


def penalty_input(party: str | None = "party_1", fine_proposed: float | None = 5000
                  ) -> PenaltyInput:
    from api.policy import penalty_policy

    return PenaltyInput(
        id=uuid.uuid4().hex[:10],
        enterprise=Enterprise(credit_code=demo_credit_code(1), name="大渡口区渝味轩餐饮有限公司",
                              street="xinshancun", party=party),
        department=DEPARTMENT, officers=OFFICERS, item="食品经营许可",
        facts="超范围经营冷食类食品", legal_basis="《食品安全法》第一百二十二条",
        evidence=["media:photo-1"], fine_proposed=fine_proposed,
        opened_by=OFFICER, opened_at=datetime.now(UTC), policy=penalty_policy())


async def start(client: Client, inp: PenaltyInput) -> WorkflowHandle:
    return await client.start_workflow(PenaltyCaseWorkflow.run, inp, id=f"penalty-{inp.id}",
                                       task_queue=get_settings().task_queue)


async def open_task(handle: WorkflowHandle, step: str) -> Task:
    for _ in range(200):  # the task opens once its deadline is known
        tasks = await handle.query(PenaltyCaseWorkflow.tasks)
        task = next((t for t in tasks if t.step_code == step and t.status == "open"), None)
        if task:
            return task
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task")


async def act(handle: WorkflowHandle, step: str, user: Actor, decision: str,
              comment: str | None = None, **data) -> dict:
    task = await open_task(handle, step)
    result = await handle.execute_update(PenaltyCaseWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=user))
    return result.model_dump()


# The time-skipping server records the workflow task of a rejected Update (the real server
# drops it): those say nothing about the case.
WORKFLOW_TASK = (EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                 EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
                 EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)


async def events(handle: WorkflowHandle) -> int:
    """The events of the case's history, but its workflow tasks."""
    history = await handle.fetch_history()
    return sum(1 for e in history.events if e.event_type not in WORKFLOW_TASK)
