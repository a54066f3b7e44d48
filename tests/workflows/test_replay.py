"""Replay every recorded history against today's workflow code: a change that would break
running cases fails here (put it behind `workflow.patched`). Processes come from the registry,
and a process without recorded histories fails too. Histories retired by a CHANGELOG entry
live in tests/histories/retired/ and are not replayed."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.support import HISTORIES as RECORDED
from workflows.registry import processes

HISTORIES = sorted(RECORDED.glob("*.json"))


@pytest.mark.parametrize("process", sorted(processes()))
def test_every_process_has_recorded_histories(process: str) -> None:
    mine = [p for p in HISTORIES if p.stem.startswith(f"{process}_")]
    assert mine, f"no recorded histories for process {process!r} in {RECORDED}"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path) -> None:
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    # The longest registered name the file starts with (`dog_dispute_…` is not `dog`'s).
    name = max((n for n in processes() if path.stem.startswith(f"{n}_")), key=len)
    process = processes()[name]
    replayer = Replayer(workflows=[process.workflow, *process.helpers],
                        data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
