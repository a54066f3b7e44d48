"""The staff directory: officers of a department by name, for district staff only."""

from tests.support import Api


def test_staff_of_a_department(api: Api) -> None:
    rows = api.get("/directory/staff", "head_market_reg",
                   params={"department": "market_reg"}).json()
    names = {r["username"] for r in rows}
    assert "officer_market_reg" in names and "officer_market_reg_2" in names
    assert all(r["department"] == "market_reg" and r["role"] == "officer" for r in rows)
    assert set(rows[0]) == {"username", "display_name", "role", "department"}
    heads = api.get("/directory/staff", "dispatcher", params={"role": "dept_head"}).json()
    assert "head_urban_mgmt" in {r["username"] for r in heads}


def test_outsiders_do_not_read_it(api: Api) -> None:
    for user in ("citizen", "rider_1", "merchant_barber", "grid_baijiayuan"):
        assert api.get("/directory/staff", user).status_code == 403, user
    assert api.get("/directory/staff", "intake", params={"role": "citizen"}).json() == []
    assert api.get("/directory/staff", "intake",
                   params={"department": "DROP TABLE"}).status_code == 422
