"""Helpers for driving inspection workflows directly on the time-skipping server."""

import asyncio
import uuid
from datetime import UTC, date, datetime

from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHandle

from config import get_settings
from db.engine import get_engine
from db.models import EnterpriseRow
from domain.enforcement import Enterprise
from domain.inspection import InspectionInput, InspectionType, Item
from domain.tasks import Actor, Task, TaskAction
from workflows.inspection import InspectionWorkflow

COMMAND_LEAD = Actor(username="command_lead", role="command_lead")


def enterprise(n: int) -> Enterprise:
    """The n-th demo enterprise (its party account is party_<n>). The time-skipping tests use
    20 and above, the HTTP tests below 20, so their visits never meet."""
    with Session(get_engine()) as session:
        row = session.exec(select(EnterpriseRow)
                           .where(EnterpriseRow.party_username == f"party_{n}")).one()
    return Enterprise(credit_code=row.credit_code, name=row.name, street=row.street,
                      party=row.party_username)


def head(department: str) -> Actor:
    return Actor(username=f"head_{department}", role="dept_head", department=department)


def officer(department: str, n: int = 1) -> Actor:
    suffix = "" if n == 1 else f"_{n}"
    return Actor(username=f"officer_{department}{suffix}", role="officer",
                 department=department)


def inspection_input(company: Enterprise, planned: date, type: InspectionType = "routine",
                     lead: str = "market_reg", items: list[tuple[str, str]] | None = None,
                     draw: bool = False) -> InspectionInput:
    from api.policy import inspection_policy, penalty_policy

    items = items or [(lead, "食品经营许可")]
    return InspectionInput(
        id=uuid.uuid4().hex[:10], type=type, enterprise=company, lead_department=lead,
        planned_date=planned, items=[Item(department=d, item=i) for d, i in items],
        reason="年度双随机抽查", draw=draw, created_by=officer(lead),
        created_at=datetime.now(UTC), policy=inspection_policy(),
        penalty_policy=penalty_policy())


async def start(client: Client, inp: InspectionInput) -> WorkflowHandle:
    return await client.start_workflow(InspectionWorkflow.run, inp, id=f"inspection-{inp.id}",
                                       task_queue=get_settings().task_queue)


async def open_task(handle: WorkflowHandle, step: str, department: str | None = None,
                    tries: int = 200) -> Task:
    for _ in range(tries):  # a task opens once its deadline and the activities before it ran
        tasks = await handle.query(InspectionWorkflow.tasks)
        task = next((t for t in tasks if t.step_code == step and t.status == "open" and (
            department is None or t.assignee_department == department)), None)
        if task:
            return task
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {step} task for {department}")


async def act(handle: WorkflowHandle, step: str, user: Actor, decision: str,
              comment: str | None = None, department: str | None = None, **data) -> dict:
    task = await open_task(handle, step, department)
    result = await handle.execute_update(InspectionWorkflow.act, TaskAction(
        task_id=task.id, decision=decision, comment=comment, data=data, actor=user))
    return result.model_dump(mode="json")


async def status(handle: WorkflowHandle, wanted: str, tries: int = 200) -> None:
    for _ in range(tries):
        if (await handle.query(InspectionWorkflow.case)).status == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"inspection never reached {wanted}")
