"""多跨智查, 行政处罚 and 文明养犬 in the browser, as their people use them: a resident's dog
dispute reported on a phone and settled at 自律; a joint inspection published, approved,
joined and recorded; a penalty case filed and notified; each case page as its readers see it.
Acting happens through the inbox and the one task page, whose forms come from JSON Schema."""

import re

from playwright.sync_api import Page, expect

from db.seed import demo_credit_code
from tests.e2e.browser import check_a11y, decide, form_of, open_task, shot
from tests.e2e.conftest import Console
from tests.support import Api

# Demo enterprises no other test inspects (HTTP tests use 1-3, 5-7, 9-19; 20+ time-skipping).
INSPECTED, PENALISED = 4, 8





def see_eventually(page: Page, url: str, text: str) -> None:
    """Reload `url` until `text` shows: the workflow's projection follows shortly."""
    for _ in range(50):
        page.goto(url)
        if page.get_by_text(text, exact=True).count():
            return
        page.wait_for_timeout(300)
    expect(page.get_by_text(text, exact=True).first).to_be_visible()


def test_a_dog_dispute_reported_on_a_phone_and_settled_at_self_discipline(
        console: Console) -> None:
    # 融城's owner: the workflow tests end disputes of 百佳园's owners (dog_owner_2 with
    # behaviour 3 among them), and an ended one would start this one at its tier.
    resident = console.login("resident_rongcheng", phone=True)
    resident.goto("/ui/dog-disputes")
    resident.get_by_role("link", name="上报养犬纠纷").click()
    check_a11y(resident)
    resident.get_by_label("所在社区").select_option("rongcheng")
    resident.get_by_label("不文明养犬行为").select_option("3")
    resident.get_by_label("地点").fill("2栋单元门口")
    resident.get_by_label("发生了什么").fill("邻居家的狗没有按时打疫苗，还常在楼道里乱跑")
    shot(resident, "dog-dispute-report-phone")
    resident.get_by_role("button", name="提交上报").click()
    expect(resident.get_by_role("status")).to_contain_text("已上报")
    case_id = resident.url.split("/ui/dog-disputes/")[1].split("?")[0]
    expect(resident.get_by_text("待网格员查明")).to_be_visible()  # owner unknown: 自律 asks

    grid = console.login("grid_rongcheng")
    open_task(grid, case_id, "查明养犬人", title_names_case=False)
    form_of(grid, "已查明养犬人").get_by_label("养犬人的用户名").fill("dog_owner_3")
    decide(grid, "已查明养犬人")

    owner = console.login("dog_owner_3", phone=True)
    open_task(owner, case_id, "自律整改", title_names_case=False)
    form_of(owner, "已改正").get_by_label("已采取的改正措施").fill("已带犬只补种狂犬病疫苗")
    decide(owner, "已改正")

    open_task(resident, case_id, "确认整改", title_names_case=False)
    decide(resident, "问题已解决")

    # The grid worker's page: the whole story, contact details included (theirs to have).
    see_eventually(grid, f"/ui/dog-disputes/{case_id}", "已化解")
    expect(grid.get_by_text("已带犬只补种狂犬病疫苗")).to_be_visible()
    expect(grid.get_by_text("13800000004")).to_be_visible()  # the owner's phone
    expect(grid.locator("ol.timeline li")).to_have_count(3)  # 查明, 整改, 确认 (回访 in 30 days)
    check_a11y(grid)
    shot(grid, "dog-dispute")
    grid.goto("/ui/dog-disputes?community=rongcheng&behaviour=3&tier=self_discipline")
    expect(grid.get_by_role("link", name=case_id)).to_be_visible()
    grid.goto("/ui/dog-disputes/stats")
    expect(grid.get_by_role("heading", name="各层级化解率")).to_be_visible()
    check_a11y(grid)

    # The reporter reads the outcome, without the owner's phone.
    resident.goto(f"/ui/dog-disputes/{case_id}")
    expect(resident.get_by_text("已化解").first).to_be_visible()
    expect(resident.get_by_text("13800000004")).to_have_count(0)


