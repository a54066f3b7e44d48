"""Community staff, property companies and volunteers are not the district's staff: they read
no one else's incidents and no district indicators."""

import pytest

from tests.support import Api

COMMUNITY_USERS = ["grid_baijiayuan", "leader_baijiayuan", "mediator_baijiayuan",
                   "property_baijiayuan", "volunteer_baijiayuan", "head_baijiayuan"]


@pytest.mark.parametrize("user", COMMUNITY_USERS)
def test_community_people_do_not_read_the_districts_incidents(api: Api, user: str) -> None:
    case = api.report(description="井盖缺失，行人易跌落")
    # The district's staff read it, with the reporter's text; the community's people do not.
    assert api.get(f"/incidents/{case['id']}", "dispatcher").status_code == 200
    assert api.get(f"/incidents/{case['id']}", user).status_code == 403
    listed = api.get("/incidents", user)
    assert listed.status_code == 200
    assert case["id"] not in {row["id"] for row in listed.json()}
    assert api.get("/incidents/stats", user).status_code == 403
    # Nor may they report into the city platform as if they were inspectors.
    r = api.post("/incidents", user, json={"source": "inspector", "category_code": "BJ0101",
                                           "description": "井盖破损",
                                           "location": {"lat": 29.475, "lng": 106.477}})
    assert r.status_code == 403
