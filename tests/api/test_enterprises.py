"""/enterprises over HTTP: the reference list, one enterprise's history, who may read what."""

import uuid
from datetime import UTC, date, datetime

from sqlmodel import Session

from db.engine import get_engine
from db.models import EnterpriseRow, InspectionRow, PenaltyCaseRow
from db.seed import DEMO_ENTERPRISES, DISTRICT_PREFIX, demo_credit_code
from domain.credit_code import CHARSET, make_code
from tests.support import Api


def test_list_by_street_and_grade(api: Api) -> None:
    r = api.get("/enterprises", "officer_market_reg", params={"street": "baqiao"})
    assert r.status_code == 200, r.text
    rows = r.json()
    expected = {n for n, e in enumerate(DEMO_ENTERPRISES, start=1) if e[0] == "baqiao"}
    assert {demo_credit_code(n) for n in expected} <= {e["credit_code"] for e in rows}
    assert {e["street"] for e in rows} == {"baqiao"} and rows[0]["street_name"] == "八桥镇"
    r = api.get("/enterprises", "command_lead", params={"risk_grade": "D", "limit": 1000})
    assert r.status_code == 200 and r.json() and {e["risk_grade"] for e in r.json()} == {"D"}
    assert api.get("/enterprises", "auditor", params={"street": "nowhere"}).status_code == 422
    assert api.get("/enterprises", "auditor", params={"risk_grade": "E"}).status_code == 422


def test_detail_names_the_party_and_shows_the_history_newest_first(api: Api) -> None:
    code = make_code(f"{DISTRICT_PREFIX}H{uuid.uuid4().int % 10**8:08d}")
    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    with Session(get_engine()) as session:
        session.add(EnterpriseRow(credit_code=code, name="大渡口区测试餐饮有限公司",
                                  address="重庆市大渡口区春晖路1号", street="chunhuilu",
                                  industry="餐饮", risk_grade="C"))
        for n, planned in enumerate((date(2026, 1, 5), date(2026, 4, 1)), start=1):
            session.add(InspectionRow(
                id=f"{code}-{n}", workflow_id=f"inspection-{code}-{n}", type="routine",
                status="closed", credit_code=code, enterprise_name="测试", street="chunhuilu",
                lead_department="market_reg", planned_date=planned, created_by="x",
                created_at=at, violations=n - 1, merged_into=None if n == 1 else f"{code}-1"))
        session.add(PenaltyCaseRow(
            id=f"{code}-p", workflow_id=f"penalty-{code}-p", status="closed", credit_code=code,
            enterprise_name="测试", department="market_reg", opened_at=at, decided_at=at,
            decision_type="fine", fine=2000))
        session.commit()
    body = api.get(f"/enterprises/{code.lower()}", "legal_reviewer").json()
    assert body["credit_code"] == code and body["party"] is None
    assert [i["id"] for i in body["inspections"]] == [f"{code}-2", f"{code}-1"]
    assert body["inspections"][0] == {
        "id": f"{code}-2", "type": "routine", "status": "closed",
        "lead_department": "market_reg", "planned_date": "2026-04-01",
        "merged_into": f"{code}-1", "violations": 1}
    assert body["penalty_cases"] == [{
        "id": f"{code}-p", "status": "closed", "department": "market_reg",
        "decision_type": "fine", "fine": 2000.0, "decided_at": "2026-03-02T09:30:00+08:00"}]

    own = demo_credit_code(3)
    body = api.get(f"/enterprises/{own}", "officer_urban_mgmt").json()
    assert body["party"] == "party_3" and body["name"] == DEMO_ENTERPRISES[2][1]


def test_an_enterprise_sees_only_itself(api: Api) -> None:
    own, other = demo_credit_code(5), demo_credit_code(6)
    r = api.get(f"/enterprises/{own}", "party_5")
    assert r.status_code == 200 and r.json()["party"] == "party_5"
    assert api.get(f"/enterprises/{other}", "party_5").status_code == 403
    listed = api.get("/enterprises", "party_5").json()
    assert [e["credit_code"] for e in listed] == [own]
    assert api.get("/enterprises", "party_5", params={"street": "tiaodeng"}).json() == []


def test_citizens_and_machines_may_not_read(api: Api) -> None:
    code = demo_credit_code(1)
    for user in ("citizen", "ai_camera", "inspector"):
        assert api.get("/enterprises", user).status_code == 403
        assert api.get(f"/enterprises/{code}", user).status_code == 403


def test_a_wrong_check_character_is_422_and_an_unknown_code_404(api: Api) -> None:
    code = demo_credit_code(1)
    wrong = code[:17] + next(c for c in CHARSET if c != code[17])
    r = api.get(f"/enterprises/{wrong}", "admin")
    assert r.status_code == 422
    assert f"expected {code[17]}" in r.json()["detail"][0]["msg"]
    assert api.get("/enterprises/91500104", "admin").status_code == 422
    assert api.get(f"/enterprises/{code[:16]}IO", "admin").status_code == 422
    unknown = make_code(f"{DISTRICT_PREFIX}U{uuid.uuid4().int % 10**8:08d}")
    assert api.get(f"/enterprises/{unknown}", "admin").status_code == 404


def test_unauthenticated_is_401(api: Api) -> None:
    assert api.http.get("/enterprises").status_code == 401
    assert api.http.get(f"/enterprises/{demo_credit_code(1)}").status_code == 401
