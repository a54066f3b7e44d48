"""Dog disputes over HTTP: dev server, real worker, real API, the demo users.

Each test opens its own disputes; other tests run against the same server, so nothing here
depends on global counts. A dispute that ends makes the next one of the same owner and
behaviour start where it ended (the recurrence rule), so only the three-tier test ends one
of dog_owner_1's behaviour 4; the others use other behaviours, or end nothing.
"""

import csv
import io
from datetime import datetime, timedelta

import pytest

from api.routers.dog_disputes import DogDisputeOut
from db.seed import DOG_BANNED, DOG_RONGCHENG, DOG_VACCINATED, DOG_VACCINE_LAPSED
from domain.dog_dispute import DogDisputeState
from domain.timefmt import SHANGHAI
from tests.support import Api

MEDIATOR, GRID, POLICE = "mediator_baijiayuan", "grid_baijiayuan", "officer_public_security"
REPORTER, OWNER = "resident_baijiayuan", "dog_owner_1"


def body(**change) -> dict:
    return {"community": "baijiayuan", "behaviour": 4, "place": "3栋楼下",
            "description": "遛狗不牵绳，吓到小孩", "dog_id": DOG_VACCINATED,
            "evidence": ["media:dog-photo-1"]} | change


def report(api: Api, user: str = REPORTER, **change) -> dict:
    r = api.post("/dog-disputes", user, json=body(**change))
    assert r.status_code == 201, r.text
    return r.json()


def task(api: Api, user: str, case_id: str, step_code: str, timeout: float = 10) -> dict:
    """The open `step_code` task of the case in the user's inbox (waits for the projection)."""
    return api.eventually(lambda: next(
        (t for t in api.get("/tasks", user, params={"process": "dog_dispute"}).json()
         if t["case_id"] == case_id and t["step_code"] == step_code), None), timeout)


def act(api: Api, user: str, task_id: str, decision: str, comment: str | None = None,
        **data) -> dict:
    r = api.act(user, task_id, decision, comment, **data)
    assert r.status_code == 200, r.text
    return r.json()["case"]


def soon(minutes: int = 5) -> str:
    return (datetime.now(SHANGHAI) + timedelta(minutes=minutes)).replace(
        microsecond=0).isoformat()


def listed(api: Api, user: str, **params) -> set[str]:
    r = api.get("/dog-disputes", user, params=params)
    assert r.status_code == 200, r.text
    return {row["id"] for row in r.json()}


