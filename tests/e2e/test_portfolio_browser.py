"""Real browser: demo_manager drills from the overview to a client; demo_rm logs a visit and sees it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_manager_drills_from_overview_to_client(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_manager")
    page.goto(live_server.url + "/portfolio-overview")
    page.get_by_text("客户经理总览").first.wait_for()
    wait_idle(page)
    screenshot(page, "portfolio_overview")
    # the RM's book via ?rm= (the same target the row selection switches to), then a client
    page.goto(live_server.url + "/portfolio-book?rm=1")
    page.get_by_text("演示客户经理").first.wait_for()
    wait_idle(page)
    from sqlalchemy import select

    from db.models import Client

    with live_server.engine.connect() as c:
        cid, name = c.execute(select(Client.id, Client.name).where(Client.rm_id == 1, Client.tier == "key")
                              .order_by(Client.id)).first()
    page.goto(live_server.url + f"/portfolio-client?client={cid}")
    page.get_by_text(name).first.wait_for()
    wait_idle(page)
    screenshot(page, "portfolio_client")


def test_rm_logs_a_visit_and_sees_it(live_server, browser_page):
    page = browser_page
    from sqlalchemy import select

    from db.models import Client

    with live_server.engine.connect() as c:
        cid = c.execute(select(Client.id).where(Client.rm_id == 1).order_by(Client.id)).scalar()
    login(page, live_server.url, "demo_rm")
    page.goto(live_server.url + f"/portfolio-client?client={cid}")
    page.get_by_role("tab", name="联系记录").click()
    page.get_by_text("登记拜访 / 电话 / 邮件 / 宴请").click()
    page.get_by_label("内容摘要").first.fill("浏览器测试：上门拜访，了解年底资金安排")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存联系记录。").wait_for()
    wait_idle(page)
    page.get_by_text("浏览器测试：上门拜访").first.wait_for()
