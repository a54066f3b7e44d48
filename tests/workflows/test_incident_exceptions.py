"""Exception paths on the time-skipping server: 延期, 挂账, 作废, reopening, repeats."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from db.engine import get_engine
from db.models import IncidentRow, Notification
from domain.incident import Location, Report
from domain.tasks import Actor, TaskAction
from domain.timefmt import SHANGHAI
from tests.workflows.support import (
    CITIZEN,
    DISPATCHER,
    INSPECTOR,
    INTAKE,
    OFFICER,
    act,
    incident_input,
    record,
    start,
)
from workflows.incident import IncidentWorkflow

LEAD = Actor(username="command_lead", role="command_lead")
MINUTE = timedelta(minutes=1)


async def task_of(handle: WorkflowHandle, step: str, status: str = "open"):
    tasks = await handle.query(IncidentWorkflow.tasks)
    return [t for t in tasks if t.step_code == step and t.status == status][-1]


async def rejected(coro) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await coro
    return err.value.cause.type


async def to_handling(env: WorkflowEnvironment, **kw) -> WorkflowHandle:
    handle = await start(env.client, incident_input(**kw))
    await act(handle, "file", INTAKE, "accept")
    await act(handle, "dispatch", DISPATCHER, "dispatch", department="urban_mgmt")
    return handle


async def test_extension_approved_moves_the_running_deadline(env: WorkflowEnvironment) -> None:
    handle = await to_handling(env, limit="4 calendar_hours")
    task = await task_of(handle, "handle")
    opened = task.opened_at
    assert task.due_at == opened + timedelta(hours=4)

    result = await act(handle, "handle", OFFICER, "extend", "需更换整套井座", working_hours=6)
    assert result["task"]["status"] == "open"  # a request leaves the handling task open
    approval = await task_of(handle, "approve")
    assert approval.id == result["approval_task_id"]
    assert approval.assignee_role == "command_lead"
    assert approval.context["request"] == "extend" and approval.context["data"] == {
        "working_hours": 6}
    await act(handle, "approve", LEAD, "approve")

    task = await task_of(handle, "handle")
    assert task.due_at == opened + timedelta(hours=10)  # 4 h + 6 h (the limit's own hours)
    assert task.warn_at == opened + timedelta(hours=8)
    case = await handle.query(IncidentWorkflow.case)
    assert (case.extensions, case.handle_due_at) == (1, task.due_at)

    await env.sleep(opened + timedelta(hours=5) - await env.get_current_time())
    assert (await task_of(handle, "handle")).escalation_level == 0  # the old due is gone
    await env.sleep(opened + timedelta(hours=10) + MINUTE - await env.get_current_time())
    assert (await task_of(handle, "handle")).escalation_level == 2
    with Session(get_engine()) as session:
        note = session.exec(select(Notification).where(
            Notification.recipient_user == "officer_urban_mgmt",
            Notification.kind == "request")).all()
    assert any("已批准" in n.message for n in note)
    await record(handle, "incident_v2_extended")


async def test_extension_refused_second_explicit_third_impossible(
        env: WorkflowEnvironment) -> None:
    handle = await to_handling(env, limit="4 calendar_hours")
    due = (await task_of(handle, "handle")).due_at
    # Bad data is a 422 while an extension may still be asked for (not hidden behind a 409).
    for bad in ({}, {"working_hours": -1}, {"working_hours": 1e9}, {"until": "soon"},
                {"working_hours": 1, "until": "2030-01-01"}, {"until": "2020-01-01"},
                {"until": "2026-12-01T10:00:00"}, {"hours": 3}):
        assert await rejected(act(handle, "handle", OFFICER, "extend", "x", **bad)
                              ) == "Invalid", bad

    await act(handle, "handle", OFFICER, "extend", "材料未到", working_hours=2)
    assert await rejected(act(handle, "handle", OFFICER, "extend", "再申请", working_hours=1)
                          ) == "Conflict"  # one request at a time
    await act(handle, "approve", LEAD, "refuse", "时限内可完成")
    assert (await task_of(handle, "handle")).due_at == due
    assert (await handle.query(IncidentWorkflow.case)).extensions == 0

    await act(handle, "handle", OFFICER, "extend", "材料未到", working_hours=2)
    await act(handle, "approve", LEAD, "approve")
    until = (due + timedelta(days=2)).astimezone(SHANGHAI).replace(microsecond=0)
    await act(handle, "handle", OFFICER, "extend", "天气原因", until=until.isoformat())
    assert await rejected(act(handle, "approve", LEAD, "approve")) == "Invalid"
    await act(handle, "approve", LEAD, "approve", second_extension=True)
    task = await task_of(handle, "handle")
    assert task.due_at == until
    assert (await handle.query(IncidentWorkflow.case)).extensions == 2
    assert await rejected(act(handle, "handle", OFFICER, "extend", "第三次", working_hours=1)
                          ) == "Conflict"


async def test_a_moot_request_says_it_was_withdrawn_not_refused(
        env: WorkflowEnvironment) -> None:
    handle = await to_handling(env, limit="4 calendar_hours")
    await act(handle, "handle", OFFICER, "extend", "材料未到", working_hours=2)
    approval = await task_of(handle, "approve")
    await act(handle, "handle", OFFICER, "done", result="已修复")  # handled before approval
    closed = next(t for t in await handle.query(IncidentWorkflow.tasks) if t.id == approval.id)
    assert closed.status == "cancelled" and closed.decision is None
    assert await rejected(handle.execute_update(IncidentWorkflow.act, TaskAction(
        task_id=approval.id, decision="approve", actor=LEAD))) == "Conflict"
    with Session(get_engine()) as session:
        notes = [n.message for n in session.exec(select(Notification).where(
            Notification.recipient_user == "officer_urban_mgmt",
            Notification.workflow_id == handle.id, Notification.kind == "request")).all()]
    assert len(notes) == 1 and "撤销" in notes[0] and "办结" in notes[0], notes
    assert "未批准" not in notes[0]


async def test_park_until_a_date_then_resume(env: WorkflowEnvironment) -> None:
    handle = await to_handling(env, limit="3 working_days")
    now = await env.get_current_time()
    resume_on = now.astimezone(SHANGHAI).date() + timedelta(days=10)
    assert await rejected(act(handle, "handle", OFFICER, "park", "x",
                              resume_on=now.astimezone(SHANGHAI).date().isoformat())
                          ) == "Invalid"  # must be after today
    await act(handle, "handle", OFFICER, "park", "雨季无法施工", resume_on=resume_on.isoformat())
    assert (await handle.query(IncidentWorkflow.case)).status == "handling"
    await act(handle, "approve", LEAD, "approve")
    case = await handle.query(IncidentWorkflow.case)
    resume = datetime.combine(resume_on, time(0), SHANGHAI)
    assert case.status == "parked" and case.parked_until == resume
    assert (await task_of(handle, "handle", "cancelled")) is not None
    with Session(get_engine()) as session:
        row = session.get(IncidentRow, case.id)
        assert row.status == "parked"

    await env.sleep(resume - MINUTE - await env.get_current_time())
    assert (await handle.query(IncidentWorkflow.case)).status == "parked"
    await env.sleep(2 * MINUTE)
    case = await handle.query(IncidentWorkflow.case)
    assert case.status == "handling"
    task = await task_of(handle, "handle")
    assert task.opened_at >= resume  # a new handling task with a fresh limit
    await record(handle, "incident_v2_parked")


async def test_void_needs_command_lead(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, incident_input())
    await act(handle, "file", INTAKE, "void", "测试数据")
    await act(handle, "approve", LEAD, "refuse", "请正常立案")
    assert (await handle.query(IncidentWorkflow.case)).status == "filing"
    await act(handle, "file", INTAKE, "accept")
    await act(handle, "dispatch", DISPATCHER, "void", "重复案件")
    await act(handle, "approve", LEAD, "approve")
    case = await handle.result()
    assert (case.status, case.end_reason) == ("voided", "重复案件")
    assert case.open_task_ids == []
    await record(handle, "incident_v2_voided")


async def test_unsatisfied_evaluation_upheld_reopens_handling(env: WorkflowEnvironment) -> None:
    handle = await to_handling(env)
    await act(handle, "handle", OFFICER, "done", result="已修复")
    await act(handle, "verify", INSPECTOR, "pass")
    await act(handle, "evaluate", CITIZEN, "unsatisfied", "井盖还在响")
    result = await act(handle, "review", INTAKE, "uphold", "现场确认仍有异响")
    assert result["case"]["status"] == "handling"
    assert result["case"]["reworks"] == 1 and result["case"]["closed_at"] is None
    await act(handle, "handle", OFFICER, "done", result="已加装减震垫")
    await act(handle, "verify", INSPECTOR, "pass")
    await act(handle, "evaluate", CITIZEN, "satisfied")
    case = await handle.result()
    assert (case.status, case.evaluation, case.reworks) == ("closed", "satisfied", 1)
    await record(handle, "incident_v2_reopened")


async def test_repeat_report_joins_the_case(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, incident_input())
    other = Actor(username="citizen2", role="citizen")
    await handle.signal(IncidentWorkflow.join_report, Report(
        source="citizen", reporter=other, description="同一个井盖",
        location=Location(lat=29.4801, lng=106.4801), at=datetime.now(UTC)))
    case = await handle.query(IncidentWorkflow.case)
    assert [r.reporter.username for r in case.reports] == ["citizen", "citizen2"]
    assert set(case.reporters) == {"citizen", "citizen2"} and case.report_count == 2
    await act(handle, "file", INTAKE, "reject", "非城管事项")
    await handle.result()
    with Session(get_engine()) as session:
        notes = session.exec(select(Notification).where(
            Notification.recipient_user == "citizen2",
            Notification.workflow_id == handle.id)).all()
        assert session.get(IncidentRow, case.id).report_count == 2
    assert any("并入案件" in n.message for n in notes)
    assert any("不予立案" in n.message for n in notes)  # joined reporters hear the outcome


async def test_city_deadline_wins_when_sooner(env: WorkflowEnvironment) -> None:
    now = await env.get_current_time()
    inp = incident_input(source="city_dispatch", reporter="city_platform",
                         limit="10 working_days")
    inp.city_deadline = (now + timedelta(hours=30)).replace(microsecond=0)
    inp.external_ref = "CQ-2026-000123"
    handle = await start(env.client, inp)
    await act(handle, "file", INTAKE, "accept")
    await act(handle, "dispatch", DISPATCHER, "dispatch", department="urban_mgmt")
    task = await task_of(handle, "handle")
    assert task.due_at == inp.city_deadline
    assert task.warn_at == task.opened_at + (inp.city_deadline - task.opened_at) * 0.8
    case = await handle.query(IncidentWorkflow.case)
    assert case.external_ref == "CQ-2026-000123"



async def test_an_overdue_task_extended_warns_again_at_its_new_deadlines(
        env: WorkflowEnvironment) -> None:
    handle = await to_handling(env, limit="4 calendar_hours")
    task = await task_of(handle, "handle")
    opened = task.opened_at
    await env.sleep(opened + timedelta(hours=4) + MINUTE - await env.get_current_time())
    assert (await task_of(handle, "handle")).escalation_level == 2

    await act(handle, "handle", OFFICER, "extend", "管线迁改", working_hours=6)
    await act(handle, "approve", LEAD, "approve")
    assert (await task_of(handle, "handle")).escalation_level == 0  # new warning at +8 h
    await env.sleep(opened + timedelta(hours=10) + MINUTE - await env.get_current_time())
    assert (await task_of(handle, "handle")).escalation_level == 2
    with Session(get_engine()) as session:
        notes = session.exec(select(Notification).where(Notification.task_id == task.id)).all()
    levels = sorted((n.key.split(":")[1], n.level) for n in notes
                    if n.recipient_role == "officer")
    assert levels == [("p0", 1), ("p1", 1)]  # the assignee was warned for each plan
    assert sum(1 for n in notes if n.level == 2) == 4  # head and lead, before and after
