"""Bad input gets a clear 401/403/404/409/422, and a rejected action writes no history."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support import SPOTS, Api


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


# --- input that could jam a case, or crash the API (issue 6) -------------------------------

REPORT = {"source": "citizen", "category_code": "BJ0101", "description": "井盖破损",
          "location": {"lat": 29.48, "lng": 106.48}}
RAW_JSON = {"content-type": "application/json"}


def assert_422(r: httpx.Response) -> list[dict]:
    """A 422 in FastAPI's documented shape that carries nothing the caller sent."""
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]  # valid JSON, even for NaN or a lone surrogate
    assert isinstance(detail, list) and detail
    for problem in detail:
        assert set(problem) == {"loc", "msg", "type"}
    return detail


def test_a_body_over_64_kib_is_413(api: Api) -> None:
    body = REPORT | {"description": "井" * 30_000}  # 90 KB in UTF-8
    r = api.post("/incidents", "citizen", json=body)
    assert r.status_code == 413, r.text
    assert r.json() == {"detail": "request body larger than 65536 bytes"}


def test_a_streamed_body_is_counted(api: Api) -> None:
    """Without a Content-Length (chunked), the body is counted as it arrives."""
    def chunks() -> Iterator[bytes]:
        yield b'{"source": "citizen", "description": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    r = api.http.post("/incidents", content=chunks(),
                      headers=api.auth("citizen") | RAW_JSON)
    assert r.status_code == 413, r.text
    assert r.json() == {"detail": "request body larger than 65536 bytes"}


@pytest.mark.parametrize("photos", [
    [f"https://example.com/p/{i}.jpg" for i in range(21)],  # more than 20
    ["https://example.com/" + "p" * 490],  # longer than 500 characters
    ["data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"],
    ["IMG_0001.jpg"],  # not a URL or media: reference
    ["media:abc\u0000def"],
])
def test_photos_are_bounded_references(api: Api, photos: list[str]) -> None:
    assert_422(api.post("/incidents", "citizen", json=REPORT | {"photos": photos}))


@pytest.mark.parametrize("change", [
    {"description": "x" * 2001},
    {"description": "a\u0000b"},
    {"description": "bell \u0007"},
    {"location": {"lat": 29.48, "lng": 106.48, "address": "x" * 201}},
    {"external_ref": "x" * 65},
    {"category_code": "BJ0101' OR 1=1"},
])
def test_text_fields_are_bounded_and_printable(api: Api, change: dict) -> None:
    assert_422(api.post("/incidents", "citizen", json=REPORT | change))