def test_one_dispute_through_all_three_tiers(api: Api) -> None:
    case = report(api)
    assert (case["status"], case["tier"]) == ("self_discipline", "self_discipline")
    assert case["workflow_id"] == f"dog-dispute-{case['id']}"
    cid, wf = case["id"], case["workflow_id"]

    # 自律: the owner is told the rule and disputes it.
    t = task(api, OWNER, cid, "self_correct")
    assert t["expires_at"] and t["context"]["behaviour"] == 4
    state = act(api, OWNER, t["id"], "dispute", "我的狗一直牵着绳")
    assert (state["status"], state["tier"]) == ("mediation", "mediation")
    assert "evidence" not in state  # the owner did not report it

    # 共律: the mediator schedules a session; the owner refuses (Art. 17).
    t = task(api, MEDIATOR, cid, "schedule_mediation")
    state = act(api, MEDIATOR, t["id"], "schedule", at=soon(), place="社区调解室")
    assert state["status"] == "mediation" and state["mediation"]["session_place"] == "社区调解室"
    task(api, REPORTER, cid, "consent")
    t = task(api, OWNER, cid, "consent")
    state = act(api, OWNER, t["id"], "refuse", "不需要调解")
    assert state["status"] == "mediation"
    t = task(api, MEDIATOR, cid, "after_refusal")
    state = act(api, MEDIATOR, t["id"], "refer", "当事人拒绝调解，移交公安")
    assert (state["status"], state["tier"]) == ("legal", "legal")

    # 法律: 公安 fines, within the range (100-500 元) only.
    t = task(api, POLICE, cid, "enforce")
    assert {"warning", "fine", "seize", "no_violation"} == set(t["allowed_decisions"])
    r = api.act(POLICE, t["id"], "fine", amount=5000, record="携犬出户未系犬绳")
    assert r.status_code == 422 and "100-500" in r.json()["detail"], r.text
    assert api.get(f"/tasks/{t['id']}", POLICE).json()["status"] == "open"
    state = act(api, POLICE, t["id"], "fine", amount=200, record="携犬出户未系犬绳，罚款200元")
    assert (state["status"], state["ended_tier"]) == ("resolved", "legal")

    final = api.get(f"/dog-disputes/{cid}", "command_lead").json()
    assert (final["status"], final["tier"], final["ended_tier"]) == ("resolved", "legal", "legal")
    assert final["path"] == ["self_discipline", "mediation", "legal"]
    assert final["enforcement"]["amount"] == 200 and final["outcomes"][-1]["result"] == "fine"
    assert final["mediation"]["consents"][OWNER] == "refuse"
    assert final["reported_at"].endswith("+08:00") and final["resolved_at"].endswith("+08:00")
    assert [t["step_code"] for t in final["tasks"]][:3] == [
        "self_correct", "schedule_mediation", "consent"]
    # The police read it now it reached them; the owner's own view has only its own tasks.
    assert api.get(f"/dog-disputes/{cid}", POLICE).status_code == 200
    assert cid in listed(api, POLICE, tier="legal")
    mine = api.get(f"/dog-disputes/{cid}", OWNER).json()
    assert {t["assignee_user"] for t in mine["tasks"]} == {OWNER}
    assert mine["evidence"] == []
    assert api.get(f"/dog-disputes/{cid}", REPORTER).json()["evidence"] == ["media:dog-photo-1"]

    # The shared platform serves it unchanged: inboxes, notices, the auditor's history.
    done = api.get("/tasks", POLICE, params={"status": "done", "process": "dog_dispute"}).json()
    assert any(t["case_id"] == cid and t["decision"] == "fine" for t in done)
    notices = api.get("/notifications", REPORTER).json()
    assert any(n["workflow_id"] == wf and "法律" in n["message"] for n in notices)
    audit = api.get(f"/audit/{wf}", "auditor")
    assert audit.status_code == 200, audit.text
    entries = audit.json()["entries"]
    assert (entries[0]["event"], entries[0]["actor"]) == ("started", REPORTER)
    assert [(e["actor"], e["action"]) for e in entries if e["event"] == "action"] == [
        (OWNER, "dispute"), (MEDIATOR, "schedule"), (OWNER, "refuse"), (MEDIATOR, "refer"),
        (POLICE, "fine")]  # the refused fine left no trace


