"""Where each process's case is read in the API and shown in the console, so a task can link
to its case and show its summary. A process with no case page falls back to its audit."""

from typing import Any

from console.client import Api, ApiError

# process -> (API path of a case, console path of a case); {id} is the task's case_id
CASES: dict[str, tuple[str, str]] = {
    "incident": ("/incidents/{id}", "/ui/incidents/{id}"),
    "inspection": ("/inspections/{id}", "/ui/inspections/{id}"),
    "penalty": ("/penalty-cases/{id}", "/ui/penalty-cases/{id}"),
    "dog_dispute": ("/dog-disputes/{id}", "/ui/dog-disputes/{id}"),
    "deed": ("/credit/deeds/{id}", "/ui/credit/deeds/{id}"),
    "rider_pass": ("/rider-passes/{id}", "/ui/rider-passes/{id}"),
    "rider_service": ("/rider-services/{id}", "/ui/rider-services/{id}"),
}


def case_link(process: str, case_id: str) -> str | None:
    paths = CASES.get(process)
    return paths[1].format(id=case_id) if paths else None


# Processes whose case answer carries no `tasks`: where its tasks are read instead.
TASKS: dict[str, str] = {"deed": "/credit/deeds/{id}/tasks"}


async def read_case(api: Api, process: str, case_id: str) -> dict[str, Any] | None:
    """The case as the user may see it, or None (no case page, or not theirs to read). An
    answer that wraps its case (`{"case": {...}, "open_task_ids": ...}`) is unwrapped."""
    paths = CASES.get(process)
    if paths is None:
        return None
    try:
        case = await api.get(paths[0].format(id=case_id))
        if isinstance(case.get("case"), dict):
            case = case["case"] | {k: v for k, v in case.items() if k != "case"}
        if "tasks" not in case and process in TASKS:
            case["tasks"] = await api.get(TASKS[process].format(id=case_id))
        return case
    except ApiError:
        return None


SUMMARY_SKIP = {"tasks", "workflow_id", "reports", "history", "timeline", "past_mediations"}


def summary(case: dict[str, Any]) -> list[tuple[str, Any]]:
    """The case's plain fields (text, numbers, times), for a task page's summary box."""
    return [(k, v) for k, v in case.items()
            if k not in SUMMARY_SKIP and isinstance(v, str | int | float) and v != ""]


async def open_tasks(api: Api, process: str, case_id: str) -> list[dict[str, Any]]:
    """The user's open tasks of this case (from their inbox): a case page links each to the
    one task page where acting is."""
    mine = await api.get("/tasks", process=process, limit=1000)
    return [t for t in mine if t["case_id"] == case_id]
