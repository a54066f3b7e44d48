"""The Temporal Schedule of the monthly settlement, on the dev server the stack runs: the
worker created it at its start; its next run is 02:00 Asia/Shanghai on the next 1st; making
sure of it again (a restart, a new configuration) updates it and keeps one."""

import asyncio
import os
from datetime import UTC, datetime, timedelta

from temporalio.client import ScheduleActionStartWorkflow

from domain.timefmt import SHANGHAI
from schedules import SETTLEMENT_SCHEDULE, ensure_schedules
from temporal_client import connect
from tests.support import Api


def next_first_at_two(now: datetime) -> datetime:
    local = now.astimezone(SHANGHAI)
    first = local.replace(day=1, hour=2, minute=0, second=0, microsecond=0)
    if first <= local:
        first = (first + timedelta(days=32)).replace(day=1)
    return first.astimezone(UTC)


async def describe() -> tuple:
    client = await connect(os.environ["TEMPORAL_ADDRESS"])
    handle = client.get_schedule_handle(SETTLEMENT_SCHEDULE)
    for _ in range(100):  # the worker creates it as it starts
        try:
            return client, await handle.describe()
        except Exception:  # noqa: BLE001
            await asyncio.sleep(0.1)
    raise AssertionError("no settlement schedule")


def test_the_worker_schedules_the_monthly_settlement(api: Api) -> None:
    async def check() -> None:
        client, found = await describe()
        action = found.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "SettlementScheduleWorkflow"
        assert found.schedule.spec.time_zone_name == "Asia/Shanghai"
        assert found.info.next_action_times[0] == next_first_at_two(datetime.now(UTC))
        await ensure_schedules(client)  # again: updated in place, still one
        for _ in range(50):  # the list is eventually consistent
            ids = [s.id async for s in await client.list_schedules()]
            if ids.count(SETTLEMENT_SCHEDULE):
                break
            await asyncio.sleep(0.1)
        assert ids.count(SETTLEMENT_SCHEDULE) == 1

    asyncio.run(check())
