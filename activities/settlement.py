"""德分宝 monthly settlement's activities: each step's database work (db/settlement.py), the
policy a scheduled run reads at its start, and the case rows of a month and its statements
(the generic `project` activity calls the writers)."""

from datetime import datetime
from typing import Any

from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.calendar import ladder_shares, today_calendar
from activities.projection import case_writer, upsert
from config import get_settings
from db import settlement as books
from db.engine import get_engine
from db.ledger import close_month
from db.models import LedgerMonthRow, SettlementRow, StatementRow
from domain.ladder import command_ladder
from domain.ledger import LedgerError
from domain.settlement import (
    PROCESS,
    STATEMENT,
    ComputeRequest,
    Expired,
    ExpireRequest,
    Posted,
    ReportRequest,
    Resolution,
    SettlementPolicy,
    SettlementState,
    Statement,
    StatementState,
)
from domain.tasks import Limit


def settlement_policy() -> SettlementPolicy:
    s = get_settings()
    return SettlementPolicy(
        life_months=s.points_life_months,
        review_limit=Limit.parse(s.settlement_review_limit),
        answer_limit=Limit.parse(s.settlement_answer_limit),
        decide_limit=Limit.parse(s.settlement_decide_limit),
        escalation=command_ladder(ladder_shares()), calendar=today_calendar())


@activity.defn(name="settlement_policy")
def current_settlement_policy() -> SettlementPolicy:
    """The policy as configured now: a scheduled run reads it when it starts."""
    return settlement_policy()


@activity.defn(name="close_ledger_month")
def close_ledger_month(month: str) -> datetime:
    """Close the month (once); returns when it was closed."""
    engine = get_engine()
    close_month(engine, month)
    with Session(engine) as session:
        row = session.get(LedgerMonthRow, month)
        assert row is not None and row.closed_at is not None
        return row.closed_at


@activity.defn(name="void_stale_redemptions")
def void_stale_redemptions(now: datetime) -> int:
    return books.void_stale(get_engine(), now)


@activity.defn(name="expire_points")
def expire_points(req: ExpireRequest) -> Expired:
    """Expire in pages of accounts; each page heartbeats, so a stuck page is retried."""
    return books.expire_all(get_engine(), req.month, req.cutoff, req.at,
                            progress=activity.heartbeat)


@activity.defn(name="compute_statements")
def compute_statements(req: ComputeRequest) -> list[Statement]:
    return books.compute_statements(get_engine(), req.month, req.at)


@activity.defn(name="post_statements")
def post_statements(res: Resolution) -> Posted:
    try:
        return books.post_statements(get_engine(), res)
    except LedgerError as err:  # e.g. a merchant that no longer holds the points: a person
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from err


@activity.defn(name="publish_credit_report")
def publish_credit_report(req: ReportRequest) -> int:
    """Publish the month's report; returns the residents active in it."""
    data = books.publish_report(get_engine(), req.month, req.at, req.top)
    return int(data["active_residents"])


@case_writer(PROCESS)
def write_settlement(session: Session, data: dict[str, Any]) -> None:
    case = SettlementState.model_validate(data)
    upsert(session, SettlementRow, case.month, case.version, {
        "month": case.month, "workflow_id": case.workflow_id, "step": case.step,
        "started_by": case.started_by, "started_at": case.started_at,
        "settled_at": case.settled_at, "state": data, "version": case.version})


@case_writer(STATEMENT)
def write_statement(session: Session, data: dict[str, Any]) -> None:
    """The review's progress on the statement row the month's step 4 wrote; the totals and
    what posting sets (payable, settled points) are not the review's to change."""
    case = StatementState.model_validate(data)
    row = session.get(StatementRow, case.id)
    if row is None or row.version > case.version:
        return
    if row.status != "payable":
        row.status = case.status
        row.excluded = list(case.excluded)
    row.state = data
    row.version = case.version
