"""惠新码 in the browser, as its people use it: a rider applies on a phone (a wrong ID check
character first), the union reviewer approves from the inbox, the rider shows the live QR,
and a guard at 百佳园 takes the code's text on a phone: 通过 with the masked rider, and the
same code at the community's other gate is refused as used."""

import base64
import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from domain.id_number import check_character
from tests.e2e.browser import check_a11y, open_task, shot
from tests.e2e.conftest import Console
from tests.support import Api

# A gate's scanner reads QR codes only: a reader of every format now and then finds a
# spurious 1D code among a QR's modules.
QR = zxingcpp.BarcodeFormat.QRCode

ID_BASE = "50010419920305456"  # a person no other test uses
GOOD_ID = ID_BASE + check_character(ID_BASE)
WRONG_ID = ID_BASE + ("0" if GOOD_ID[-1] != "0" else "1")
LIVE = ("reviewing", "active", "suspended")


def no_live_pass(api: Api, rider: str) -> None:
    """Cancel whatever live pass another test left to this rider (one live pass each)."""
    for p in api.get("/rider-passes", rider).json():
        if p["status"] in LIVE:
            r = api.post(f"/rider-passes/{p['id']}/actions", rider,
                         json={"action": "cancel", "reason": "测试前注销"})
            assert r.status_code == 200, r.text
    Api.eventually(lambda: not any(p["status"] in LIVE
                                   for p in api.get("/rider-passes", rider).json()))


def apply(page: Page, id_number: str) -> None:
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("手机号").fill("13600001111")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("配送平台").select_option("meituan")
    page.get_by_label("平台骑手编号").fill("MT-E2E-01")
    page.get_by_label("照片链接").fill("https://files.example.cn/riders/wang.jpg")
    page.get_by_role("button", name="提交申请").click()


def approve(page: Page, pass_id: str) -> None:
    """From the inbox, the pass's review task; approve it for the whole district."""
    open_task(page, pass_id, title_names_case=False)
    form = page.locator("form.decision", has=page.get_by_role("heading", name="审核通过"))
    # the scope: communities to tick, none meaning the whole district
    expect(form.get_by_role("group", name=re.compile("通行范围"))).to_be_visible()
    expect(form.get_by_role("checkbox", name="百佳园社区")).not_to_be_checked()
    check_a11y(page)
    form.get_by_role("button", name="审核通过").click()
    expect(page.get_by_role("status")).to_contain_text("已提交")


def live_code(page: Page) -> str:
    for _ in range(40):
        page.goto("/ui/rider")
        if page.locator("img.qr").count():
            break
        page.wait_for_timeout(300)
    img = page.locator("img.qr")
    expect(img).to_be_visible()
    assert img.evaluate("i => i.complete && i.naturalWidth") > 0
    text = page.get_by_label("惠新码文本（供扫码枪或复制）").input_value()
    assert text.startswith("HXM1:")
    # The image the page shows holds the very code its text gives.
    src = img.get_attribute("src") or ""
    data = base64.b64decode(src.split(",", 1)[1])
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)), formats=QR)]
    assert decoded == [text]
    return text


