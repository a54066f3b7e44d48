"""德分宝 monthly settlement over HTTP, with the real worker and API: admin runs a past month
once; the finance officer of the merchant's community disputes a line from the inbox (a line
not on the statement is a 422 that changes nothing); the merchant accepts; the statement
posts without that line and the resident has the points back; the report is published.
Who reads what: statements by community and merchant, lines' residents by staff only,
accounts by community."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from db.engine import get_engine
from db.ledger import month_of
from db.models import User
from domain.roles import FINANCE_OFFICER, MERCHANT
from security import hash_password
from tests.support import Api
from tests.workflows.settlement_support import Month, fresh_month


def users_for(month: Month) -> tuple[str, str]:
    """Sign-in users for the month's own community finance officer and merchant."""
    finance, shop = f"finance_{month.community}", f"merchant_{month.merchant}"
    with Session(get_engine()) as session:
        hashed = hash_password("demo")
        session.add(User(username=finance, display_name="测试财务", role=FINANCE_OFFICER,
                         department=month.community, password_hash=hashed))
        session.add(User(username=shop, display_name="测试商家", role=MERCHANT,
                         department=month.merchant, password_hash=hashed))
        session.commit()
    return finance, shop


@pytest.fixture(scope="module")
def month(api: Api) -> Month:
    return Month(fresh_month())


def statement(api: Api, user: str, month: Month) -> dict | None:
    r = api.get(f"/credit/settlements/{month.month}", user)
    if r.status_code != 200:
        return None
    found = [s for s in r.json()["statements"] if s["merchant"] == month.merchant]
    return found[0] if found else None


def test_bad_runs_are_refused(api: Api) -> None:
    assert api.http.post("/credit/settlements/2020-01/run").status_code == 401
    for bad in ("2026-13", "abc", "2026-1", "0000-01", "1999-12"):
        r = api.post(f"/credit/settlements/{bad}/run", "admin")
        assert r.status_code == 422, (bad, r.text)
    for user in ("finance_rongcheng", "resident_1", "merchant_barber"):
        assert api.post("/credit/settlements/2020-01/run", user).status_code == 403
    now = month_of(datetime.now(UTC))
    r = api.post(f"/credit/settlements/{now}/run", "admin")
    assert r.status_code == 409 and "not ended" in r.json()["detail"], r.text
    r = api.get("/credit/settlements/2001-01", "admin")
    assert r.status_code == 404
    assert api.get("/credit/reports/2001-01", "resident_1").status_code == 404
    assert api.http.get("/credit/reports/2001-01").status_code == 401


def test_a_month_is_settled_once_with_a_dispute(api: Api, month: Month) -> None:
    finance, shop = users_for(month)
    assert api.get(f"/credit/reports/{month.month}", "resident_1").status_code == 404
    r = api.post(f"/credit/settlements/{month.month}/run", "admin")
    assert r.status_code == 202 and r.json()["started"] is True, r.text
    r = api.post(f"/credit/settlements/{month.month}/run", "admin")
    assert r.status_code == 200 and r.json()["started"] is False, r.text

    mine = Api.eventually(lambda: (s := statement(api, finance, month)) and s["open_task_ids"]
                          and s, timeout=30)
    assert (mine["points"], mine["amount"], mine["status"]) == (30, "1.50 元", "review")
    assert statement(api, "finance_rongcheng", month) is None  # another community's officer
    assert statement(api, shop, month) is not None  # the merchant its own
    assert statement(api, "merchant_barber", month) is None
    assert api.get(f"/credit/settlements/{month.month}", "resident_1").status_code == 403

    path = f"/credit/settlements/{month.month}/statements/{month.merchant}"
    lines = api.get(path, finance).json()["lines"]
    assert sorted(x["redemption"] for x in lines) == sorted(month.lines)
    assert all(x["resident"] == month.residents[0] for x in lines)
    assert all(x["resident"] is None for x in api.get(path, shop).json()["lines"])
    assert api.get(path, "merchant_barber").status_code == 404
    assert api.get(path, "finance_rongcheng").status_code == 404

    task = api.task(finance, f"{month.month}-{month.merchant}", "审核结算单")
    r = api.act(finance, task["id"], "dispute", lines=["not-a-line"], reason="核对")
    assert r.status_code == 422 and "not-a-line" in r.json()["detail"], r.text
    assert api.get(f"/tasks/{task['id']}", finance).json()["status"] == "open"
    r = api.act("finance_rongcheng", task["id"], "approve")
    assert r.status_code == 403, r.text
    r = api.act(finance, task["id"], "dispute", lines=[month.lines[0]], reason="居民投诉未服务")
    assert r.status_code == 200, r.text
    answer = api.task(shop, f"{month.month}-{month.merchant}", "确认更正")
    r = api.act(shop, answer["id"], "accept")
    assert r.status_code == 200, r.text

    settled = Api.eventually(lambda: (r := api.get(f"/credit/settlements/{month.month}",
                                                   "admin").json())["step"] == "settled"
                             and r, timeout=30)
    assert settled["totals"]["points_settled"] == 20
    mine = statement(api, finance, month)
    assert mine is not None
    assert (mine["status"], mine["excluded"], mine["points_settled"]) == (
        "payable", [month.lines[0]], 20)
    account = api.get(f"/credit/accounts/resident:{month.residents[0]}", "admin").json()
    assert any(x["kind"] == "reversal" and x["points"] == 10 for x in account["recent"])

    report = api.get(f"/credit/reports/{month.month}", "resident_1")
    assert report.status_code == 200, report.text
    data = report.json()
    assert data["redeemed"] == {"redemptions": 3, "points": 30}
    assert data["settled"]["points"] == 20 and data["settled"]["reversed_points"] == 10
    names = [e["name"] for e in data["good_deeds_board"]]
    assert names == [month.names[r] for r in month.residents]
    assert not any(r in report.text for r in month.residents)  # no usernames


def test_who_reads_an_account(api: Api, month: Month) -> None:
    theirs = f"/credit/accounts/resident:{month.residents[0]}"
    assert api.get("/credit/accounts/resident:resident_1", "admin").status_code == 200
    assert api.get("/credit/accounts/resident:resident_1", "auditor").status_code == 200
    r = api.get("/credit/accounts/resident:resident_1", "worker_rongcheng")
    assert r.status_code == 200 and r.json()["account"] == "resident:resident_1", r.text
    assert api.get(theirs, "worker_rongcheng").status_code == 404  # another community's
    assert api.get("/credit/accounts/resident:resident_2", "resident_1").status_code == 403
    assert api.get("/credit/accounts/resident:nobody", "admin").status_code == 404
    assert api.get("/credit/accounts/bad%20id", "admin").status_code == 422
    assert api.get("/credit/accounts/me", "resident_1").status_code == 200  # still its own