def test_a_joint_inspection_published_approved_joined_and_recorded(
        console: Console, api: Api) -> None:
    firm = next(e for e in api.get("/enterprises", "admin", params={"limit": 1000}).json()
                if e["party"] == f"party_{INSPECTED}")
    lead = console.login("officer_market_reg")
    lead.goto("/ui/inspections")
    lead.get_by_role("link", name="发布检查任务").click()
    check_a11y(lead)
    lead.get_by_label("检查类型").select_option("complaint")
    lead.get_by_label("被检查企业").select_option(firm["credit_code"])
    expect(lead.get_by_label("第 1 项 部门")).to_have_value("market_reg")  # the caller's own
    lead.get_by_label("第 1 项 检查事项").fill("食品经营许可")
    lead.get_by_label("检查事由").fill("群众投诉：后厨卫生差")
    lead.get_by_role("button", name="发布").click()
    expect(lead.get_by_role("status")).to_contain_text("已发布")
    case_id = lead.url.split("/ui/inspections/")[1].split("?")[0]
    expect(lead.get_by_text("待审批").first).to_be_visible()

    head = console.login("head_market_reg")
    open_task(head, case_id, "审批", title_names_case=False)
    decide(head, "批准")
    open_task(head, case_id, "邀约", title_names_case=False)
    accept = form_of(head, "参加")
    accept.get_by_label(re.compile(r"（officer_market_reg）")).check()
    accept.get_by_label(re.compile(r"（officer_market_reg_2）")).check()
    decide(head, "参加")

    inspector = console.login("officer_market_reg_2")
    open_task(inspector, case_id, "现场检查", title_names_case=False)
    record = form_of(inspector, "记录检查结果")
    first = record.get_by_role("group", name="第 1 项")  # the findings, one group per item
    first.get_by_label("检查项").fill("食品经营许可")
    first.get_by_label("检查结果").select_option("compliant")
    record.get_by_label(re.compile(r"（officer_market_reg）")).check()
    record.get_by_label(re.compile(r"（officer_market_reg_2）")).check()
    decide(inspector, "记录检查结果")

    see_eventually(head, f"/ui/inspections/{case_id}", "已办结")
    items = head.get_by_role("region", name="检查事项与结果")
    expect(items.locator("tr", has_text="食品经营许可")).to_contain_text("合格")
    expect(head.get_by_role("region", name="参与部门与执法人员")).to_contain_text(
        "officer_market_reg_2")
    check_a11y(head)
    shot(head, "inspection")
    head.goto(f"/ui/inspections?credit_code={firm['credit_code']}&status=closed")
    expect(head.get_by_role("link", name=case_id)).to_be_visible()


def test_a_penalty_case_opened_filed_and_notified(console: Console) -> None:
    opener = console.login("officer_market_reg")
    opener.goto("/ui/penalty-cases")
    opener.get_by_role("link", name="提出立案").click()
    opener.get_by_label("当事企业").select_option(demo_credit_code(PENALISED))
    opener.get_by_label("违反的事项").fill("食品经营许可")
    opener.get_by_label("违法事实").fill("超范围经营冷食类食品")
    opener.get_by_label("法律依据").fill("《食品安全法》第一百二十二条")
    opener.get_by_label("拟罚款金额（元）").fill("8000")
    opener.get_by_label("（officer_market_reg_expired）").check()  # certificate lapsed
    opener.get_by_label("（officer_market_reg）").check()
    opener.get_by_role("button", name="提出立案").click()
    officers = opener.get_by_role("group", name=re.compile("办案执法人员"))
    expect(officers.get_by_role("alert")).to_contain_text("officer_market_reg_expired")
    check_a11y(opener)
    opener.get_by_label("（officer_market_reg_expired）").uncheck()
    opener.get_by_label("（officer_market_reg_2）").check()
    opener.get_by_role("button", name="提出立案").click()
    expect(opener.get_by_role("status")).to_contain_text("已提出立案")
    case_id = opener.url.split("/ui/penalty-cases/")[1].split("?")[0]

    head = console.login("head_market_reg")
    head.goto(f"/ui/penalty-cases?credit_code={demo_credit_code(PENALISED)}")
    head.get_by_role("link", name=case_id).click()
    todo = head.get_by_role("region", name="待我办理")
    for _ in range(50):  # the 立案 task opens a moment after the case
        if todo.count():
            break
        head.wait_for_timeout(300)
        head.reload()
    expect(todo).to_contain_text("立案")
    todo.get_by_role("link").first.click()
    decide(head, "立案")

    officer = console.login("officer_market_reg_2")
    open_task(officer, case_id, "告知", title_names_case=False)
    notice = form_of(officer, "送达行政处罚告知书")
    notice.locator("[name='proposed.type']").select_option("fine")
    notice.locator("[name='proposed.fine']").fill("8000")
    decide(officer, "送达行政处罚告知书")

    see_eventually(officer, f"/ui/penalty-cases/{case_id}", "陈述申辩期")
    expect(officer.get_by_role("region", name="告知与处罚决定")).to_contain_text("罚款 8000 元")
    expect(officer.get_by_role("region", name="案件信息")).to_contain_text("超范围经营冷食类食品")
    expect(officer.locator("ol.timeline li")).to_have_count(3)  # 立案, 告知, 陈述申辩
    check_a11y(officer)
    shot(officer, "penalty-case")

    # The enterprise reads its own case: the notice, and its own task to answer it.
    party = console.login(f"party_{PENALISED}")
    party.goto(f"/ui/penalty-cases/{case_id}")
    expect(party.get_by_role("region", name="告知与处罚决定")).to_contain_text("罚款 8000 元")
    expect(party.get_by_role("region", name="待我办理")).to_contain_text("陈述申辩")
    expect(party.get_by_role("heading", name="法制审核")).to_have_count(0)  # staff's work
    check_a11y(party)


