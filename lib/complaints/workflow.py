"""The department's complaint workflow as one state machine (domain.md §2).

accepted (客服受理) → assigned (投诉专员) → handling (核实处理, other departments
asked) → replied (回复顾客) → followed_up (回访, with its outcome) → closed.
An unsatisfied follow-up reopens the complaint (back to handling). Reassignment
keeps the status. Notes, department requests and extensions do not move it.
"""

from __future__ import annotations

from collections.abc import Iterable

STATUSES = ("accepted", "assigned", "handling", "replied", "followed_up", "closed")
OPEN_STATUSES = STATUSES[:-1]

# actions that move the status: (from, action) -> to
TRANSITIONS: dict[tuple[str, str], str] = {
    ("accepted", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("handling", "assign"): "handling",
    ("replied", "assign"): "replied",
    ("followed_up", "assign"): "followed_up",
    ("assigned", "start"): "handling",
    ("handling", "reply"): "replied",
    ("replied", "follow_up"): "followed_up",  # satisfied | unreachable
    ("followed_up", "close"): "closed",
}
REOPEN = ("replied", "follow_up", "not_satisfied")  # → handling

# actions that leave the status alone, allowed on any open complaint
SIDE_ACTIONS = ("note", "dept_request", "dept_answer", "extend")

# who may do what (beyond seeing the complaint at all)
ACTION_ROLES: dict[str, frozenset[str]] = {
    "register": frozenset({"complaint_handler", "admin"}),
    "import": frozenset({"complaint_handler", "admin"}),
    "assign": frozenset({"complaint_handler", "team_lead", "manager", "admin"}),
    "start": frozenset({"complaint_handler", "admin"}),
    "reply": frozenset({"complaint_handler", "admin"}),
    "follow_up": frozenset({"complaint_handler", "admin"}),
    "close": frozenset({"complaint_handler", "admin"}),
    "note": frozenset({"complaint_handler", "team_lead", "manager", "admin"}),
    "dept_request": frozenset({"complaint_handler", "admin"}),
    "dept_answer": frozenset({"complaint_handler", "admin"}),
    # an extension of the regulator's limit is approved by a supervisor
    "extend": frozenset({"team_lead", "manager", "admin"}),
}
# handling actions only the assignee (or an administrator) takes
ASSIGNEE_ONLY = frozenset({"start", "reply", "follow_up", "close", "dept_request", "dept_answer"})
ACTIONS = tuple(ACTION_ROLES)


class TransitionRefused(ValueError):
    """The action is not allowed in this state or for this user; the message says why."""


def next_status(status: str, action: str, outcome: str | None = None) -> str:
    """The status after ``action``; raises TransitionRefused when the machine does not allow it."""
    if status not in STATUSES:
        raise TransitionRefused(f"unknown status {status!r}")
    if action in SIDE_ACTIONS:
        if status == "closed":
            raise TransitionRefused("a closed complaint takes no further action")
        return status
    if action == "follow_up":
        if outcome not in ("satisfied", "not_satisfied", "unreachable"):
            raise TransitionRefused("a follow-up needs its outcome: satisfied, not satisfied or unreachable")
        if status == "replied" and outcome == "not_satisfied":
            return "handling"
    to = TRANSITIONS.get((status, action))
    if to is None:
        raise TransitionRefused(f"{action!r} is not allowed while the complaint is {status!r}")
    return to


def allowed_actions(status: str, roles: Iterable[str], *, is_assignee: bool) -> list[str]:
    """Actions this user may take on a complaint in ``status`` (for the buttons a page offers)."""
    roles = set(roles)
    out = []
    for action in ACTIONS:
        if action in ("register", "import"):
            continue
        if not (ACTION_ROLES[action] & roles):
            continue
        if action in ASSIGNEE_ONLY and not is_assignee and "admin" not in roles:
            continue
        try:
            next_status(status, action, "satisfied" if action == "follow_up" else None)
        except TransitionRefused:
            continue
        out.append(action)
    return out


def check_allowed(status: str, action: str, roles: Iterable[str], *, is_assignee: bool,
                  outcome: str | None = None) -> str:
    """The next status, or TransitionRefused naming the reason (state or role)."""
    roles = set(roles)
    if action not in ACTION_ROLES:
        raise TransitionRefused(f"unknown action {action!r}")
    if not (ACTION_ROLES[action] & roles):
        raise TransitionRefused(f"your roles do not allow {action!r}")
    if action in ASSIGNEE_ONLY and not is_assignee and "admin" not in roles:
        raise TransitionRefused("only the assigned handler works this complaint; assign it to yourself first")
    return next_status(status, action, outcome)