def test_an_agreement_and_its_judicial_confirmation(api: Api) -> None:
    case = report(api, behaviour=10, description="拒不配合物业登记犬只信息")
    cid = case["id"]
    act(api, OWNER, task(api, OWNER, cid, "self_correct")["id"], "dispute", "我已经配合了")
    t = task(api, MEDIATOR, cid, "schedule_mediation")
    # The session is seconds away: the mediate task opens once it has begun.
    at = (datetime.now(SHANGHAI) + timedelta(seconds=15)).replace(microsecond=0).isoformat()
    act(api, MEDIATOR, t["id"], "schedule", at=at, place="社区调解室")
    for party in (REPORTER, OWNER):
        state = act(api, party, task(api, party, cid, "consent")["id"], "agree")
    assert state["mediation"]["consents"] == {REPORTER: "agree", OWNER: "agree"}

    court = {"court": "大渡口区人民法院", "note": "双方共同申请"}
    r = api.post(f"/dog-disputes/{cid}/judicial-confirmation", OWNER, json=court)
    assert r.status_code == 409, r.text  # no agreement yet
    t = task(api, MEDIATOR, cid, "mediate", timeout=40)
    today = datetime.now(SHANGHAI).date().isoformat()
    r = api.act(MEDIATOR, t["id"], "agreement", terms={"obligations": ["配合登记"],
                "perform_by": "2001-01-01"}, participants=["leader_baijiayuan"])
    assert r.status_code == 422 and "perform_by" in r.json()["detail"], r.text
    state = act(api, MEDIATOR, t["id"], "agreement", participants=["leader_baijiayuan"],
                terms={"obligations": ["三日内到社区民警处配合登记"], "perform_by": today})
    assert (state["status"], state["tier"]) == ("mediation", "mediation")
    assert state["mediation"]["judicial_due_at"].endswith("+08:00")

    # The parties see the mediator's record; only a party applies, and only once.
    mine = api.get(f"/dog-disputes/{cid}", REPORTER).json()
    assert mine["mediation"]["terms"]["obligations"] == ["三日内到社区民警处配合登记"]
    for user in ("dog_owner_2", MEDIATOR):
        r = api.post(f"/dog-disputes/{cid}/judicial-confirmation", user, json=court)
        assert r.status_code == 403, r.text
    r = api.post(f"/dog-disputes/{cid}/judicial-confirmation", OWNER, json=court)
    assert r.status_code == 201, r.text
    assert r.json()["by"] == OWNER and r.json()["at"].endswith("+08:00")
    r = api.post(f"/dog-disputes/{cid}/judicial-confirmation", REPORTER, json=court)
    assert r.status_code == 409, r.text
    judicial = api.get(f"/dog-disputes/{cid}", MEDIATOR).json()["mediation"]["judicial"]
    assert judicial["court"] == "大渡口区人民法院" and judicial["by"] == OWNER


@pytest.mark.parametrize(("change", "says"), [
    ({"community": "nowhere"}, "unknown community"),
    ({"dog_id": "CQ104-0000-99999"}, "not in the dog registry"),
    ({"dog_id": DOG_RONGCHENG}, "registered in rongcheng"),
    ({"dog_id": None, "owner": "grid_baijiayuan"}, "not a resident"),
    ({"dog_id": None, "owner": "no_such_user"}, "not a resident"),
    ({"owner": "dog_owner_2"}, "not the owner"),
])
def test_bad_reports_are_422_with_a_reason(api: Api, change: dict, says: str) -> None:
    r = api.post("/dog-disputes", REPORTER, json=body(**change))
    assert r.status_code == 422 and says in r.json()["detail"], r.text


@pytest.mark.parametrize("change", [{"behaviour": 0}, {"behaviour": 12}, {"behaviour": "x"},
                                    {"behaviour": True}, {"community": "x" * 41},
                                    {"place": "  "}, {"description": ""},
                                    {"evidence": ["data:image/png;base64,AAAA"]},
                                    {"owner": "a b"}])
def test_malformed_reports_are_422(api: Api, change: dict) -> None:
    r = api.post("/dog-disputes", REPORTER, json=body(**change))
    assert r.status_code == 422 and isinstance(r.json()["detail"], list), r.text


def test_who_may_report(api: Api) -> None:
    r = api.post("/dog-disputes", OWNER, json=body())
    assert r.status_code == 422 and "your own dog" in r.json()["detail"]
    assert api.post("/dog-disputes", "grid_rongcheng", json=body()).status_code == 403
    assert api.post("/dog-disputes", "property_baijiayuan", json=body()).status_code == 403
    assert api.post("/dog-disputes", "officer_public_security", json=body()).status_code == 403
    case = report(api, "leader_baijiayuan", behaviour=7, dog_id=None, owner="dog_owner_2")
    assert case["tier"] == "self_discipline"
    assert api.eventually(lambda: case["id"] in listed(api, "dog_owner_2"))


