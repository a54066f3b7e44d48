"""多跨智查 end to end over HTTP: joint inspections and the penalty cases they open, against the
dev server, the real worker and the real API, acted on by the demo users through /tasks.

Each test inspects its own demo enterprise, found by its account `party_<n>` with n below 20
(the time-skipping tests use 20 and above), so no two tests' visits ever merge. An on-site
check planned for today opens as soon as every invitation is answered; tests that stop before
the visit plan a later day.
"""

import json
import time
import uuid
from datetime import date, datetime, timedelta

import httpx

from db.seed import demo_officers
from domain.credit_code import make_code
from domain.timefmt import SHANGHAI
from tests.support import Api

LEAD = "market_reg"
TIMEOUT = 30  # seconds for a task to open or a projection to catch up
OFFICERS = {o["username"]: o for o in demo_officers()}


# -- helpers ---------------------------------------------------------------------------------


def today() -> date:
    return datetime.now(SHANGHAI).date()


def officer(department: str, n: int | str = 1) -> str:
    """`officer_X`, `officer_X_2` .. `_4`, or `officer_X_expired`."""
    return f"officer_{department}" if n == 1 else f"officer_{department}_{n}"


def certified(department: str) -> list[str]:
    """The department's officers whose certificates are valid (the roster without _expired)."""
    return sorted(officer(department, n) for n in (1, 2, 3, 4))


def wrong_check(code: str) -> str:
    return code[:-1] + ("Y" if code[-1] == "X" else "X")


_enterprises: dict[int, dict] = {}


def enterprise(api: Api, n: int) -> dict:
    """Demo enterprise n, picked from GET /enterprises by its account `party_<n>`."""
    assert n < 20, "enterprises 20 and above are the time-skipping tests'"
    if not _enterprises:
        r = api.get("/enterprises", "admin", params={"limit": 1000})
        assert r.status_code == 200, r.text
        _enterprises.update({int(e["party"].removeprefix("party_")): e
                             for e in r.json() if e["party"]})
    return _enterprises[n]


def plan(firm: dict, items: list[tuple[str, str]], type_: str = "complaint",
         planned: date | None = None, reason: str = "群众投诉：后厨卫生差、夜间排污") -> dict:
    return {"type": type_, "credit_code": firm["credit_code"],
            "planned_date": (planned or today()).isoformat(),
            "items": [{"department": d, "item": i} for d, i in items], "reason": reason}


