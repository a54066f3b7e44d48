"""德分宝 good deeds over HTTP with the demo users: the deed-type table, a resident records a
deed, 融城's community worker approves it through /tasks and the points show on the
resident's account; who may record, verify and read; bad input."""

import time

from domain.deed import deed_types
from tests.support import Api

WORKER = "worker_rongcheng"  # 融城社区工作者, a community_worker of rongcheng
OTHER_WORKER = "mediator_baijiayuan"


def record(api: Api, user: str, **body) -> dict:
    r = api.post("/credit/deeds", user, json={"description": "在社区敬老院陪老人聊天",
                                               "evidence": ["media:photo-1"]} | body)
    assert r.status_code == 201, r.text
    return r.json()


def projected(api: Api, user: str, case_id: str, status: str) -> dict:
    for _ in range(100):
        found = [d for d in api.get("/credit/deeds", user).json() if d["id"] == case_id]
        if found and found[0]["status"] == status:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"deed {case_id} not {status} in {user}'s list")


def test_the_deed_types_are_served_with_their_version(api: Api) -> None:
    r = api.get("/credit/deed-types", "resident_1")
    assert r.status_code == 200, r.text
    table = r.json()
    assert table["version"] == deed_types().version
    codes = {t["code"]: t for t in table["types"]}
    assert codes["volunteer"] == {"code": "volunteer", "name": "志愿服务", "points": 2,
                                  "unit": "每半小时"}
    assert {"donate_clothes", "donate_books", "donate_appliance", "tidy_parking",
            "dog_keeping", "neighbour"} <= set(codes)
    assert api.get("/credit/deed-types", "dispatcher").status_code == 200
    assert api.http.get("/credit/deed-types").status_code == 401


def test_a_resident_records_a_deed_and_the_worker_approves_fewer_points(api: Api) -> None:
    before = api.get("/credit/accounts/me", "resident_1").json()["posted"]
    created = record(api, "resident_1", type="volunteer", quantity=2)  # 4 points asked
    assert created["status"] == "verifying"
    assert created["workflow_id"] == f"deed-{created['id']}"
    case_id = created["id"]
    task = api.task(WORKER, case_id)
    # Another community's worker and the resident may not verify it; nor more points.
    r = api.act(OTHER_WORKER, task["id"], "approve", points=4)
    assert r.status_code == 403, r.text
    r = api.act("resident_1", task["id"], "approve", points=4)
    assert r.status_code == 403, r.text
    r = api.act(WORKER, task["id"], "approve", points=5)
    assert r.status_code == 422 and "至多 4 分" in r.text, r.text
    r = api.act(WORKER, task["id"], "reject")
    assert r.status_code == 422, r.text  # a rejection needs its reason
    r = api.act(WORKER, task["id"], "approve", "实际服务半小时", points=2)
    assert r.status_code == 200, r.text
    case = r.json()["case"]
    assert (case["status"], case["points_asked"], case["points_given"]) == ("approved", 4, 2)
    account = api.get("/credit/accounts/me", "resident_1").json()
    assert account["posted"] == before + 2
    line = next(t for t in account["recent"] if t["id"] == f"deed:{case_id}")
    assert (line["kind"], line["points"]) == ("deed", 2)
    listed = projected(api, "resident_1", case_id, "approved")
    assert (listed["points_given"], listed["decided_by"], listed["table_version"]) == (
        2, WORKER, deed_types().version)
    # Who reads it: the resident, 融城's worker and head, the auditor; not others.
    for user in ("resident_1", WORKER, "head_rongcheng", "auditor"):
        r = api.get(f"/credit/deeds/{case_id}", user)
        assert r.status_code == 200, (user, r.text)
        assert r.json()["case"]["points_given"] == 2
    for user in ("resident_2", OTHER_WORKER, "head_baijiayuan", "dispatcher"):
        assert api.get(f"/credit/deeds/{case_id}", user).status_code == 403, user
        assert case_id not in {d["id"] for d in api.get("/credit/deeds", user).json()}, user
    assert case_id in {d["id"] for d in api.get("/credit/deeds", "head_rongcheng").json()}
    assert api.get("/credit/deeds/20260101-ABCDEF", "auditor").status_code == 404


def test_a_worker_records_for_a_resident_of_their_community_and_rejects(api: Api) -> None:
    before = api.get("/credit/accounts/me", "resident_3").json()["posted"]
    created = record(api, WORKER, type="tidy_parking", resident="resident_3")
    task = api.task(WORKER, created["id"])
    r = api.act(WORKER, task["id"], "reject", "车辆仍未按规定停放")
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "rejected"
    projected(api, WORKER, created["id"], "rejected")
    assert api.get("/credit/accounts/me", "resident_3").json()["posted"] == before
    mine = api.get(f"/credit/deeds/{created['id']}", "resident_3").json()["case"]
    assert (mine["recorded_by"], mine["reason"]) == (WORKER, "车辆仍未按规定停放")


def test_bad_input_and_wrong_actors(api: Api) -> None:
    body = {"type": "volunteer", "description": "志愿服务"}
    r = api.post("/credit/deeds", "resident_1", json=body | {"type": "no_such_type"})
    assert r.status_code == 422 and "unknown deed type" in r.text, r.text
    for bad in ({"quantity": 0}, {"quantity": 101}, {"description": ""},
                {"evidence": ["file:///etc/passwd"]}, {"points": 99}):
        r = api.post("/credit/deeds", "resident_1", json=body | bad)
        assert r.status_code == 422, (bad, r.text)
    # Another community's worker: 403; a worker must name the resident: 422.
    r = api.post("/credit/deeds", OTHER_WORKER, json=body | {"resident": "resident_1"})
    assert r.status_code == 403, r.text
    r = api.post("/credit/deeds", WORKER, json=body)
    assert r.status_code == 422, r.text
    r = api.post("/credit/deeds", WORKER, json=body | {"resident": "dispatcher"})
    assert r.status_code == 422, r.text
    # A resident records their own deeds only; a citizen who is no registered resident and
    # staff of other roles record none.
    r = api.post("/credit/deeds", "resident_1", json=body | {"resident": "resident_2"})
    assert r.status_code == 403, r.text
    for user in ("citizen", "dispatcher", "head_rongcheng", "grid_rongcheng"):
        r = api.post("/credit/deeds", user, json=body)
        assert r.status_code == 403, (user, r.text)
    assert api.http.post("/credit/deeds", json=body).status_code == 401
