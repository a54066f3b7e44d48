"""Trends by week (GET /incidents/stats/weekly): cases reported and closed per ISO week."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from db.engine import get_engine
from db.models import IncidentRow
from domain.timefmt import SHANGHAI
from tests.support import Api


def weeks_ago(n: int) -> datetime:
    """Wednesday noon of the week n weeks back (no other test reports that far back)."""
    today = datetime.now(SHANGHAI).replace(hour=12, minute=0, second=0, microsecond=0)
    return today - timedelta(days=today.weekday() - 2, weeks=n)


def row(cid: str, **kw) -> IncidentRow:
    return IncidentRow(**({"id": f"weekly-{cid}", "workflow_id": f"incident-weekly-{cid}",
                           "status": "closed", "source": "citizen", "reporter": "citizen",
                           "category_code": "BJ0101", "category_name": "上水井盖"} | kw))


@pytest.fixture(scope="module")
def weekly_cases(database: str) -> None:
    rows = [row("A", reported_at=weeks_ago(8), closed_at=weeks_ago(7)),
            row("B", reported_at=weeks_ago(8), status="handling"),
            row("C", reported_at=weeks_ago(7), closed_at=weeks_ago(7)),
            row("D", reported_at=weeks_ago(20), closed_at=weeks_ago(6)),  # reported long ago
            row("E", reported_at=weeks_ago(30), status="handling")]  # outside the window
    with Session(get_engine()) as session:
        for r in rows:
            session.merge(r)
        session.commit()


def test_reported_and_closed_per_week(api: Api, weekly_cases) -> None:
    r = api.get("/incidents/stats/weekly", "command_lead", params={"weeks": 12})
    assert r.status_code == 200, r.text
    weeks = r.json()["weeks"]
    assert len(weeks) == 12
    by_start = {w["start"]: w for w in weeks}
    monday = lambda n: (weeks_ago(n) - timedelta(days=2)).date().isoformat()  # noqa: E731
    assert weeks[-1]["start"] == monday(0) and weeks[0]["start"] == monday(11)
    year, week, _ = (weeks_ago(8)).isocalendar()
    assert by_start[monday(8)] == {"week": f"{year}-W{week:02d}", "start": monday(8),
                                   "reported": 2, "closed": 0}
    assert (by_start[monday(7)]["reported"], by_start[monday(7)]["closed"]) == (1, 2)
    assert (by_start[monday(6)]["reported"], by_start[monday(6)]["closed"]) == (0, 1)
    assert sum(w["reported"] for w in weeks[:6]) == 3  # A, B, C: D and E came earlier


def test_weekly_is_for_staff_and_bounded(api: Api) -> None:
    assert api.get("/incidents/stats/weekly", "citizen").status_code == 403
    assert api.get("/incidents/stats/weekly", "dispatcher").status_code == 200
    assert api.get("/incidents/stats/weekly", "command_lead",
                   params={"weeks": 0}).status_code == 422
    assert api.get("/incidents/stats/weekly", "command_lead",
                   params={"weeks": 105}).status_code == 422
    assert api.http.get("/incidents/stats/weekly").status_code == 401
