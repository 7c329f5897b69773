"""In a real browser: demo_handler registers a complaint and takes it to closed; screenshots of the
queue and the monthly report for the README."""

from sqlalchemy import select

from db.models import Complaint, ComplaintEvent
from tests.e2e.conftest import login, screenshot, wait_idle


def _open(page, title):
    """Open a page from the sidebar (a deep link after a fresh load lands on home: see the report)."""
    page.get_by_test_id("stSidebar").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()
    wait_idle(page)


def _tab_and_submit(page, label):
    page.get_by_role("tab", name=label).click()
    page.get_by_role("button", name=label, exact=True).click()
    page.get_by_text("已保存").first.wait_for()
    wait_idle(page)


def test_demo_handler_takes_a_complaint_from_registration_to_closed(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_handler")

    _open(page, "投诉登记")
    page.get_by_role("textbox", name="客户姓名").fill("浏览器测试客户")
    page.get_by_role("textbox", name="客户姓名").press("Tab")
    wait_idle(page)
    page.get_by_role("textbox", name="投诉内容").fill("客户反映手机银行转账失败但已扣款，联系电话13800138000。")
    page.get_by_role("textbox", name="投诉内容").press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="登记投诉").click()
    page.get_by_text("已登记投诉").wait_for()
    with live_server.engine.connect() as c:
        ref = c.execute(select(Complaint.ref_no).where(Complaint.client_name == "浏览器测试客户")).scalar_one()

    _open(page, "投诉详情")
    page.get_by_role("textbox", name="投诉编号").fill(ref)
    page.get_by_role("textbox", name="投诉编号").press("Enter")
    page.get_by_text(ref).first.wait_for()
    wait_idle(page)
    page.get_by_text("13800138000").first.wait_for()  # the handler sees the number unmasked
    # assign to myself
    page.get_by_role("tab", name="分派").click()
    page.get_by_text("分派给").first.wait_for()
    # the combobox itself, scrolled to the middle of the window: at the bottom edge its list of options
    # has no room to open, and a click on the widget's middle can land on its label (focus only)
    combo = page.locator('[data-testid="stSelectbox"]').filter(has_text="分派给").get_by_role("combobox")
    combo.evaluate("e => e.scrollIntoView({block: 'center'})")
    combo.click()
    page.get_by_role("option", name="演示投诉专员").first.click()
    page.get_by_role("button", name="分派", exact=True).click()
    page.get_by_text("已分派给").wait_for()
    wait_idle(page)
    _tab_and_submit(page, "开始核实处理")
    page.get_by_role("tab", name="回复客户").click()
    page.get_by_role("textbox", name="回复内容").fill("已核实为系统差错，款项已退回。")
    page.get_by_role("button", name="回复客户", exact=True).click()
    page.get_by_text("已保存").first.wait_for()
    wait_idle(page)
    _tab_and_submit(page, "回访")
    _tab_and_submit(page, "结案")
    page.get_by_text("已结案").first.wait_for()

    with live_server.engine.connect() as c:
        row = c.execute(select(Complaint.status, Complaint.id, Complaint.reply_on_time)
                        .where(Complaint.ref_no == ref)).one()
        kinds = list(c.execute(select(ComplaintEvent.kind).where(ComplaintEvent.complaint_id == row.id)
                               .order_by(ComplaintEvent.id)).scalars())
    assert row.status == "closed" and row.reply_on_time is True
    assert kinds == ["created", "assigned", "status", "status", "follow_up", "status"]


def test_queue_and_report_screenshots(live_server, browser_page):
    page = browser_page
    login(page, live_server.url, "demo_manager")
    _open(page, "投诉工作台")
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    wait_idle(page)
    screenshot(page, "complaints_queue")
    _open(page, "投诉月报")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    wait_idle(page)
    page.wait_for_timeout(1500)
    screenshot(page, "complaints_report")
