"""In a real browser: demo_lead opens the team KPIs, clicks Records under a tile and sees the records
behind that figure (the count the page states is the count of the lead's own team's records)."""

from __future__ import annotations

import re

from lib.auth import load_user
from lib.kpis import drill, metrics
from lib.kpis.scope import team_scope
from tests.e2e.conftest import login, screenshot, wait_idle


def test_lead_drills_from_a_tile_to_its_records(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_lead")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="班组考核").click()
    page.get_by_role("heading", name="班组考核").first.wait_for()
    page.get_by_test_id("stMetric").nth(12).wait_for()
    wait_idle(page)
    page.get_by_test_id("stDataFrame").first.wait_for()
    assert page.get_by_test_id("stMetric").count() == 13
    screenshot(page, "kpi_team")

    page.locator(".st-key-kpi_team_drill_btn_complaints_against button").click()
    wait_idle(page)
    page.get_by_text("明细：被投诉次数").wait_for()
    caption = page.get_by_text(re.compile(r"共 \d+ 条，显示 \d+ 条")).first.inner_text()
    total = int(re.search(r"共 (\d+) 条", caption).group(1))

    lead = load_user(live_server.engine, username="demo_lead")
    scope = team_scope(lead, lead.led_team_ids[0])
    month = page.locator(".st-key-kpi_team_month input").input_value()
    expected = drill.records(live_server.engine, scope, "complaints_against", *metrics.month_bounds(month)).total
    assert total == expected
    assert page.get_by_test_id("stDataFrame").count() >= 2  # the ranking and the records


def test_a_ranking_row_picks_the_agent_and_paging_on_does_not_pick_another(live_server, browser_page):
    """The ranking is paged; a clicked row narrows the drill-down to its agent, and turning the page (the
    grid keeps the row number selected) leaves that choice alone."""
    from lib import settings

    settings.save(live_server.engine, {"ui.page_size": 10}, user_id=None, check_version=False)
    try:
        page = browser_page
        login(page, live_server.url, "demo_lead")
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="班组考核").click()
        page.get_by_role("heading", name="班组考核").first.wait_for()
        wait_idle(page)
        grid = page.locator(".st-key-kpi_team_rank_table")
        grid.scroll_into_view_if_needed()
        grid.get_by_test_id("stDataFrame").wait_for()
        picker = page.locator(".st-key-kpi_team_drill_agent_pick input")
        before = picker.input_value()
        box = grid.get_by_test_id("stDataFrame").bounding_box()
        page.mouse.click(box["x"] + 14, box["y"] + 35 + 35 * 2 + 17)  # the third row's checkbox
        wait_idle(page)
        page.wait_for_function("([el, old]) => el.value !== old", arg=[picker.element_handle(), before])
        chosen = picker.input_value()
        assert chosen != before and "A0" in chosen  # an agent (name and employee number), not "all agents"
        page.locator(".st-key-kpi_team_rank_page_next button").click()
        wait_idle(page)
        page.get_by_text(re.compile(r"第 2 页，共 2 页")).wait_for()
        assert picker.input_value() == chosen
    finally:
        settings.save(live_server.engine, {"ui.page_size": 50}, user_id=None, check_version=False)