@pytest.mark.parametrize("coordinate", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_coordinates_are_422(api: Api, coordinate: str) -> None:
    raw = ('{"source": "citizen", "category_code": "BJ0101", "description": "x", '
           f'"location": {{"lat": {coordinate}, "lng": 106.48}}}}')
    r = api.http.post("/incidents", content=raw, headers=api.auth("citizen") | RAW_JSON)
    detail = assert_422(r)
    assert ["body", "location", "lat"] in [p["loc"] for p in detail]
    assert "NaN" not in r.text and "Infinity" not in r.text


def test_a_lone_surrogate_is_422(api: Api) -> None:
    raw = ('{"source": "citizen", "category_code": "BJ0101", "description": "a\\ud800b", '
           '"location": {"lat": 29.48, "lng": 106.48}}')
    r = api.http.post("/incidents", content=raw, headers=api.auth("citizen") | RAW_JSON)
    assert ["body", "description"] in [p["loc"] for p in assert_422(r)]


def test_validation_errors_do_not_echo_input(api: Api) -> None:
    secret = "张三 13800138000 " * 200  # personal and long
    r = api.post("/incidents", "citizen", json=REPORT | {"description": secret})
    assert_422(r)
    assert "13800138000" not in r.text and len(r.content) < 2000
    r = api.http.post("/incidents", content='{"description": "13800138000",',
                      headers=api.auth("citizen") | RAW_JSON)  # broken JSON
    assert_422(r)
    assert "13800138000" not in r.text


def test_offsets_past_the_bound_are_422(api: Api) -> None:
    for offset in (2**63, 2**63 - 1, 1_000_001):
        assert_422(api.get("/incidents", "intake", params={"offset": offset}))
    assert api.get("/incidents", "intake", params={"offset": 1_000_000}).status_code == 200


@pytest.mark.parametrize("params", [{"from": "0001-01-01"}, {"to": "9999-12-31"},
                                    {"from": "1999-12-31"}, {"to": "2101-01-01"}])
def test_stats_dates_outside_2000_to_2100_are_422(api: Api, params: dict) -> None:
    assert_422(api.get("/incidents/stats", "command_lead", params=params))


def test_stats_dates_at_the_ends_of_the_range_work(api: Api) -> None:
    r = api.get("/incidents/stats", "command_lead", params={"from": "2000-01-01",
                                                             "to": "2100-12-31"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("deadline", [
    "9999-12-31", "9999-12-31T23:59:59+08:00", "9999-12-31T23:59:59-12:00",
    (datetime.now(UTC) + timedelta(days=367)).isoformat(),
])
def test_city_deadlines_more_than_a_year_ahead_are_422(api: Api, deadline: str) -> None:
    body = REPORT | {"source": "city_dispatch", "external_ref": "CQ-2026-000001",
                     "deadline": deadline}
    detail = assert_422(api.post("/incidents", "city_platform", json=body))
    assert ["body", "deadline"] in [p["loc"] for p in detail]


@pytest.mark.parametrize("deadline", [
    "0001-01-01T00:00:00+14:00", "2000-01-01T00:00:00+08:00",
    (datetime.now() + timedelta(days=2)).replace(microsecond=0).isoformat(),  # no zone
])
def test_city_deadlines_in_the_past_or_without_zone_are_422(api: Api, deadline: str) -> None:
    body = REPORT | {"source": "city_dispatch", "external_ref": "CQ-2026-000001",
                     "deadline": deadline}
    r = api.post("/incidents", "city_platform", json=body)
    assert r.status_code == 422 and "deadline" in r.json()["detail"], r.text


def test_case_paths_are_bounded(api: Api) -> None:
    assert_422(api.get("/incidents/" + "x" * 65, "intake"))
    assert_422(api.get("/incidents/a%00b", "intake"))
    assert_422(api.get("/incidents", "intake", params={"status": "a\u0000b"}))


def test_an_oversized_repeat_cannot_jam_the_case(api: Api) -> None:
    """Repeats at the same spot would join this case; too large, they are refused before
    they reach it, and the case keeps working."""
    lat, lng = next(SPOTS)
    here = {"lat": lat, "lng": lng, "address": "九宫庙街道"}
    case = api.report(location=here)
    repeat = REPORT | {"location": here}
    huge = repeat | {"photos": ["data:image/jpeg;base64," + "A" * 70_000]}
    assert api.post("/incidents", "citizen", json=huge).status_code == 413
    many = repeat | {"photos": [f"https://example.com/{i}.jpg" for i in range(21)]}
    assert_422(api.post("/incidents", "citizen", json=many))
    long_text = repeat | {"description": "x" * 2001}
    assert_422(api.post("/incidents", "citizen", json=long_text))

    r = api.get(f"/incidents/{case['id']}", "intake")
    assert r.status_code == 200, r.text
    assert r.json()["report_count"] == 1
    task = api.task("intake", case["id"])
    r = api.act("intake", task["id"], "accept")
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "dispatching"
    # A repeat within bounds does join it: the refused ones would have.
    r = api.post("/incidents", "citizen", json=repeat)
    assert r.status_code == 200 and r.json()["id"] == case["id"], r.text


def test_an_oversized_action_is_refused_and_the_case_keeps_working(api: Api,
                                                                    filing_task) -> None:
    case, task = filing_task
    r = api.act("intake", task["id"], "reject", "x" * 70_000)
    assert r.status_code == 413, r.text
    assert api.act("intake", task["id"], "reject", "x" * 2001).status_code == 422
    r = api.act("intake", task["id"], "accept")
    assert r.status_code == 200, r.text


def test_an_unforeseen_error_is_a_bare_500(database: str, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """The caller sees no exception text; the log keeps the traceback."""
    from fastapi.testclient import TestClient

    from api.main import app
    from api.routers import categories, open311

    def broken(*_: object) -> None:
        raise RuntimeError("postgresql://ddk:hunter2@10.9.8.7/ddk")

    monkeypatch.setattr(categories, "category_row", broken)
    monkeypatch.setattr(open311, "service_out", broken)
    client = TestClient(app, raise_server_exceptions=False)
    r = client.get("/categories")
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    r = client.get("/open311/v2/services.xml")
    assert r.status_code == 500 and "<code>500</code>" in r.text
    assert "hunter2" not in r.text
    assert "hunter2" in caplog.text and "Traceback" in caplog.text
