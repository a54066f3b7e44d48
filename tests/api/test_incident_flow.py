"""The incident case end to end over HTTP: dev server, real worker, real API."""

import time
from datetime import datetime, timedelta

from domain.timefmt import SHANGHAI
from tests.support import Api, record_history


def test_full_loop_from_citizen_report_to_evaluation(api: Api) -> None:
    case = api.report(category_code="SJ0101", description="路边暴露垃圾")
    assert case["status"] == "filing"
    assert case["street"] == "jiugongmiao"

    task = api.task("intake", case["id"], "立案")
    assert task["allowed_decisions"] == ["accept", "reject", "void"]
    assert task["due_at"] and task["warn_at"] and task["escalation_level"] == 0
    r = api.act("intake", task["id"], "accept")
    assert r.status_code == 200, r.text
    assert r.json()["task"]["status"] == "done"
    assert r.json()["case"]["status"] == "dispatching"

    task = api.task("dispatcher", case["id"], "派遣")
    assert task["context"] == {"suggested_department": "jiugongmiao"}
    # 事件 go to the locality first: the street is suggested.
    assert api.get(f"/incidents/{case['id']}", "dispatcher").json()[
        "suggested_department"] == "jiugongmiao"
    r = api.act("dispatcher", task["id"], "dispatch", department="jiugongmiao")
    assert r.json()["case"]["status"] == "handling"
    assert r.json()["case"]["handle_due_at"]

    task = api.task("officer_jiugongmiao", case["id"], "处置")
    r = api.act("officer_jiugongmiao", task["id"], "done", result="已清运", photos=["https://img.ddk.gov.cn/p/1.jpg"])
    assert r.json()["case"]["status"] == "verifying"

    task = api.task("inspector", case["id"], "核查")
    r = api.act("inspector", task["id"], "pass")
    assert r.json()["case"]["status"] == "evaluating"
    assert r.json()["case"]["closed_at"]
    assert r.json()["case"]["on_time"] is True

    task = api.task("citizen", case["id"], "评价")
    r = api.act("citizen", task["id"], "satisfied")
    assert r.json()["case"]["status"] == "closed"
    # The answer shows a reporter what their case page shows, not the staff's whole case.
    assert "reports" not in r.json()["case"] and "result_photos" not in r.json()["case"]
    assert [x["description"] for x in r.json()["case"]["my_reports"]] == ["路边暴露垃圾"]

    state = api.get(f"/incidents/{case['id']}", "citizen").json()
    assert state["status"] == "closed"
    assert state["evaluation"] == "satisfied" and state["result"] == "已清运"
    assert [r["description"] for r in state["my_reports"]] == ["路边暴露垃圾"]
    staff = api.get(f"/incidents/{case['id']}", "intake").json()
    assert staff["result_photos"] == ["https://img.ddk.gov.cn/p/1.jpg"]
    assert staff["open_task_ids"] == [] and staff["reported_at"].endswith("+08:00")
    listed = api.get("/incidents", "intake", params={"status": "closed"}).json()
    assert case["id"] in [c["id"] for c in listed]
    done = api.get("/tasks", "intake", params={"status": "done"}).json()
    assert any(t["case_id"] == case["id"] and t["decision"] == "accept" for t in done)
    # The reporter heard of every change of status.
    notes = [n["message"] for n in api.get("/notifications", "citizen").json()
             if n["workflow_id"] == case["workflow_id"]]
    for word in ("待立案", "待派遣", "处置中", "待核查", "待评价", "已结案"):
        assert any(word in m for m in notes), (word, notes)
    record_history(case["workflow_id"], "incident_http_evaluated")


def test_return_then_rework(api: Api) -> None:
    case = api.report(user="inspector", source="inspector", category_code="BJ0101")
    assert case["status"] == "dispatching"  # inspector reports are filed automatically

    task = api.task("dispatcher", case["id"])
    api.act("dispatcher", task["id"], "dispatch", department="housing")
    task = api.task("officer_housing", case["id"])
    r = api.act("officer_housing", task["id"], "return", comment="井盖属城管权属，派错部门")
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "dispatching"
    assert r.json()["case"]["returns"] == 1

    task = api.task("dispatcher", case["id"])
    api.act("dispatcher", task["id"], "dispatch", department="urban_mgmt")
    task = api.task("officer_urban_mgmt", case["id"])
    api.act("officer_urban_mgmt", task["id"], "done", result="已更换井盖")
    first_due = api.get(f"/incidents/{case['id']}", "dispatcher").json()["handle_due_at"]

    task = api.task("inspector", case["id"])
    r = api.act("inspector", task["id"], "fail", comment="井盖仍不平整")
    assert r.json()["case"]["status"] == "handling"
    assert r.json()["case"]["reworks"] == 1
    assert r.json()["case"]["handle_due_at"] >= first_due  # a new limit from now

    task = api.task("officer_urban_mgmt", case["id"])
    api.act("officer_urban_mgmt", task["id"], "done", result="已重新安装")
    task = api.task("inspector", case["id"])
    r = api.act("inspector", task["id"], "pass")
    assert r.json()["case"]["status"] == "closed"  # no evaluation for inspector reports
    row = next(c for c in api.get("/incidents", "command_lead").json() if c["id"] == case["id"])
    assert (row["returns"], row["reworks"], row["department"]) == (1, 1, "urban_mgmt")
    record_history(case["workflow_id"], "incident_http_return_rework")


