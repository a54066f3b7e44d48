"""Workflow tests on the time-skipping test server, with the real worker and database."""

import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.calendar import calendar_snapshot, china_calendar, working_time
from config import get_settings
from scripts.stack import BIN
from worker import build_worker


@pytest.fixture
async def env(database: str) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(max_workers=32) as executor:
        async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(BIN / "temporal-test-server"),
            data_converter=pydantic_data_converter,
        ) as env, build_worker(env.client, executor):
            yield env


@pytest.fixture
def holidays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the calendar activity at an overrides file the test writes."""

    def use(days: dict[str, str]) -> None:
        path = tmp_path / "holidays.json"
        path.write_text(json.dumps({"holidays": days, "workdays": {}}))
        monkeypatch.setenv("HOLIDAY_OVERRIDES", str(path))
        get_settings.cache_clear()
        working_time.cache_clear()
        china_calendar.cache_clear()
        calendar_snapshot.cache_clear()

    yield use
    monkeypatch.delenv("HOLIDAY_OVERRIDES", raising=False)
    get_settings.cache_clear()
    working_time.cache_clear()
    china_calendar.cache_clear()
    calendar_snapshot.cache_clear()
