"""Penalty cases over HTTP: dev server, real worker, real API."""

import pytest

from db.seed import demo_credit_code
from domain.credit_code import make_code
from tests.support import Api, record_history

OFFICERS = ["officer_market_reg", "officer_market_reg_2"]
FIRM, OTHER = 5, 6  # demo enterprises: accounts party_5 and party_6


def wrong_check(code: str) -> str:
    return code[:-1] + ("Y" if code[-1] == "X" else "X")


def body(**change) -> dict:
    return {"credit_code": demo_credit_code(FIRM), "item": "食品经营许可",
            "facts": "超范围经营冷食类食品", "legal_basis": "《食品安全法》第一百二十二条",
            "evidence": ["media:photo-1"], "fine_proposed": 8000, "officers": OFFICERS} | change


def open_case(api: Api, **change) -> dict:
    r = api.post("/penalty-cases", "officer_market_reg", json=body(**change))
    assert r.status_code == 201, r.text
    return r.json()


def test_a_case_opened_alone_from_filing_to_payment(api: Api) -> None:
    case = open_case(api)
    assert case["status"] == "filing" and case["workflow_id"] == f"penalty-{case['id']}"

    task = api.task("head_market_reg", case["id"], "立案")
    assert api.act("officer_market_reg", task["id"], "accept").status_code == 403
    r = api.act("head_market_reg", task["id"], "accept")
    assert r.status_code == 200, r.text
    assert r.json()["case"]["decision_due_at"].endswith("+08:00")

    task = api.task("officer_market_reg_2", case["id"], "告知")
    assert task["context"]["fine_proposed"] == 8000
    assert [a["users"] for a in task["assignees"]] == [OFFICERS]
    assert api.act("officer_ecology_env", task["id"], "issue",
                   proposed={"type": "fine", "fine": 8000}).status_code == 403
    r = api.act("officer_market_reg_2", task["id"], "issue",
                proposed={"type": "fine", "fine": 8000})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "answering"

    task = api.task(f"party_{FIRM}", case["id"], "陈述申辩")
    assert task["expires_at"] and task["context"]["hearing_allowed"] is False
    r = api.act(f"party_{OTHER}", task["id"], "statement", text="不是我们")
    assert r.status_code == 403
    r = api.act(f"party_{FIRM}", task["id"], "request_hearing")
    assert r.status_code == 422 and "第六十三条" in r.json()["detail"]
    r = api.act(f"party_{FIRM}", task["id"], "statement", text="系初次违法，已整改")
    assert r.status_code == 200, r.text
    answer = r.json()["case"]
    assert answer["status"] == "deciding" and answer["statement"] == "系初次违法，已整改"
    assert not {"opened_by", "evidence", "review_points", "fine_proposed"} & set(answer)

    task = api.task("head_market_reg", case["id"], "决定")
    r = api.act("head_market_reg", task["id"], "decide", penalty={"type": "fine", "fine": 9000})
    assert r.status_code == 422 and "第四十五条" in r.json()["detail"]
    r = api.act("head_market_reg", task["id"], "decide", penalty={"type": "fine", "fine": 6000})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "executing"

    mine = api.get(f"/penalty-cases/{case['id']}", f"party_{FIRM}")
    assert mine.status_code == 200, mine.text
    mine = mine.json()
    assert (mine["decision"], mine["surcharge"], mine["amount_due"]) == (
        {"type": "fine", "fine": 6000}, 0, 6000)
    assert mine["proposed"] == {"type": "fine", "fine": 8000}
    assert not {"opened_by", "evidence", "review_points", "end_reason"} & set(mine)
    assert [t["step"] for t in mine["tasks"]] == ["陈述申辩"]  # its own tasks only
    staff = api.get(f"/penalty-cases/{case['id']}", "legal_reviewer").json()
    assert staff["evidence"] == ["media:photo-1"] and staff["amount_due"] == 6000
    assert [t["step"] for t in staff["tasks"]] == ["立案", "告知", "陈述申辩", "决定", "执行"]
    assert staff["payment_due_at"].endswith("+08:00")
    for user in ("officer_ecology_env", f"party_{OTHER}", "citizen", "inspector"):
        assert api.get(f"/penalty-cases/{case['id']}", user).status_code == 403, user

    task = api.task("officer_market_reg", case["id"], "执行")
    r = api.act("officer_market_reg", task["id"], "paid", amount=5999.99)
    assert r.status_code == 422 and "6000.00" in r.json()["detail"]
    r = api.act("officer_market_reg", task["id"], "paid", amount=6000)
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "closed"

    def listed(user: str, **params) -> list[str] | None:
        r = api.get("/penalty-cases", user, params=params)
        assert r.status_code == 200, r.text
        ids = [c["id"] for c in r.json()]
        return ids if case["id"] in ids else None

    api.eventually(lambda: listed("head_market_reg", status="closed"))
    rows = api.get("/penalty-cases", "head_market_reg",
                   params={"credit_code": demo_credit_code(FIRM)}).json()
    row = next(c for c in rows if c["id"] == case["id"])
    assert (row["decision_type"], row["fine"], row["amount_paid"], row["officers"]) == (
        "fine", 6000, 6000, OFFICERS)
    assert listed(f"party_{FIRM}") and listed("command_lead") and listed("legal_reviewer")
    party_row = next(c for c in api.get("/penalty-cases", f"party_{FIRM}").json()
                     if c["id"] == case["id"])
    assert "officers" not in party_row and "legal_reviewed" not in party_row
    for user in ("officer_ecology_env", f"party_{OTHER}", "citizen"):
        assert listed(user) is None, user
    assert api.get("/penalty-cases", "citizen").json() == []

    notes = [n["message"] for n in api.get("/notifications", f"party_{FIRM}").json()
             if n["workflow_id"] == case["workflow_id"]]
    assert any("行政处罚事先告知" in m for m in notes)
    assert any("罚款 6000 元" in m for m in notes)
    assert not [n for n in api.get("/notifications", f"party_{OTHER}").json()
                if n["workflow_id"] == case["workflow_id"]]
    record_history(case["workflow_id"], "penalty_http_paid")


