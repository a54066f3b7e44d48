"""Bad input gets a clear 401/403/404/409/422, and a rejected action writes no history."""

import time

import pytest

from tests.support import Api


@pytest.fixture
def filing_task(api: Api) -> tuple[dict, dict]:
    case = api.report()
    return case, api.task("intake", case["id"])


def history_length(api: Api, workflow_id: str) -> int:
    """Audit entries once the workflow has settled (it keeps working after a task opens)."""
    last = -1
    for _ in range(50):
        n = len(api.get(f"/audit/{workflow_id}", "auditor").json()["entries"])
        if n == last:
            return n
        last = n
        time.sleep(0.1)
    return last


def test_no_token_or_bad_token_is_401(api: Api, filing_task) -> None:
    _, task = filing_task
    assert api.http.get("/tasks").status_code == 401
    assert api.http.post(f"/tasks/{task['id']}/complete", json={"decision": "accept"}
                         ).status_code == 401
    r = api.http.get("/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert api.http.post("/auth/token", data={"username": "intake", "password": "x"}
                         ).status_code == 401


def test_report_source_must_match_role(api: Api) -> None:
    body = {"source": "ai_video", "category_code": "BJ0101", "description": "x",
            "location": {"lat": 29.48, "lng": 106.48}}
    r = api.post("/incidents", "citizen", json=body)
    assert r.status_code == 403 and "ai_video" in r.json()["detail"]
    assert api.post("/incidents", "ai_camera", json=body).status_code == 201
    assert api.post("/incidents", "dispatcher", json=body).status_code == 403


@pytest.mark.parametrize("change", [
    {"category_code": "XX9999"},
    {"source": "fax"},
    {"description": ""},
    {"location": {"lat": 200, "lng": 106.48}},
    {"street": "atlantis"},
])
def test_bad_report_is_422(api: Api, change: dict) -> None:
    body = {"source": "citizen", "category_code": "BJ0101", "description": "x",
            "location": {"lat": 29.48, "lng": 106.48}} | change
    r = api.post("/incidents", "citizen", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_unknown_task_is_404(api: Api) -> None:
    assert api.act("intake", "incident-nope.1", "accept").status_code == 404
    assert api.get("/incidents/nope", "intake").status_code == 404


@pytest.mark.parametrize("user", ["officer_urban_mgmt", "citizen", "auditor", "dispatcher"])
def test_not_the_assignee_is_403_and_writes_nothing(api: Api, filing_task, user: str) -> None:
    case, task = filing_task
    before = history_length(api, case["workflow_id"])
    r = api.act(user, task["id"], "accept")
    assert r.status_code == 403, r.text
    assert "not the assignee" in r.json()["detail"]
    assert history_length(api, case["workflow_id"]) == before


@pytest.mark.parametrize(("decision", "comment", "data", "words"), [
    ("approve", None, {}, "unknown decision"),
    ("reject", None, {}, "needs a comment"),
    ("reject", "   ", {}, "needs a comment"),
])
def test_invalid_decision_is_422_and_writes_nothing(api: Api, filing_task, decision, comment,
                                                     data, words) -> None:
    case, task = filing_task
    before = history_length(api, case["workflow_id"])
    r = api.act("intake", task["id"], decision, comment, **data)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]
    assert history_length(api, case["workflow_id"]) == before
    assert api.get(f"/incidents/{case['id']}", "intake").json()["status"] == "filing"


def test_missing_data_and_bad_category_are_422(api: Api, filing_task) -> None:
    case, task = filing_task
    assert api.act("intake", task["id"], "accept", category_code="XX0000").status_code == 422
    api.act("intake", task["id"], "accept")
    dispatch = api.task("dispatcher", case["id"])
    before = history_length(api, case["workflow_id"])
    r = api.act("dispatcher", dispatch["id"], "dispatch")
    assert r.status_code == 422 and "department" in r.json()["detail"]
    r = api.act("dispatcher", dispatch["id"], "dispatch", department="mars")
    assert r.status_code == 422
    assert history_length(api, case["workflow_id"]) == before
    api.act("dispatcher", dispatch["id"], "dispatch", department="urban_mgmt")
    handle = api.task("officer_urban_mgmt", case["id"])
    assert api.act("officer_urban_mgmt", handle["id"], "done").status_code == 422
    assert api.act("officer_urban_mgmt", handle["id"], "return").status_code == 422
    r = api.act("officer_jiugongmiao", handle["id"], "done", result="x")
    assert r.status_code == 403  # an officer of another department


def test_acting_twice_is_409(api: Api, filing_task) -> None:
    case, task = filing_task
    assert api.act("intake", task["id"], "accept").status_code == 200
    before = history_length(api, case["workflow_id"])
    r = api.act("intake", task["id"], "accept")
    assert r.status_code == 409
    assert history_length(api, case["workflow_id"]) == before


def test_acting_on_a_finished_case_is_409(api: Api, filing_task) -> None:
    _, task = filing_task
    api.act("intake", task["id"], "reject", comment="不属实")
    assert api.act("intake", task["id"], "reject", comment="again").status_code == 409


def test_citizens_follow_only_their_own_cases(api: Api) -> None:
    case = api.report(user="inspector", source="inspector")
    assert api.get(f"/incidents/{case['id']}", "citizen").status_code == 403
    assert case["id"] not in [c["id"] for c in api.get("/incidents", "citizen").json()]


def test_inbox_shows_only_what_the_caller_may_act_on(api: Api, filing_task) -> None:
    case, task = filing_task
    assert task["id"] in [t["id"] for t in api.get("/tasks", "intake").json()]
    for user in ("dispatcher", "officer_urban_mgmt", "citizen", "auditor"):
        assert task["id"] not in [t["id"] for t in api.get("/tasks", user).json()]
    assert api.get("/tasks", "intake", params={"status": "bogus"}).status_code == 422
