"""The processes this back office runs: what the worker registers, what `/tasks` and `/audit`
read, and what the replay test replays. A new process adds one entry here (or, for a process
that lives outside the package, a module named in DDK_EXTRA_PROCESSES that calls
`register`); the task board, `/tasks`, `/audit` and the worker stay as they are.

Not workflow code: workflows never import this module.
"""

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from config import get_settings

StartDescription = Callable[[dict[str, Any]], tuple[dict[str, Any] | None, dict[str, Any]]]


@dataclass(frozen=True)
class Process:
    name: str  # e.g. "incident": the `process` of its tasks
    label: str  # what people call it
    workflow: type  # the @workflow.defn class
    id_prefix: str  # workflow id = prefix + case id
    activities: tuple[str, ...] = ()  # modules whose @activity.defn functions the worker runs
    data_models: dict[str, type[BaseModel]] = field(default_factory=dict)  # decision data
    describe_start: StartDescription | None = None  # (actor, detail) of the start, for /audit
    helpers: tuple[type, ...] = ()  # other workflows of the process (e.g. a schedule's)

    def workflow_id(self, case_id: str) -> str:
        return f"{self.id_prefix}{case_id}"

    async def start(self, client: Client, case_id: str, arg: Any) -> WorkflowHandle:
        """Start a case. An id is never reused, not even a closed case's."""
        run = self.workflow.run  # type: ignore[attr-defined]
        return await client.start_workflow(
            run, arg, id=self.workflow_id(case_id), task_queue=get_settings().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL)


_PROCESSES: dict[str, Process] = {}


def register(process: Process) -> Process:
    _PROCESSES[process.name] = process
    return process


