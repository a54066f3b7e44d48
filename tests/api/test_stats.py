"""Indicators on a fixture of cases whose right answers are worked out by hand below."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from db.engine import get_engine
from db.models import IncidentRow
from domain.timefmt import SHANGHAI
from tests.support import Api

WINDOW = {"from": "2025-03-01", "to": "2025-03-31"}


def at(day: int, month: int = 3) -> datetime:
    return datetime(2025, month, day, 10, tzinfo=SHANGHAI)


def case(cid: str, **kw) -> IncidentRow:
    base = {"id": f"stats-{cid}", "workflow_id": f"incident-stats-{cid}", "status": "closed",
            "source": "citizen", "reporter": "citizen", "category_code": "BJ0101",
            "category_name": "上水井盖", "street": "jiugongmiao", "reported_at": at(3)}
    return IncidentRow(**(base | kw))


@pytest.fixture(scope="module")
def fixture_cases(database: str) -> None:
    closed = {"filed_at": at(3), "dispatches": 1, "handled_at": at(5), "closed_at": at(6)}
    rows = [
        # A: closed on time, satisfied, 5 working hours
        case("A", department="urban_mgmt", on_time=True, evaluation="satisfied",
             handling_hours=5.0, **closed),
        # B: dispatched twice (one 回退), one 返工, one 延期, late, 9 h, by AI video
        case("B", department="urban_mgmt", source="ai_video", on_time=False,
             handling_hours=9.0, reworks=1, extensions=1, returns=1,
             **(closed | {"dispatches": 2})),
        # C: closed on time but the citizen stayed 不满意 (review dismissed), 4 h
        case("C", department="housing", street="baqiao", on_time=True,
             evaluation="unsatisfied", handling_hours=4.0, **closed),
        # D: being handled, past its deadline
        case("D", department="housing", street="baqiao", source="inspector",
             status="handling", filed_at=at(4), dispatches=1, current_due_at=at(20)),
        # E: not filed (不予立案); F: waiting to be filed, deadline far ahead; G: voided
        case("E", status="rejected"),
        case("F", status="filing", current_due_at=datetime(2099, 1, 1, tzinfo=SHANGHAI)),
        case("G", status="voided", filed_at=at(3)),
        # H: reported outside the window
        case("H", reported_at=at(2, month=4), **closed),
    ]
    with Session(get_engine()) as session:
        for row in rows:
            session.merge(row)
        session.commit()


def test_totals(api: Api, fixture_cases) -> None:
    r = api.get("/incidents/stats", "command_lead", params=WINDOW)
    assert r.status_code == 200, r.text
    total = r.json()["rows"][-1]
    assert total == {
        "group": "合计", "reported": 7, "filed": 4, "filing_rate": 0.5714, "dispatched": 4,
        "correct_dispatch_rate": 0.8, "closed": 3, "closure_rate": 0.75,
        "on_time_closure_rate": 0.6667, "effective_closure_rate": 0.5,
        "rework_rate": 0.3333, "extension_rate": 0.25, "avg_handling_hours": 6.0,
        "overdue_open": 1}


def test_by_department(api: Api, fixture_cases) -> None:
    rows = api.get("/incidents/stats", "command_lead",
                   params=WINDOW | {"group_by": "department"}).json()["rows"]
    by = {r["group"]: r for r in rows}
    assert set(by) == {"城市管理局", "住房城乡建委", "未派遣", "合计"}
    assert by["城市管理局"]["correct_dispatch_rate"] == 0.6667  # 3 dispatches, 1 returned
    assert (by["城市管理局"]["on_time_closure_rate"], by["城市管理局"]["rework_rate"],
            by["城市管理局"]["avg_handling_hours"]) == (0.5, 0.5, 7.0)
    assert (by["住房城乡建委"]["closure_rate"], by["住房城乡建委"]["effective_closure_rate"],
            by["住房城乡建委"]["overdue_open"]) == (0.5, 0.0, 1)
    assert (by["未派遣"]["reported"], by["未派遣"]["filed"], by["未派遣"]["filing_rate"]) == (
        3, 0, 0.0)
    assert by["未派遣"]["closure_rate"] is None


def test_by_source_and_street(api: Api, fixture_cases) -> None:
    rows = api.get("/incidents/stats", "dispatcher",
                   params=WINDOW | {"group_by": "source"}).json()["rows"]
    assert {r["group"]: r["reported"] for r in rows} == {
        "citizen": 5, "ai_video": 1, "inspector": 1, "合计": 7}
    rows = api.get("/incidents/stats", "dispatcher",
                   params=WINDOW | {"group_by": "street"}).json()["rows"]
    assert {r["group"]: r["reported"] for r in rows} == {
        "九宫庙街道": 5, "八桥镇": 2, "合计": 7}


def test_csv_and_xlsx_hold_the_same_table(api: Api, fixture_cases) -> None:
    r = api.get("/incidents/stats", "command_lead", params=WINDOW | {"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["分组", "上报数(reported)", "立案数(filed)"]
    assert lines[-1][:3] == ["合计", "7", "4"]
    r = api.get("/incidents/stats", "command_lead", params=WINDOW | {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[-1][:4] == ("合计", 7, 4, 0.5714)
    assert len(cells) == len(lines)


def test_stats_are_for_staff_and_check_dates(api: Api) -> None:
    assert api.get("/incidents/stats", "citizen").status_code == 403
    r = api.get("/incidents/stats", "command_lead", params={"from": "2025-03-02",
                                                             "to": "2025-03-01"})
    assert r.status_code == 422
    assert api.get("/incidents/stats", "command_lead",
                   params={"group_by": "weather"}).status_code == 422


def test_a_case_past_temporal_retention_shows_its_projection(api: Api, fixture_cases) -> None:
    # The fixture cases have no workflow, like cases whose history Temporal has dropped.
    r = api.get("/incidents/stats-A", "command_lead")
    assert r.status_code == 200, r.text
    assert r.json()["archived"] is True and r.json()["status"] == "closed"
    assert api.get("/incidents/stats-A", "citizen").status_code == 200  # its reporter
    assert api.get("/incidents/stats-B", "ai_camera").status_code == 403