def test_the_forms_show_the_apis_refusals_next_to_their_fields(console: Console,
                                                                api: Api) -> None:
    resident = console.login("resident_rongcheng", phone=True)
    resident.goto("/ui/dog-disputes/new")
    resident.get_by_label("所在社区").select_option("rongcheng")
    resident.get_by_label("不文明养犬行为").select_option("5")
    resident.get_by_label("地点").fill("2栋花坛")
    resident.get_by_label("发生了什么").fill("犬便未清理")
    resident.get_by_label("犬只登记证号（如知道）").fill("CQ104-0000-99999")
    resident.get_by_role("button", name="提交上报").click()
    field = resident.locator(".field", has=resident.get_by_label("犬只登记证号（如知道）"))
    expect(field.get_by_role("alert")).to_contain_text("dog registry")
    expect(resident.get_by_label("地点")).to_have_value("2栋花坛")  # kept for a second try
    check_a11y(resident)

    # 双随机 is for routine and campaign checks: the API's 422 lands on the box.
    firm = api.get("/enterprises", "admin", params={"limit": 1}).json()[0]
    officer = console.login("officer_ecology_env")
    officer.goto("/ui/inspections/new")
    officer.get_by_label("检查类型").select_option("complaint")
    officer.get_by_label("被检查企业").select_option(firm["credit_code"])
    officer.get_by_label("第 1 项 检查事项").fill("排污许可")
    officer.get_by_label("检查事由").fill("群众投诉：夜间排污")
    officer.get_by_label(re.compile("双随机抽取")).check()
    officer.get_by_role("button", name="发布").click()
    box = officer.locator(".field", has=officer.get_by_label(re.compile("双随机抽取")))
    expect(box.get_by_role("alert")).to_contain_text("双随机")
    check_a11y(officer)
    # Who may not publish sees no form to do it with, and the API's 403 if they try.
    legal = console.login("legal_reviewer")
    legal.goto("/ui/inspections")
    expect(legal.get_by_role("link", name="发布检查任务")).to_have_count(0)


def test_a_persuasion_visit_and_the_reporter_withdrawing(console: Console, api: Api) -> None:
    r = api.post("/dog-disputes", "resident_baijiayuan", json={
        "community": "baijiayuan", "behaviour": 6, "place": "1栋车库",
        "description": "车库里的狗半夜一直叫"})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]

    property_ = console.login("property_baijiayuan")
    property_.goto(f"/ui/dog-disputes/{case_id}")
    visit = property_.get_by_role("form", name="记录劝导")
    visit.get_by_label("劝导情况").fill("物业在车库张贴提醒，请养犬人管控犬吠")
    visit.get_by_role("button", name="记录劝导").click()
    expect(property_.get_by_role("status")).to_contain_text("已记录劝导")
    expect(property_.get_by_text("物业在车库张贴提醒", exact=False)).to_be_visible()
    expect(property_.get_by_role("form", name="撤回纠纷")).to_have_count(0)  # the reporter's

    resident = console.login("resident_baijiayuan", phone=True)
    resident.goto(f"/ui/dog-disputes/{case_id}")
    withdraw = resident.get_by_role("form", name="撤回纠纷")
    withdraw.get_by_label("撤回理由").fill("已和邻居当面说清楚")
    withdraw.get_by_role("button", name="撤回纠纷").click()
    expect(resident.get_by_role("status")).to_contain_text("已撤回纠纷")
    expect(resident.locator("p.meta")).to_contain_text("已撤回")
    expect(resident.get_by_role("form", name="撤回纠纷")).to_have_count(0)
    check_a11y(resident)