def test_urgent_and_banned_dogs_go_straight_to_the_police(api: Api) -> None:
    urgent = report(api, behaviour=9, dog_id=None, urgent=True, description="犬只咬伤行人")
    assert (urgent["status"], urgent["tier"]) == ("legal", "legal")
    t = task(api, POLICE, urgent["id"], "enforce")
    assert "seize" in t["allowed_decisions"]
    banned = report(api, behaviour=1, dog_id=DOG_BANNED, description="小区内饲养比特犬")
    assert banned["tier"] == "legal"
    case = api.get(f"/dog-disputes/{banned['id']}", "head_baijiayuan").json()
    assert case["owner"] == "dog_owner_2" and "禁养" in case["start_reason"]


def test_the_grid_worker_identifies_an_owner_of_the_community(api: Api) -> None:
    case = report(api, behaviour=6, dog_id=None, description="夜间犬吠扰民")
    t = task(api, GRID, case["id"], "identify_owner")
    # Another community's grid worker may not act on it, nor read it.
    assert api.act("grid_rongcheng", t["id"], "identified", owner="dog_owner_2").status_code == 403
    assert api.get(f"/dog-disputes/{case['id']}", "grid_rongcheng").status_code == 403
    assert case["id"] not in listed(api, "grid_rongcheng")
    for owner in ("dog_owner_3", "no_such_user", "grid_baijiayuan"):  # 融城's, nobody, staff
        r = api.act(GRID, t["id"], "identified", owner=owner)
        assert r.status_code == 422 and "data.owner" in r.json()["detail"], r.text
    r = api.act(GRID, t["id"], "identified", owner=REPORTER)
    assert r.status_code == 422, r.text  # the reporter is not the owner
    state = act(api, GRID, t["id"], "identified", owner="dog_owner_2")
    assert state["owner"] == "dog_owner_2" and state["status"] == "self_discipline"
    assert task(api, "dog_owner_2", case["id"], "self_correct")


def test_a_resident_who_is_not_a_party_sees_nothing(api: Api) -> None:
    case = report(api, behaviour=5, description="犬便未清理")
    cid = case["id"]
    task(api, OWNER, cid, "self_correct")  # projected
    assert api.get(f"/dog-disputes/{cid}", "dog_owner_2").status_code == 403
    assert cid not in listed(api, "dog_owner_2")
    assert cid in listed(api, OWNER) and cid in listed(api, REPORTER)
    for user in ("volunteer_baijiayuan", "head_baijiayuan", "auditor"):
        assert cid in listed(api, user, community="baijiayuan", behaviour=5)
    for user in ("property_rongcheng", "head_rongcheng", "officer_urban_mgmt", "citizen"):
        assert api.get(f"/dog-disputes/{cid}", user).status_code == 403
        assert cid not in listed(api, user)
    assert api.get("/dog-disputes/20260101-ABCDEF", "command_lead").status_code == 404


