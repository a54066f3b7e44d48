"""Escalation on the time-skipping server: the ladder fires at working-time instants."""

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from activities.calendar import calendar_snapshot, working_time
from api.history import audit_entries
from api.main import app
from db.engine import get_engine
from db.models import Notification
from domain.tasks import Limit
from security import create_token
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

CST = ZoneInfo("Asia/Shanghai")
SECOND = timedelta(seconds=1)


def plain_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def scenario_wednesday(today: date) -> date:
    """The next Wednesday W whose two weeks are ordinary: W..Thu and Mon..Fri working days,
    the weekend off. The test then declares Friday W+2 a statutory holiday."""
    w = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    while True:
        work = [w + timedelta(days=d) for d in (0, 1, 5, 6, 7, 8, 9)]
        rest = [w + timedelta(days=d) for d in (3, 4)]
        if all(map(plain_workday, work)) and not any(map(plain_workday, rest)):
            return w
        w += timedelta(days=7)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), CST).astimezone(UTC)


async def sleep_until(env: WorkflowEnvironment, instant: datetime) -> None:
    await env.sleep(instant - await env.get_current_time())


def inbox(user: str, role: str, department: str | None) -> list[dict]:
    with TestClient(app) as client:
        r = client.get("/tasks", headers={"Authorization": f"Bearer {create_token(user)}"})
    assert r.status_code == 200, r.text
    return r.json()


async def test_handling_limit_spanning_a_holiday_warns_and_goes_overdue_on_time(
        env: WorkflowEnvironment, holidays) -> None:
    now = await env.get_current_time()
    w = scenario_wednesday(now.astimezone(CST).date() + timedelta(days=1))
    holiday = w + timedelta(days=2)
    holidays({holiday.isoformat(): "test statutory holiday"})

    handle = await start(env.client, incident_input(limit="3 working_days"))
    await sleep_until(env, at(w, 10))  # the filing task escalates meanwhile; nobody acts
    await act(handle, "file", INTAKE, "accept")
    await act(handle, "dispatch", DISPATCHER, "dispatch", department="urban_mgmt")

    task = next(t for t in await handle.query(IncidentWorkflow.tasks) if t.step_code == "handle")
    # 3 working days = 21 working hours from Wed 10:00: Wed 6 h, Thu 7 h, Fri is the holiday,
    # Mon 7 h, so the limit ends Tue 10:00 (Mon 10:00 without the holiday). 80% = 16.8 h ends
    # Mon 14:48; 200% = 42 h ends on the second Friday at 10:00.
    warn, due, level3 = at(w + timedelta(5), 14, 48), at(w + timedelta(6), 10), at(
        w + timedelta(9), 10)
    assert abs(task.warn_at - warn) < SECOND
    assert abs(task.due_at - due) < SECOND
    assert abs(task.ladder[2] - level3) < SECOND

    async def level() -> int:
        tasks = await handle.query(IncidentWorkflow.tasks)
        return next(t for t in tasks if t.id == task.id).escalation_level

    await sleep_until(env, warn - timedelta(minutes=1))
    assert await level() == 0
    await sleep_until(env, warn + timedelta(minutes=1))
    assert await level() == 1
    await sleep_until(env, due - timedelta(minutes=1))
    assert await level() == 1
    await sleep_until(env, due + timedelta(minutes=1))
    assert await level() == 2
    case = await handle.query(IncidentWorkflow.case)
    assert case.status == "handling" and task.id in case.open_task_ids

    # Overdue: the department head and the command-centre lead were told; it is 督办.
    with Session(get_engine()) as session:
        notes = session.exec(select(Notification).where(Notification.task_id == task.id)).all()
    got = {(n.level, n.recipient_role, n.recipient_department) for n in notes}
    assert got == {(1, "officer", "urban_mgmt"), (2, "dept_head", "urban_mgmt"),
                   (2, "command_lead", None)}
    lead = [t for t in inbox("command_lead", "command_lead", None) if t["id"] == task.id]
    assert lead and lead[0]["supervised"] and lead[0]["escalation_level"] == 2
    assert any(t["id"] == task.id for t in inbox("head_urban_mgmt", "dept_head", "urban_mgmt"))
    assert not any(t["id"] == task.id for t in inbox("head_housing", "dept_head", "housing"))

    await sleep_until(env, level3 + timedelta(minutes=1))
    assert await level() == 3

    # Timers escalate, they never decide: the assignee can still finish the work.
    result = await act(handle, "handle", OFFICER, "done", result="已修复")
    assert result["case"]["status"] == "verifying"
    assert result["case"]["on_time"] is None
    await act(handle, "verify", INSPECTOR, "pass")
    case = await handle.query(IncidentWorkflow.case)
    assert case.on_time is False  # handled after the limit

    history = await handle.fetch_history()
    escalations = [e for e in audit_entries(history) if e["event"] == "escalation"
                   and e["detail"]["task_id"] == task.id]
    assert [e["action"] for e in escalations] == ["level_1", "level_2", "level_2", "level_3"]
    assert abs(escalations[0]["at"] - warn) < timedelta(seconds=5)
    assert abs(escalations[1]["at"] - due) < timedelta(seconds=5)
    assert abs(escalations[3]["at"] - level3) < timedelta(seconds=5)
    assert all(e["actor"] == "system" for e in escalations)
    await act(handle, "evaluate", CITIZEN, "unsatisfied", "太慢了")
    await act(handle, "review", INTAKE, "dismiss", "已修复，超期另行考核")
    assert (await handle.result()).status == "closed"
    await record(handle, "incident_v2_escalated")


