"""Registers the drill process (named in DDK_EXTRA_PROCESSES by the test suite)."""

from typing import Any

from tests.processes.drill import DATA, DrillWorkflow
from workflows.registry import Process, register


def describe(inp: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    return inp.get("starter"), {"id": inp.get("id"), "stage": inp.get("stage")}


register(Process(name="drill", label="演练流程", workflow=DrillWorkflow, id_prefix="drill-",
                 data_models=DATA, describe_start=describe))
