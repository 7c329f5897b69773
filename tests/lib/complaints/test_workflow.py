"""The complaint state machine: allowed and refused transitions, and who may take them."""

import pytest

from lib.complaints import workflow
from lib.complaints.workflow import TransitionRefused, check_allowed, next_status

HANDLER = {"complaint_handler"}


@pytest.mark.parametrize("status, action, outcome, to", [
    ("accepted", "assign", None, "assigned"),
    ("assigned", "assign", None, "assigned"),
    ("handling", "assign", None, "handling"),
    ("assigned", "start", None, "handling"),
    ("handling", "reply", None, "replied"),
    ("replied", "follow_up", "satisfied", "followed_up"),
    ("replied", "follow_up", "unreachable", "followed_up"),
    ("replied", "follow_up", "not_satisfied", "handling"),  # an unsatisfied follow-up reopens it
    ("followed_up", "close", None, "closed"),
    ("handling", "note", None, "handling"),
    ("replied", "extend", None, "replied"),
])
def test_allowed(status, action, outcome, to):
    assert next_status(status, action, outcome) == to


@pytest.mark.parametrize("status, action", [
    ("accepted", "start"), ("accepted", "reply"), ("assigned", "reply"), ("handling", "close"),
    ("replied", "close"), ("followed_up", "reply"), ("closed", "assign"), ("closed", "reply"),
    ("closed", "note"), ("closed", "extend"), ("handling", "follow_up"), ("bogus", "assign"),
])
def test_refused(status, action):
    with pytest.raises(TransitionRefused):
        next_status(status, action, "satisfied")


def test_follow_up_needs_an_outcome():
    with pytest.raises(TransitionRefused):
        next_status("replied", "follow_up", None)


def test_roles_and_assignee():
    assert check_allowed("handling", "reply", HANDLER, is_assignee=True) == "replied"
    with pytest.raises(TransitionRefused, match="assigned handler"):
        check_allowed("handling", "reply", HANDLER, is_assignee=False)
    assert check_allowed("handling", "reply", {"admin"}, is_assignee=False) == "replied"
    with pytest.raises(TransitionRefused, match="roles"):
        check_allowed("handling", "reply", {"team_lead"}, is_assignee=True)
    with pytest.raises(TransitionRefused, match="roles"):
        check_allowed("handling", "extend", HANDLER, is_assignee=True)
    assert check_allowed("handling", "extend", {"manager"}, is_assignee=False) == "handling"
    with pytest.raises(TransitionRefused):
        check_allowed("accepted", "assign", {"agent"}, is_assignee=False)


def test_allowed_actions_for_buttons():
    assert workflow.allowed_actions("assigned", HANDLER, is_assignee=True) == [
        "assign", "start", "note", "dept_request", "dept_answer"]
    assert workflow.allowed_actions("assigned", HANDLER, is_assignee=False) == ["assign", "note"]
    assert workflow.allowed_actions("handling", {"team_lead"}, is_assignee=False) == ["assign", "note", "extend"]
    assert workflow.allowed_actions("closed", {"admin"}, is_assignee=False) == []
    assert set(workflow.allowed_actions("handling", HANDLER, is_assignee=True)) == {
        "assign", "reply", "note", "dept_request", "dept_answer"}
