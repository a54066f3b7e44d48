"""An auditor's reading of a workflow's Temporal event history (DESIGN.md, principle 6).

The history alone answers who did what and when: the start carries who started the case
(its process, from the registry, says how to read its input), each Update carries the actor
and the decision, each escalation is an activity whose input is a notice of kind
"escalation", each timer is in it, and so is the end. Nothing here names a process.
"""

from datetime import UTC
from typing import Any

from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.timefmt import SHANGHAI
from workflows.registry import by_workflow_type


def _decode(payloads: Payloads) -> list[Any]:
    if not payloads.payloads:
        return []
    return pydantic_data_converter.payload_converter.from_payloads(list(payloads.payloads))


def _first(payloads: Payloads) -> dict[str, Any]:
    values = _decode(payloads)
    return values[0] if values and isinstance(values[0], dict) else {}


def _entry(event: HistoryEvent, name: str, actor: dict[str, Any] | None = None,
           action: str | None = None, detail: Any = None) -> dict[str, Any]:
    actor = actor or {"username": "system", "role": "system", "department": None}
    return {
        "at": event.event_time.ToDatetime(tzinfo=UTC).astimezone(SHANGHAI),
        "event": name, "actor": actor.get("username"), "role": actor.get("role"),
        "department": actor.get("department"), "action": action, "detail": detail,
    }


def audit_entries(history: WorkflowHistory) -> list[dict[str, Any]]:
    entries = []
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            inp = _first(attrs.input)
            process = by_workflow_type(attrs.workflow_type.name)
            if process is not None and process.describe_start is not None:
                actor, detail = process.describe_start(inp)
            else:
                actor, detail = None, {}
            if attrs.continued_execution_run_id:
                detail = {"continued_from_run": attrs.continued_execution_run_id}
            entries.append(_entry(event, "started", actor, "start", detail))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            act = _first(request.input.args)
            if "decision" in act:  # the task board's `act`
                action = act.get("decision")
                detail = {"task_id": act.get("task_id"), "comment": act.get("comment"),
                          "data": act.get("data") or {}}
            else:  # a process's own Update (a visit, a withdrawal): named by the Update
                action = request.input.name
                detail = {k: v for k, v in act.items() if k != "actor"}
            entries.append(_entry(event, "action", act.get("actor"), action, detail))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            payload = _first(attrs.input)
            entries.append(_entry(event, "signal", payload.get("actor") or payload.get(
                "reporter"), attrs.signal_name, payload))
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            attrs = event.timer_started_event_attributes
            summary = event.user_metadata.summary
            entries.append(_entry(event, "timer_started", None, "timer", {
                "timer_id": attrs.timer_id,
                "summary": _decode(Payloads(payloads=[summary]))[0] if summary.data else None,
                "fires_in_s": attrs.start_to_fire_timeout.ToTimedelta().total_seconds()}))
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            attrs = event.timer_fired_event_attributes
            entries.append(_entry(event, "timer_fired", None, "timer",
                                  {"timer_id": attrs.timer_id}))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            notice = _first(attrs.input)
            if notice.get("kind") == "escalation":
                entries.append(_entry(event, "escalation", None, f"level_{notice.get('level')}",
                                      {"task_id": notice.get("task_id"),
                                       "to_role": notice.get("recipient_role"),
                                       "to_department": notice.get("recipient_department"),
                                       "message": notice.get("message")}))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            result = _first(event.workflow_execution_completed_event_attributes.result)
            entries.append(_entry(event, "completed", None, result.get("status"),
                                  {"status": result.get("status")}))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            entries.append(_entry(event, "continued_as_new", None, "continue_as_new", None))
        elif kind in (EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
                      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
                      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
                      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT):
            name = EventType.Name(kind).removeprefix("EVENT_TYPE_WORKFLOW_EXECUTION_").lower()
            entries.append(_entry(event, name, None, name, None))
    return entries
