"""What every browser test uses: screenshots for the README and an accessibility check."""

from pathlib import Path

from playwright.sync_api import Page

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
