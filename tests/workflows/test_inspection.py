"""Joint inspections on the time-skipping server: the real worker, activities and database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from db.engine import get_engine
from db.models import Notification, Visit, VisitDepartment, VisitJoin, VisitOfficer
from tests.support import save_history
from tests.workflows.inspection_support import (
    COMMAND_LEAD,
    act,
    enterprise,
    head,
    inspection_input,
    officer,
    open_task,
    start,
    status,
)
from workflows.inspection import InspectionWorkflow
from workflows.penalty import PenaltyCaseWorkflow

CST = ZoneInfo("Asia/Shanghai")
THREE = [("market_reg", "食品经营许可"), ("ecology_env", "排污许可"), ("transport", "道路运输许可")]


async def today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(CST).date()


async def sleep_until(env: WorkflowEnvironment, day: date, hh: int = 0, mm: int = 5) -> None:
    instant = datetime.combine(day, time(hh, mm), CST)
    await env.sleep(instant - await env.get_current_time())


def pair(department: str) -> list[str]:
    return [officer(department).username, officer(department, 2).username]


async def accept_all(handle: WorkflowHandle, departments: list[str]) -> None:
    for d in departments:
        await act(handle, "invite", head(d), "accept", department=d, officers=pair(d))


async def rejected(handle: WorkflowHandle, kind: str, *args, **kw) -> str:
    """The action is refused by the validator with `kind` (Invalid, Forbidden, ...)."""
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, *args, **kw)
    assert err.value.cause.type == kind, err.value.cause
    return str(err.value.cause)


def compliant(item: str) -> dict:
    return {"item": item, "result": "compliant"}


async def test_three_departments_one_visit_with_a_rectification_and_its_reinspection(
        env: WorkflowEnvironment) -> None:
    planned = await today(env) + timedelta(days=3)
    handle = await start(env.client, inspection_input(enterprise(20), planned, items=THREE))
    await rejected(handle, "Forbidden", "approve_plan", head("ecology_env"), "approve")
    await act(handle, "approve_plan", head("market_reg"), "approve")

    invites = [await open_task(handle, "invite", d) for d, _ in THREE]
    assert {t.assignee_role for t in invites} == {"dept_head"}
    assert all(t.expires_at == datetime.combine(planned, time(0), CST) for t in invites)
    # An expired certificate, or someone not on the department's roster, is refused.
    why = await rejected(handle, "Invalid", "invite", head("transport"), "accept",
                         department="transport",
                         officers=["officer_transport", "officer_transport_expired"])
    assert "officer_transport_expired" in why
    await rejected(handle, "Invalid", "invite", head("transport"), "accept",
                   department="transport", officers=["officer_transport", "officer_market_reg"])
    await accept_all(handle, [d for d, _ in THREE])
    await status(handle, "scheduled")
    assert not [t for t in await handle.query(InspectionWorkflow.tasks)
                if t.step_code == "inspect"]  # nothing to record before the planned date

    await sleep_until(env, planned)
    await status(handle, "inspecting")
    await act(handle, "inspect", officer("market_reg"), "record", department="market_reg",
              findings=[compliant("食品经营许可")], officers_present=pair("market_reg"))
    # Another department's officer may not record, and one officer alone is no inspection.
    await rejected(handle, "Forbidden", "inspect", officer("market_reg"), "record",
                   department="ecology_env", findings=[compliant("排污许可")],
                   officers_present=pair("ecology_env"))
    why = await rejected(handle, "Invalid", "inspect", officer("ecology_env"), "record",
                         department="ecology_env", findings=[compliant("排污许可")],
                         officers_present=[officer("ecology_env").username])
    assert "第四十二条" in why
    rectify_by = planned + timedelta(days=5)
    await act(handle, "inspect", officer("ecology_env", 2), "record", department="ecology_env",
              findings=[{"item": "排污许可", "result": "violation", "legal_basis":
                         "《排污许可管理条例》第三十三条", "action": "rectify",
                         "rectify_by": rectify_by.isoformat(),
                         "evidence": ["media:photo-1"]}],
              officers_present=pair("ecology_env"))
    await act(handle, "inspect", officer("transport"), "record", department="transport",
              findings=[compliant("道路运输许可")], officers_present=pair("transport"))
    await status(handle, "handling")
    assert not [t for t in await handle.query(InspectionWorkflow.tasks)
                if t.step_code == "reinspect"]  # not before the rectification period ends

    await sleep_until(env, rectify_by + timedelta(days=1), 9)
    await act(handle, "reinspect", officer("ecology_env"), "pass", department="ecology_env")
    case = await handle.result()
    assert case.status == "closed" and case.closed_at is not None
    assert [(i.item, i.status, i.outcome) for i in case.items] == [
        ("食品经营许可", "compliant", "检查合格"), ("排污许可", "violation", "整改合格"),
        ("道路运输许可", "compliant", "检查合格")]
    assert all(p.status == "accepted" and len(p.officers) == 2 for p in case.departments)
    with Session(get_engine()) as session:  # one visit, and who went on it (for 回避)
        visit = session.get(Visit, case.id)
        assert visit is not None and not visit.open
        went = session.exec(select(VisitOfficer).where(VisitOfficer.visit_id == case.id)).all()
        assert len(went) == 6
    await save_history(handle, "inspection_three_departments")


async def test_a_department_that_never_answers_climbs_the_ladder_then_drops_out(
        env: WorkflowEnvironment) -> None:
    planned = await today(env) + timedelta(days=14)
    items = [("market_reg", "食品经营许可"), ("culture_tourism", "娱乐场所许可")]
    handle = await start(env.client, inspection_input(enterprise(21), planned, items=items))
    await act(handle, "approve_plan", head("market_reg"), "approve")
    await accept_all(handle, ["market_reg"])
    silent = await open_task(handle, "invite", "culture_tourism")
    assert silent.due_at is not None and silent.due_at < silent.expires_at

    await env.sleep(silent.due_at + timedelta(hours=1) - await env.get_current_time())
    task = next(t for t in await handle.query(InspectionWorkflow.tasks) if t.id == silent.id)
    assert task.status == "open" and task.escalation_level == 2 and task.watchers
    with Session(get_engine()) as session:
        told = session.exec(select(Notification).where(Notification.task_id == silent.id,
                                                       Notification.kind == "escalation")).all()
    assert {(n.level, n.recipient_role, n.recipient_department) for n in told} == {
        (1, "dept_head", "culture_tourism"), (2, "dept_head", "culture_tourism"),
        (2, "command_lead", None)}

    await sleep_until(env, planned)  # the visit goes ahead without it
    await act(handle, "inspect", officer("market_reg"), "record", department="market_reg",
              findings=[compliant("食品经营许可")], officers_present=pair("market_reg"))
    case = await handle.result()
    assert case.status == "closed"
    gone = next(p for p in case.departments if p.department == "culture_tourism")
    assert gone.status == "no_answer"
    unchecked = next(i for i in case.items if i.department == "culture_tourism")
    assert (unchecked.status, unchecked.reason) == ("not_checked", "邀约未答复")
    await save_history(handle, "inspection_no_answer")


async def test_two_departments_planning_one_enterprise_go_in_once(
        env: WorkflowEnvironment) -> None:
    planned = await today(env) + timedelta(days=6)
    company = enterprise(22)
    host = await start(env.client, inspection_input(company, planned))
    await act(host, "approve_plan", head("market_reg"), "approve")
    await accept_all(host, ["market_reg"])
    await status(host, "scheduled")

    joiner_input = inspection_input(company, planned + timedelta(days=3), type="complaint",
                                    lead="ecology_env", items=[("ecology_env", "噪声排放"),
                                                               ("market_reg", "食品经营许可")])
    joiner = await start(env.client, joiner_input)
    await act(joiner, "approve_plan", head("ecology_env"), "approve")
    await status(joiner, "inviting")
    hosted = await host.query(InspectionWorkflow.case)
    assert hosted.items[0].also_for == [joiner_input.id]  # one check serves both
    # The host invites the joiner's department to its visit; the joiner follows the host.
    await act(host, "invite", head("ecology_env"), "accept", department="ecology_env",
              officers=pair("ecology_env"))
    await status(host, "scheduled")
    await status(joiner, "scheduled")  # it hears where the visit stands
    await sleep_until(env, planned)
    await act(host, "inspect", officer("market_reg"), "record", department="market_reg",
              findings=[compliant("食品经营许可")], officers_present=pair("market_reg"))
    await act(host, "inspect", officer("ecology_env"), "record", department="ecology_env",
              findings=[compliant("噪声排放")], officers_present=pair("ecology_env"))
    hosted, followed = await host.result(), await joiner.result()
    assert hosted.joined == [joiner_input.id]
    assert followed.merged_into == hosted.id and followed.visit_id == hosted.id
    assert followed.status == "closed"
    assert {(p.department, p.status) for p in followed.departments} == {
        ("ecology_env", "accepted"), ("market_reg", "accepted")}
    assert sorted((i.item, i.status) for i in followed.items) == [
        ("噪声排放", "compliant"), ("食品经营许可", "compliant")]
    assert [i.inspection_id for i in hosted.items] == [hosted.id, joiner_input.id]
    assert not [t for t in await joiner.query(InspectionWorkflow.tasks)
                if t.step_code in ("invite", "inspect")]  # one visit, one record
    with Session(get_engine()) as session:
        notes = session.exec(select(Notification).where(
            Notification.workflow_id == joiner.id)).all()
    assert any("并入" in n.message and n.recipient_department == "ecology_env" for n in notes)
    await save_history(host, "inspection_merged_host")
    await save_history(joiner, "inspection_merged_joiner")


def past_visits(credit_code: str, department: str, days_ago: list[int], today_: date,
                officers: list[str] = ()) -> None:
    """Visits that took place, as earlier inspections would have left them."""
    with Session(get_engine()) as session:
        for n, ago in enumerate(days_ago):
            vid = f"past-{credit_code}-{department}-{n}"
            day = today_ - timedelta(days=ago)
            session.add(Visit(id=vid, credit_code=credit_code, planned_date=day, open=False,
                              countable=True, created_at=datetime.now(UTC)))
            session.add(VisitDepartment(visit_id=vid, department=department))
            session.add_all(VisitOfficer(visit_id=vid, username=u, day=day) for u in officers)
        session.commit()


async def test_over_the_caps_command_lead_decides_and_complaints_never_wait(
        env: WorkflowEnvironment) -> None:
    now = await today(env)
    company = enterprise(23)
    ago = [1, 2] if now.month == 1 and now.day <= 3 else [2, 3]  # within this year
    past_visits(company.credit_code, "market_reg", ago, now)
    planned = now + timedelta(days=3)
    routine = await start(env.client, inspection_input(company, planned))
    await act(routine, "approve_plan", head("market_reg"), "approve")
    task = await open_task(routine, "cap_exception")
    assert task.assignee_role == "command_lead"
    assert task.context["department_counts_this_year"] == {"market_reg": 2}
    assert task.context["over_department_cap"] == ["market_reg"]
    await rejected(routine, "Forbidden", "cap_exception", head("market_reg"), "approve")
    await act(routine, "cap_exception", COMMAND_LEAD, "refuse", "本年度已检查两次")
    case = await routine.result()
    assert (case.status, case.cap_exceeded, case.end_reason) == ("refused", True,
                                                                 "本年度已检查两次")

    complaint = await start(env.client, inspection_input(company, planned, type="complaint"))
    await act(complaint, "approve_plan", head("market_reg"), "approve")
    await status(complaint, "inviting")  # no cap for 个案 checks
    assert not [t for t in await complaint.query(InspectionWorkflow.tasks)
                if t.step_code == "cap_exception"]
    await env.client.get_workflow_handle(complaint.id).terminate("test done")

    busy = enterprise(27)
    past_visits(busy.credit_code, "transport", [3, 9, 20], now)  # 3 visits in 30 days
    approved = await start(env.client, inspection_input(busy, planned, type="campaign"))
    await act(approved, "approve_plan", head("market_reg"), "approve")
    task = await open_task(approved, "cap_exception")
    assert (task.context["visits_last_30_days"], task.context["over_enterprise_cap"]) == (3, True)
    await act(approved, "cap_exception", COMMAND_LEAD, "approve")
    await status(approved, "inviting")
    await save_history(routine, "inspection_cap_refused")
    await env.client.get_workflow_handle(approved.id).terminate("test done")


async def test_random_draw_takes_certified_officers_and_honours_recusal(
        env: WorkflowEnvironment) -> None:
    now = await today(env)
    company = enterprise(24)
    past_visits(company.credit_code, "ecology_env", [200], now, officers=["officer_ecology_env"])
    planned = now + timedelta(days=2)
    inp = inspection_input(company, planned, type="campaign", lead="market_reg",
                           items=[("market_reg", "食品安全"), ("ecology_env", "油烟排放")])
    handle = await start(env.client, inp)
    await act(handle, "approve_plan", head("market_reg"), "approve")
    await act(handle, "invite", head("market_reg"), "accept", department="market_reg",
              draw=True)
    result = await act(handle, "invite", head("ecology_env"), "accept",
                       department="ecology_env", draw=True)
    parts = {p["department"]: p for p in result["case"]["departments"]}
    for d in ("market_reg", "ecology_env"):
        drawn = parts[d]["officers"]
        assert parts[d]["drawn"] and len(drawn) == 2
        assert f"officer_{d}_expired" not in drawn  # only valid certificates
    assert "officer_ecology_env" not in parts["ecology_env"]["officers"]  # 回避
    # A complaint check names its officers: no draw.
    other = await start(env.client, inspection_input(enterprise(25), planned,
                                                     type="complaint"))
    await act(other, "approve_plan", head("market_reg"), "approve")
    why = await rejected(other, "Invalid", "invite", head("market_reg"), "accept",
                         department="market_reg", draw=True)
    assert "双随机" in why
    await env.client.get_workflow_handle(other.id).terminate("test done")

    await sleep_until(env, planned)
    for d, item in (("market_reg", "食品安全"), ("ecology_env", "油烟排放")):
        named = parts[d]["officers"]
        actor = officer(d).model_copy(update={"username": named[0]})
        await act(handle, "inspect", actor, "record", department=d,
                  findings=[compliant(item)], officers_present=named)
    case = await handle.result()
    assert case.status == "closed"
    # The same draw on replay: the history replays without a nondeterminism error.
    history = await handle.fetch_history()
    await Replayer(workflows=[InspectionWorkflow],
                   data_converter=pydantic_data_converter).replay_workflow(history)
    await save_history(handle, "inspection_drawn")


async def test_a_failed_reinspection_becomes_a_penalty_case(env: WorkflowEnvironment) -> None:
    planned = await today(env) + timedelta(days=1)
    handle = await start(env.client, inspection_input(enterprise(26), planned))
    await act(handle, "approve_plan", head("market_reg"), "approve")
    await accept_all(handle, ["market_reg"])
    await sleep_until(env, planned)
    rectify_by = planned + timedelta(days=3)
    await act(handle, "inspect", officer("market_reg"), "record", department="market_reg",
              findings=[{"item": "食品经营许可", "result": "violation",
                         "legal_basis": "《食品安全法》第一百二十二条", "action": "rectify",
                         "rectify_by": rectify_by.isoformat()}],
              officers_present=pair("market_reg"))
    await sleep_until(env, rectify_by + timedelta(days=1), 9)
    result = await act(handle, "reinspect", officer("market_reg", 2), "fail", "仍无证经营",
                       department="market_reg")
    case_id = result["case"]["penalty_cases"][0]
    penalty = env.client.get_workflow_handle(f"penalty-{case_id}")
    for _ in range(100):
        tasks = await penalty.query(PenaltyCaseWorkflow.tasks)
        if tasks:
            break
    assert tasks[0].step_code == "file" and tasks[0].assignee_department == "market_reg"
    penalty_case = await penalty.query(PenaltyCaseWorkflow.case)
    assert penalty_case.officers == pair("market_reg")
    assert penalty_case.inspection_id == result["case"]["id"]
    from domain.tasks import TaskAction

    await penalty.execute_update(PenaltyCaseWorkflow.act, TaskAction(
        task_id=tasks[0].id, decision="reject", comment="已责令停业，另案处理",
        actor=head("market_reg")))
    case = await handle.result()
    assert case.status == "closed"
    assert case.items[0].outcome == f"处罚案件 {case_id}：不予立案"
    await save_history(handle, "inspection_penalty_case")


async def test_a_check_planned_for_today_goes_ahead_once_everyone_answered(
        env: WorkflowEnvironment) -> None:
    now = await today(env)
    handle = await start(env.client, inspection_input(enterprise(28), now, type="complaint"))
    await act(handle, "approve_plan", head("market_reg"), "approve")
    invite = await open_task(handle, "invite", "market_reg")
    assert invite.expires_at == datetime.combine(now + timedelta(days=1), time(0), CST)
    await accept_all(handle, ["market_reg"])
    task = await open_task(handle, "inspect", "market_reg")  # no waiting for a date
    assert task.assignee_users == pair("market_reg")


async def test_a_host_ended_by_an_operator_leaves_its_joiner_to_go_alone(
        env: WorkflowEnvironment) -> None:
    planned = await today(env) + timedelta(days=4)
    company = enterprise(29)
    host = await start(env.client, inspection_input(company, planned))
    await act(host, "approve_plan", head("market_reg"), "approve")
    await status(host, "inviting")
    await host.terminate("ended by an operator")
    joiner = await start(env.client, inspection_input(company, planned, type="complaint",
                                                      lead="transport",
                                                      items=[("transport", "运输许可")]))
    await act(joiner, "approve_plan", head("transport"), "approve")
    task = await open_task(joiner, "invite", "transport")  # it invites for itself
    case = await joiner.query(InspectionWorkflow.case)
    assert case.merged_into is None and case.visit_id == case.id and task.status == "open"
    with Session(get_engine()) as session:  # it did find the host's open visit first
        assert session.get(VisitJoin, (host.id.removeprefix("inspection-"), case.id))
