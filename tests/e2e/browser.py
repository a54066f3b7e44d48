"""What every browser test uses: screenshots for the README and an accessibility check."""

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from config import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "console" / "static" / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def shot(page: Page, name: str) -> Path:
    """docs/screenshots/<name>.png, the whole page (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_a11y(page: Page) -> None:
    """axe-core (vendored, served by the app itself, so the page's CSP admits it) finds no
    serious or critical violation on the page as it stands."""
    assert AXE.is_file()
    page.add_script_tag(url="/ui/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in SERIOUS]
    lines = [f"{v['id']} ({v['impact']}): {v['help']} at "
             + ", ".join(str(n["target"]) for n in v["nodes"][:3]) for v in bad]
    assert not bad, f"{page.url}:\n" + "\n".join(lines)


def open_task(page: Page, case_id: str, step: str | None = None,
              title_names_case: bool = True) -> None:
    """From the inbox, the case's open task (at `step`, if given); the projection may lag a
    moment, so the inbox is read again until it shows."""
    for _ in range(50):
        page.goto("/ui/inbox")
        rows = page.locator("tr", has_text=step) if step else page
        link = rows.get_by_role("link", name=re.compile(re.escape(case_id)))
        if link.count():
            link.first.click()
            heading = page.get_by_role("heading", level=1)
            if title_names_case:
                expect(heading).to_contain_text(case_id)
            else:
                expect(heading).to_be_visible()
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"no {step or ''} task of {case_id} in the inbox")


def form_of(page: Page, label: str) -> Locator:
    """The task page's decision form whose heading is `label`."""
    return page.locator("form.decision", has=page.get_by_role("heading", name=label,
                                                              exact=True))


def decide(page: Page, label: str) -> None:
    """Submit the decision form whose heading is `label`, then see it taken."""
    form_of(page, label).get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已提交")