@pytest.mark.parametrize(("change", "word"), [
    ({"officers": ["officer_market_reg", "officer_market_reg_expired"]},
     "officer_market_reg_expired"),
    ({"officers": ["officer_market_reg", "officer_ecology_env"]}, "officer_ecology_env"),
    ({"officers": ["officer_market_reg", "nobody_at_all"]}, "nobody_at_all"),
    ({"officers": ["officer_market_reg", "officer_market_reg"]}, "officers"),
    ({"officers": ["officer_market_reg"]}, "officers"),
    ({"credit_code": wrong_check(demo_credit_code(FIRM))}, "credit_code"),
    ({"facts": "   "}, "facts"),
    ({"fine_proposed": -1}, "fine_proposed"),
    ({"evidence": ["data:image/png;base64,AAAA"]}, "evidence"),
])
def test_bad_cases_are_422(api: Api, change: dict, word: str) -> None:
    r = api.post("/penalty-cases", "officer_market_reg", json=body(**change))
    assert r.status_code == 422, r.text
    assert word in str(r.json()["detail"])


def test_who_may_open_and_read(api: Api) -> None:
    unknown = make_code("91500104MA0000000")
    r = api.post("/penalty-cases", "officer_market_reg", json=body(credit_code=unknown))
    assert r.status_code == 404
    for user in (f"party_{FIRM}", "citizen", "dispatcher", "officer_housing", "legal_reviewer"):
        assert api.post("/penalty-cases", user, json=body()).status_code == 403, user
    assert api.http.post("/penalty-cases", json=body()).status_code == 401
    assert api.http.get("/penalty-cases").status_code == 401
    assert api.http.get("/penalty-cases/x").status_code == 401
    assert api.get("/penalty-cases/no-such-case", "auditor").status_code == 404
    assert api.get("/penalty-cases/a%20b", "auditor").status_code == 422
    assert api.get("/penalty-cases", "auditor", params={"status": "x"}).status_code == 422
    assert api.get("/penalty-cases", "auditor", params={"credit_code": "1"}).status_code == 422

    # A department head opens one too; another department's head cannot file it.
    r = api.post("/penalty-cases", "head_market_reg", json=body(fine_proposed=None))
    assert r.status_code == 201, r.text
    case = r.json()
    task = api.task("head_market_reg", case["id"], "立案")
    assert api.act("head_ecology_env", task["id"], "accept").status_code == 403
    r = api.act("head_market_reg", task["id"], "reject", "证据不足")
    assert r.status_code == 200 and r.json()["case"]["status"] == "not_filed"
    state = api.get(f"/penalty-cases/{case['id']}", "officer_market_reg").json()
    assert state["status"] == "not_filed" and state["end_reason"] == "证据不足"
    assert "end_reason" not in api.get(f"/penalty-cases/{case['id']}", f"party_{FIRM}").json()
