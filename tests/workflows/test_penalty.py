"""Penalty cases on the time-skipping server: hearings, legal review, the answer window over a
holiday, the 90-day decision limit and the late-payment surcharge."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from api.history import audit_entries
from db.engine import get_engine
from db.models import Notification, PenaltyCaseRow
from domain.penalty import days_late, surcharge
from domain.tasks import FORBIDDEN, INVALID
from tests.support import save_history
from tests.workflows.penalty_support import (
    HEAD,
    OFFICER,
    OFFICERS,
    PARTY,
    REVIEWER,
    STRANGER,
    act,
    events,
    open_task,
    penalty_input,
    start,
)
from tests.workflows.test_incident_escalation import (
    CST,
    SECOND,
    at,
    scenario_wednesday,
    sleep_until,
)
from workflows.penalty import PenaltyCaseWorkflow


async def refused(handle: WorkflowHandle, kind: str, *args, **data) -> str:
    """The action is refused by the validator with `kind`, and nothing reaches the history."""
    before = await settled(handle)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await act(handle, *args, **data)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    assert await events(handle) == before
    return cause.message


async def settled(handle: WorkflowHandle) -> int:
    """The history's length once the workflow has finished what it was doing."""
    last = -1
    while (n := await events(handle)) != last:
        last = n
        await handle.query(PenaltyCaseWorkflow.case)  # a round trip to the worker
    return n


def notices(workflow_id: str) -> list[Notification]:
    with Session(get_engine()) as session:
        return list(session.exec(select(Notification).where(
            Notification.workflow_id == workflow_id).order_by(col(Notification.created_at))))


def row(case_id: str) -> PenaltyCaseRow:
    with Session(get_engine()) as session:
        found = session.get(PenaltyCaseRow, case_id)
        assert found is not None
        return found


async def test_fine_with_a_hearing_legal_review_and_payment(env: WorkflowEnvironment) -> None:
    inp = penalty_input(fine_proposed=150_000)
    handle = await start(env.client, inp)
    r = await act(handle, "file", HEAD, "accept")
    assert r["case"]["status"] == "notifying" and r["case"]["decision_due_at"]
    r = await act(handle, "notify", OFFICER, "issue", proposed={"type": "fine", "fine": 150000})
    assert r["case"]["status"] == "answering"
    answer = await open_task(handle, "answer")
    assert (answer.assignee_role, answer.assignee_user) == ("party", "party_1")
    assert answer.context["hearing_allowed"] is True and answer.expires_at == answer.due_at

    # The party asks for a hearing, giving its grounds; its answer shows it its own view.
    r = await act(handle, "answer", PARTY, "request_hearing", "罚款金额过高，申请听证")
    assert r["case"]["status"] == "hearing"
    assert r["case"]["statement"] == "罚款金额过高，申请听证"
    assert "opened_by" not in r["case"] and "review_points" not in r["case"]
    assert r["case"]["hearing_at"]  # set, and the party told, before its request returns
    case = await handle.query(PenaltyCaseWorkflow.case)
    assert case.hearing_at and case.hearing_requested_at
    # Art. 64 with Art. 85: at least 7 working days' notice, so more than 9 calendar days.
    assert case.hearing_at - case.hearing_requested_at >= timedelta(days=9)
    told = {(n.recipient_role, n.recipient_user) for n in notices(case.workflow_id)
            if "举行听证" in n.message}
    assert told == {("party", "party_1"), *(("officer", o) for o in OFFICERS)}
    assert not [t for t in await handle.query(PenaltyCaseWorkflow.tasks)
                if t.step_code == "hearing"]

    await sleep_until(env, case.hearing_at + timedelta(minutes=1))
    r = await act(handle, "hearing", OFFICER, "held", record="当事人到场陈述，主张初次违法")
    assert r["case"]["status"] == "reviewing" and r["case"]["legal_review_required"]
    r = await act(handle, "legal_review", REVIEWER, "approve")
    assert r["case"]["status"] == "deciding" and r["case"]["legal_reviewed"]

    # Art. 45: never heavier than the notice, whatever the statement said.
    message = await refused(handle, INVALID, "decide", HEAD, "decide",
                            penalty={"type": "fine", "fine": 150000.01})
    assert "第四十五条" in message
    await refused(handle, INVALID, "decide", HEAD, "decide", penalty={"type": "revocation"})
    r = await act(handle, "decide", HEAD, "decide", penalty={"type": "fine", "fine": 120000})
    assert r["case"]["status"] == "executing"
    case = await handle.query(PenaltyCaseWorkflow.case)
    assert case.payment_due_at == case.decided_at + timedelta(days=15)
    execute = await open_task(handle, "execute")
    assert execute.due_at == case.payment_due_at and execute.assignee_users == OFFICERS

    r = await act(handle, "execute", OFFICER, "paid", amount=120000)
    assert r["case"]["status"] == "closed"
    case = await handle.result()
    assert case.amount_paid == 120000 and case.surcharge_paid == 0 and case.hearing
    assert [t.step_code for t in await handle.query(PenaltyCaseWorkflow.tasks)] == [
        "file", "notify", "answer", "hearing", "legal_review", "decide", "execute"]
    party = [n.message for n in notices(case.workflow_id) if n.recipient_user == "party_1"]
    assert len(party) == 3
    assert "行政处罚事先告知" in party[0] and "要求听证" in party[0]
    assert "举行听证" in party[1]
    assert "罚款 120000 元" in party[2] and "3%" in party[2]
    projected = row(inp.id)
    assert (projected.status, projected.decision_type, projected.fine, projected.hearing,
            projected.legal_reviewed, projected.amount_paid) == (
        "closed", "fine", 120000, True, True, 120000)
    assert projected.version == case.version and "evidence" not in projected.state
    await save_history(handle, "penalty_hearing_paid")


