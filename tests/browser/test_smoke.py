"""A person's first minute: log in, switch to Chinese, see the shell in Chinese."""

from __future__ import annotations

import pytest

from core.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, base_url):
    page.goto(f"{base_url}/")
    page.fill("#login", "admin")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_login_switch_language_to_chinese(page, live_server):
    log_in(page, live_server)
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


def test_phone_width_menu_collapses(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server)
        assert not page.locator("nav#gx-sidebar").is_visible()
        page.click("button[data-bs-target='#gx-sidebar']")
        page.wait_for_selector("nav#gx-sidebar.show")
        assert page.locator("nav#gx-sidebar a[data-menu='home']").is_visible()
    finally:
        context.close()