def _describe_incident(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    detail = {k: inp.get(k) for k in ("id", "source", "description", "street",
                                       "external_ref", "city_deadline") if inp.get(k)}
    if "category" in inp:
        detail["category"] = f"{inp['category']['code']} {inp['category']['name']}"
    return inp.get("reporter"), detail


def _describe_penalty(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    detail = {k: inp.get(k) for k in ("id", "department", "inspection_id", "item",
                                       "fine_proposed") if inp.get(k)}
    enterprise = inp.get("enterprise") or {}
    if enterprise:
        detail["enterprise"] = f"{enterprise.get('credit_code')} {enterprise.get('name')}"
    return inp.get("opened_by"), detail


def _describe_inspection(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    detail = {k: inp.get(k) for k in ("id", "type", "lead_department", "planned_date", "reason",
                                       "items") if inp.get(k)}
    enterprise = inp.get("enterprise") or {}
    if enterprise:
        detail["enterprise"] = f"{enterprise.get('credit_code')} {enterprise.get('name')}"
    return inp.get("created_by"), detail


def _describe_dog_dispute(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    # Usernames only: contact details never enter a dispute's history.
    detail = {k: inp.get(k) for k in ("id", "community", "place", "description", "dog_id",
                                       "owner", "urgent") if inp.get(k)}
    behaviour = inp.get("behaviour") or {}
    if behaviour:
        detail["behaviour"] = f"{behaviour.get('code')} {behaviour.get('name')}"
    return inp.get("reporter"), detail


def _describe_deed(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    detail = {k: inp.get(k) for k in ("id", "resident", "community", "quantity",
                                       "description", "table_version") if inp.get(k)}
    kind = inp.get("type") or {}
    if kind:
        detail["type"] = f"{kind.get('code')} {kind.get('name')}"
    return inp.get("recorded_by"), detail


def _describe_rider_pass(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    # The pass id, the rider's username and platform: no personal data is in the history.
    detail = {k: inp.get(k) for k in ("id", "rider", "platform") if inp.get(k)}
    rider = {"username": inp.get("rider"), "role": "rider"} if inp.get("rider") else None
    return rider, detail


def _builtin() -> None:
    from domain.dog_dispute import DECISION_DATA as DOG_DATA
    from domain.incident import DECISION_DATA
    from domain.inspection import DECISION_DATA as INSPECTION_DATA
    from domain.penalty import DECISION_DATA as PENALTY_DATA
    from workflows.dog_dispute import DogDisputeWorkflow
    from workflows.incident import IncidentWorkflow
    from workflows.inspection import InspectionWorkflow
    from workflows.penalty import PenaltyCaseWorkflow

    register(Process(name="incident", label="城市运行管理服务平台 事件处置",
                     workflow=IncidentWorkflow, id_prefix="incident-",
                     activities=("activities.incident",), data_models=DECISION_DATA,
                     describe_start=_describe_incident))
    register(Process(name="penalty", label="行政处罚", workflow=PenaltyCaseWorkflow,
                     id_prefix="penalty-", activities=("activities.penalty",),
                     data_models=PENALTY_DATA, describe_start=_describe_penalty))
    register(Process(name="inspection", label="多跨智查 联合检查", workflow=InspectionWorkflow,
                     id_prefix="inspection-",
                     activities=("activities.inspection", "activities.visits"),
                     data_models=INSPECTION_DATA, describe_start=_describe_inspection))
    register(Process(name="dog_dispute", label="文明养犬纠纷 自律·共律·法律",
                     workflow=DogDisputeWorkflow, id_prefix="dog-dispute-",
                     activities=("activities.dog_dispute",), data_models=DOG_DATA,
                     describe_start=_describe_dog_dispute))
    from domain.deed import DECISION_DATA as DEED_DATA
    from workflows.deed import DeedWorkflow

    register(Process(name="deed", label="德分宝 善行义举审核", workflow=DeedWorkflow,
                     id_prefix="deed-", activities=("activities.deeds",), data_models=DEED_DATA,
                     describe_start=_describe_deed))
    from workflows.redemption import RedemptionWorkflow

    register(Process(name="redemption", label="德分宝 积分兑换", workflow=RedemptionWorkflow,
                     id_prefix="redemption-", activities=("activities.redemptions",)))
    from domain.settlement import DECISION_DATA as SETTLEMENT_DATA
    from workflows.settlement import (
        MonthlySettlementWorkflow,
        SettlementScheduleWorkflow,
        StatementReviewWorkflow,
    )

    register(Process(name="settlement", label="德分宝 月度结算",
                     workflow=MonthlySettlementWorkflow, id_prefix="settlement-",
                     activities=("activities.settlement",),
                     helpers=(SettlementScheduleWorkflow,)))
    register(Process(name="statement", label="德分宝 商家结算单审核",
                     workflow=StatementReviewWorkflow, id_prefix="statement-",
                     data_models=SETTLEMENT_DATA))
    from domain.rider_pass import DECISION_DATA as PASS_DATA
    from workflows.rider_pass import RiderPassWorkflow

    register(Process(name="rider_pass", label="惠新码 骑手通行码", workflow=RiderPassWorkflow,
                     id_prefix="rider-pass-", activities=("activities.rider_pass",),
                     data_models=PASS_DATA, describe_start=_describe_rider_pass))
    from workflows.rider_service import RiderServiceWorkflow

    register(Process(name="rider_service", label="惠新码 骑手服务诉求",
                     workflow=RiderServiceWorkflow, id_prefix="rider-service-",
                     activities=("activities.rider_pass",)))


def processes() -> dict[str, Process]:
    if not _PROCESSES:
        _builtin()
        for module in filter(None, os.environ.get("DDK_EXTRA_PROCESSES", "").split(",")):
            importlib.import_module(module.strip())  # it calls register()
    return _PROCESSES


def by_workflow_type(name: str) -> Process | None:
    return next((p for p in processes().values() if p.workflow.__name__ == name), None)


def by_workflow_id(workflow_id: str) -> Process | None:
    """The process whose id prefix is the longest that `workflow_id` starts with."""
    found = [p for p in processes().values() if workflow_id.startswith(p.id_prefix)]
    return max(found, key=lambda p: len(p.id_prefix), default=None)
