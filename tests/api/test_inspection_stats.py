"""Figures of the enforcement processes on a fixture whose right answers are worked out by hand
below. The rows go into the database directly (no workflow), in March 2024, a month no other
test writes to; the endpoint is called over HTTP through the app."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from api.main import app
from db.engine import get_engine
from db.models import InspectionRow, PenaltyCaseRow
from domain.timefmt import SHANGHAI
from security import create_token

PATH = "/inspections/stats"
WINDOW = {"from": "2024-03-01", "to": "2024-03-31"}
# Enterprises (credit codes are not checked here: the figures only tell them apart).
A, B, C, D, E = (f"STATS{x}" for x in "ABCDE")


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=SHANGHAI)


def item(owner: str, status: str) -> dict:
    return {"department": "market_reg", "item": f"事项-{status}", "inspection_id": owner,
            "status": status}


def inspection(iid: str, lead: str, code: str, items: list[dict], **kw) -> InspectionRow:
    iid = f"stats-{iid}"
    base = {"id": iid, "workflow_id": f"inspection-{iid}", "type": "complaint",
            "status": "closed", "credit_code": code, "enterprise_name": "测试企业",
            "lead_department": lead, "planned_date": at(5).date(), "created_by": "x",
            "created_at": at(2), "state": {"id": iid, "items": items}}
    return InspectionRow(**(base | kw))


def case(cid: str, department: str, **kw) -> PenaltyCaseRow:
    cid = f"stats-{cid}"
    base = {"id": cid, "workflow_id": f"penalty-{cid}", "status": "closed",
            "credit_code": A, "enterprise_name": "测试企业", "department": department,
            "opened_at": at(2)}
    return PenaltyCaseRow(**(base | kw))


def decided(filed: datetime, at_: datetime, kind: str, reviewed: bool, **kw) -> dict:
    return {"filed_at": filed, "decided_at": at_, "decision_type": kind,
            "legal_reviewed": reviewed} | kw


@pytest.fixture(scope="module")
def fixture_rows(database: str) -> None:
    I1, J1, H0 = "stats-I1", "stats-J1", "stats-H0"
    rows = [
        # market_reg
        # I1 hosts a visit to A that took place: its own 3 items (2 compliant, 1 violation);
        # its state also lists J1's item, which counts for J1 only.
        inspection("I1", "market_reg", A, inspected_at=at(5), items=[
            item(I1, "compliant"), item(I1, "compliant") | {"item": "另一事项"},
            item(I1, "violation"), item(J1, "violation")]),
        # I2: a visit to B, one compliant item. I3: still being approved, at C.
        inspection("I2", "market_reg", B, inspected_at=at(6), items=[item("stats-I2",
                                                                          "compliant")]),
        inspection("I3", "market_reg", C, status="approving",
                   items=[item("stats-I3", "pending")]),
        # ecology_env
        # J1 merged into I1's visit (took place): enterprise A, its one item a violation.
        inspection("J1", "ecology_env", A, merged_into=I1, visit_id=I1,
                   items=[item(J1, "violation")]),
        # I4 hosts its own visit to A: one violation, one item not checked (declined).
        inspection("I4", "ecology_env", A, inspected_at=at(7), items=[
            item("stats-I4", "violation"), item("stats-I4", "not_checked")]),
        # J2 merged into H0's visit to D, which took place; H0 was created in February.
        inspection("H0", "market_reg", D, created_at=at(20, month=2), inspected_at=at(3),
                   items=[item(H0, "compliant")]),
        inspection("J2", "ecology_env", D, merged_into=H0, items=[item("stats-J2",
                                                                      "compliant")]),
        # transport: J3 merged into H1's visit to E, which has not taken place.
        inspection("H1", "transport", E, status="scheduled", created_at=at(25, month=2),
                   items=[item("stats-H1", "pending")]),
        inspection("J3", "transport", E, status="scheduled", merged_into="stats-H1",
                   items=[item("stats-J3", "pending")]),
        # I5: created on 1 April (Shanghai), outside the window; 00:30 there is still
        # 31 March in UTC.
        inspection("I5", "market_reg", B, created_at=datetime(2024, 4, 1, 0, 30,
                                                               tzinfo=SHANGHAI),
                   inspected_at=at(2, month=4), items=[item("stats-I5", "violation")]),
    ]
    cases = [
        # market_reg: not filed; a fine decided 10 days after 立案 (no legal review, being
        # executed); a warning after 5 days, legally reviewed.
        case("P1", "market_reg", status="not_filed"),
        case("P2", "market_reg", status="executing",
             **decided(at(2), at(12, 9), "fine", False, fine=5000)),
        case("P3", "market_reg", **decided(at(3), at(8), "warning", True)),
        # ecology_env: a suspension after 20 days, reviewed; 不予处罚 filed 23:00 and decided
        # 08:00 the next day (1 calendar day), reviewed; one still in 陈述申辩.
        case("P4", "ecology_env", **decided(at(5), at(25), "suspension", True)),
        case("P5", "ecology_env", **decided(at(5, 23), at(6, 8), "none", True)),
        case("P6", "ecology_env", status="answering", filed_at=at(10)),
        # urban_mgmt: opened at 23:30 on the last day, waiting for 立案.
        case("P7", "urban_mgmt", status="filing", opened_at=at(31, 23)),
        # outside the window: opened 00:10 on 1 April (Shanghai), and in February.
        case("P8", "market_reg", status="filing",
             opened_at=datetime(2024, 4, 1, 0, 10, tzinfo=SHANGHAI)),
        case("P9", "market_reg", status="not_filed", opened_at=at(29, month=2)),
    ]
    with Session(get_engine()) as session:
        for row in [*rows, *cases]:
            session.merge(row)
        session.commit()


@pytest.fixture(scope="module")
def client(database: str) -> Iterator[TestClient]:
    with TestClient(app) as client:
        # Only this route knows `format`: anything else answering means the app lacks it, or
        # includes the inspections router first (`stats` taken for an inspection's id).
        if get(client, "admin", format="pdf").status_code != 422:
            pytest.fail("GET /inspections/stats is not routed here: include "
                        "api.routers.enforcement_stats in api/main.py, before the inspections "
                        "router")
        yield client


def get(client: TestClient, user: str | None, **params: str):
    headers = {"Authorization": f"Bearer {create_token(user)}"} if user else {}
    return client.get(PATH, params=params, headers=headers)


EMPTY_PENALTIES = {"penalty_cases": 0, "not_filed": 0, "fined": 0, "warned": 0,
                   "other_penalty": 0, "no_penalty": 0, "open_cases": 0,
                   "legal_review_share": None, "avg_days_to_decision": None}


def test_figures_by_department_and_in_total(client: TestClient, fixture_rows) -> None:
    r = get(client, "command_lead", **WINDOW)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"]) == ("2024-03-01", "2024-03-31")
    by = {row["group"]: row for row in body["rows"]}
    assert [row["group"] for row in body["rows"]] == [
        "交通局", "城市管理局", "市场监督管理局", "生态环境局", "合计"]
    assert by["市场监督管理局"] == {
        "group": "市场监督管理局", "inspections": 3, "visits": 2, "merged": 0,
        "enterprises_visited": 2, "items_checked": 4, "violation_share": 0.25,
        "penalty_cases": 3, "not_filed": 1, "fined": 1, "warned": 1, "other_penalty": 0,
        "no_penalty": 0, "open_cases": 0, "legal_review_share": 0.5,
        "avg_days_to_decision": 7.5}
    assert by["生态环境局"] == {
        "group": "生态环境局", "inspections": 3, "visits": 1, "merged": 2,
        "enterprises_visited": 2, "items_checked": 3, "violation_share": 0.6667,
        "penalty_cases": 3, "not_filed": 0, "fined": 0, "warned": 0, "other_penalty": 1,
        "no_penalty": 1, "open_cases": 1, "legal_review_share": 1.0,
        "avg_days_to_decision": 10.5}
    assert by["交通局"] == {
        "group": "交通局", "inspections": 1, "visits": 0, "merged": 1,
        "enterprises_visited": 0, "items_checked": 0, "violation_share": None,
        **EMPTY_PENALTIES}
    assert by["城市管理局"] == {
        "group": "城市管理局", "inspections": 0, "visits": 0, "merged": 0,
        "enterprises_visited": 0, "items_checked": 0, "violation_share": None,
        **EMPTY_PENALTIES | {"penalty_cases": 1, "open_cases": 1}}
    # A is visited by two departments, so the total counts three enterprises, not four.
    assert by["合计"] == {
        "group": "合计", "inspections": 7, "visits": 3, "merged": 3,
        "enterprises_visited": 3, "items_checked": 7, "violation_share": 0.4286,
        "penalty_cases": 7, "not_filed": 1, "fined": 1, "warned": 1, "other_penalty": 1,
        "no_penalty": 1, "open_cases": 2, "legal_review_share": 0.75,
        "avg_days_to_decision": 9.0}


def test_a_window_of_one_day(client: TestClient, fixture_rows) -> None:
    rows = get(client, "auditor", **{"from": "2024-03-31", "to": "2024-03-31"}).json()["rows"]
    assert [(r["group"], r["inspections"], r["penalty_cases"]) for r in rows] == [
        ("城市管理局", 0, 1), ("合计", 0, 1)]


def test_csv_and_xlsx_hold_the_same_table(client: TestClient, fixture_rows) -> None:
    r = get(client, "officer_market_reg", **WINDOW, format="csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="inspection-stats-2024-03-01-2024-03-31.csv"' in (
        r.headers["content-disposition"])
    assert r.content.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0] == [
        "部门", "检查任务数(inspections)", "实际进门次数(visits)", "合并减少进门次数(merged)",
        "检查企业数(enterprises_visited)", "检查事项数(items_checked)",
        "违法事项占比(violation_share)", "处罚案件数(penalty_cases)", "不予立案(not_filed)",
        "罚款(fined)", "警告(warned)", "其他处罚(other_penalty)", "不予处罚(no_penalty)",
        "在办(open_cases)", "法制审核占比(legal_review_share)",
        "立案至决定平均天数(avg_days_to_decision)"]
    assert lines[-1] == ["合计", "7", "3", "3", "3", "7", "0.4286", "7", "1", "1", "1", "1",
                         "1", "2", "0.75", "9.0"]
    assert lines[1][0] == "交通局" and lines[1][6] == ""  # None is an empty cell
    r = get(client, "legal_reviewer", **WINDOW, format="xlsx")
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[-1] == ("合计", 7, 3, 3, 3, 7, 0.4286, 7, 1, 1, 1, 1, 1, 2, 0.75, 9.0)
    assert len(cells) == len(lines) == 6


def test_figures_are_for_staff(client: TestClient, fixture_rows) -> None:
    for user in ("officer_ecology_env", "head_transport", "admin", "legal_reviewer"):
        assert get(client, user, **WINDOW).status_code == 200, user
    for user in ("citizen", "party_1", "dispatcher", "ai_camera"):
        assert get(client, user, **WINDOW).status_code == 403, user
    assert get(client, None, **WINDOW).status_code == 401


def test_dates_are_checked(client: TestClient) -> None:
    r = get(client, "command_lead", **{"from": "2024-03-02", "to": "2024-03-01"})
    assert r.status_code == 422 and r.json() == {"detail": "'to' is before 'from'"}
    assert get(client, "command_lead", **{"from": "1999-12-31"}).status_code == 422
    assert get(client, "command_lead", format="pdf").status_code == 422
    r = get(client, "command_lead")  # default: this month so far
    assert r.status_code == 200, r.text
    today = datetime.now(SHANGHAI).date()
    assert (r.json()["from"], r.json()["to"]) == (str(today.replace(day=1)), str(today))