async def test_legal_review_returns_then_approves_a_lighter_decision(
        env: WorkflowEnvironment) -> None:
    handle = await start(env.client, penalty_input(fine_proposed=None))
    await act(handle, "file", HEAD, "accept")
    await act(handle, "notify", OFFICER, "issue", proposed={"type": "fine", "fine": 300000})
    await refused(handle, FORBIDDEN, "answer", STRANGER, "waive")
    await refused(handle, INVALID, "answer", OFFICER, "statement", text="   ")
    # An officer records the party's paper statement.
    r = await act(handle, "answer", OFFICER, "statement", text="已自行整改，请求从轻处罚")
    assert r["case"]["status"] == "reviewing"  # a major fine needs 法制审核 (Art. 58)
    assert r["case"]["answered_by"] == "officer_market_reg"

    await refused(handle, INVALID, "legal_review", REVIEWER, "return", "证据不足",
                  points=[])
    await refused(handle, INVALID, "legal_review", REVIEWER, "return", None,
                  points=["evidence"])
    r = await act(handle, "legal_review", REVIEWER, "return", "现场检查笔录缺当事人签字",
                  points=["evidence", "procedure"])
    assert r["case"]["status"] == "reviewing" and r["case"]["review_returns"] == 1
    revise = await open_task(handle, "revise")
    assert revise.context["points"] == ["evidence", "procedure"]
    assert revise.context["points_label"] == "证据、程序"
    await act(handle, "revise", OFFICER, "resubmit", "已补充签字笔录")
    r = await act(handle, "legal_review", REVIEWER, "approve")
    assert r["case"]["status"] == "deciding"
    r = await act(handle, "decide", HEAD, "decide", penalty={"type": "warning"})
    assert r["case"]["status"] == "closed"

    case = await handle.result()
    assert (case.review_returns, case.review_points, case.decision.type) == (
        1, ["evidence", "procedure"], "warning")
    assert case.payment_due_at is None and case.closed_at == case.decided_at
    assert [t.step_code for t in await handle.query(PenaltyCaseWorkflow.tasks)] == [
        "file", "notify", "answer", "legal_review", "revise", "legal_review", "decide"]
    await save_history(handle, "penalty_review_returned")


