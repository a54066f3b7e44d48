"""惠新码 applications over HTTP with the demo users: a rider applies (the GB 11643 check
character, one live pass per rider), the union reviewer approves from the inbox with a scope of
communities, the union suspends and reinstates, the rider cancels and may apply again. Who
reads what: the rider their own pass, the union's staff all; personal data masked, and only
to the rider and the reviewers; none of it in the workflow's history."""

import pytest

from domain.id_number import check_character
from tests.support import Api

ID_BASE = "50010419900101123"  # 重庆市大渡口区, born 1990-01-01
GOOD_ID = ID_BASE + check_character(ID_BASE)
WRONG_ID = ID_BASE + ("0" if GOOD_ID[-1] != "0" else "1")


def application(**fields: str) -> dict:
    return {"name": "张三丰", "phone": "13812345678", "id_number": GOOD_ID,
            "platform": "meituan", "platform_rider_id": "MT-20261128-07",
            "photo": "https://files.example.cn/riders/zhang.jpg"} | fields


def test_bad_applications_are_refused(api: Api) -> None:
    r = api.post("/rider-passes", "rider_3", json=application(id_number=WRONG_ID))
    assert r.status_code == 422 and f"should be {GOOD_ID[-1]}" in r.json()["detail"], r.text
    r = api.post("/rider-passes", "rider_3", json=application(id_number="50010419901301123X"))
    assert r.status_code == 422, r.text  # month 13
    r = api.post("/rider-passes", "rider_3", json=application(phone="12345"))
    assert r.status_code == 422
    r = api.post("/rider-passes", "rider_3", json=application(platform="didi"))
    assert r.status_code == 422
    r = api.post("/rider-passes", "citizen", json=application())
    assert r.status_code == 403
    assert api.http.post("/rider-passes", json=application()).status_code == 401
    assert api.get("/rider-passes", "rider_3").json() == []  # nothing was started


