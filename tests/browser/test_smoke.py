"""A person's first minute: log in, switch to Chinese, see the shell in Chinese."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_login_switch_language_to_chinese(people, sign_in):
    page = sign_in(people("admin", language=None).username)
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("button[aria-label='Language']")
    page.click("button:has-text('简体中文')")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "首页" in page.locator("nav#gx-sidebar").inner_text()
    page.click("button[aria-label='语言']")
    page.click("button:has-text('繁體中文')")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-TW"
    assert "首頁" in page.locator("nav#gx-sidebar").inner_text()


def test_phone_width_menu_collapses(people, sign_in):
    page = sign_in(people("admin").username, viewport=PHONE)
    assert not page.locator("nav#gx-sidebar").is_visible()
    page.click("button[data-bs-target='#gx-sidebar']")
    page.wait_for_selector("nav#gx-sidebar.show")
    assert page.locator("nav#gx-sidebar a[data-menu='home']").is_visible()