def test_a_rider_pass_from_application_to_the_gate(console: Console, api: Api) -> None:
    no_live_pass(api, "rider_1")
    rider = console.login("rider_1", phone=True)
    expect(rider).to_have_url(re.compile("/ui/rider$"))
    expect(rider.get_by_role("heading", name="申请惠新码")).to_be_visible()
    apply(rider, WRONG_ID)
    expect(rider.locator("#a-id_number-err")).to_contain_text("GB 11643")
    expect(rider.get_by_label("身份证号")).to_have_attribute("aria-invalid", "true")
    check_a11y(rider)
    rider.get_by_label("身份证号").fill(GOOD_ID)
    rider.get_by_role("button", name="提交申请").click()
    expect(rider.get_by_role("status")).to_contain_text("申请已提交")
    expect(rider.locator(".pass")).to_contain_text("审核中")
    pass_id = next(p["id"] for p in api.get("/rider-passes", "rider_1").json()
                   if p["status"] == "reviewing")

    reviewer = console.login("union_reviewer")
    approve(reviewer, pass_id)
    reviewer.goto("/ui/rider-passes")
    reviewer.get_by_role("link", name="有效").click()
    expect(reviewer.get_by_role("link", name=pass_id)).to_be_visible(timeout=15000)
    check_a11y(reviewer)
    shot(reviewer, "rider-passes")
    reviewer.get_by_role("link", name=pass_id).click()
    expect(reviewer.locator(".timeline").first).to_contain_text("审核惠新码")
    expect(reviewer.locator(".timeline").nth(1)).to_contain_text("审核通过")
    expect(reviewer.get_by_role("heading", name="暂停")).to_be_visible()
    check_a11y(reviewer)

    code = live_code(rider)
    expect(rider.locator(".pass")).to_contain_text("有效")
    check_a11y(rider)
    shot(rider, "rider-pass-phone")

    guard = console.login("guard_baijiayuan", phone=True)
    expect(guard).to_have_url(re.compile("/ui/gate$"))
    guard.get_by_role("button", name="打开摄像头").click()  # no camera here: a clear message
    expect(guard.locator("#gate-camera-status")).to_contain_text("文本框输入")
    expect(guard.locator("#gate-video")).to_be_hidden()
    guard.get_by_label("门岗").select_option("baijiayuan-east")
    guard.get_by_label("惠新码文本").fill(code)
    guard.get_by_role("button", name="核验").click()
    verdict = guard.locator(".verdict")
    expect(verdict).to_contain_text("通过")
    expect(verdict).to_contain_text("王**")
    expect(verdict).to_contain_text("美团")
    check_a11y(guard)
    shot(guard, "gate-verdict-phone")

    # The same code at the community's other gate: used already (a rescan at the gate that
    # let the rider in is still allowed, by the API's design).
    guard.get_by_label("门岗").select_option("baijiayuan-south")
    guard.get_by_label("惠新码文本").fill(code)
    guard.get_by_role("button", name="核验").click()
    expect(verdict).to_contain_text("拒绝")
    expect(verdict).to_contain_text("已使用过")


def test_a_rider_asks_the_union_and_rates_the_answer(console: Console, api: Api) -> None:
    rider = console.login("rider_1", phone=True)
    rider.goto("/ui/rider/services")
    expect(rider.get_by_role("link", name=re.compile("权益维护"))).to_be_visible()
    rider.get_by_label("服务模块").select_option("policy")
    rider.get_by_label("具体情况").fill("跑单时摔伤，平台的职业伤害保障怎么申请？")
    check_a11y(rider)
    rider.get_by_role("button", name="提交诉求").click()
    expect(rider.get_by_role("status")).to_contain_text("已提交", timeout=15000)
    request_id = rider.url.split("/ui/rider-services/")[1].split("?")[0]

    worker = console.login("union_worker")
    task = api.task("union_worker", request_id)
    worker.goto(f"/ui/tasks/{task['id']}")
    form = worker.locator("form.decision", has=worker.get_by_role("heading", name="答复",
                                                                       exact=True))
    form.get_by_label("意见").fill("请在平台 App 的保障入口报案，工会可协助准备材料。")
    form.get_by_role("button", name="答复").click()
    expect(worker.get_by_role("status")).to_contain_text("已提交")

    for _ in range(30):
        rider.goto(f"/ui/rider-services/{request_id}")
        if rider.get_by_text("工会可协助准备材料").count():
            break
        rider.wait_for_timeout(300)
    rider.get_by_label("4 星").check()
    rider.get_by_role("button", name="提交评价").click()
    expect(rider.get_by_role("status")).to_contain_text("感谢您的评价")
    expect(rider.get_by_text("您的评价：4 星")).to_be_visible()
    check_a11y(rider)