def test_apply_review_suspend_cancel(api: Api) -> None:
    r = api.post("/rider-passes", "rider_1", json=application())
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "reviewing"
    pass_id = created["id"]
    again = api.post("/rider-passes", "rider_1", json=application())
    assert again.status_code == 409, again.text
    other = api.post("/rider-passes", "rider_3", json=application())  # the same person
    assert other.status_code == 409, other.text

    mine = api.get(f"/rider-passes/{pass_id}", "rider_1").json()
    assert mine["person"] == {"masked_name": "张**", "masked_phone": "138****5678",
                              "id_last4": GOOD_ID[-4:], "platform_rider_id": "MT-20261128-07",
                              "photo": "https://files.example.cn/riders/zhang.jpg"}
    assert api.get(f"/rider-passes/{pass_id}", "rider_2").status_code == 404
    assert api.get(f"/rider-passes/{pass_id}", "citizen").status_code == 404
    assert api.get(f"/rider-passes/{pass_id}", "union_worker").json()["person"] is None
    assert api.get(f"/rider-passes/{pass_id}", "union_reviewer").json()["person"] is not None
    assert api.get("/rider-passes", "citizen").status_code == 403

    task = api.task("union_reviewer", pass_id, "审核惠新码")
    assert "13812345678" not in str(task) and GOOD_ID not in str(task)
    r = api.act("union_reviewer", task["id"], "approve", scope=["rongcheng", "nowhere"])
    assert r.status_code == 422 and "nowhere" in r.json()["detail"], r.text
    r = api.act("union_worker", task["id"], "approve")
    assert r.status_code == 403, r.text
    r = api.act("union_reviewer", task["id"], "approve", scope=["rongcheng"])
    assert r.status_code == 200, r.text
    active = Api.eventually(lambda: (p := api.get(f"/rider-passes/{pass_id}", "rider_1")
                                     .json())["status"] == "active" and p)
    assert active["scope"] == ["rongcheng"] and active["valid_until"].endswith("+08:00")
    listed = api.get("/rider-passes", "union_worker", params={"status": "active"}).json()
    assert pass_id in [p["id"] for p in listed]

    path = f"/rider-passes/{pass_id}/actions"
    assert api.post(path, "rider_2", json={"action": "suspend", "reason": "x"}).status_code == 404
    r = api.post(path, "rider_1", json={"action": "suspend", "reason": "自己暂停"})
    assert r.status_code == 403, r.text
    r = api.post(path, "union_reviewer", json={"action": "suspend"})
    assert r.status_code == 422, r.text
    r = api.post(path, "rider_1", json={"action": "renew"})
    assert r.status_code == 409, r.text  # not yet within 30 days of the end
    r = api.post(path, "union_reviewer", json={"action": "fly"})
    assert r.status_code == 422
    r = api.post(path, "union_reviewer", json={"action": "suspend", "reason": "平台反映冒用"})
    assert r.status_code == 200 and r.json()["status"] == "suspended", r.text
    r = api.post(path, "union_reviewer", json={"action": "reinstate", "reason": "核实无误"})
    assert r.status_code == 200 and r.json()["status"] == "active", r.text
    r = api.post(path, "rider_1", json={"action": "cancel", "reason": "不再送外卖"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    r = api.post(path, "union_reviewer", json={"action": "reinstate", "reason": "恢复"})
    assert r.status_code == 409, r.text

    history = api.get(f"/audit/{created['workflow_id']}", "auditor")
    assert history.status_code == 200, history.text
    for secret in ("张三丰", "13812345678", GOOD_ID, "zhang.jpg"):
        assert secret not in history.text

    Api.eventually(lambda: api.get(f"/rider-passes/{pass_id}", "rider_1")
                   .json()["status"] == "cancelled")
    r = api.post("/rider-passes", "rider_1", json=application())  # no live pass now
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("user", ["rider_1", "guard_rongcheng", "union_reviewer"])
def test_gates_are_listed(api: Api, user: str) -> None:
    gates = {g["id"]: g["community"] for g in api.get("/gates", user).json()}
    assert gates["baijiayuan-east"] == "baijiayuan" and gates["rongcheng-main"] == "rongcheng"


def test_a_rider_asks_and_rates(api: Api) -> None:
    r = api.post("/rider-services", "rider_2", json={"module": "employment",
                                                      "text": "想转行做快递分拣，有培训吗？"})
    assert r.status_code == 201, r.text
    asked = r.json()
    assert (asked["status"], asked["module_name"]) == ("open", "就业服务")
    # Readable at once, from its workflow, before its row is projected (a page opens it next).
    now = api.get(f"/rider-services/{asked['id']}", "rider_2")
    assert now.status_code == 200 and now.json()["text"] == "想转行做快递分拣，有培训吗？"
    assert api.post("/rider-services", "citizen", json={"module": "policy",
                                                         "text": "问题"}).status_code == 403
    r = api.post("/rider-services", "rider_2", json={"module": "gossip", "text": "闲聊"})
    assert r.status_code == 422
    task = api.task("union_worker", asked["id"], "就业服务答复")
    assert api.act("legal_aid", task["id"], "answer", "不是我").status_code == 403
    r = api.act("union_worker", task["id"], "answer", "区人社局每月有免费技能培训，已为您报名。")
    assert r.status_code == 200, r.text
    mine = Api.eventually(lambda: (x := api.get(f"/rider-services/{asked['id']}", "rider_2")
                                   .json())["status"] == "answered" and x)
    assert mine["answer"].startswith("区人社局")
    assert api.get(f"/rider-services/{asked['id']}", "rider_3").status_code == 404
    assert api.get(f"/rider-services/{asked['id']}", "legal_aid").status_code == 404
    assert [x["id"] for x in api.get("/rider-services", "rider_2").json()] == [asked["id"]]
    assert asked["id"] in [x["id"] for x in api.get("/rider-services", "union_worker").json()]
    assert api.get("/rider-services", "citizen").status_code == 403
    r = api.post(f"/rider-services/{asked['id']}/rating", "rider_3", json={"stars": 5})
    assert r.status_code == 404
    r = api.post(f"/rider-services/{asked['id']}/rating", "rider_2", json={"stars": 9})
    assert r.status_code == 422
    r = api.post(f"/rider-services/{asked['id']}/rating", "rider_2", json={"stars": 5})
    assert r.status_code == 200 and r.json()["rating"] == 5, r.text
    r = api.post(f"/rider-services/{asked['id']}/rating", "rider_2", json={"stars": 4})
    assert r.status_code == 409, r.text
