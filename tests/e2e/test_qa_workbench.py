"""In a real browser: demo_qa opens the queue, scores one chat, sees the point recorded."""

from sqlalchemy import func, select

from db.models import Review, User
from tests.e2e.conftest import login, screenshot, wait_idle


def test_demo_qa_scores_one_chat_and_sees_the_point(live_server, browser_page):
    page = browser_page
    with live_server.engine.connect() as c:
        uid = c.execute(select(User.id).where(User.username == "demo_qa")).scalar()
        before = c.execute(select(func.count()).select_from(Review).where(Review.reviewer_user_id == uid)).scalar()
    login(page, live_server.url, "demo_qa")
    wait_idle(page)
    # through the navigation, as a person would (a full reload lands on the default page while the
    # cookie sign-in completes)
    page.get_by_test_id("stSidebar").get_by_role("link", name="质检工作台").click()
    page.get_by_role("heading", name="质检工作台").wait_for()
    page.get_by_text("自动检查建议").first.wait_for()
    wait_idle(page)
    screenshot(page, "qa_workbench")
    page.get_by_role("button", name="提交评分").click()
    page.get_by_text("已记录").wait_for()
    wait_idle(page)
    assert page.get_by_text("的当日得分").count() >= 1
    with live_server.engine.connect() as c:
        after = c.execute(select(func.count()).select_from(Review).where(Review.reviewer_user_id == uid)).scalar()
    assert after == before + 1
