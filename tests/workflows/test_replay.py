"""Replay every recorded history against today's workflow code: a change that would break
running cases fails here (put it behind `workflow.patched`)."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.support import HISTORIES as RECORDED
from worker import WORKFLOWS

HISTORIES = sorted(RECORDED.glob("*.json"))


def test_there_are_recorded_histories_for_every_workflow_type() -> None:
    types = {p.stem.split("_")[0] for p in HISTORIES}
    assert {"incident"} <= types


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path) -> None:
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
