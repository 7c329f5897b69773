"""The shell in a real browser: the pages/ trap on a fresh server, sign-in,
language switch, sign-out, and a saved cookie refused after sign-out."""

from pathlib import Path

from lib import auth, policy
from tests.e2e.conftest import login, screenshot, wait_idle


def _shows_sign_in_only(page) -> None:
    page.get_by_role("textbox", name="用户名").wait_for()
    assert page.get_by_test_id("stSidebar").get_by_text("demo_", exact=False).count() == 0
    assert page.get_by_test_id("stDataFrame").count() == 0


def test_fresh_server_serves_no_page_before_sign_in(live_server, browser_page):
    """Runs first in this module: nobody has signed in to this server yet, so no
    session has called st.navigation and Streamlit serves pages/*.py directly."""
    page = browser_page
    paths = set()
    for spec in policy.PAGES:
        paths.add(Path(spec.file).stem)  # what Streamlit's pages/ folder serves
        paths.add(spec.url_path)  # what st.navigation serves
    for path in sorted(paths):
        page.goto(f"{live_server.url}/{path}")
        _shows_sign_in_only(page)


def test_lead_signs_in_switches_language_and_signs_out(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_lead")
    page.get_by_role("heading", name="您好，演示主管").wait_for()
    screenshot(page, "home")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("combobox").click()
    page.get_by_role("option", name="English").click()
    page.get_by_role("heading", name="Hello, 演示主管").wait_for()
    assert auth.load_user(live_server.engine, username="demo_lead").language == "en"  # remembered per user
    sidebar.get_by_role("combobox").click()
    page.get_by_role("option", name="简体中文").click()
    page.get_by_role("heading", name="您好，演示主管").wait_for()
    assert auth.load_user(live_server.engine, username="demo_lead").language == "zh"
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    page.get_by_text("您已安全退出。").wait_for()
    page.get_by_role("textbox", name="用户名").wait_for()


def test_saved_cookie_is_refused_after_sign_out(live_server, browser):
    ctx = browser.new_context()
    page = ctx.new_page()
    login(page, live_server.url, "demo_agent")
    wait_idle(page)
    page.wait_for_timeout(1000)  # the cookie component writes the cookie after the run
    saved = ctx.storage_state()
    assert any(c["name"] == "cs_dashboard_auth" for c in saved["cookies"]), saved["cookies"]

    # the cookie alone signs a new browser in while the session is live
    other = browser.new_context(storage_state=saved)
    p2 = other.new_page()
    p2.goto(live_server.url + "/")
    p2.get_by_test_id("stSidebar").get_by_text("demo_agent", exact=True).wait_for()
    other.close()

    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    page.get_by_text("您已安全退出。").wait_for()
    ctx.close()

    # the copied cookie no longer works
    thief = browser.new_context(storage_state=saved)
    p3 = thief.new_page()
    p3.goto(live_server.url + "/")
    p3.get_by_role("textbox", name="用户名").wait_for()
    assert p3.get_by_test_id("stSidebar").get_by_text("demo_agent", exact=True).count() == 0
    thief.close()


def test_a_deep_link_opens_its_page_for_a_signed_in_browser(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_admin")
    wait_idle(page)
    page.wait_for_timeout(1000)  # the cookie is written after the sign-in run
    page.goto(live_server.url + "/audit")
    # .first: while a rerun replaces the page, Streamlit can show the old and the new title for a moment
    page.get_by_role("heading", name="审计日志").first.wait_for()


def test_a_refused_page_opened_by_its_url_is_not_shown(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_agent")
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.goto(live_server.url + "/audit")  # an administrator's page
    page.get_by_role("heading", name="您好，演示客服").wait_for()  # falls back to the agent's home
    assert page.get_by_role("heading", name="审计日志").count() == 0
