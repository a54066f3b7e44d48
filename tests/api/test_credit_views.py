"""德分宝 for the console: a deed's tasks for its case page (the verification task from the
moment it is recorded, then done with its decision; read by whoever may read the deed), and a
confirmed redemption rated by its id (its resident only, once)."""

from tests.support import Api

WORKER = "worker_rongcheng"


def test_a_deeds_tasks_are_read_like_the_deed(api: Api) -> None:
    r = api.post("/credit/deeds", "resident_2", json={
        "type": "neighbour", "description": "帮邻居搬家具"})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = api.get(f"/credit/deeds/{case_id}/tasks", "resident_2")
    assert r.status_code == 200, r.text
    [task] = r.json()
    assert (task["process"], task["case_id"], task["status"]) == ("deed", case_id, "open")
    assert api.act(WORKER, api.task(WORKER, case_id)["id"], "approve",
                   points=5).status_code == 200
    for user in ("resident_2", WORKER, "head_rongcheng", "auditor"):
        r = api.get(f"/credit/deeds/{case_id}/tasks", user)
        assert r.status_code == 200, (user, r.text)
        assert [(t["status"], t["decision"]) for t in r.json()] == [("done", "approve")]
    for user in ("resident_1", "mediator_baijiayuan", "dispatcher"):
        assert api.get(f"/credit/deeds/{case_id}/tasks", user).status_code == 403, user
    assert api.get("/credit/deeds/20260101-ABCDEF/tasks", "auditor").status_code == 404
    assert api.http.get(f"/credit/deeds/{case_id}/tasks").status_code == 401


def test_a_confirmed_redemption_is_rated_by_its_id(api: Api) -> None:
    r = api.post("/credit/redemptions", "resident_3", json={"offer_id": "market-soap"})
    assert r.status_code == 201, r.text
    made = r.json()
    path = f"/credit/redemptions/id/{made['id']}/rating"
    assert api.post(path, "resident_3", json={"stars": 4}).status_code == 409  # not confirmed
    r = api.post(f"/credit/redemptions/{made['code']}/confirm", "merchant_market")
    assert r.status_code == 200, r.text
    assert api.post(path, "resident_1", json={"stars": 4}).status_code == 403
    assert api.post(path, "resident_3", json={"stars": 0}).status_code == 422
    r = api.post(path, "resident_3", json={"stars": 4})
    assert r.status_code == 200 and r.json()["rating"] == 4, r.text
    assert api.post(path, "resident_3", json={"stars": 5}).status_code == 409  # once
    assert api.post("/credit/redemptions/id/nosuch/rating", "resident_3",
                    json={"stars": 4}).status_code == 404
