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
    """Sign-in users (password `demo`, hashed as db/seed.py does) for the month's own
    community finance officer and merchant."""
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


def settlement(api: Api, user: str, month: Month) -> dict:
    r = api.get(f"/credit/settlements/{month.month}", user)
    assert r.status_code == 200, (user, r.text)
    return r.json()


def statement(api: Api, user: str, month: Month) -> dict | None:
    """The month's merchant's statement as `user` reads it in the settlement (None: not
    among the statements `user` may read)."""
    found = [s for s in settlement(api, user, month)["statements"]
             if s["merchant"] == month.merchant]
    assert len(found) <= 1
    return found[0] if found else None


def under_review(api: Api, month: Month) -> dict | None:
    """The statement as admin reads it, once the settlement's projection has it (right after
    the run, the month may not be projected yet: 404)."""
    r = api.get(f"/credit/settlements/{month.month}", "admin")
    if r.status_code == 404:
        return None
    return statement(api, "admin", month)


def test_bad_runs_are_refused(api: Api) -> None:
    assert api.http.post("/credit/settlements/2020-01/run").status_code == 401
    assert api.http.get("/credit/settlements/2020-01").status_code == 401
    for bad in ("2026-13", "abc", "2026-1", "0000-01", "1999-12", "2026-00"):
        r = api.post(f"/credit/settlements/{bad}/run", "admin")
        assert r.status_code == 422, (bad, r.text)
    for user in ("finance_rongcheng", "resident_1", "merchant_barber", "worker_rongcheng",
                 "auditor"):
        r = api.post("/credit/settlements/2020-01/run", user)
        assert r.status_code == 403 and "only admin" in r.json()["detail"], (user, r.text)
    now = month_of(datetime.now(UTC))  # Asia/Shanghai
    r = api.post(f"/credit/settlements/{now}/run", "admin")
    assert r.status_code == 409 and "not ended" in r.json()["detail"], r.text
    assert api.get(f"/credit/settlements/{now}", "admin").status_code == 404  # not started
    r = api.get("/credit/settlements/2001-01", "admin")
    assert r.status_code == 404 and "has not been settled" in r.json()["detail"], r.text
    assert api.get("/credit/settlements/2001-01", "resident_1").status_code == 403
    assert api.get("/credit/reports/2001-01", "resident_1").status_code == 404
    assert api.get("/credit/reports/2001-13", "admin").status_code == 422
    assert api.http.get("/credit/reports/2001-01").status_code == 401


