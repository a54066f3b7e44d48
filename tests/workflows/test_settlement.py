"""德分宝 monthly settlement on the time-skipping server, with the real worker and database:
a month is closed, its stale reservation voided, old points expired first in first out, the
merchant's statement reviewed on the task board and posted, and the report published; the
dispute path (the merchant accepts; contests and admin decides); a late review climbs the
ladder; a wrong actor is refused before anything is written."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.calendar import working_time
from config import get_settings
from db.engine import get_engine
from db.ledger import transfer
from db.ledger_check import problems
from db.models import CreditReportRow, LedgerMonthRow, RedemptionRow, StatementRow
from domain.ledger import CLOSED_MONTH, LedgerError, TransferRequest, account_id
from domain.settlement import (
    SettlementState,
    expiry_cutoff,
    previous_month,
    statement_id,
    workflow_id_for,
)
from domain.tasks import FORBIDDEN, INVALID, Actor, TaskAction
from tests.support import save_history
from tests.workflows.dog_dispute_support import escalations, sleep_until
from tests.workflows.penalty_support import events
from tests.workflows.settlement_support import Month, act, fresh_month, open_task
from tests.workflows.test_deed import MINUTE, eventually
from workflows.settlement import SettlementScheduleWorkflow, StatementReviewWorkflow

SHARES = [0.8, 1.0, 2.0]  # the configured ladder (LADDER_SHARES)


def statement(month: Month) -> StatementRow:
    with Session(get_engine()) as session:
        row = session.get(StatementRow, statement_id(month.month, month.merchant))
        assert row is not None
        return row


async def test_a_month_settles(env: WorkflowEnvironment) -> None:
    month = Month(fresh_month())
    a, b = (account_id("resident", r) for r in month.residents)
    handle = await month.start(env.client)
    review = month.review(env.client)
    task = await open_task(review, "review")
    assert (task.step, task.assignee_role, task.assignee_department) == (
        "审核结算单", "finance_officer", month.community)
    assert task.context["points"] == 30 and task.context["amount"] == "1.50 元"
    # By now the month is closed, the stale reservation void and the old points expired.
    with Session(get_engine()) as session:
        closed = session.get(LedgerMonthRow, month.month)
        stale = session.get(RedemptionRow, month.stale)
    assert closed is not None and closed.closed_at is not None
    assert stale is not None
    with pytest.raises(LedgerError) as refused:
        transfer(get_engine(), TransferRequest(
            id=f"late:{month.merchant}", debit=month.issuance, credit=a, amount=1,
            kind="deed", reason="迟到", actor="test", at=month.day))
    assert refused.value.kind == CLOSED_MONTH
    assert month.stock() == 10 - 3  # the stale unit came back
    # a: 50 old + 8; 30 spent from the oldest: 20 old left expire. b: 50 old expire.
    assert (month.held(a), month.held(b)) == (8, 5)
    assert month.held(account_id("expiry", month.community)) == 70

    wrong = Actor(username="finance_elsewhere", role="finance_officer", department="other")
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await review.execute_update(StatementReviewWorkflow.act, TaskAction(
            task_id=task.id, decision="approve", actor=wrong))
    assert isinstance(info.value.cause, ApplicationError)
    assert info.value.cause.type == FORBIDDEN
    await act(review, "review", month.finance, "approve")
    state: SettlementState = await handle.result()
    assert state.step == "settled"
    assert (state.statements, state.points_settled, state.amount_fen) == (1, 30, 150)
    # Voiding and expiry run over the whole ledger: other tests' months count there too.
    assert state.voided is not None and state.voided >= 1
    assert state.expired_accounts is not None and state.expired_accounts >= 2
    assert state.expired_points is not None and state.expired_points >= 70
    assert month.held(month.merchant_account) == 0
    assert month.held(account_id("settlement", month.month)) == 30
    row = statement(month)
    assert (row.status, row.points_settled, row.amount_fen_settled) == ("payable", 30, 150)
    with Session(get_engine()) as session:
        report = session.get(CreditReportRow, month.month)
    assert report is not None
    data = report.data
    assert data["redeemed"] == {"redemptions": 3, "points": 30}
    assert data["issued"]["by_kind"] == {"deed": 13}
    assert data["expired"]["points"] == state.expired_points
    board = data["good_deeds_board"]
    assert [(e["name"], e["points"]) for e in board] == [
        (month.names[month.residents[0]], 8), (month.names[month.residents[1]], 5)]
    assert all(set(e) == {"rank", "name", "deeds", "points"} for e in board)  # no usernames
    assert problems(get_engine()) == []
    await save_history(handle, "settlement_settled")
    await save_history(review, "statement_approved")


async def test_dispute_accepted_returns_the_lines(env: WorkflowEnvironment) -> None:
    month = Month(fresh_month())
    a = account_id("resident", month.residents[0])
    handle = await month.start(env.client)
    review = month.review(env.client)
    await open_task(review, "review")
    before = month.held(a)
    bad = month.lines[0]
    case = await act(review, "review", month.finance, "dispute",
                     lines=[bad], reason="居民反映未实际理发")
    assert case["status"] == "disputed"
    answer = await open_task(review, "answer")
    assert (answer.assignee_role, answer.assignee_department) == ("merchant", month.merchant)
    assert answer.context["lines"] == [bad]
    await act(review, "answer", month.shop, "accept")
    state = await handle.result()
    assert (state.points_settled, state.amount_fen, state.reversed_points) == (20, 100, 10)
    assert state.disputed == 1
    row = statement(month)
    assert (row.status, row.excluded, row.points_settled) == ("payable", [bad], 20)
    assert month.held(a) == before + 10  # the disputed redemption's points came back
    assert month.held(month.merchant_account) == 0
    await save_history(review, "statement_dispute_accepted")


async def test_contest_goes_to_admin(env: WorkflowEnvironment) -> None:
    month = Month(fresh_month())
    handle = await month.start(env.client)
    review = month.review(env.client)
    await act(review, "review", month.finance, "dispute", lines=month.lines[:2],
              reason="两笔核销时间在店休日")
    shop = month.shop
    task = await open_task(review, "answer")
    before = await events(review)
    with pytest.raises(WorkflowUpdateFailedError) as info:  # contesting needs a reason
        await review.execute_update(StatementReviewWorkflow.act, TaskAction(
            task_id=task.id, decision="contest", actor=shop))
    assert info.value.cause.type == INVALID  # type: ignore[union-attr]
    assert await events(review) == before  # nothing written
    await act(review, "answer", shop, "contest", comment="店休日有预约服务，有监控记录")
    rule = await open_task(review, "rule")
    assert rule.assignee_role == "admin"
    await act(review, "rule", month.admin, "dismiss", comment="监控记录可证实服务已提供")
    state = await handle.result()
    assert (state.points_settled, state.reversed_points, state.disputed) == (30, 0, 0)
    row = statement(month)
    assert (row.status, row.excluded) == ("payable", [])
    case = await review.query(StatementReviewWorkflow.case)
    assert (case.answer, case.ruling) == ("contest", "dismiss")
    await save_history(review, "statement_contest_dismissed")


async def test_late_review_climbs_the_ladder(env: WorkflowEnvironment) -> None:
    month = Month(fresh_month())
    handle = await month.start(env.client)
    review = month.review(env.client)
    task = await open_task(review, "review")
    assert task.limit is not None
    marks = working_time().deadlines(task.opened_at, task.limit, SHARES)
    assert task.ladder == marks
    await sleep_until(env, marks[1] + MINUTE)  # past the deadline: 预警, then 超期督办
    expected = {(1, "finance_officer", month.community, None),
                (2, "dept_head", month.community, None),  # the community's head
                (2, "command_lead", None, None)}
    await eventually(lambda: escalations(task.id) == expected)
    await act(review, "review", month.finance, "approve")
    state = await handle.result()
    assert state.step == "settled" and state.points_settled == 30
    await save_history(review, "statement_escalated_approved")


async def test_the_schedule_settles_a_month_once(env: WorkflowEnvironment) -> None:
    """What the Schedule starts on the 1st: the month's settlement under the month's id;
    a second start (by hand, or the schedule again) finds it and settles nothing twice."""
    month = Month(fresh_month())
    queue = get_settings().task_queue
    first = await env.client.execute_workflow(
        SettlementScheduleWorkflow.run, month.month, id=f"settlement-schedule-{month.tag}",
        task_queue=queue)
    assert first == f"{month.month}: started"
    again = await env.client.execute_workflow(
        SettlementScheduleWorkflow.run, month.month, id=f"settlement-schedule-{month.tag}-2",
        task_queue=queue)
    assert again == f"{month.month}: already started"
    handle = env.client.get_workflow_handle(workflow_id_for(month.month),
                                            result_type=SettlementState)
    await act(month.review(env.client), "review", month.finance, "approve")
    state = await handle.result()
    assert (state.started_by, state.points_settled) == ("schedule", 30)
    await save_history(env.client.get_workflow_handle(f"settlement-schedule-{month.tag}"),
                       "settlement_schedule_started")


def test_the_month_a_run_settles() -> None:
    """02:00 on the 1st in Asia/Shanghai is still the last day of the month before in UTC."""
    assert previous_month(datetime(2026, 11, 30, 18, 0, tzinfo=UTC)) == "2026-11"
    assert previous_month(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)) == "2026-12"
    assert expiry_cutoff("2026-11", 12) == datetime(2025, 11, 30, 16, 0, tzinfo=UTC)
