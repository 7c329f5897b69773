"""The QA pages under AppTest: offered or refused per role, the workbench round trip and its race,
scoped results, disputes and calibration."""

import pytest
from sqlalchemy import select

from db.models import Dispute, Review, Sample
from lib import policy
from tests.apptest import DEMO_LOGINS, page, sign_in_state, texts

QA_PAGES = [p for p in policy.PAGES if p.key.startswith("qa_")]


@pytest.mark.parametrize("role", policy.ROLES)
@pytest.mark.parametrize("spec", QA_PAGES, ids=lambda s: s.key)
def test_each_qa_page_is_offered_or_refused_per_policy(demo_db, spec, role):
    at = page(spec.file)
    sign_in_state(at, demo_db, DEMO_LOGINS[role])
    at.run()
    assert not at.exception, at.exception
    refused = "Your roles do not allow this page." in [e.value for e in at.error]
    assert refused == (role not in spec.roles)
    if refused:
        assert len(at.dataframe) == 0 and len(at.metric) == 0


def _radio(at, label_start):
    return next(r for r in at.radio if r.label.startswith(label_start))


def test_workbench_scores_a_chat_and_shows_the_day_point(demo_db):
    at = page("pages/qa_workbench.py")
    sign_in_state(at, demo_db, "demo_qa")
    at.run()
    sid = at.selectbox[0].value
    _radio(at, "Service attitude").set_value("Fail")
    next(b for b in at.button if b.label == "Submit the review").click()
    at.run()
    assert not at.exception
    msg = [s.value for s in at.success][0]
    assert msg.startswith("Recorded: Unqualified") and "Day point of" in msg
    with demo_db.connect() as c:
        assert c.execute(select(Sample.status).where(Sample.id == sid)).scalar() == "reviewed"
        assert c.execute(select(Review.qualified).where(Review.sample_id == sid)).scalar() is False
    assert at.selectbox[0].value != sid  # the queue moved on


def test_second_reviewer_is_told_and_keeps_what_they_typed(demo_db):
    a = page("pages/qa_workbench.py")
    b = page("pages/qa_workbench.py")
    sign_in_state(a, demo_db, "demo_qa")
    sign_in_state(b, demo_db, "demo_qa")
    a.run()
    b.run()
    sid = a.selectbox[0].value
    assert b.selectbox[0].value == sid
    _radio(b, "Greeting").set_value("Fail")
    b.text_area[0].input("问候语缺失")
    next(x for x in a.button if x.label == "Submit the review").click()
    a.run()
    next(x for x in b.button if x.label == "Submit the review").click()
    b.run()
    assert not b.exception
    assert any("already scored" in e.value for e in b.error)
    assert _radio(b, "Greeting").value == "Fail" and b.text_area[0].value == "问候语缺失"
    with demo_db.connect() as c:
        assert c.execute(select(Review.comment).where(Review.sample_id == sid)).scalar() is None


def test_results_are_scoped_to_the_viewer(demo_db):
    counts = {}
    for who in ("demo_agent", "demo_lead", "demo_manager"):
        at = page("pages/qa_results.py")
        sign_in_state(at, demo_db, who)
        at.run()
        assert not at.exception
        counts[who] = len(at.dataframe[0].value)
        if who == "demo_agent":
            assert set(at.dataframe[0].value["employee_no"]) == {"A0001"}
        if who == "demo_lead":
            assert set(at.dataframe[0].value["team"]) == {"在线客服一组"}
    assert counts["demo_agent"] == 1 and counts["demo_lead"] == 20 and counts["demo_manager"] == 100


def test_results_month_switch_and_drilldown(demo_db):
    at = page("pages/qa_results.py")
    sign_in_state(at, demo_db, "demo_lead")
    at.run()
    at.selectbox(key="qa_res_month").select_index(1).run()
    assert not at.exception and "closed" in texts(at)
    # only the open tab runs: open the drill-down (a tab's state is its label)
    at.session_state["qa_res_tab"] = at.tabs[4].label
    at.run()
    assert not at.exception
    assert at.selectbox(key="qa_res_review").value is not None
    assert len(at.chat_message) > 0


def test_agent_disputes_and_lead_rejects(demo_db):
    at = page("pages/qa_disputes.py")
    sign_in_state(at, demo_db, "demo_agent")
    at.run()
    assert not at.exception
    at.text_area(key="qa_dis_reason").input("当时系统故障，回复延迟并非本人原因")
    next(b for b in at.button if b.label == "Submit the dispute").click()
    at.run()
    assert any("submitted" in s.value for s in at.success)
    lead = page("pages/qa_disputes.py")
    sign_in_state(lead, demo_db, "demo_lead")
    lead.run()
    assert not lead.exception
    did = lead.selectbox(key="qa_dis_pick").value
    lead.text_input(key=f"qa_dis_rej_{did}").input("复核维持原判")
    lead.button(key=f"qa_dis_reject_{did}").click()
    lead.run()
    assert any(s.value == "Rejected." for s in lead.success)
    with demo_db.connect() as c:
        assert c.execute(select(Dispute.status).where(Dispute.id == did)).scalar() == "rejected"


def test_calibration_shows_agreement_to_the_lead(demo_db):
    at = page("pages/qa_calibration.py")
    sign_in_state(at, demo_db, "demo_lead")
    at.run()
    assert not at.exception
    df = at.dataframe[-1].value
    assert len(df) == 8 and "κ" in df.columns or "kappa" in df.columns


def test_admin_page_tabs_per_role(demo_db):
    at = page("pages/qa_admin.py")
    sign_in_state(at, demo_db, "demo_manager")
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Rubric", "Month close"]
    at = page("pages/qa_admin.py")
    sign_in_state(at, demo_db, "demo_qa")
    at.run()
    assert [t.label for t in at.tabs] == ["Import chats", "Daily sampling", "Rubric"]


def test_workbench_reruns_the_checks_on_demand(demo_db):
    from db.models import ChatCheck

    at = page("pages/qa_workbench.py")
    sign_in_state(at, demo_db, "demo_qa")
    at.run()
    sid = at.selectbox[0].value
    with demo_db.connect() as c:
        chat_id = c.execute(select(Sample.chat_id).where(Sample.id == sid)).scalar()
        before = c.execute(select(ChatCheck.checked_at).where(ChatCheck.chat_id == chat_id)).scalar()
    at.button(key=f"qa_wb_recheck_{sid}").click()
    at.run()
    assert not at.exception
    with demo_db.connect() as c:
        after = c.execute(select(ChatCheck.checked_at).where(ChatCheck.chat_id == chat_id)).scalar()
    assert after > before


def test_results_tabs_each_show_their_content_when_opened(demo_db):
    """Only the open tab runs (its figures are read then); every tab shows its content once opened."""
    at = page("pages/qa_results.py")
    sign_in_state(at, demo_db, "demo_manager")
    at.run()
    assert not at.exception
    assert len(at.tabs[0].dataframe) == 1 and not at.tabs[2].children
    for i in range(5):
        at.session_state["qa_res_tab"] = at.tabs[i].label
        at.run()
        assert not at.exception
        assert at.tabs[i].children, i
        assert all(not at.tabs[j].children for j in range(5) if j != i), i
    at.session_state["qa_res_tab"] = at.tabs[2].label
    at.run()
    assert len(at.tabs[2].dataframe) == 1 and len(at.tabs[2].metric) == 6
    assert any("Automatic-check" in m.value or "自动" in m.value for m in at.tabs[2].markdown)
