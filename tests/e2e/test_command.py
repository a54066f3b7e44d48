"""The command centre (指挥中心) in the browser: a dispatcher dispatches with the catalogue's
suggestion in one click; command_lead's 督办 board shows an overdue task; the indicators'
charts, table and CSV; the map of open cases on the district's street outlines."""

import json
from datetime import datetime, timedelta

from playwright.sync_api import expect

from config import ROOT
from console.labels import department
from domain.timefmt import SHANGHAI
from tests.e2e.browser import check_a11y, shot
from tests.e2e.conftest import Console
from tests.support import Api


def filed(api: Api, **fields) -> dict:
    """A reported and filed case, waiting for 派遣; its dispatch task."""
    case = api.report(**fields)
    api.act("intake", api.task("intake", case["id"])["id"], "accept")
    return api.task("dispatcher", case["id"], "派遣")


def test_a_dispatcher_dispatches_with_the_suggestion(console: Console, api: Api) -> None:
    task = filed(api, category_code="SJ0101", description="指挥中心：路边暴露垃圾")
    case_id, suggestion = task["case_id"], task["context"]["suggested_department"]

    page = console.login("dispatcher")
    page.goto("/ui/command")
    row = page.locator("table.pending tbody tr", has_text=case_id)
    expect(row).to_contain_text(department(suggestion))
    check_a11y(page)
    shot(page, "command")
    row.get_by_role("button", name="按建议派遣").click()
    expect(page.get_by_role("status")).to_contain_text("已提交")  # back on the board
    assert page.url.split("?")[0].endswith("/ui/command")
    page.goto("/ui/command")
    expect(page.locator("table.pending tbody tr", has_text=case_id)).to_have_count(0)
    handling = Api.eventually(lambda: (c := api.get(f"/incidents/{case_id}", "dispatcher")
                                       .json())["status"] == "handling" and c)
    assert handling["department"] == suggestion
    page.goto(f"/ui/incidents/{case_id}")
    expect(page.locator(".timeline li.open", has_text="处置")).to_be_visible()

    officer = console.login("officer_urban_mgmt")  # not the command centre's: a 403 page
    response = officer.goto("/ui/command")
    assert response is not None and response.status == 403
    expect(officer.get_by_role("alert")).to_contain_text("指挥中心页面仅供")


def test_command_lead_follows_an_overdue_task(console: Console, api: Api) -> None:
    # 市级下派 with a deadline a moment away: the 处置 step's clock is capped by it, so the
    # task goes overdue (超期督办) and command_lead follows it.
    deadline = (datetime.now(SHANGHAI) + timedelta(seconds=20)).replace(microsecond=0)
    r = api.post("/incidents", "city_platform", json={
        "source": "city_dispatch", "category_code": "BJ0101", "description": "市级下派：井盖缺失",
        "location": {"lat": 29.4805, "lng": 106.4789}, "external_ref": "CQ-CMD-1",
        "deadline": deadline.isoformat()})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    api.act("intake", api.task("intake", case_id)["id"], "accept")
    api.act("dispatcher", api.task("dispatcher", case_id)["id"], "dispatch",
            department="urban_mgmt")
    overdue = Api.eventually(lambda: [t for t in api.get("/tasks", "command_lead").json()
                                      if t["case_id"] == case_id and t["supervised"]] or None,
                             timeout=60)[0]
    assert overdue["escalation_level"] >= 2

    page = console.login("command_lead")
    page.goto("/ui/command")
    row = page.locator("#board-h ~ table tbody tr", has_text=case_id)
    expect(row.locator(".badge").first).to_have_text(
        "超期督办" if overdue["escalation_level"] == 2 else "升级督办")
    expect(row.get_by_text("督办", exact=True)).to_be_visible()
    tile = page.locator(".tiles.levels li", has_text="超期督办")
    assert int(tile.locator(".big").inner_text()) >= 1
    # htmx refreshes the board from its fragment
    assert page.locator("#board").get_attribute("hx-trigger") == "every 60s"
    fragment = page.request.get("/ui/command/board")
    assert fragment.ok and case_id in fragment.text() and "<html" not in fragment.text()
    check_a11y(page)


def test_indicators_charts_table_and_csv(console: Console, api: Api) -> None:
    filed(api, description="指标：井盖破损")
    page = console.login("command_lead")
    page.goto("/ui/command/indicators")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    assert page.locator("svg[role=img]").count() == 5  # four rates and the weeks
    table = page.locator("table.indicators")
    expect(table.get_by_role("columnheader", name="结案率", exact=True)).to_be_visible()
    expect(table.get_by_role("rowheader", name="合计", exact=True)).to_be_visible()
    page.get_by_label("分组").select_option("street")
    page.get_by_role("button", name="查看").click()
    expect(table.get_by_role("rowheader", name="九宫庙街道", exact=True)).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_contain_text("九宫庙街道")
    check_a11y(page)
    shot(page, "indicators")

    link = page.get_by_role("link", name="下载 CSV")
    answer = page.request.get(link.get_attribute("href"))
    assert answer.ok and answer.headers["content-type"].startswith("text/csv")
    with page.expect_download() as got:
        link.click()
    text = got.value.path().read_text(encoding="utf-8-sig")
    assert text.startswith("分组,上报数(reported)") and "九宫庙街道" in text

    page.goto("/ui/command/indicators?from=2025-05-01&to=2025-04-01")  # the API's 422
    expect(page.get_by_role("alert")).to_contain_text("日期有误")


def test_the_map_of_open_cases(console: Console, api: Api) -> None:
    case = api.report(description="地图：井盖破损")
    Api.eventually(lambda: any(c["id"] == case["id"] for c in api.get(
        "/incidents", "command_lead", params={"status": "filing"}).json()))
    streets = json.loads((ROOT / "data" / "streets.geojson").read_text(encoding="utf-8"))
    page = console.login("command_lead")
    page.goto("/ui/command/map")
    drawing = page.locator("svg.map")
    expect(drawing.locator("path")).to_have_count(len(streets["features"]))
    for feature in streets["features"]:
        expect(drawing.locator("text.street", has_text=feature["properties"]["name"])) \
            .to_be_visible()
    dot = drawing.locator(f'a[href="/ui/incidents/{case["id"]}"] circle')
    expect(dot).to_have_count(1)
    check_a11y(page)
    shot(page, "map")
    # nearby cases overlap at the district's scale: follow the link from the keyboard
    page.locator(f'svg.map a[href="/ui/incidents/{case["id"]}"]').press("Enter")
    page.wait_for_url(f"**/ui/incidents/{case['id']}")