async def test_evaluation_window_expires_and_the_case_closes(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, incident_input(limit="4 calendar_hours"))
    await act(handle, "file", INTAKE, "accept")
    await act(handle, "dispatch", DISPATCHER, "dispatch", department="urban_mgmt")
    await act(handle, "handle", OFFICER, "done", result="已修复")
    result = await act(handle, "verify", INSPECTOR, "pass")
    assert result["case"]["status"] == "evaluating"
    case = await handle.result()  # the 3-day window runs out with nobody answering
    assert case.status == "closed" and case.evaluation is None
    tasks = await handle.query(IncidentWorkflow.tasks)
    evaluation = next(t for t in tasks if t.step_code == "evaluate")
    assert evaluation.status == "expired"
    assert evaluation.expires_at - evaluation.opened_at == timedelta(days=3)
    await record(handle, "incident_v2_evaluation_expired")


async def test_inspector_report_skips_filing(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, incident_input(source="inspector", reporter="inspector"))
    await act(handle, "dispatch", DISPATCHER, "dispatch", department="housing")
    await act(handle, "handle", OFFICER.model_copy(update={"department": "housing",
                                                          "username": "officer_housing"}),
              "return", "不属本部门")
    await act(handle, "dispatch", DISPATCHER, "dispatch", department="urban_mgmt")
    await act(handle, "handle", OFFICER, "done", result="已处理")
    await act(handle, "verify", INSPECTOR, "fail", "未修好")
    await act(handle, "handle", OFFICER, "done", result="已返工")
    await act(handle, "verify", INSPECTOR, "pass")
    case = await handle.result()
    assert (case.status, case.returns, case.reworks) == ("closed", 1, 1)
    assert [t.step_code for t in await handle.query(IncidentWorkflow.tasks)] == [
        "dispatch", "handle", "dispatch", "handle", "verify", "handle", "verify"]
    await record(handle, "incident_v2_return_rework")


async def test_rejected_after_a_category_correction(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, incident_input())
    await env.sleep(timedelta(days=4))  # left unfiled: the filing task climbs its ladder
    tasks = await handle.query(IncidentWorkflow.tasks)
    assert tasks[0].escalation_level == 3 and tasks[0].status == "open"
    await act(handle, "file", INTAKE, "reject", "非城市管理事项")
    case = await handle.result()
    assert case.status == "rejected" and case.filed_at is None
    await record(handle, "incident_v2_rejected")


def local_activities(history) -> list[str]:
    """Names of the local activities a history ran (from their markers)."""
    names = []
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            data = event.marker_recorded_event_attributes.details.get("data")
            if data and data.payloads:
                names.append(json.loads(data.payloads[0].data).get("activity_type"))
    return names


async def test_deadlines_come_from_the_case_calendar_and_from_the_activity_beyond_it(
        env: WorkflowEnvironment) -> None:
    today = (await env.get_current_time()).astimezone(CST).date()
    inside = incident_input(limit="3 working_days")
    inside.policy.calendar = calendar_snapshot(today)
    assert inside.policy.calendar is not None and inside.policy.calendar.last.year >= today.year
    short = incident_input(limit="3 working_days")
    past = today - timedelta(days=10)  # a calendar that no longer reaches today
    short.policy.calendar = short.policy.calendar.model_copy(update={"first": past,
                                                                     "last": past})
    handles = [await start(env.client, inp) for inp in (inside, short)]
    for handle in handles:
        await act(handle, "file", INTAKE, "accept")
    for handle in handles:  # the same deadlines either way
        task = next(t for t in await handle.query(IncidentWorkflow.tasks)
                    if t.step_code == "dispatch")
        assert task.due_at == working_time().deadlines(
            task.opened_at, Limit.parse("1 working_hours"), [1.0])[0]
    ran = [local_activities(await h.fetch_history()) for h in handles]
    assert "compute_deadlines" not in ran[0] and "project" in ran[0]
    assert ran[1].count("compute_deadlines") == 2  # filing and dispatch tasks
