"""Signing in to the console: the form, a wrong password, each user's start page, signing
out, and a page that needs a session sending the browser to sign in."""

import re

from playwright.sync_api import expect

from tests.e2e.browser import check_a11y, shot
from tests.e2e.conftest import Console


def test_the_sign_in_page(console: Console) -> None:
    page = console.anonymous()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    check_a11y(page)
    shot(page, "login")


def test_a_wrong_password_stays_on_the_form(console: Console) -> None:
    page = console.anonymous()
    page.goto("/ui/login")
    page.get_by_label("用户名").fill("citizen")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    assert "/ui/login" in page.url


def test_each_user_lands_on_their_page_and_signs_out(console: Console) -> None:
    assert console.login("citizen", phone=True).url.endswith("/ui/me")
    page = console.login("dispatcher")
    assert page.url.endswith("/ui/command") or page.url.endswith("/ui/inbox")
    assert console.login("auditor").url.endswith("/ui/audit")
    page = console.login("intake")
    assert page.url.endswith("/ui/inbox")
    expect(page.get_by_text("监督中心受理员")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.goto("/ui/inbox")  # the session is gone: back to sign in, and back here after
    assert "/ui/login?next=/ui/inbox" in page.url
    page.get_by_label("用户名").fill("intake")
    page.get_by_label("密码").fill("demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/ui/inbox")
