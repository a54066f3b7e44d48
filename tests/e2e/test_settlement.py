"""德分宝 monthly settlement in the browser: admin runs a past month, the community's finance
officer approves its merchant's statement from the inbox, and the month settles."""

import re

from playwright.sync_api import expect

from tests.api.test_settlements import users_for
from tests.e2e.browser import check_a11y, shot
from tests.e2e.conftest import Console
from tests.workflows.settlement_support import Month, fresh_month


def test_a_month_run_reviewed_and_settled(console: Console) -> None:
    month = Month(fresh_month())  # a month of its own, with 3 confirmed redemptions
    finance, _ = users_for(month)

    admin = console.login("admin")
    admin.goto(f"/ui/credit/settlements/{month.month}")
    admin.get_by_role("button", name="运行结算").click()
    expect(admin.get_by_role("status")).to_contain_text("结算已启动")

    officer = console.login(finance)
    for _ in range(60):  # the statement's review task, once the month reaches it
        officer.goto("/ui/inbox")
        link = officer.get_by_role("link", name=re.compile(f"审核结算单.*{month.month}"))
        if link.count():
            break
        officer.wait_for_timeout(500)
    link.first.click()
    check_a11y(officer)
    officer.locator("form.decision").filter(
        has=officer.get_by_role("heading", name="审核通过", exact=True)) \
        .get_by_role("button", name="审核通过").click()
    expect(officer.get_by_role("status")).to_contain_text("已提交")

    for _ in range(60):  # posted all or nothing, then the report
        admin.goto(f"/ui/credit/settlements/{month.month}")
        if admin.get_by_text("完成时间").count():
            break
        admin.wait_for_timeout(500)
    progress = admin.get_by_role("region", name="进度")
    expect(progress).to_contain_text("完成时间")
    expect(progress).to_contain_text("30")  # points settled: 3 redemptions of 10
    check_a11y(admin)
    shot(admin, "settlement")
