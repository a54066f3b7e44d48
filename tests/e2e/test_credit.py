"""德分宝 in the browser, as its people use it: a resident checks in and records a good deed
on a phone; the community worker approves it from the inbox; the resident sees the points,
redeems an offer and gets a code; the offer's merchant confirms that code; a wrong code shows
the API's error next to the field. Screenshots and the axe check on each page."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser import check_a11y, open_task, shot
from tests.e2e.conftest import Console
from tests.support import Api

RESIDENT, WORKER = "resident_1", "worker_rongcheng"
OFFER = "barber-wash"  # 洗头吹发一次, 15 points, at 融城理发店 (merchant_barber)


def available(page: Page) -> int:
    return int(re.match(r"\d+", page.locator("#available").inner_text()).group())



def test_points_from_check_in_and_a_good_deed_to_a_confirmed_redemption(
        console: Console, api: Api) -> None:
    resident = console.login(RESIDENT, phone=True)
    resident.goto("/ui/credit")
    before = available(resident)
    resident.get_by_role("button", name="签到").click()
    expect(resident.get_by_role("status")).to_contain_text("签到成功")
    assert available(resident) == before + 1
    resident.get_by_role("button", name="签到").click()
    expect(resident.get_by_role("status")).to_contain_text("今日已签到")
    assert available(resident) == before + 1

    # A good deed: 邻里互助, 5 points a time.
    resident.get_by_label("善行类型").select_option("neighbour")
    resident.get_by_label("善行描述").fill("帮 5 楼的张奶奶把米扛上楼")
    resident.get_by_label("证明材料链接").fill("https://example.org/photo-1.jpg")
    check_a11y(resident)
    shot(resident, "credit-phone")
    resident.get_by_role("button", name="提交善行").click()
    expect(resident.get_by_role("status")).to_contain_text("等待社区工作者审核")
    case_id = resident.url.split("/ui/credit/deeds/")[1].split("?")[0]
    expect(resident.get_by_role("heading", level=1)).to_contain_text("邻里互助")
    expect(resident.locator(".timeline")).to_contain_text("审核善行")
    check_a11y(resident)

    worker = console.login(WORKER)
    open_task(worker, case_id)
    form = worker.locator("form.decision",
                          has=worker.get_by_role("heading", name="审核通过", exact=True))
    form.get_by_label(re.compile("给予的积分")).fill("5")
    form.get_by_role("button", name="审核通过").click()
    expect(worker.get_by_role("status")).to_contain_text("已提交")
    # The worker reads the resident's account from the deed's page.
    worker.goto(f"/ui/credit/deeds/{case_id}")
    worker.get_by_role("link", name="居民积分账户").click()
    expect(worker.get_by_role("heading", level=1)).to_contain_text(f"resident:{RESIDENT}")
    expect(worker.get_by_role("cell", name=re.compile(case_id))).to_be_visible()
    check_a11y(worker)

    for _ in range(30):  # the award posts a moment after the decision
        resident.goto("/ui/credit")
        if available(resident) == before + 6:
            break
        resident.wait_for_timeout(300)
    assert available(resident) == before + 6
    expect(resident.get_by_role("row", name=re.compile("^邻里互助"))).to_contain_text("已通过")

    # Redeem an offer; the code is shown large and as text.
    resident.get_by_role("link", name="积分兑换").click()
    card = resident.locator(f"li.offer#o-{OFFER}")  # by id: other tests publish look-alikes
    check_a11y(resident)
    shot(resident, "credit-offers-phone")
    card.get_by_role("button", name=re.compile("兑换")).click()
    expect(resident.get_by_role("status")).to_contain_text("兑换成功")
    code = resident.locator("li.redemption.new p.code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{8}", code), code
    expect(resident.locator("li.redemption.new")).to_contain_text(f"兑换码：{code}")
    check_a11y(resident)
    shot(resident, "credit-code-phone")

    merchant = console.login("merchant_barber")
    assert "/ui/merchant" in merchant.url
    merchant.get_by_label("兑换码", exact=True).fill("ZZZZ2222")  # nobody's code
    merchant.get_by_role("button", name="核销").click()
    expect(merchant.locator("#code-err")).to_contain_text("no such redemption code")
    expect(merchant.get_by_label("兑换码", exact=True)).to_have_attribute("aria-invalid", "true")
    merchant.get_by_label("兑换码", exact=True).fill(code.lower())
    merchant.get_by_role("button", name="核销").click()
    expect(merchant.get_by_role("status")).to_contain_text("核销成功")
    expect(merchant.locator("tr.row-new")).to_contain_text("已核销")
    check_a11y(merchant)
    shot(merchant, "merchant")
    # The same code a second time: used (the API's 409), next to the field.
    merchant.get_by_label("兑换码", exact=True).fill(code)
    merchant.get_by_role("button", name="核销").click()
    expect(merchant.locator("#code-err")).to_be_visible()

    # Another merchant may not confirm it; the resident sees it confirmed and rates it.
    resident.goto("/ui/credit/redemptions")
    mine = resident.locator("li.redemption", has_text="融城理发店").first
    expect(mine).to_contain_text("已核销")
    mine.get_by_label("评价").select_option("5")
    mine.get_by_role("button", name="提交评价").click()
    expect(resident.get_by_role("status")).to_contain_text("感谢您的评价")


def test_too_few_points_and_another_merchants_code(console: Console, api: Api) -> None:
    poor = console.login("resident_5", phone=True)  # 0 points
    poor.goto("/ui/credit/offers")
    poor.locator("li.offer", has_text="上门小修一次").get_by_role(
        "button", name=re.compile("兑换")).click()
    expect(poor.locator("li.offer", has_text="上门小修一次").get_by_role("alert")) \
        .to_contain_text("积分或库存不足")

    made = api.post("/credit/redemptions", "resident_3", json={"offer_id": "market-soap"})
    assert made.status_code == 201, made.text
    barber = console.login("merchant_barber")
    barber.get_by_label("兑换码", exact=True).fill(made.json()["code"])
    barber.get_by_role("button", name="核销").click()
    expect(barber.locator("#code-err")).to_contain_text("another merchant")
    # Publishing an offer: a past date is the API's 422 by its field; then it is on sale.
    barber.get_by_label("名称").fill("儿童理发一次")
    barber.get_by_label("所需积分").fill("20")
    barber.get_by_label("库存").fill("5")
    barber.get_by_label("有效期至").fill("2020-01-01")
    barber.get_by_role("button", name="发布").click()
    expect(barber.locator("#offer-valid_until-err")).to_contain_text("valid today or later")
    barber.get_by_label("有效期至").fill("2099-12-31")
    barber.get_by_role("button", name="发布").click()
    expect(barber.get_by_role("status")).to_contain_text("已发布")
    expect(barber.get_by_role("row", name=re.compile("^儿童理发一次"))).to_contain_text("20")
    # The resident cancels it on the phone; the points come back.
    resident = console.login("resident_3", phone=True)
    resident.goto("/ui/credit/redemptions")
    card = resident.locator(f"#r-{made.json()['id']}")
    card.get_by_role("button", name="取消兑换").click()
    expect(resident.get_by_role("status")).to_contain_text("已取消")


def test_the_finance_officer_and_admin_read_a_months_settlement(console: Console) -> None:
    finance = console.login("finance_rongcheng")
    finance.goto("/ui/credit")
    expect(finance.get_by_role("heading", level=1)).to_contain_text("月度结算")
    finance.get_by_role("row").nth(1).get_by_role("link").click()
    expect(finance.get_by_role("heading", level=1)).to_contain_text("月度结算")
    expect(finance.get_by_role("button", name="运行结算")).to_have_count(0)
    check_a11y(finance)
    admin = console.login("admin")
    admin.goto(finance.url)
    expect(admin.get_by_role("button", name="运行结算")).to_be_visible()
