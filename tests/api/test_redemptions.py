"""德分宝 offers and redemptions over HTTP, with the demo residents and merchants of 融城: a
resident redeems an offer, the merchant confirms the code, the points are gone; too small a
balance, another merchant's code, an unknown code and a used one are refused."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from db.engine import get_engine
from db.models import RedemptionRow
from tests.support import Api


def redeem(api: Api, user: str, offer_id: str) -> dict:
    r = api.post("/credit/redemptions", user, json={"offer_id": offer_id})
    assert r.status_code == 201, r.text
    return r.json()


def stock(api: Api, offer_id: str) -> int:
    found = [o for o in api.get("/credit/offers", "resident_1").json() if o["id"] == offer_id]
    return found[0]["stock"] if found else 0


def test_a_resident_redeems_and_the_merchant_confirms(api: Api) -> None:
    before = api.get("/credit/accounts/me", "resident_3").json()
    units = stock(api, "market-oil")
    body = redeem(api, "resident_3", "market-oil")
    assert body["status"] == "reserved" and body["points"] == 50
    code = body["code"]
    assert len(code) == 8 and not set(code) & set("0O1I") and code.isupper()
    assert body["workflow_id"] == f"redemption-{body['id']}"
    assert body["expires_at"].endswith("+08:00")
    held = api.get("/credit/accounts/me", "resident_3").json()
    assert held["pending"] == before["pending"] + 50
    assert held["available"] == before["available"] - 50
    assert stock(api, "market-oil") == units - 1
    r = api.post(f"/credit/redemptions/{code}/confirm", "merchant_market")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["code"] == code
    after = api.get("/credit/accounts/me", "resident_3").json()
    assert after["posted"] == before["posted"] - 50 and after["pending"] == before["pending"]
    assert any(line["id"] == f"redemption:{body['id']}:post" and line["points"] == -50
               for line in after["recent"])
    r = api.post(f"/credit/redemptions/{code}/confirm", "merchant_market")  # used
    assert r.status_code == 409, r.text
    r = api.post(f"/credit/redemptions/{code}/rating", "resident_3", json={"stars": 6})
    assert r.status_code == 422
    r = api.post(f"/credit/redemptions/{code}/rating", "resident_3", json={"stars": 5})
    assert r.status_code == 200 and r.json()["rating"] == 5, r.text
    r = api.post(f"/credit/redemptions/{code}/rating", "resident_3", json={"stars": 4})
    assert r.status_code == 409, r.text
    mine = Api.eventually(lambda: [x for x in api.get("/credit/redemptions", "resident_3")
                                   .json() if x["id"] == body["id"] and x["rating"] == 5])
    assert mine[0]["status"] == "confirmed"
    theirs = api.get("/credit/redemptions", "merchant_market").json()
    assert [x for x in theirs if x["id"] == body["id"]] and all(x["code"] is None
                                                                for x in theirs)
    assert not [x for x in api.get("/credit/redemptions", "merchant_barber").json()
                if x["id"] == body["id"]]
    assert [x for x in api.get("/credit/redemptions", "auditor").json() if x["id"] == body["id"]]
    assert api.get("/credit/redemptions", "dispatcher").status_code == 403


def test_too_small_a_balance_reserves_nothing(api: Api) -> None:
    before = api.get("/credit/accounts/me", "resident_5").json()
    assert before["available"] < 80
    units = stock(api, "cinema-ticket")
    r = api.post("/credit/redemptions", "resident_5", json={"offer_id": "cinema-ticket"})
    assert r.status_code == 409, r.text
    assert api.get("/credit/accounts/me", "resident_5").json() == before
    assert stock(api, "cinema-ticket") == units


def test_codes_of_another_merchant_unknown_or_cancelled(api: Api) -> None:
    body = redeem(api, "resident_3", "market-soap")
    code = body["code"]
    r = api.post(f"/credit/redemptions/{code}/confirm", "merchant_barber")
    assert r.status_code == 403, r.text
    assert api.post(f"/credit/redemptions/{code}/confirm", "resident_3").status_code == 403
    assert api.post("/credit/redemptions/ZZZZZZZZ/confirm", "merchant_market").status_code == 404
    assert api.post(f"/credit/redemptions/{code}/cancel", "resident_1").status_code == 403
    held = api.get("/credit/accounts/me", "resident_3").json()
    r = api.post(f"/credit/redemptions/{code}/cancel", "resident_3")
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    after = api.get("/credit/accounts/me", "resident_3").json()
    assert after["available"] == held["available"] + 10
    r = api.post(f"/credit/redemptions/{code}/confirm", "merchant_market")
    assert r.status_code == 409, r.text
    assert api.post("/credit/redemptions", "merchant_market",
                    json={"offer_id": "market-soap"}).status_code == 403
    assert api.post("/credit/redemptions", "resident_3",
                    json={"offer_id": "no-such-offer"}).status_code == 404


def test_a_merchant_publishes_an_offer(api: Api) -> None:
    until = (date.today() + timedelta(days=30)).isoformat()
    offer = {"title": "剪发八折", "kind": "service", "points": 12, "stock": 3,
             "valid_until": until}
    r = api.post("/credit/offers", "merchant_barber", json=offer)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["merchant"] == {"code": "barber", "name": "融城理发店"}
    assert made["points"] == 12 and made["valid_until"] == until
    live = api.get("/credit/offers", "citizen").json()
    assert [o for o in live if o["id"] == made["id"]]
    assert {"market-oil", "cinema-ticket", "property-repair"} <= {o["id"] for o in live}
    assert api.post("/credit/offers", "resident_3", json=offer).status_code == 403
    r = api.post("/credit/offers", "merchant_barber", json=offer | {"kind": "cash"})
    assert r.status_code == 422
    r = api.post("/credit/offers", "merchant_barber", json=offer | {"stock": 0})
    assert r.status_code == 201
    assert not [o for o in api.get("/credit/offers", "citizen").json()
                if o["id"] == r.json()["id"]]  # no stock: not live


def test_a_redemption_whose_workflow_cannot_start_reserves_nothing(
        database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Temporal refuses the start: the reservation is voided (points and unit back), 503, and
    the code is in no log line."""
    from fastapi.testclient import TestClient

    from api.deps import temporal
    from api.main import app
    from workflows.registry import Process

    async def refused(*_: object) -> None:
        raise RuntimeError("Temporal is down")

    async def no_client() -> object:
        return object()

    monkeypatch.setattr(Process, "start", refused)
    app.dependency_overrides[temporal] = no_client
    try:
        client = TestClient(app, raise_server_exceptions=False)
        token = client.post("/auth/token", data={"username": "resident_1", "password": "demo"})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        before = client.get("/credit/accounts/me", headers=auth).json()
        units = [o for o in client.get("/credit/offers", headers=auth).json()
                 if o["id"] == "barber-wash"][0]["stock"]
        r = client.post("/credit/redemptions", headers=auth, json={"offer_id": "barber-wash"})
        assert r.status_code == 503, r.text
        after = client.get("/credit/accounts/me", headers=auth).json()
        assert (after["available"], after["pending"]) == (before["available"], before["pending"])
        assert [o for o in client.get("/credit/offers", headers=auth).json()
                if o["id"] == "barber-wash"][0]["stock"] == units
    finally:
        app.dependency_overrides.pop(temporal, None)
    with Session(get_engine()) as session:
        row = session.exec(select(RedemptionRow).where(RedemptionRow.resident == "resident_1")
                           .order_by(col(RedemptionRow.reserved_at).desc())).first()
    assert row is not None and row.status == "voided"
    assert row.code not in caplog.text