def test_reject_at_filing(api: Api) -> None:
    case = api.report(description="重复举报")
    task = api.task("intake", case["id"])
    r = api.act("intake", task["id"], "reject", comment="不属于城市管理范围")
    assert r.status_code == 200
    assert r.json()["case"]["status"] == "rejected"
    assert api.get(f"/incidents/{case['id']}", "citizen").json()["status"] == "rejected"
    record_history(case["workflow_id"], "incident_http_rejected")


def test_filing_may_correct_the_category(api: Api) -> None:
    case = api.report(category_code="BJ0101")
    task = api.task("intake", case["id"])
    r = api.act("intake", task["id"], "accept", category_code="BJ0102")
    assert r.json()["case"]["category"]["code"] == "BJ0102"
    record_history(case["workflow_id"], "incident_http_recategorised")


def test_audit_reads_who_did_what_from_history(api: Api) -> None:
    case = api.report()
    task = api.task("intake", case["id"])
    api.act("intake", task["id"], "reject", comment="信息不全")
    for _ in range(50):  # the workflow completes just after the action's response
        audit = api.get(f"/audit/{case['workflow_id']}", "auditor").json()
        if audit["status"] == "COMPLETED":
            break
        time.sleep(0.1)
    assert audit["process"] == "incident"
    events = [(e["event"], e["actor"], e["action"]) for e in audit["entries"]]
    assert events[0] == ("started", "citizen", "start")
    assert audit["entries"][0]["detail"]["category"].startswith("BJ0101")
    assert ("action", "intake", "reject") in events
    assert events[-1][0] == "completed" and events[-1][2] == "rejected"
    action = next(e for e in audit["entries"] if e["event"] == "action")
    assert action["role"] == "intake" and action["detail"]["comment"] == "信息不全"
    assert api.get(f"/audit/{case['workflow_id']}", "intake").status_code == 403
    assert api.get("/audit/incident-nope", "admin").status_code == 404


def test_me_categories_health_docs(api: Api) -> None:
    me = api.get("/me", "officer_urban_mgmt").json()
    assert me == {"username": "officer_urban_mgmt", "display_name": "城市管理局处置员",
                  "role": "officer", "department": "urban_mgmt"}
    cats = api.http.get("/categories").json()
    assert len(cats) >= 20 and {c["class"] for c in cats} == {"部件", "事件"}
    assert {"code", "name", "class", "major_class", "department", "limit"} <= set(cats[0])
    assert api.http.get("/health").json()["status"] == "ok"
    assert api.http.get("/docs").status_code == 200
    assert "/tasks/{task_id}/complete" in api.http.get("/openapi.json").json()["paths"]