def test_visits_judicial_confirmation_and_withdrawal(api: Api) -> None:
    case = report(api, behaviour=5, description="犬便未清理，多次劝说无果")
    cid = case["id"]
    task(api, OWNER, cid, "self_correct")
    visit = {"note": "物业上门劝导，养犬人表示会清理"}
    for user in ("dog_owner_2", GRID, "property_rongcheng", MEDIATOR):
        assert api.post(f"/dog-disputes/{cid}/visits", user, json=visit).status_code == 403
    r = api.post(f"/dog-disputes/{cid}/visits", "property_baijiayuan", json=visit)
    assert r.status_code == 201, r.text
    assert r.json()["by"] == "property_baijiayuan" and r.json()["at"].endswith("+08:00")
    assert api.post(f"/dog-disputes/{cid}/visits", "volunteer_baijiayuan",
                    json={"note": "志愿者劝导"}).status_code == 201
    assert api.post(f"/dog-disputes/{cid}/visits", "property_baijiayuan",
                    json={"note": " "}).status_code == 422
    assert len(api.get(f"/dog-disputes/{cid}", MEDIATOR).json()["visits"]) == 2

    court = {"court": "大渡口区人民法院"}
    r = api.post(f"/dog-disputes/{cid}/judicial-confirmation", REPORTER, json=court)
    assert r.status_code == 409 and "调解协议" in r.json()["detail"], r.text
    r = api.post(f"/dog-disputes/{cid}/judicial-confirmation", "dog_owner_2", json=court)
    assert r.status_code == 403

    reason = {"reason": "已协商解决"}
    for user in (OWNER, MEDIATOR, "dog_owner_2"):
        assert api.post(f"/dog-disputes/{cid}/withdraw", user, json=reason).status_code == 403
    r = api.post(f"/dog-disputes/{cid}/withdraw", REPORTER, json=reason)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "withdrawn" and out["outcomes"][-1]["result"] == "withdrawn"
    assert out["closed_at"].endswith("+08:00")
    assert all(t["status"] != "open" for t in out["tasks"])
    assert api.post(f"/dog-disputes/{cid}/withdraw", REPORTER, json=reason).status_code == 409
    # The auditor reads who visited and who withdrew from the history alone.
    entries = api.get(f"/audit/{case['workflow_id']}", "auditor").json()["entries"]
    actions = [(e["actor"], e["action"]) for e in entries if e["event"] == "action"]
    assert ("property_baijiayuan", "record_visit") in actions
    assert actions[-1] == (REPORTER, "withdraw")
    assert next(e for e in entries if e["action"] == "withdraw")["detail"] == reason
    assert api.post(f"/dog-disputes/{cid}/visits", "property_baijiayuan",
                    json=visit).status_code == 409
    for path, payload in (("visits", visit), ("withdraw", reason),
                          ("judicial-confirmation", court)):
        r = api.post(f"/dog-disputes/20260101-ABCDEF/{path}", REPORTER, json=payload)
        assert r.status_code == 404, r.text


def test_contact_details_go_to_those_who_need_them(api: Api) -> None:
    case = report(api, behaviour=7, description="携犬乘电梯未避让")
    cid = case["id"]
    task(api, OWNER, cid, "self_correct")

    def phones(user: str) -> dict[str, str | None]:
        r = api.get(f"/dog-disputes/{cid}", user)
        assert r.status_code == 200, r.text
        return {p["role"]: p["phone"] for p in r.json()["parties"]}

    for user in (MEDIATOR, GRID, "head_baijiayuan", "command_lead"):
        assert phones(user) == {"reporter": "13800000003", "owner": "13800000001"}
    assert phones(OWNER) == {"reporter": None, "owner": "13800000001"}
    assert phones(REPORTER) == {"reporter": "13800000003", "owner": None}
    for user in ("property_baijiayuan", "volunteer_baijiayuan", "leader_baijiayuan"):
        assert phones(user) == {"reporter": None, "owner": None}
    parties = api.get(f"/dog-disputes/{cid}", OWNER).json()["parties"]
    reporter = next(p for p in parties if p["role"] == "reporter")
    assert reporter["display_name"] and reporter["building"] is None and reporter["room"] is None