def test_a_month_is_settled_once_with_a_dispute(api: Api, month: Month) -> None:
    finance, shop = users_for(month)
    sid = f"{month.month}-{month.merchant}"
    bad = month.lines[0]
    report_path = f"/credit/reports/{month.month}"
    assert api.get(report_path, "resident_1").status_code == 404  # not settled yet

    # 1. admin runs the month once.
    r = api.post(f"/credit/settlements/{month.month}/run", "admin")
    assert r.status_code == 202, r.text
    assert r.json()["started"] is True
    assert r.json()["workflow_id"] == f"settlement-{month.month}"
    r = api.post(f"/credit/settlements/{month.month}/run", "admin")
    assert r.status_code == 200 and r.json()["started"] is False, r.text
    assert r.json()["workflow_id"] == f"settlement-{month.month}"

    # 2. the statement is under review; who reads it.
    whole = Api.eventually(lambda: s if (s := under_review(api, month)) is not None
                           and s["open_task_ids"] else None, timeout=30)
    assert (whole["points"], whole["redemptions"], whole["amount"], whole["amount_fen"],
            whole["status"], whole["community"]) == (
        30, 3, "1.50 元", 150, "review", month.community)
    assert settlement(api, "admin", month)["step"] == "reviewing"
    assert api.get(report_path, "resident_1").status_code == 404  # still not settled
    mine = statement(api, finance, month)
    assert mine is not None and mine["open_task_ids"] == whole["open_task_ids"]
    assert statement(api, "auditor", month) is not None
    # Another community's officer: the settlement, but none of its statements.
    other = settlement(api, "finance_rongcheng", month)
    assert other["statements"] == [] and other["totals"] == {"statements": 0}, other
    theirs = settlement(api, shop, month)  # the merchant: its own only
    assert [s["merchant"] for s in theirs["statements"]] == [month.merchant]
    assert settlement(api, "merchant_barber", month)["statements"] == []
    r = api.get(f"/credit/settlements/{month.month}", "resident_1")
    assert r.status_code == 403, r.text

    # 3. the statement's lines; the resident is shown to staff only.
    path = f"/credit/settlements/{month.month}/statements/{month.merchant}"
    for user in (finance, "admin", "auditor"):
        r = api.get(path, user)
        assert r.status_code == 200, (user, r.text)
        lines = r.json()["lines"]
        assert len(lines) == 3, lines
        assert sorted(x["redemption"] for x in lines) == sorted(month.lines)
        assert all(x["resident"] == month.residents[0] and x["points"] == 10
                   and x["excluded"] is False for x in lines), (user, lines)
    r = api.get(path, shop)
    assert r.status_code == 200, r.text
    assert len(r.json()["lines"]) == 3
    assert all(x["resident"] is None for x in r.json()["lines"])
    for user in ("merchant_barber", "finance_rongcheng"):
        r = api.get(path, user)
        assert r.status_code == 404 and r.json()["detail"] == "no such statement", (user, r.text)
    assert api.get(path, "resident_1").status_code == 403
    r = api.get(f"/credit/settlements/{month.month}/statements/nosuchshop", "admin")
    assert r.status_code == 404

    # 4. the inbox: the finance officer's review task; a dispute; the merchant accepts.
    task = api.task(finance, sid, "审核结算单")  # waits for the task board's projection
    inbox = [t for t in api.get("/tasks", finance).json() if t["case_id"] == sid]
    assert [t["id"] for t in inbox] == [task["id"]], inbox
    assert (task["process"], task["step_code"], task["step"], task["assignee_role"],
            task["assignee_department"], task["status"]) == (
        "statement", "review", "审核结算单", FINANCE_OFFICER, month.community, "open")
    assert task["id"] in whole["open_task_ids"]
    assert set(task["allowed_decisions"]) == {"approve", "dispute"}
    assert task["context"]["points"] == 30 and task["context"]["amount"] == "1.50 元"
    assert not [t for t in api.get("/tasks", "finance_rongcheng").json()
                if t["case_id"] == sid]

    r = api.act(finance, task["id"], "dispute", lines=["not-a-line"], reason="核对")
    assert r.status_code == 422, r.text
    assert "not-a-line" in r.json()["detail"], r.text
    # A real line with an unknown one: still refused, naming only the unknown one.
    r = api.act(finance, task["id"], "dispute", lines=[bad, "nope-2"], reason="核对")
    assert r.status_code == 422 and "nope-2" in r.json()["detail"], r.text
    assert bad not in r.json()["detail"]
    # Nothing changed: the task is open, the statement still under review, no answer task.
    r = api.get(f"/tasks/{task['id']}", finance)
    assert r.status_code == 200 and r.json()["status"] == "open", r.text
    now = statement(api, finance, month)
    assert now is not None
    assert (now["status"], now["excluded"], now["open_task_ids"]) == (
        "review", [], whole["open_task_ids"])
    assert not [t for t in api.get("/tasks", shop).json() if t["case_id"] == sid]

    r = api.act("finance_rongcheng", task["id"], "approve")  # not their community
    assert r.status_code == 403, r.text
    r = api.act(finance, task["id"], "dispute", lines=[bad], reason="居民投诉未服务")
    assert r.status_code == 200, r.text
    assert r.json()["task"]["status"] == "done"
    assert r.json()["case"]["status"] == "disputed"
    closed = Api.eventually(lambda: t if (t := api.get(f"/tasks/{task['id']}", finance).json())
                            ["status"] == "done" else None)
    assert (closed["decision"], closed["actor"]) == ("dispute", finance), closed

    answer = api.task(shop, sid, "确认更正")
    assert (answer["assignee_role"], answer["assignee_department"]) == (
        MERCHANT, month.merchant)
    assert answer["context"]["lines"] == [bad]
    assert answer["context"]["reason"] == "居民投诉未服务"
    assert set(answer["allowed_decisions"]) == {"accept", "contest"}
    r = api.act(shop, answer["id"], "accept")
    assert r.status_code == 200, r.text

    # The month settles: the disputed line is out, its points back with the resident.
    done = Api.eventually(lambda: s if (s := settlement(api, "admin", month))["step"]
                          == "settled" else None, timeout=30)
    totals = done["totals"]
    assert (totals["statements"], totals["points_settled"], totals["amount_fen"],
            totals["reversed_points"], totals["disputed"]) == (1, 20, 100, 10, 1), totals
    assert totals["voided"] >= 1  # the month's stale reservation (voiding is ledger-wide)
    assert totals["expired_accounts"] >= 2 and totals["expired_points"] >= 70, totals
    assert done["started_by"] == "admin" and done["settled_at"] is not None
    mine = statement(api, finance, month)
    assert mine is not None
    assert (mine["status"], mine["excluded"], mine["points_settled"],
            mine["amount_fen_settled"], mine["open_task_ids"]) == (
        "payable", [bad], 20, 100, []), mine
    assert mine["payable_at"] is not None
    lines = api.get(path, finance).json()["lines"]
    assert {x["redemption"]: x["excluded"] for x in lines} == {
        line: line == bad for line in month.lines}
    r = api.get(f"/credit/accounts/resident:{month.residents[0]}", "admin")
    assert r.status_code == 200, r.text
    account = r.json()
    back = [x for x in account["recent"] if x["kind"] == "reversal"]
    assert len(back) == 1 and back[0]["points"] == 10 and bad in back[0]["reason"], back
    assert back[0]["id"] == f"settlement:{month.month}:reverse:{bad}"
    # 50 old + 8; 30 spent from the oldest, 20 old left expired; 10 back.
    assert (account["posted"], account["pending"], account["available"]) == (18, 0, 18)

    # 5. the month's report, to anyone signed in: display names, no usernames.
    assert api.http.get(report_path).status_code == 401
    for user in ("resident_1", "admin"):
        report = api.get(report_path, user)
        assert report.status_code == 200, (user, report.text)
    data = report.json()
    assert data["month"] == month.month
    assert data["redeemed"] == {"redemptions": 3, "points": 30}
    assert data["expired"]["points"] == totals["expired_points"]
    assert data["expired"]["accounts"] == totals["expired_accounts"]
    assert data["settled"] == {"statements": 1, "points": 20, "amount_fen": 100,
                               "reversed_points": 10}
    board = data["good_deeds_board"]
    assert [(e["name"], e["points"]) for e in board] == [
        (month.names[month.residents[0]], 8), (month.names[month.residents[1]], 5)]
    assert all(set(e) == {"rank", "name", "deeds", "points"} for e in board), board
    assert not any(u in report.text for u in month.residents)  # no usernames
    assert data["published_at"] is not None

    # Run again after it settled: still the one settlement.
    r = api.post(f"/credit/settlements/{month.month}/run", "admin")
    assert r.status_code == 200 and r.json()["started"] is False, r.text