def test_repeated_ai_video_and_citizen_reports_join_the_open_case(api: Api) -> None:
    spot = {"lat": 29.4791, "lng": 106.4801, "address": "九宫庙 AI 摄像头 17"}
    first = api.report(user="ai_camera", source="ai_video", category_code="SJ0102",
                       location=spot)
    api.task("intake", first["id"])  # the case is open and projected
    near = {"lat": 29.4793, "lng": 106.4802}  # about 24 m away
    r = api.post("/incidents", "ai_camera", json={
        "source": "ai_video", "category_code": "SJ0102", "description": "再次抓拍",
        "location": near})
    assert r.status_code == 200 and r.json()["joined"] is True
    assert r.json()["id"] == first["id"]
    r = api.post("/incidents", "citizen", json={
        "source": "citizen", "category_code": "SJ0102", "description": "我也看到了",
        "location": near})
    assert r.json()["joined"] is True and first["id"] in r.json()["message"]
    # The joiner follows the case: in their list, and its page shows their own report only.
    listed = api.eventually(lambda: next((c for c in api.get("/incidents", "citizen").json()
                                          if c["id"] == first["id"]), None))
    assert "address" not in listed and "description" not in listed
    case = api.get(f"/incidents/{first['id']}", "citizen").json()
    assert [x["description"] for x in case["my_reports"]] == ["我也看到了"]
    assert case["report_count"] == 3 and "reports" not in case
    assert "AI 摄像头" not in str(case) and "ai_camera" not in str(case)
    staff = api.get(f"/incidents/{first['id']}", "dispatcher").json()
    assert [x["source"] for x in staff["reports"]] == ["ai_video", "ai_video", "citizen"]
    record_history(first["workflow_id"], "incident_http_joined")

    far = {"lat": 29.4791, "lng": 106.4811}  # about 97 m east: a new case
    r = api.post("/incidents", "ai_camera", json={
        "source": "ai_video", "category_code": "SJ0102", "description": "x", "location": far})
    assert r.status_code == 201 and r.json()["id"] != first["id"]
    other = api.post("/incidents", "ai_camera", json={
        "source": "ai_video", "category_code": "SJ0101", "description": "x", "location": near})
    assert other.status_code == 201  # another category never joins
    inspector = api.report(user="inspector", source="inspector", category_code="SJ0102",
                           location=near)
    assert inspector["joined"] is False  # inspector reports are always cases of their own


def test_city_dispatch_carries_reference_and_deadline(api: Api) -> None:
    body = {"source": "city_dispatch", "category_code": "BJ0101", "description": "市级下派",
            "location": {"lat": 29.4805, "lng": 106.4789}}
    deadline = (datetime.now(SHANGHAI) + timedelta(hours=2)).replace(microsecond=0)
    r = api.post("/incidents", "city_platform", json=body)
    assert r.status_code == 422 and "external_ref" in r.json()["detail"]
    r = api.post("/incidents", "city_platform", json=body | {
        "external_ref": "CQ-1", "deadline": "2020-01-01T00:00:00+08:00"})
    assert r.status_code == 422 and "past" in r.json()["detail"]
    r = api.post("/incidents", "city_platform", json=body | {
        "external_ref": "CQ-2026-7781", "deadline": deadline.isoformat()})
    assert r.status_code == 201
    case = api.get(f"/incidents/{r.json()['id']}", "dispatcher").json()
    assert case["external_ref"] == "CQ-2026-7781"
    assert case["city_deadline"] == deadline.isoformat()
    api.act("intake", api.task("intake", case["id"])["id"], "accept")
    api.act("dispatcher", api.task("dispatcher", case["id"])["id"], "dispatch",
            department="urban_mgmt")
    handling = api.task("officer_urban_mgmt", case["id"])
    assert handling["due_at"] == deadline.isoformat()  # sooner than the catalogue's limit
    record_history(case["workflow_id"], "incident_http_city_deadline")


def test_extension_request_reaches_command_lead_through_the_inbox(api: Api) -> None:
    case = api.report(user="inspector", source="inspector")
    api.act("dispatcher", api.task("dispatcher", case["id"])["id"], "dispatch",
            department="urban_mgmt")
    handle = api.task("officer_urban_mgmt", case["id"])
    assert handle["allowed_decisions"] == ["done", "return", "extend", "park"]
    assert api.act("officer_urban_mgmt", handle["id"], "extend", "需协调燃气公司"
                   ).status_code == 422  # neither working_hours nor until
    r = api.act("officer_urban_mgmt", handle["id"], "extend", "需协调燃气公司", working_hours=8)
    assert r.status_code == 200 and r.json()["task"]["status"] == "open"
    approval = api.task("command_lead", case["id"], "审批")
    assert approval["id"] == r.json()["approval_task_id"]
    assert approval["context"]["request"] == "extend"
    assert approval["context"]["requested_by"] == "officer_urban_mgmt"
    assert api.act("officer_urban_mgmt", handle["id"], "extend", "再次", working_hours=1
                   ).status_code == 409  # one request at a time
    assert api.act("dispatcher", approval["id"], "approve").status_code == 403
    r = api.act("command_lead", approval["id"], "approve")
    assert r.status_code == 200 and r.json()["case"]["extensions"] == 1
    new_due = api.get(f"/tasks/{handle['id']}", "officer_urban_mgmt").json()["due_at"]
    assert new_due > handle["due_at"]
    notes = api.get("/notifications", "officer_urban_mgmt").json()
    assert any(case["id"] in n["message"] and "已批准" in n["message"] for n in notes)
    record_history(case["workflow_id"], "incident_http_extension")
