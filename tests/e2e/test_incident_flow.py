"""The incident process in the browser, as its people use it: a citizen's 随手拍 on a phone
to closure and evaluation; an extension asked and approved; a 403 and a 422 on the form."""

import io
import os
import re

from PIL import Image
from playwright.sync_api import expect

from domain.limits import MAX_BODY_BYTES, MAX_MEDIA_BYTES
from tests.e2e.browser import check_a11y, decide, form_of, open_task, shot
from tests.e2e.conftest import Console
from tests.support import Api


def photo() -> bytes:
    """A phone-sized photo: noise does not compress, so it is far over the API's 64 KiB."""
    out = io.BytesIO()
    Image.effect_noise((1000, 750), 80).convert("RGB").save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 300_000
    return out.getvalue()





def test_a_citizen_report_to_closure_and_evaluation(console: Console, api: Api) -> None:
    name = next(c["name"] for c in api.http.get("/categories").json() if c["code"] == "SJ0101")
    citizen = console.login("citizen", phone=True)
    citizen.goto("/ui/report")
    check_a11y(citizen)
    citizen.get_by_label("问题类别").fill(f"SJ0101 {name}")
    citizen.get_by_label("问题描述").fill("九宫庙步行街路边暴露垃圾")
    citizen.get_by_label("所在街道（镇）").select_option("jiugongmiao")
    citizen.get_by_label("详细地址").fill("九宫庙步行街东口")
    citizen.get_by_label("照片").set_input_files(
        files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    shot(citizen, "report-phone")
    citizen.get_by_role("button", name="提交上报").click()
    expect(citizen.get_by_role("status")).to_contain_text("已上报")
    case_id = citizen.url.split("/ui/incidents/")[1].split("?")[0]
    expect(citizen.locator("img.photo")).to_have_count(1)  # the citizen sees their own photo
    citizen.goto("/ui/incidents")  # 我的上报: the API lists only their own reports
    expect(citizen.get_by_role("link", name=case_id)).to_be_visible()

    intake = console.login("intake")
    open_task(intake, case_id, "立案")
    expect(intake.locator("img.photo")).to_have_count(0)  # the task page shows no photos
    decide(intake, "立案")

    dispatcher = console.login("dispatcher")
    open_task(dispatcher, case_id, "派遣")
    # The catalogue's suggestion is preselected: the street's own office.
    expect(form_of(dispatcher, "派遣").get_by_label("处置部门")).to_have_value("jiugongmiao")
    decide(dispatcher, "派遣")

    officer = console.login("officer_jiugongmiao")
    officer.goto("/ui/inbox")
    expect(officer.locator("tr", has_text=case_id)).to_contain_text("处置")
    check_a11y(officer)
    shot(officer, "inbox")
    open_task(officer, case_id, "处置")
    check_a11y(officer)
    shot(officer, "task")
    form_of(officer, "办结").get_by_label("处置结果").fill("已清运，路面冲洗干净")
    decide(officer, "办结")

    inspector = console.login("inspector")
    open_task(inspector, case_id, "核查")
    decide(inspector, "核查通过")

    open_task(citizen, case_id, "评价")
    decide(citizen, "满意")
    citizen.goto(f"/ui/incidents/{case_id}")
    expect(citizen.locator(".meta")).to_contain_text("已结案")
    expect(citizen.get_by_text("已清运，路面冲洗干净")).to_be_visible()
    expect(citizen.get_by_text("满意", exact=True)).to_be_visible()
    check_a11y(citizen)
    shot(citizen, "incident-phone")

    staff = console.login("command_lead")
    staff.goto(f"/ui/incidents/{case_id}")
    expect(staff.get_by_role("heading", name="办理过程")).to_be_visible()
    for step in ("立案", "派遣", "处置", "核查", "评价"):
        expect(staff.locator(".timeline li", has_text=step).first).to_be_visible()
    expect(staff.locator("img.photo")).to_have_count(1)  # staff see the report's photo
    check_a11y(staff)
    shot(staff, "incident")
    staff.goto("/ui/incidents")  # the list with the API's filters
    # A wrapping label's name runs on into its options' text, hence the ^.
    staff.get_by_role("combobox", name=re.compile("^街道")).select_option("jiugongmiao")
    staff.get_by_role("combobox", name=re.compile("^承办部门")).select_option("jiugongmiao")
    staff.get_by_role("combobox", name=re.compile("^状态")).select_option("closed")
    staff.get_by_role("button", name="筛选").click()
    expect(staff.get_by_role("link", name=case_id)).to_be_visible()
    check_a11y(staff)
    staff.goto("/ui/inbox?status=done")
    check_a11y(staff)


def test_an_extension_is_asked_and_approved(console: Console, api: Api) -> None:
    case = api.report(category_code="SJ0101", description="需延期处置的问题")
    api.act("intake", api.task("intake", case["id"])["id"], "accept")
    api.act("dispatcher", api.task("dispatcher", case["id"])["id"], "dispatch",
            department="jiugongmiao")
    before = api.get(f"/incidents/{case['id']}", "dispatcher").json()["handle_due_at"]

    officer = console.login("officer_jiugongmiao")
    open_task(officer, case["id"], "处置")
    form = form_of(officer, "申请延期")
    form.get_by_label("延长的时长，以时限本身的小时计").fill("16")
    form.get_by_label("意见").fill("需协调环卫车辆，申请延期两个工作日")
    form.get_by_role("button", name="申请延期").click()
    expect(officer.get_by_role("status")).to_contain_text("已提交")

    lead = console.login("command_lead")
    open_task(lead, case["id"], "延期")
    check_a11y(lead)
    approve = lead.locator("form.decision").first
    approve.get_by_role("button").click()
    expect(lead.get_by_role("status")).to_contain_text("已提交")
    after = Api.eventually(lambda: (d := api.get(f"/incidents/{case['id']}", "dispatcher")
                                    .json())["handle_due_at"] != before and d)
    assert after["extensions"] == 1 and after["handle_due_at"] > before


def test_a_403_and_a_422_show_on_the_form(console: Console, api: Api) -> None:
    case = api.report(description="表单错误演示")
    task = api.task("intake", case["id"])

    intake = console.login("intake")
    open_task(intake, case["id"], "立案")
    form = form_of(intake, "立案")
    form.get_by_label("立案时更正的类别编码").fill("ZZ9999")
    form.get_by_role("button", name="立案").click()
    field = form_of(intake, "立案").locator(".field.invalid")
    expect(field).to_contain_text("ZZ9999")  # the API's 422, next to the field it names
    expect(field.get_by_label("立案时更正的类别编码")).to_have_value("ZZ9999")
    check_a11y(intake)
    shot(intake, "task-422")

    other = console.login("officer_urban_mgmt")  # not theirs: the API's 403, on the page
    response = other.goto(f"/ui/tasks/{task['id']}")
    assert response is not None and response.status == 403
    expect(other.get_by_role("alert")).to_contain_text("not yours")
    # and a 409: the task is done, the page says so on the form
    api.act("intake", task["id"], "accept")
    form_of(intake, "立案").get_by_label("立案时更正的类别编码").fill("")
    form_of(intake, "立案").get_by_role("button", name="立案").click()
    expect(intake.get_by_role("alert").first).to_contain_text("任务已关闭")


def test_a_photo_over_the_limit_gets_a_page_not_json(console: Console, api: Api) -> None:
    name = next(c["name"] for c in api.http.get("/categories").json() if c["code"] == "SJ0101")
    citizen = console.login("citizen", phone=True)
    citizen.goto("/ui/report")
    citizen.get_by_label("问题类别").fill(f"SJ0101 {name}")
    citizen.get_by_label("问题描述").fill("照片太大")
    citizen.get_by_label("所在街道（镇）").select_option("jiugongmiao")
    huge = b"\xff\xd8\xff" + os.urandom(MAX_MEDIA_BYTES + MAX_BODY_BYTES)
    citizen.get_by_label("照片").set_input_files(
        files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": huge}])
    with citizen.expect_response(lambda r: r.url.endswith("/ui/report")) as answer:
        citizen.get_by_role("button", name="提交上报").click()
    assert answer.value.status == 413
    expect(citizen.get_by_role("alert")).to_contain_text("照片或提交的内容过大")
