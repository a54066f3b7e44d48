"""The Temporal Schedules the back office runs on: created or updated by the worker at its
start (so `make up` and docker-compose have them), never by workflow code."""

import logging

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from config import get_settings
from workflows.settlement import SettlementScheduleWorkflow

log = logging.getLogger(__name__)
SETTLEMENT_SCHEDULE = "points-monthly-settlement"
TIME_ZONE = "Asia/Shanghai"


def settlement_schedule() -> Schedule:
    """德分宝 monthly settlement: 02:00 Asia/Shanghai on the 1st (SETTLEMENT_CRON), settling
    the month before; a run that finds the month started already does nothing."""
    s = get_settings()
    return Schedule(
        action=ScheduleActionStartWorkflow(
            SettlementScheduleWorkflow.run, id="settlement-schedule", task_queue=s.task_queue),
        spec=ScheduleSpec(cron_expressions=[s.settlement_cron], time_zone_name=TIME_ZONE),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP))


async def ensure_schedules(client: Client) -> None:
    """Create the schedules, or bring existing ones up to the configuration."""
    wanted = settlement_schedule()
    try:
        await client.create_schedule(SETTLEMENT_SCHEDULE, wanted)
        log.info("created schedule %s (%s %s)", SETTLEMENT_SCHEDULE,
                 wanted.spec.cron_expressions, TIME_ZONE)
    except ScheduleAlreadyRunningError:
        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(SETTLEMENT_SCHEDULE).update(update)
        log.info("updated schedule %s", SETTLEMENT_SCHEDULE)