def test_who_reads_an_account(api: Api, month: Month) -> None:
    theirs = f"/credit/accounts/resident:{month.residents[0]}"
    assert api.http.get("/credit/accounts/resident:resident_1").status_code == 401
    for user in ("admin", "auditor"):
        r = api.get("/credit/accounts/resident:resident_1", user)
        assert r.status_code == 200 and r.json()["account"] == "resident:resident_1", r.text
        assert api.get(theirs, user).status_code == 200
    r = api.get("/credit/accounts/resident:resident_1", "worker_rongcheng")
    assert r.status_code == 200 and r.json()["account"] == "resident:resident_1", r.text
    r = api.get(theirs, "worker_rongcheng")  # another community's
    assert r.status_code == 404 and "your community" in r.json()["detail"], r.text
    r = api.get("/credit/accounts/resident:resident_2", "resident_1")
    assert r.status_code == 403, r.text
    assert api.get("/credit/accounts/resident:resident_1", "resident_1").status_code == 403
    r = api.get("/credit/accounts/resident:nobody", "admin")
    assert r.status_code == 404 and r.json()["detail"] == "no such account", r.text
    assert api.get("/credit/accounts/bad%20id", "admin").status_code == 422
    assert api.get("/credit/accounts/me", "resident_1").status_code == 200  # still its own