async def test_answer_window_skips_a_holiday_and_runs_out_by_itself(
        env: WorkflowEnvironment, holidays) -> None:
    now = await env.get_current_time()
    w = scenario_wednesday(now.astimezone(CST).date() + timedelta(days=1))
    holiday = w + timedelta(days=2)
    holidays({holiday.isoformat(): "test statutory holiday"})
    inp = penalty_input(fine_proposed=5000)
    if inp.policy.calendar is not None:  # the case carries the day off in its calendar
        assert holiday in inp.policy.calendar.days_off

    handle = await start(env.client, inp)
    await sleep_until(env, at(w, 10))  # the filing task climbs its ladder meanwhile
    await act(handle, "file", HEAD, "accept")
    await act(handle, "notify", OFFICER, "issue", proposed={"type": "fine", "fine": 5000})
    answer = await open_task(handle, "answer")
    # 5 working days = 35 working hours from Wed 10:00: Wed 6 h, Thu 7 h, Fri is the holiday,
    # Mon, Tue, Wed 21 h, Thu 1 h: Thursday 10:00 (Wednesday 10:00 without the holiday).
    assert abs(answer.expires_at - at(w + timedelta(days=8), 10)) < SECOND
    assert answer.due_at == answer.expires_at and answer.ladder == []
    case = await handle.query(PenaltyCaseWorkflow.case)
    assert case.answer_due_at == answer.expires_at
    told = [n.message for n in notices(case.workflow_id) if n.recipient_user == "party_1"]
    assert len(told) == 1 and (w + timedelta(days=8)).isoformat() in told[0]
    assert "要求听证" not in told[0]

    message = await refused(handle, INVALID, "answer", PARTY, "request_hearing")
    assert "第六十三条" in message
    await sleep_until(env, answer.expires_at - timedelta(minutes=1))
    assert (await handle.query(PenaltyCaseWorkflow.case)).status == "answering"
    await sleep_until(env, answer.expires_at + timedelta(minutes=1))
    await open_task(handle, "decide")
    case = await handle.query(PenaltyCaseWorkflow.case)
    assert (case.status, case.answer, case.legal_review_required) == (
        "deciding", "expired", False)
    tasks = await handle.query(PenaltyCaseWorkflow.tasks)
    assert next(t for t in tasks if t.step_code == "answer").status == "expired"

    await act(handle, "decide", HEAD, "decide", penalty={"type": "fine", "fine": 3000})
    await act(handle, "execute", OFFICER, "paid", amount=3000)
    assert (await handle.result()).status == "closed"
    await save_history(handle, "penalty_answer_expired")


async def test_the_decision_is_due_90_days_after_filing(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, penalty_input(party=None))
    await act(handle, "file", HEAD, "accept")
    await act(handle, "notify", OFFICER, "issue", proposed={"type": "fine", "fine": 3000})
    answer = await open_task(handle, "answer")  # no party account: the officers record it
    assert answer.assignee_role == "officer" and answer.assignee_users == OFFICERS
    await act(handle, "answer", OFFICER, "waive")
    await sleep_until(env, (await env.get_current_time()) + timedelta(days=20))

    decide = await open_task(handle, "decide")
    case = await handle.query(PenaltyCaseWorkflow.case)
    assert case.decision_due_at == case.filed_at + timedelta(days=90)
    assert decide.due_at == case.decision_due_at
    warn, due, higher = decide.ladder
    assert due == case.decision_due_at and warn < due < higher
    assert abs(warn - (decide.opened_at + (due - decide.opened_at) * 0.8)) < SECOND

    async def level() -> int:
        tasks = await handle.query(PenaltyCaseWorkflow.tasks)
        return next(t for t in tasks if t.id == decide.id).escalation_level

    for mark, expected in ((warn, 1), (due, 2), (higher, 3)):
        await sleep_until(env, mark - timedelta(minutes=1))
        assert await level() == expected - 1
        await sleep_until(env, mark + timedelta(minutes=1))
        assert await level() == expected
    got = {(n.level, n.recipient_role, n.recipient_department)
           for n in notices(case.workflow_id) if n.task_id == decide.id}
    assert all(n.kind == "escalation" for n in notices(case.workflow_id)
               if n.task_id == decide.id)
    assert got == {(1, "dept_head", "market_reg"), (2, "dept_head", "market_reg"),
                   (2, "command_lead", None), (3, "command_lead", None)}
    assert row(case.id).current_due_at == case.decision_due_at

    # Late, the decision is still the department head's to make.
    await act(handle, "decide", HEAD, "decide", penalty={"type": "none"})
    case = await handle.result()
    assert case.status == "closed" and case.decision.type == "none"
    entries = [e for e in audit_entries(await handle.fetch_history())
               if e["event"] == "escalation" and e["detail"]["task_id"] == decide.id]
    assert [e["action"] for e in entries] == ["level_1", "level_2", "level_2", "level_3"]
    for entry, mark in zip((entries[0], entries[1], entries[3]), (warn, due, higher),
                           strict=True):
        assert abs(entry["at"] - mark) < timedelta(seconds=5)
    await save_history(handle, "penalty_decision_overdue")


