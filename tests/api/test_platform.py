"""The platform every process shares, over HTTP: the drill process (it lives in the test
suite) shows up in /tasks and /audit without either knowing it; concurrent reports of one spot
open exactly one case; ids are never reused; single-task reads are authorised like the inbox;
two officers acting at once; a stale projection never wins."""

import asyncio
import os
import threading
import uuid
from datetime import UTC, datetime

import httpx
from sqlmodel import Session

from db.engine import get_engine
from db.models import IncidentRow, Notification, TaskRow
from domain.tasks import Actor, Limit
from tests.processes.drill import DrillInput
from tests.support import Api
from workflows.registry import processes


def run(coro):
    async def with_client():
        from temporal_client import connect

        client = await connect(os.environ["TEMPORAL_ADDRESS"])
        return await coro(client)

    return asyncio.run(with_client())


def start_drill(**kw) -> str:
    inp = DrillInput(id=uuid.uuid4().hex[:8], starter=Actor(username="command_lead",
                                                             role="command_lead"), **kw)

    async def go(client):
        handle = await processes()["drill"].start(client, inp.id, inp)
        return handle.id

    return run(go)


def drill_tasks(api: Api, user: str, workflow_id: str) -> list[dict]:
    return api.eventually(lambda: [t for t in api.get("/tasks", user).json()
                                   if t["workflow_id"] == workflow_id] or None)


def test_a_new_process_appears_in_tasks_and_audit_untouched(api: Api) -> None:
    wf = start_drill(sign_need=2, reply_limit=Limit(value=0.002, unit="calendar_hours"),
                     expire_share=3.0)
    [a] = drill_tasks(api, "officer_urban_mgmt", wf)
    [b] = drill_tasks(api, "officer_market_reg", wf)
    assert a["process"] == "drill" and a["step"] == "会签"
    agree = next(d for d in a["decisions"] if d["name"] == "agree")
    assert agree["data_schema"]["properties"]["opinion"]["maxLength"] == 200
    assert api.act("officer_urban_mgmt", a["id"], "agree", opinion="").status_code == 422
    r = api.act("officer_urban_mgmt", a["id"], "agree", opinion="同意")
    assert r.status_code == 200 and r.json()["case"]["signed"] == ["urban_mgmt"]
    assert api.get(f"/tasks/{b['id']}", "officer_market_reg").json()["status"] == "open"
    assert api.act("officer_market_reg", b["id"], "agree", opinion="同意").status_code == 200
    [reply] = drill_tasks(api, "citizen", wf)
    postpone = next(d for d in reply["decisions"] if d["name"] == "postpone")
    assert postpone["closes"] is False and postpone["approval_role"] == "command_lead"
    # 7.2 s limit: the ladder warns, goes overdue and lists the task as 督办 for dept_head.
    watched = api.eventually(lambda: [t for t in api.get("/tasks", "head_urban_mgmt").json()
                                      if t["id"] == reply["id"] and t["supervised"]] or None,
                             timeout=30)
    assert watched[0]["escalation_level"] >= 2
    assert api.get(f"/tasks/{reply['id']}", "head_urban_mgmt").status_code == 200
    assert api.act("citizen", reply["id"], "reply", "收到").status_code == 200

    audit = api.eventually(lambda: (a := api.get(f"/audit/{wf}", "auditor").json())
                           ["status"] == "COMPLETED" and a)
    assert audit["process"] == "drill"
    entries = audit["entries"]
    assert (entries[0]["event"], entries[0]["actor"]) == ("started", "command_lead")
    actions = [(e["actor"], e["action"]) for e in entries if e["event"] == "action"]
    assert actions == [("officer_urban_mgmt", "agree"), ("officer_market_reg", "agree"),
                       ("citizen", "reply")]
    levels = [e["action"] for e in entries if e["event"] == "escalation"]
    assert levels[:2] == ["level_1", "level_2"]
    assert entries[-1]["event"] == "completed"


def test_audit_follows_a_case_across_continue_as_new(api: Api) -> None:
    wf = start_drill(sign_need=1, continue_as_new=True)
    [a] = drill_tasks(api, "officer_urban_mgmt", wf)
    api.act("officer_urban_mgmt", a["id"], "agree", opinion="同意")
    [reply] = drill_tasks(api, "citizen", wf)
    assert api.act("citizen", reply["id"], "reply", "好").status_code == 200
    audit = api.eventually(lambda: (a := api.get(f"/audit/{wf}", "auditor").json())
                           ["status"] == "COMPLETED" and a)
    assert audit["runs"] == 2
    events = [e["event"] for e in audit["entries"]]
    assert events.count("started") == 2 and "continued_as_new" in events
    assert [e["action"] for e in audit["entries"] if e["event"] == "action"] == [
        "agree", "reply"]


def test_twenty_concurrent_reports_of_one_spot_open_exactly_one_case(api: Api) -> None:
    spot = {"lat": 29.4702, "lng": 106.4692}
    barrier = threading.Barrier(20)
    results: list[httpx.Response] = []
    auth = api.auth("ai_camera")

    def fire(i: int) -> None:
        with httpx.Client(base_url=str(api.http.base_url), timeout=60) as http:
            barrier.wait()
            results.append(http.post("/incidents", headers=auth, json={
                "source": "ai_video", "category_code": "SJ0105", "description": f"抓拍{i}",
                "location": {"lat": spot["lat"] + i * 1e-5, "lng": spot["lng"]}}))

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200] * 19 + [201], \
        [r.text for r in results]
    ids = {r.json()["id"] for r in results}
    assert len(ids) == 1
    [case_id] = ids
    case = api.eventually(lambda: (c := api.get(f"/incidents/{case_id}", "dispatcher").json())
                          ["report_count"] == 20 and c)
    assert sorted(r["description"] for r in case["reports"]) == sorted(
        f"抓拍{i}" for i in range(20))