def test_figures_in_json_and_csv(api: Api) -> None:
    def count(user: str, **params) -> int:
        r = api.get("/dog-disputes/stats", user, params=params)
        assert r.status_code == 200, r.text
        figs = r.json()
        assert sum(b["count"] for b in figs["by_behaviour"]) == figs["disputes"]
        assert [s["tier"] for s in figs["resolved_share"]] == [
            "self_discipline", "mediation", "legal"]
        return next(b["count"] for b in figs["by_behaviour"] if b["code"] == 8)

    today = datetime.now(SHANGHAI).date().isoformat()
    before = count("command_lead", community="baijiayuan", **{"from": today, "to": today})
    case = report(api, behaviour=8, dog_id=None, description="病死犬随意丢弃")
    task(api, GRID, case["id"], "identify_owner")  # projected
    assert count("command_lead", community="baijiayuan",
                 **{"from": today, "to": today}) >= before + 1
    assert count("grid_baijiayuan") >= 1 and count("head_jiansheng") >= 1
    assert count("command_lead", **{"from": "2001-01-01", "to": "2001-12-31"}) == 0

    r = api.get("/dog-disputes/stats", "command_lead", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["分类(section)", "代码(key)", "名称(name)", "数量(count)"]
    assert rows[1][:2] == ["summary", "disputes"] and int(rows[1][3]) >= 1
    assert any(row[:2] == ["resolved_share", "legal"] for row in rows)

    for user, params in (("grid_rongcheng", {"community": "baijiayuan"}),
                         ("head_baqiao", {"community": "baijiayuan"}),
                         (REPORTER, {}), ("officer_public_security", {})):
        assert api.get("/dog-disputes/stats", user, params=params).status_code == 403
    assert api.get("/dog-disputes/stats", "command_lead",
                   params={"community": "nowhere"}).status_code == 422
    assert api.get("/dog-disputes/stats", "command_lead",
                   params={"from": "2026-02-01", "to": "2026-01-01"}).status_code == 422


def test_the_dog_registry_and_communities(api: Api) -> None:
    def dogs(user: str, **params) -> list[str] | int:
        r = api.get("/dogs", user, params=params)
        return sorted(d["dog_id"] for d in r.json()) if r.status_code == 200 else r.status_code

    assert dogs(OWNER) == [DOG_VACCINATED] == dogs(OWNER, owner=OWNER)
    assert dogs(OWNER, owner="dog_owner_2") == 403
    assert dogs("dog_owner_2") == sorted([DOG_BANNED, DOG_VACCINE_LAPSED])
    assert dogs(GRID) == sorted([DOG_VACCINATED, DOG_VACCINE_LAPSED, DOG_BANNED])
    assert dogs(GRID, owner="dog_owner_2") == sorted([DOG_BANNED, DOG_VACCINE_LAPSED])
    assert dogs(GRID, community="rongcheng") == 403
    assert DOG_RONGCHENG in dogs(POLICE) and DOG_RONGCHENG in dogs("officer_agri_rural")
    assert dogs(POLICE, community="rongcheng") == [DOG_RONGCHENG]
    assert dogs("officer_market_reg") == 403 and dogs("dispatcher") == 403

    r = api.get(f"/dogs/{DOG_VACCINATED}", OWNER)
    assert r.status_code == 200 and r.json()["breed"] == "柯基犬" and not r.json()["banned"]
    assert api.get(f"/dogs/{DOG_VACCINE_LAPSED}", OWNER).status_code == 403
    assert api.get(f"/dogs/{DOG_RONGCHENG}", GRID).status_code == 403
    assert api.get(f"/dogs/{DOG_BANNED}", "head_baijiayuan").json()["banned"] is True
    assert api.get("/dogs/CQ104-0000-99999", "command_lead").status_code == 404

    communities = {c["code"]: c for c in api.get("/communities", "citizen").json()}
    assert communities["baijiayuan"] == {
        "code": "baijiayuan", "name": "百佳园社区", "street": "jiansheng", "street_name": "建胜镇",
        "buildings": ["1栋", "2栋", "3栋", "4栋", "5栋", "6栋"]}
    assert communities["rongcheng"]["street"] == "baqiao"
    convention = api.get("/dog-disputes/convention", "citizen").json()
    assert [b["code"] for b in convention["behaviours"]] == list(range(1, 12))
    assert api.http.get("/communities").status_code == 401


def test_the_view_mirrors_the_state() -> None:
    assert set(DogDisputeOut.model_fields) == set(DogDisputeState.model_fields) | {
        "parties", "tasks", "archived"}