def test_surcharge_counts_whole_days_after_the_due_date() -> None:
    due = datetime(2026, 12, 13, 10, 0, tzinfo=CST)
    assert surcharge(1000, due, due - timedelta(days=3)) == 0
    assert surcharge(1000, due, due + timedelta(hours=13, minutes=59)) == 0  # 23:59 that day
    assert surcharge(1000, due, datetime(2026, 12, 14, 0, 0, tzinfo=CST)) == 30
    assert surcharge(1000, due, datetime(2026, 12, 13, 16, 0, tzinfo=UTC)) == 30  # 00:00 CST
    assert surcharge(1000, due, due + timedelta(days=2)) == 60
    assert surcharge(333.33, due, due + timedelta(days=1)) == 10.0
    assert surcharge(1000, due, due + timedelta(days=33)) == 990
    assert surcharge(1000, due, due + timedelta(days=34)) == 1000  # never more than the fine
    assert surcharge(1000, due, due + timedelta(days=400)) == 1000
    assert days_late(due, due - timedelta(days=3)) == 0
    assert days_late(due, datetime(2026, 12, 14, 0, 0, tzinfo=CST)) == 1


async def test_paying_late_owes_the_surcharge(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, penalty_input())
    await act(handle, "file", HEAD, "accept")
    await act(handle, "notify", OFFICER, "issue", proposed={"type": "fine", "fine": 1000})
    await act(handle, "answer", PARTY, "waive")
    await act(handle, "decide", HEAD, "decide", penalty={"type": "fine", "fine": 1000})
    message = await refused(handle, INVALID, "execute", OFFICER, "transferred", "逾期未缴")
    assert "逾期后" in message
    await refused(handle, INVALID, "execute", OFFICER, "paid", amount=999.99)

    case = await handle.query(PenaltyCaseWorkflow.case)
    due_day = case.payment_due_at.astimezone(CST).date()
    await sleep_until(env, at(due_day + timedelta(days=2), 11))  # two days after the due date
    message = await refused(handle, INVALID, "execute", OFFICER, "paid", amount=1000)
    assert "应缴金额 1060.00 元" in message and "加处罚款 60.00 元" in message
    r = await act(handle, "execute", OFFICER, "paid", amount=1060)
    assert r["case"]["status"] == "closed"
    case = await handle.result()
    assert (case.amount_paid, case.surcharge_paid) == (1060, 60)
    execute = next(t for t in await handle.query(PenaltyCaseWorkflow.tasks)
                   if t.step_code == "execute")
    assert execute.escalation_level == 2  # overdue: 督办
    await save_history(handle, "penalty_paid_late")


async def test_not_filed(env: WorkflowEnvironment) -> None:
    inp = penalty_input()
    handle = await start(env.client, inp)
    await refused(handle, INVALID, "file", HEAD, "reject")  # a reason is required
    await refused(handle, FORBIDDEN, "file", HEAD.model_copy(update={
        "username": "head_ecology_env", "department": "ecology_env"}), "accept")
    r = await act(handle, "file", HEAD, "reject", "违法事实不能成立")
    assert r["case"]["status"] == "not_filed"
    case = await handle.result()
    assert case.end_reason == "违法事实不能成立" and case.filed_at is None
    assert row(inp.id).status == "not_filed"
    await save_history(handle, "penalty_not_filed")