def test_a_case_id_is_never_reused(api: Api) -> None:
    from temporalio.exceptions import WorkflowAlreadyStartedError

    case = api.report()
    api.act("intake", api.task("intake", case["id"])["id"], "reject", "重复")

    async def restart(client) -> str:
        await client.get_workflow_handle(case["workflow_id"]).result()  # closed now
        try:
            await processes()["incident"].start(client, case["id"], {"id": case["id"]})
        except WorkflowAlreadyStartedError:
            return "refused"
        return "started"

    assert run(restart) == "refused"


def test_single_task_reads_are_authorised_like_the_inbox(api: Api) -> None:
    case = api.report()
    task = api.task("intake", case["id"])
    assert api.get(f"/tasks/{task['id']}", "intake").status_code == 200
    for outsider in ("citizen", "dispatcher", "officer_urban_mgmt", "head_urban_mgmt"):
        r = api.get(f"/tasks/{task['id']}", outsider)
        assert r.status_code == 403, (outsider, r.text)
        assert "井盖" not in r.text
    assert api.get(f"/tasks/{task['id']}", "auditor").status_code == 200
    assert api.get("/tasks/incident-nope.1", "intake").status_code == 404
    api.act("intake", task["id"], "accept")
    assert api.get(f"/tasks/{task['id']}", "intake").json()["status"] == "done"  # who closed
    assert api.get(f"/tasks/{task['id']}", "dispatcher").status_code == 403


def test_two_officers_acting_on_one_task_at_once(api: Api) -> None:
    case = api.report(user="inspector", source="inspector")
    api.act("dispatcher", api.task("dispatcher", case["id"])["id"], "dispatch",
            department="urban_mgmt")
    task = api.task("officer_urban_mgmt", case["id"])
    barrier = threading.Barrier(2)
    results: list[httpx.Response] = []
    auth = api.auth("officer_urban_mgmt")

    def act(decision: str, payload: dict) -> None:
        with httpx.Client(base_url=str(api.http.base_url), timeout=60) as http:
            barrier.wait()
            results.append(http.post(f"/tasks/{task['id']}/complete", headers=auth,
                                     json={"decision": decision, **payload}))

    threads = [threading.Thread(target=act, args=("done", {"data": {"result": "已修复"}})),
               threading.Thread(target=act, args=("return", {"comment": "非本部门"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 200).json()
    expected = "verifying" if winner["task"]["decision"] == "done" else "dispatching"
    assert winner["case"]["status"] == expected
    assert api.get(f"/incidents/{case['id']}", "dispatcher").json()["status"] == expected


def test_a_stale_projection_never_wins(api: Api) -> None:
    import activities.incident  # noqa: F401  (registers the incident case writer)
    from activities.projection import project
    from domain.tasks import Projection, Task

    case = api.report()
    task = api.task("intake", case["id"])
    api.act("intake", task["id"], "accept")
    with Session(get_engine()) as session:
        row = session.get(TaskRow, task["id"])
        version, case_version = row.version, session.get(IncidentRow, case["id"]).version
    stale = Task(id=task["id"], workflow_id=case["workflow_id"], process="incident",
                 case_id=case["id"], step="立案", step_code="file", title="stale",
                 assignee_role="intake", opened_at=datetime.now(UTC), decisions=[],
                 version=version - 1)
    state = api.get(f"/incidents/{case['id']}", "intake").json()
    old_case = {**state, "status": "filing", "version": case_version - 1}
    project(Projection(process="incident", case=old_case, tasks=[stale]))
    with Session(get_engine()) as session:
        assert session.get(TaskRow, task["id"]).status == "done"
        assert session.get(IncidentRow, case["id"]).status == "dispatching"


def test_a_task_read_from_the_case_can_be_acted_on_before_it_is_projected(api: Api) -> None:
    """The case (the workflow) may name a task the inbox has not caught up with yet."""
    case = api.report()
    task_id = api.eventually(lambda: api.get(f"/incidents/{case['id']}", "intake").json()
                             ["open_task_ids"] or None)[0]
    def projected() -> bool:  # the case may answer a moment before its projection lands
        with Session(get_engine()) as session:
            return session.get(TaskRow, task_id) is not None

    api.eventually(projected)
    with Session(get_engine()) as session:  # as if the projection were still on its way
        session.delete(session.get(TaskRow, task_id))
        session.commit()
    assert api.act("citizen", task_id, "accept").status_code == 403  # still the workflow's call
    r = api.act("intake", task_id, "accept")
    assert r.status_code == 200 and r.json()["case"]["status"] == "dispatching"
    assert api.act("intake", f"{case['workflow_id']}.99", "accept").status_code == 404
    assert api.act("intake", "incident-19990101-000000.1", "accept").status_code == 404
    assert api.act("intake", "nothing-here.1", "accept").status_code == 404


def test_an_enterprise_account_sees_no_one_elses_cases_or_notices(api: Api) -> None:
    """`party` accounts are outside the government, like citizens: the incidents list shows them
    only what they reported (nothing), and no notice to the whole role reaches them."""
    case = api.report()
    assert api.get("/incidents", "party_1").json() == []
    assert api.get(f"/incidents/{case['id']}", "party_1").status_code == 403
    assert api.get("/incidents/stats", "party_1").status_code == 403
    with Session(get_engine()) as session:
        session.add(Notification(key=f"test-broadcast-{case['id']}", workflow_id="x",
                                 recipient_role="party", message="to every enterprise"))
        session.commit()
    assert not [n for n in api.get("/notifications", "party_1").json()
                if n["message"] == "to every enterprise"]
