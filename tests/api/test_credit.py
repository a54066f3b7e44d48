"""德分宝 over HTTP: the daily check-in and a resident's account, with the demo residents."""

from datetime import datetime

from domain.timefmt import SHANGHAI
from tests.support import Api


def test_a_resident_checks_in_once_a_day(api: Api) -> None:
    before = api.get("/credit/accounts/me", "resident_2").json()
    assert before["account"] == "resident:resident_2" and before["available"] >= 80
    r = api.post("/credit/checkins", "resident_2")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["points"] == 1 and first["balance"] == before["available"] + 1
    assert first["date"] == datetime.now(SHANGHAI).date().isoformat()
    r = api.post("/credit/checkins", "resident_2")  # a second time the same day
    assert r.status_code == 200 and r.json()["points"] == 1, r.text
    assert r.json()["balance"] == first["balance"]  # nothing posted twice
    after = api.get("/credit/accounts/me", "resident_2").json()
    assert after["available"] == first["balance"]
    line = after["recent"][0]
    assert line["kind"] == "checkin" and line["points"] == 1 and line["at"].endswith("+08:00")
    assert line["id"] == f"checkin:resident_2:{first['date']}"


def test_only_registered_residents_have_points(api: Api) -> None:
    for user in ("citizen", "dispatcher", "mediator_rongcheng", "party_1"):
        assert api.post("/credit/checkins", user).status_code == 403, user
        assert api.get("/credit/accounts/me", user).status_code == 403, user
    assert api.http.post("/credit/checkins").status_code == 401
