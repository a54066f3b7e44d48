"""Activities as workflows call them: by name, so no workflow imports a module that reaches
the database (DESIGN.md, principle 8). The worker registers the real definitions under these
names; tests/test_worker.py checks that every name here is registered."""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.tasks import DeadlineRequest, Notice, Projection

TIMEOUT = timedelta(seconds=30)

COMPUTE_DEADLINES = "compute_deadlines"
NOTIFY = "notify"
PROJECT = "project"
NAMES = (COMPUTE_DEADLINES, NOTIFY, PROJECT)


async def compute_deadlines(req: DeadlineRequest) -> list[datetime]:
    """Working-time instants: a local activity, so replays never re-read the calendar."""
    return await workflow.execute_local_activity(
        COMPUTE_DEADLINES, req, result_type=list[datetime], start_to_close_timeout=TIMEOUT)


async def notify(notice: Notice) -> None:
    """A regular activity, so the history shows every escalation as its own event."""
    await workflow.execute_activity(NOTIFY, notice, start_to_close_timeout=TIMEOUT,
                                    summary=notice.message[:200])


async def project(batch: Projection) -> None:
    """The case row, its changed tasks and its notices, in one transaction."""
    await workflow.execute_local_activity(PROJECT, batch, start_to_close_timeout=TIMEOUT)