def publish(api: Api, firm: dict, items: list[tuple[str, str]], user: str = officer(LEAD),
            **kw) -> dict:
    r = api.post("/inspections", user, json=plan(firm, items, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def ok(r: httpx.Response) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def refused(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    text = json.dumps(r.json(), ensure_ascii=False)
    for word in words:
        assert word in text, (word, text)


def find_task(api: Api, user: str, process: str, case_id: str, step_code: str) -> dict | None:
    """The open `step_code` task of the case in `user`'s inbox, if it is there."""
    r = api.get("/tasks", user, params={"process": process})
    assert r.status_code == 200, r.text
    return next((t for t in r.json()
                 if t["case_id"] == case_id and t["step_code"] == step_code), None)


def wait_for(probe, what: str):
    """The first truthy value of `probe()`: tasks open and projections follow shortly."""
    deadline = time.monotonic() + TIMEOUT
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return value


def open_task(api: Api, user: str, process: str, case_id: str, step_code: str) -> dict:
    return wait_for(lambda: find_task(api, user, process, case_id, step_code),
                    f"an open {process} {step_code} task of {case_id} for {user}")


def inspection(api: Api, case_id: str, user: str = "command_lead") -> dict:
    return ok(api.get(f"/inspections/{case_id}", user))


def untouched(api: Api, task: dict) -> None:
    """A refused action left no trace: the task is still open, and the case's history (read
    from Temporal itself, not the projection) holds no action on it."""
    row = ok(api.get(f"/tasks/{task['id']}", "auditor"))
    assert (row["status"], row["decision"], row["actor"]) == ("open", None, None), row
    audit = ok(api.get(f"/audit/{task['workflow_id']}", "auditor"))
    assert not [e for e in audit["entries"]
                if e["event"] == "action" and e["detail"]["task_id"] == task["id"]]


def approve(api: Api, created: dict) -> dict:
    task = open_task(api, f"head_{LEAD}", "inspection", created["id"], "approve_plan")
    return ok(api.act(f"head_{LEAD}", task["id"], "approve"))


def accept(api: Api, created: dict, department: str, **data) -> dict:
    """The department's head accepts, naming officers 1 and 2 unless told otherwise."""
    data = data or {"officers": [officer(department, 1), officer(department, 2)]}
    task = open_task(api, f"head_{department}", "inspection", created["id"], "invite")
    return ok(api.act(f"head_{department}", task["id"], "accept", **data))


def compliant(*items: str) -> list[dict]:
    return [{"item": i, "result": "compliant"} for i in items]


def record(api: Api, created: dict, department: str, findings: list[dict]) -> dict:
    """Officer 2 records the department's findings, with officers 1 and 2 present."""
    user = officer(department, 2)
    task = open_task(api, user, "inspection", created["id"], "inspect")
    return ok(api.act(user, task["id"], "record", findings=findings,
                      officers_present=[officer(department, 1), user]))


def actions(api: Api, workflow_id: str) -> list[tuple[str, str]]:
    """(actor, decision) of every action in the workflow's history, once it completed."""
    def completed() -> dict | None:
        audit = ok(api.get(f"/audit/{workflow_id}", "auditor"))
        return audit if audit["status"] == "COMPLETED" else None

    audit = wait_for(completed, f"{workflow_id} to complete")
    return [(e["actor"], e["action"]) for e in audit["entries"] if e["event"] == "action"]


# -- 1. the whole loop ---------------------------------------------------------------------


def test_the_whole_loop_from_publishing_to_the_paid_fine(api: Api) -> None:
    firm = enterprise(api, 11)
    party = firm["party"]
    evidence = f"media:evidence-{uuid.uuid4().hex[:8]}"
    reason = f"年度双随机抽查 {uuid.uuid4().hex[:6]}"
    note = "未取得排污许可证，向雨水管网排放清洗废水"
    items = [(LEAD, "食品经营许可"), (LEAD, "食品贮存条件"), ("ecology_env", "排污许可"),
             ("transport", "道路运输经营许可")]
    created = publish(api, firm, items, type_="routine", reason=reason)
    assert created["status"] == "approving"
    assert created["workflow_id"] == f"inspection-{created['id']}"
    iid = created["id"]

    task = open_task(api, f"head_{LEAD}", "inspection", iid, "approve_plan")
    assert task["context"]["items"] == [{"department": d, "item": i} for d, i in items]
    answer = ok(api.act(f"head_{LEAD}", task["id"], "approve"))
    assert answer["case"]["status"] == "inviting" and answer["case"]["approved_at"]

    departments = (LEAD, "ecology_env", "transport")
    for department in departments:
        task = open_task(api, f"head_{department}", "inspection", iid, "invite")
        assert task["context"]["certified_officers"] == certified(department)
        answer = accept(api, created, department)
    assert answer["case"]["status"] == "scheduled"  # planned today: on site next
    assert {p["department"]: (p["status"], p["officers"])
            for p in answer["case"]["departments"]} == {
        d: ("accepted", [officer(d, 1), officer(d, 2)]) for d in departments}

    violation = {"item": "排污许可", "result": "violation", "action": "penalty",
                 "legal_basis": "《排污许可管理条例》第三十三条", "evidence": [evidence],
                 "fine_proposed": 50000, "note": note}
    answer = record(api, created, LEAD, compliant("食品经营许可", "食品贮存条件"))
    assert answer["case"]["status"] == "inspecting"
    answer = record(api, created, "transport", compliant("道路运输经营许可"))
    assert answer["case"]["status"] == "inspecting"
    answer = record(api, created, "ecology_env", [violation])
    assert answer["case"]["status"] == "handling"

    def penalty_case() -> str | None:
        item = next(i for i in inspection(api, iid)["items"] if i["item"] == "排污许可")
        return item["penalty_case_id"]

    pid = wait_for(penalty_case, "the penalty case on the item")
    assert pid == f"{iid}-P1"
    state = inspection(api, iid)
    assert state["status"] == "handling" and state["penalty_cases"] == [pid]

    # 行政处罚: the item's department files it, its officers of the visit act, the party
    # answers, the head decides no heavier than the notice, the officers record the payment.
    head, officers = "head_ecology_env", [officer("ecology_env", 1), officer("ecology_env", 2)]
    task = open_task(api, head, "penalty", pid, "file")
    assert ok(api.act(head, task["id"], "accept"))["case"]["status"] == "notifying"
    task = open_task(api, officers[1], "penalty", pid, "notify")
    assert task["context"]["fine_proposed"] == 50000
    assert [a["users"] for a in task["assignees"]] == [officers]
    answer = ok(api.act(officers[1], task["id"], "issue", proposed={"type": "fine",
                                                                       "fine": 50000}))
    assert answer["case"]["status"] == "answering"
    task = open_task(api, party, "penalty", pid, "answer")
    answer = ok(api.act(party, task["id"], "waive"))
    assert answer["case"]["status"] == "deciding" and answer["case"]["answer"] == "waive"
    assert "evidence" not in answer["case"] and "fine_proposed" not in answer["case"]
    task = open_task(api, head, "penalty", pid, "decide")
    answer = ok(api.act(head, task["id"], "decide", penalty={"type": "fine", "fine": 40000}))
    assert answer["case"]["status"] == "executing"
    task = open_task(api, officers[0], "penalty", pid, "execute")
    answer = ok(api.act(officers[0], task["id"], "paid", amount=40000))
    assert answer["case"]["status"] == "closed" and answer["case"]["amount_paid"] == 40000

    def closed() -> dict | None:
        state = inspection(api, iid, f"head_{LEAD}")
        return state if state["status"] == "closed" else None

    state = wait_for(closed, "the inspection to close")
    assert state["closed_at"] and state["open_task_ids"] == []
    assert {i["item"]: (i["status"], i["outcome"], i["settled"]) for i in state["items"]} == {
        "食品经营许可": ("compliant", "检查合格", True),
        "食品贮存条件": ("compliant", "检查合格", True),
        "排污许可": ("violation", f"处罚案件 {pid}：罚款 40000 元", True),
        "道路运输经营许可": ("compliant", "检查合格", True)}
    found = next(i for i in state["items"] if i["item"] == "排污许可")
    assert (found["evidence"], found["note"], found["action"]) == ([evidence], note, "penalty")

    # 结果公示, open to anyone: what was found, naming no person and showing no evidence.
    r = api.http.get(f"/inspections/{iid}/public")
    shown = ok(r)
    assert shown["status"] == "closed" and shown["credit_code"] == firm["credit_code"]
    assert shown["departments"] == ["市场监督管理局", "生态环境局", "交通局"]
    assert {i["item"]: (i["status"], i["outcome"]) for i in shown["items"]}["排污许可"] == (
        "violation", f"处罚案件 {pid}：罚款 40000 元")
    text = json.dumps(shown, ensure_ascii=False)
    personal = [*OFFICERS, *(o["name"] for o in OFFICERS.values()), party, evidence, reason,
                note, *(f"head_{d}" for d in departments)]
    for secret in personal:
        assert secret not in text, secret
    # The enterprise's own account reads the same public result.
    assert ok(api.get(f"/inspections/{iid}", party)) == shown

    # The enterprise's history, and the lists, show the inspection and its case.
    detail = ok(api.get(f"/enterprises/{firm['credit_code']}", "command_lead"))
    assert [(i["id"], i["status"], i["violations"]) for i in detail["inspections"]] == [
        (iid, "closed", 1)]
    cases = wait_for(lambda: [c for c in ok(api.get(f"/enterprises/{firm['credit_code']}",
                                                    party))["penalty_cases"]
                              if c["status"] == "closed"], "the closed penalty case")
    assert [(c["id"], c["department"], c["decision_type"], c["fine"]) for c in cases] == [
        (pid, "ecology_env", "fine", 40000)]
    rows = ok(api.get("/inspections", "head_transport",
                      params={"credit_code": firm["credit_code"]}))
    assert [(r["id"], r["status"], r["items_total"], r["violations"], r["penalty_cases"])
            for r in rows] == [(iid, "closed", 4, 1, 1)]

    # /audit: who did what, from the histories.
    assert sorted(actions(api, created["workflow_id"])) == sorted([
        (f"head_{LEAD}", "approve"), (f"head_{LEAD}", "accept"), ("head_ecology_env", "accept"),
        ("head_transport", "accept"), (officer(LEAD, 2), "record"),
        (officer("transport", 2), "record"), (officer("ecology_env", 2), "record")])
    audit = ok(api.get(f"/audit/{created['workflow_id']}", "auditor"))
    assert (audit["process"], audit["entries"][0]["actor"]) == ("inspection", officer(LEAD))
    assert actions(api, f"penalty-{pid}") == [
        (head, "accept"), (officers[1], "issue"), (party, "waive"), (head, "decide"),
        (officers[0], "paid")]


# -- 2. bad input and wrong actors: refused, and nothing changed ----------------------------


def test_publishing_refuses_bad_plans_and_outsiders(api: Api) -> None:
    firm = enterprise(api, 12)
    items = [(LEAD, "食品经营许可")]
    good = plan(firm, items, planned=today() + timedelta(days=3))
    bad = [
        (good | {"credit_code": wrong_check(firm["credit_code"])}, 422, "credit_code"),
        (good | {"credit_code": make_code("91500104MA0000000")}, 404, "no enterprise"),
        (good | {"planned_date": (today() - timedelta(days=1)).isoformat()}, 422,
         "planned_date"),
        (good | {"planned_date": (today() + timedelta(days=400)).isoformat()}, 422,
         "planned_date"),
        (good | {"items": [{"department": "housing", "item": "燃气安全"}]}, 422, "housing"),
        (good | {"items": [{"department": "nowhere", "item": "燃气安全"}]}, 422, "nowhere"),
        (good | {"items": []}, 422, "items"),
        (good | {"items": good["items"] * 2}, 422, "twice"),
        (good | {"type": "whim"}, 422, "type"),
        (good | {"reason": ""}, 422, "reason"),
        (good | {"type": "complaint", "draw": True}, 422, "双随机"),
    ]
    for body, status, word in bad:
        refused(api.post("/inspections", officer(LEAD), json=body), status, word)
    for user in ("citizen", firm["party"], "legal_reviewer", "command_lead", "dispatcher",
                 "officer_housing"):
        refused(api.post("/inspections", user, json=good), 403)
    refused(api.http.post("/inspections", json=good), 401)

    # None of these started anything.
    code = firm["credit_code"]
    assert ok(api.get("/inspections", "command_lead", params={"credit_code": code})) == []
    assert ok(api.get(f"/enterprises/{code}", "command_lead"))["inspections"] == []
    # The same plan, well formed and by the lead's staff, goes through.
    r = api.post("/inspections", f"head_{LEAD}", json=good)
    assert r.status_code == 201, r.text


def test_only_the_lead_head_approves_and_a_closed_or_unknown_task_is_refused(api: Api) -> None:
    firm = enterprise(api, 13)
    created = publish(api, firm, [(LEAD, "食品经营许可"), ("transport", "道路运输经营许可")],
                      planned=today() + timedelta(days=3))
    task = open_task(api, f"head_{LEAD}", "inspection", created["id"], "approve_plan")
    for user in ("head_transport", "head_ecology_env", officer(LEAD), "command_lead",
                 "citizen", firm["party"]):
        refused(api.act(user, task["id"], "approve"), 403)
    refused(api.act(f"head_{LEAD}", task["id"], "refuse"), 422, "comment")
    refused(api.act(f"head_{LEAD}", task["id"], "rubber_stamp"), 422, "rubber_stamp")
    refused(api.act(f"head_{LEAD}", task["id"], "approve", officers=["x"]), 422, "no data")
    untouched(api, task)
    assert inspection(api, created["id"])["status"] == "approving"

    assert ok(api.act(f"head_{LEAD}", task["id"], "approve"))["case"]["status"] == "inviting"
    refused(api.act(f"head_{LEAD}", task["id"], "approve"), 409)
    refused(api.act(f"head_{LEAD}", task["id"], "refuse", "改主意了"), 409)
    assert inspection(api, created["id"])["status"] == "inviting"

    refused(api.act(f"head_{LEAD}", f"{created['workflow_id']}.99", "approve"), 404)
    refused(api.act(f"head_{LEAD}", "inspection-20000101-NOSUCH.1", "approve"), 404)


def test_accepting_needs_two_certified_officers_of_the_department(api: Api) -> None:
    firm = enterprise(api, 14)
    created = publish(api, firm, [(LEAD, "食品经营许可"), ("ecology_env", "排污许可")],
                      planned=today() + timedelta(days=3))
    approve(api, created)
    head = "head_ecology_env"
    task = open_task(api, head, "inspection", created["id"], "invite")
    mine = officer("ecology_env")
    expired = officer("ecology_env", "expired")
    refused(api.act(head, task["id"], "accept", officers=[mine, expired]), 422, expired,
            "2025-06-30")
    refused(api.act(head, task["id"], "accept", officers=[mine, officer(LEAD)]), 422,
            officer(LEAD))
    refused(api.act(head, task["id"], "accept", officers=[mine, "nobody_at_all"]), 422,
            "nobody_at_all")
    refused(api.act(head, task["id"], "accept", officers=[mine]), 422, "data.officers")
    refused(api.act(head, task["id"], "accept", officers=[mine, mine]), 422, "data.officers")
    refused(api.act(head, task["id"], "accept"), 422, "data.officers")
    # 双随机 is for routine and campaign inspections; this one is a complaint.
    refused(api.act(head, task["id"], "accept", draw=True), 422, "双随机")
    refused(api.act(head, task["id"], "accept", draw=True, officers=[mine]), 422, "draw")
    refused(api.act(head, task["id"], "decline"), 422, "comment")
    refused(api.act(f"head_{LEAD}", task["id"], "accept",
                    officers=[mine, officer("ecology_env", 2)]), 403)
    refused(api.act(mine, task["id"], "accept", officers=[mine, officer("ecology_env", 2)]),
            403)
    untouched(api, task)
    state = inspection(api, created["id"])
    assert state["status"] == "inviting"
    assert {p["department"]: p["status"] for p in state["departments"]} == {
        LEAD: "invited", "ecology_env": "invited"}

    pair = [officer("ecology_env", 3), officer("ecology_env", 4)]
    answer = ok(api.act(head, task["id"], "accept", officers=pair))
    part = next(p for p in answer["case"]["departments"] if p["department"] == "ecology_env")
    assert (part["status"], part["officers"], part["drawn"]) == ("accepted", pair, False)


def test_recording_needs_the_named_officers_and_a_finding_per_item(api: Api) -> None:
    firm = enterprise(api, 15)
    created = publish(api, firm, [(LEAD, "食品经营许可"), (LEAD, "食品贮存条件"),
                                  ("ecology_env", "排污许可")])
    approve(api, created)
    accept(api, created, LEAD)
    assert accept(api, created, "ecology_env")["case"]["status"] == "scheduled"
    one, two = officer(LEAD, 1), officer(LEAD, 2)
    task = open_task(api, one, "inspection", created["id"], "inspect")
    good = compliant("食品经营许可", "食品贮存条件")
    present = [one, two]

    def violation(**change) -> dict:
        return {"item": "食品贮存条件", "result": "violation", "action": "penalty",
                "legal_basis": "《食品安全法》第一百三十二条"} | change

    bad = [
        ({"findings": good, "officers_present": [one]}, "officers_present"),
        ({"findings": good, "officers_present": [one, one]}, "officers_present"),
        ({"findings": good, "officers_present": [one, officer(LEAD, 3)]}, officer(LEAD, 3)),
        ({"findings": good, "officers_present": [one, officer("ecology_env")]},
         officer("ecology_env")),
        ({"findings": good[:1], "officers_present": present}, "食品贮存条件"),
        ({"findings": [*good, *compliant("消防安全")], "officers_present": present},
         "消防安全"),
        ({"findings": [*good, *compliant("排污许可")], "officers_present": present},
         "排污许可"),  # another department's item
        ({"findings": [*good, good[0]], "officers_present": present}, "one finding per item"),
        ({"findings": [good[0], violation(legal_basis=None)], "officers_present": present},
         "legal_basis"),
        ({"findings": [good[0], violation(action=None)], "officers_present": present},
         "action"),
        ({"findings": [good[0], violation(action="rectify")], "officers_present": present},
         "rectify_by"),
        ({"findings": [good[0], violation(action="rectify", rectify_by=today().isoformat())],
          "officers_present": present}, "rectify_by"),
        ({"findings": [], "officers_present": present}, "findings"),
        ({"findings": good}, "officers_present"),
    ]
    for data, word in bad:
        refused(api.act(one, task["id"], "record", **data), 422, word)
    # Another department's officer, named for the same visit, may not record this one's.
    refused(api.act(officer("ecology_env"), task["id"], "record", findings=good,
                    officers_present=[officer("ecology_env"), officer("ecology_env", 2)]),
            403)
    refused(api.act(f"head_{LEAD}", task["id"], "record", findings=good,
                    officers_present=present), 403)
    untouched(api, task)
    assert inspection(api, created["id"])["status"] == "inspecting"

    answer = ok(api.act(one, task["id"], "record", findings=good, officers_present=present))
    assert answer["case"]["status"] == "inspecting"
    answer = record(api, created, "ecology_env", compliant("排污许可"))
    assert answer["case"]["status"] == "closed"


def test_a_party_answers_only_its_own_penalty_case(api: Api) -> None:
    firm, other = enterprise(api, 16), enterprise(api, 9)
    party = firm["party"]
    created = publish(api, firm, [(LEAD, "食品经营许可")])
    approve(api, created)
    accept(api, created, LEAD)
    record(api, created, LEAD, [{
        "item": "食品经营许可", "result": "violation", "action": "penalty", "fine_proposed": 8000,
        "legal_basis": "《食品安全法》第一百二十二条", "evidence": ["media:photo-16"]}])
    pid = f"{created['id']}-P1"
    task = open_task(api, f"head_{LEAD}", "penalty", pid, "file")
    ok(api.act(f"head_{LEAD}", task["id"], "accept"))
    task = open_task(api, officer(LEAD), "penalty", pid, "notify")
    ok(api.act(officer(LEAD), task["id"], "issue", proposed={"type": "fine", "fine": 8000}))

    task = open_task(api, party, "penalty", pid, "answer")
    assert find_task(api, other["party"], "penalty", pid, "answer") is None
    for user in (other["party"], "citizen", "head_ecology_env", officer(LEAD, 3)):
        refused(api.act(user, task["id"], "statement", text="不是我们"), 403)
    refused(api.act(other["party"], task["id"], "waive"), 403)
    refused(api.act(party, task["id"], "request_hearing"), 422, "第六十三条")
    untouched(api, task)
    assert ok(api.get(f"/penalty-cases/{pid}", f"head_{LEAD}"))["status"] == "answering"
    refused(api.get(f"/penalty-cases/{pid}", other["party"]), 403)

    answer = ok(api.act(party, task["id"], "statement", text="系初次违法，已整改"))
    assert answer["case"]["status"] == "deciding"
    refused(api.act(party, task["id"], "waive"), 409)
    task = open_task(api, f"head_{LEAD}", "penalty", pid, "decide")
    refused(api.act(f"head_{LEAD}", task["id"], "decide", penalty={"type": "fine",
                                                                   "fine": 9000}),
            422, "第四十五条")
    refused(api.act(f"head_{LEAD}", task["id"], "decide", penalty={"type": "suspension"}),
            422, "第四十五条")
    untouched(api, task)
    assert ok(api.get(f"/penalty-cases/{pid}", f"head_{LEAD}"))["status"] == "deciding"
    assert inspection(api, created["id"])["status"] == "handling"


def test_who_reads_an_inspection(api: Api) -> None:
    firm, other = enterprise(api, 17), enterprise(api, 10)
    created = publish(api, firm, [(LEAD, "食品经营许可"), ("transport", "道路运输经营许可")],
                      planned=today() + timedelta(days=3))
    iid = created["id"]
    path = f"/inspections/{iid}"
    for user in ("officer_culture_tourism", "head_agri_rural", "citizen", "dispatcher",
                 "officer_housing", other["party"]):
        refused(api.get(path, user), 403)
    refused(api.http.get(path), 401)
    refused(api.get("/inspections/20000101-NOSUCH", "command_lead"), 404)
    refused(api.http.get("/inspections/20000101-NOSUCH/public"), 404)

    for user in (officer(LEAD), "head_transport", "officer_transport_4", "command_lead",
                 "auditor", "legal_reviewer"):
        staff = ok(api.get(path, user))
        assert staff["reason"] and staff["created_by"] == officer(LEAD) and "tasks" in staff
    # Checks are unannounced: before the inspectors are at the door the enterprise's own
    # account cannot see it, and there is no public result until it closes.
    refused(api.get(path, firm["party"]), 403)
    refused(api.http.get(f"{path}/public"), 404)
    history = ok(api.get(f"/enterprises/{firm['credit_code']}", firm["party"]))
    assert iid not in [i["id"] for i in history["inspections"]]
    assert iid in [i["id"] for i in ok(api.get(f"/enterprises/{firm['credit_code']}",
                                               "command_lead"))["inspections"]]

    def listed(user: str) -> list[str]:
        r = api.get("/inspections", user, params={"credit_code": firm["credit_code"]})
        assert r.status_code == 200, r.text
        return [row["id"] for row in r.json()]

    for user in ("head_transport", "command_lead"):
        assert listed(user) == [iid], user
    for user in ("officer_culture_tourism", other["party"], firm["party"]):
        assert listed(user) == [], user
    refused(api.get("/inspections", "citizen"), 403)


# -- 3. 双随机 over HTTP ---------------------------------------------------------------------


def test_the_random_draw_takes_two_certified_officers_of_each_department(api: Api) -> None:
    firm = enterprise(api, 18)
    departments = ("market_reg", "ecology_env", "culture_tourism", "transport", "agri_rural",
                   "urban_mgmt")
    created = publish(api, firm, [(d, f"{d} 年度检查事项") for d in departments],
                      type_="routine")
    approve(api, created)
    drawn = {}
    for department in departments:
        task = open_task(api, f"head_{department}", "inspection", created["id"], "invite")
        assert task["context"]["draw_allowed"] is True
        assert task["context"]["certified_officers"] == certified(department)
        answer = ok(api.act(f"head_{department}", task["id"], "accept", draw=True))
        part = next(p for p in answer["case"]["departments"]
                    if p["department"] == department)
        assert part["status"] == "accepted" and part["drawn"] is True
        assert len(set(part["officers"])) == 2 and set(part["officers"]) <= set(
            certified(department)), part
        assert officer(department, "expired") not in part["officers"]
        drawn[department] = part["officers"]
    assert answer["case"]["status"] == "scheduled"
    # The drawn officers, and no one else of the department, are sent on site.
    task = open_task(api, drawn[LEAD][0], "inspection", created["id"], "inspect")
    assert [a["users"] for a in task["assignees"]] == [drawn[LEAD]]
    for user in set(certified(LEAD)) - set(drawn[LEAD]):
        assert find_task(api, user, "inspection", created["id"], "inspect") is None


# -- 4. the inbox ----------------------------------------------------------------------------


def test_each_inbox_shows_its_own_tasks_and_only_named_officers_act(api: Api) -> None:
    firm = enterprise(api, 19)
    departments = (LEAD, "ecology_env", "transport")
    created = publish(api, firm, [(LEAD, "食品经营许可"), ("ecology_env", "排污许可"),
                                  ("transport", "道路运输经营许可")])
    iid = created["id"]

    def inbox(user: str, step_code: str) -> list[dict]:
        return [t for t in ok(api.get("/tasks", user)) if t["case_id"] == iid
                and t["step_code"] == step_code]

    open_task(api, f"head_{LEAD}", "inspection", iid, "approve_plan")
    assert inbox("head_ecology_env", "approve_plan") == []
    assert inbox(officer(LEAD), "approve_plan") == []
    approve(api, created)

    invites = {d: open_task(api, f"head_{d}", "inspection", iid, "invite") for d in departments}
    for department in departments:
        mine = inbox(f"head_{department}", "invite")
        assert [t["id"] for t in mine] == [invites[department]["id"]]
        assert mine[0]["assignee_department"] == department
        assert mine[0]["expires_at"] and mine[0]["due_at"]
    assert len({t["id"] for t in invites.values()}) == 3
    for user in ("head_culture_tourism", officer(LEAD), "command_lead"):
        assert inbox(user, "invite") == [], user
    for department in departments:
        accept(api, created, department)

    inspect = {d: open_task(api, officer(d), "inspection", iid, "inspect") for d in departments}
    for department in departments:
        named = [officer(department, 1), officer(department, 2)]
        for user in named:
            assert [t["id"] for t in inbox(user, "inspect")] == [inspect[department]["id"]]
        assert [a["users"] for a in inspect[department]["assignees"]] == [named]
        assert inspect[department]["context"]["officers"] == named
        for user in (officer(department, 3), officer(department, 4),
                     officer(department, "expired"), f"head_{department}"):
            assert inbox(user, "inspect") == [], user
    unnamed = officer("transport", 3)
    task = inspect["transport"]
    refused(api.act(unnamed, task["id"], "record", findings=compliant("道路运输经营许可"),
                    officers_present=[officer("transport", 1), unnamed]), 403)
    refused(api.get(f"/tasks/{task['id']}", unnamed), 403)
    untouched(api, task)
    assert inspection(api, iid)["status"] == "inspecting"


def test_a_street_team_leads_a_joint_inspection_with_a_district_team(api: Api) -> None:
    """"1+5+1": each street and town's comprehensive enforcement team enforces too, with its
    own certified officers on the roster."""
    firm, street = enterprise(api, 7), "jiugongmiao"
    r = api.post("/inspections", f"officer_{street}", json=plan(
        firm, [(street, "占道经营"), (LEAD, "食品经营许可")]))
    assert r.status_code == 201, r.text
    created = r.json()
    task = open_task(api, f"head_{street}", "inspection", created["id"], "approve_plan")
    ok(api.act(f"head_{street}", task["id"], "approve"))
    refused(api.act(f"head_{street}", open_task(api, f"head_{street}", "inspection",
                                                 created["id"], "invite")["id"], "accept",
                    officers=[officer(street), officer(street, "expired")]), 422, "过期")
    for department in (street, LEAD):
        accept(api, created, department)
    for department, item in ((street, "占道经营"), (LEAD, "食品经营许可")):
        task = open_task(api, officer(department), "inspection", created["id"], "inspect")
        ok(api.act(officer(department), task["id"], "record", findings=[
            {"item": item, "result": "compliant"}],
            officers_present=[officer(department), officer(department, 2)]))
    case = wait_for(lambda: (c := inspection(api, created["id"]))["status"] == "closed" and c,
                    "the inspection to close")
    assert case["lead_department"] == street
    assert {p["department"] for p in case["departments"]} == {street, LEAD}
