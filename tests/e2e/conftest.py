"""Browser fixtures: Debian's Chromium driven by Playwright (sync API; e2e tests are plain
`def`), against the same real stack as the HTTP tests (`api_url`). Every request a page makes
must stay on 127.0.0.1: a guard aborts any other and the test fails."""

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--lang=zh-CN"]
LOCAL = {"127.0.0.1", "localhost"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Sync Playwright runs its own event loop in this thread
    while it is started: stopping it after each module (and running browser modules last, see
    tests/conftest.py) leaves the thread free for the asyncio tests."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Console:
    """Opens pages as the demo users, each in its own browser context (its own cookies)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.outside: list[str] = []  # requests that tried to leave 127.0.0.1

    def _guard(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL or \
                route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def anonymous(self, phone: bool = False) -> Page:
        context = self.browser.new_context(base_url=self.base_url, locale="zh-CN",
                                           timezone_id="Asia/Shanghai",
                                           **(PHONE if phone else DESKTOP))
        context.route("**/*", self._guard)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context.new_page()

    def login(self, username: str, password: str = "demo", phone: bool = False) -> Page:
        page = self.anonymous(phone)
        page.goto("/ui/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/ui/login" not in url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def console(browser: Browser, api_url: str) -> Iterator[Console]:
    opened = Console(browser, api_url)
    try:
        yield opened
    finally:
        opened.close()
    assert opened.outside == [], f"requests left 127.0.0.1: {opened.outside}"
