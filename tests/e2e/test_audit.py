"""An auditor reads a case's story in the console, finds the Temporal Web UI link at that
workflow, and downloads exports whose SHA-256 matches their content."""

import hashlib
import json

from playwright.sync_api import expect

from tests.e2e.browser import check_a11y, shot
from tests.e2e.conftest import Console
from tests.support import Api


def test_an_auditor_reads_and_exports_a_case(console: Console, api: Api) -> None:
    case = api.report(description="审计用：井盖缺失")
    api.act("intake", api.task("intake", case["id"])["id"], "reject", comment="重复上报")
    wf = case["workflow_id"]

    page = console.login("auditor")
    page.get_by_label("流程实例编号（workflow id）").fill(wf)
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name=f"审计：{wf}")).to_be_visible()
    rows = page.locator("table.list tbody tr")
    expect(rows.filter(has_text="办理").filter(has_text="intake")).to_contain_text("reject")
    expect(rows.first).to_contain_text("发起")
    link = page.get_by_role("link", name="在 Temporal Web UI 中查看")
    assert link.get_attribute("href").endswith(f"/namespaces/default/workflows/{wf}")
    check_a11y(page)
    shot(page, "audit")

    with page.expect_download() as got:
        page.get_by_role("link", name="导出 JSON").click()
    doc = json.loads(got.value.path().read_text(encoding="utf-8"))
    canonical = json.dumps(doc["content"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode()
    assert doc["sha256"] == hashlib.sha256(canonical).hexdigest()
    assert doc["content"]["workflow_id"] == wf

    with page.expect_download() as got:
        page.get_by_role("link", name="导出 CSV").click()
    data = got.value.path().read_bytes()
    body, _, last = data.rstrip(b"\n").rpartition(b"\n")
    assert last == b"# sha256=" + hashlib.sha256(body + b"\n").hexdigest().encode()


def test_a_case_is_not_for_other_roles_to_audit(console: Console, api: Api) -> None:
    case = api.report()
    page = console.login("intake")
    response = page.goto(f"/ui/audit/{case['workflow_id']}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_be_visible()
