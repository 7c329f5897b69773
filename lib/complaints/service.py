"""Every write to complaints: register, assign, the workflow actions, notes, department
requests and extensions. Each is one transaction that checks ``complaints.version``,
appends the event, writes the audit row and emits ``complaints_changed``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, insert, or_, select, update

from db.models import (
    Agent,
    Complaint,
    ComplaintEvent,
    ComplaintExtension,
    DepartmentRequest,
    RelationshipManager,
    User,
    UserRole,
)
from lib import audit
from lib import calendar as calendar_mod
from lib import settings as settings_mod
from lib.auth import CurrentUser
from lib.calendar import WorkCalendar, to_local
from lib.complaints import CHANNELS, DEPARTMENTS, OUTCOMES, SEVERITIES, clocks, rollup, workflow
from lib.i18n import t

C = Complaint.__table__.c
NARRATIVE_MAX = 10_000
NOTE_MAX = 4_000


class ComplaintError(ValueError):
    """Bad input; ``errors`` lists every problem found (already in the reader's language)."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors))


class StaleComplaint(RuntimeError):
    """Someone else changed the complaint since it was loaded; nothing was written."""


class ConflictOfInterest(ComplaintError):
    """The chosen handler is the person (or works at the branch) the complaint is about."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class NewComplaint:
    channel: str
    category: str
    narrative: str
    subcategory: str | None = None
    cause_code: str | None = None
    severity: str = "medium"
    client_id: int | None = None
    client_name: str | None = None
    product_id: int | None = None
    product_text: str | None = None
    regulator_referral: bool = False
    media_risk: bool = False
    vulnerable_customer: bool = False
    subject_agent_id: int | None = None
    subject_rm_id: int | None = None
    subject_branch: str | None = None
    dept_at_fault: str | None = None
    accepted_at: datetime | None = None
    external_id: str | None = None
    source: str = "form"
    company_response: str | None = None
    extra: dict = field(default_factory=dict)  # kept in the 'created' event (e.g. the CFPB columns we do not map)


def validate(new: NewComplaint, settings: Mapping[str, Any], *, lang: str | None = None,
             now: datetime | None = None) -> list[str]:
    """Every problem with ``new`` as a sentence; empty when it may be registered."""
    errs: list[str] = []
    cats = settings["complaints.categories"]
    if new.channel not in CHANNELS:
        errs.append(t("complaints.err.channel", lang, value=new.channel, allowed=", ".join(CHANNELS)))
    if new.category not in cats:
        errs.append(t("complaints.err.category", lang, value=new.category, allowed=", ".join(cats)))
    elif new.subcategory and new.subcategory not in cats[new.category]:
        errs.append(t("complaints.err.subcategory", lang, value=new.subcategory,
                      allowed=", ".join(cats[new.category])))
    if new.cause_code and new.cause_code not in settings["complaints.causes"]:
        errs.append(t("complaints.err.cause", lang, value=new.cause_code,
                      allowed=", ".join(settings["complaints.causes"])))
    if new.severity not in SEVERITIES:
        errs.append(t("complaints.err.severity", lang, value=new.severity))
    if not (new.narrative or "").strip():
        errs.append(t("complaints.err.narrative_empty", lang))
    elif len(new.narrative) > NARRATIVE_MAX:
        errs.append(t("complaints.err.too_long", lang, field="narrative", max=NARRATIVE_MAX))
    if new.client_id is None and not (new.client_name or "").strip():
        errs.append(t("complaints.err.client", lang))
    for fname, limit in (("client_name", 128), ("product_text", 128), ("subject_branch", 64),
                         ("dept_at_fault", 64), ("external_id", 64), ("company_response", 128),
                         ("subcategory", 96)):
        v = getattr(new, fname)
        if v is not None and len(str(v)) > limit:
            errs.append(t("complaints.err.too_long", lang, field=fname, max=limit))
    if new.dept_at_fault and new.dept_at_fault not in DEPARTMENTS and new.source == "form":
        errs.append(t("complaints.err.department", lang, value=new.dept_at_fault))
    if any("\x00" in str(getattr(new, f) or "") for f in ("narrative", "client_name", "product_text")):
        errs.append(t("complaints.err.nul", lang))
    now = now or utcnow()
    if new.accepted_at is not None and new.accepted_at > now + timedelta(minutes=5):
        errs.append(t("complaints.err.future", lang))
    return errs


# --- helpers ---------------------------------------------------------------------------------

# Core statements built once: parameters are bound per call (fast for imports)
_EVENT_INSERT = ComplaintEvent.__table__.insert()
_COMPLAINT_INSERT = Complaint.__table__.insert().returning(Complaint.__table__.c.id)
_SET_REF = update(Complaint.__table__).where(Complaint.__table__.c.id == bindparam("cid")).values(
    ref_no=bindparam("ref"))


def _event(conn, complaint_id: int, at: datetime, actor: int | None, kind: str, frm: str | None = None,
           to: str | None = None, detail: dict | None = None) -> None:
    conn.execute(_EVENT_INSERT, {
        "complaint_id": complaint_id, "at": at, "actor_user_id": actor, "kind": kind, "from_status": frm,
        "to_status": to, "detail_json": None if detail is None else json.dumps(detail, ensure_ascii=False, default=str)})


def _audit(conn, user: CurrentUser | None, action: str, cid, detail: dict | None = None, at=None) -> None:
    audit.record(conn, user_id=user.id if user else None, username=user.username if user else None,
                 action=f"complaint.{action}", entity="complaint", entity_id=cid, detail=detail, at=at)


def _context(engine_or_conn) -> tuple[settings_mod.Settings, WorkCalendar]:
    eng = engine_or_conn if isinstance(engine_or_conn, Engine) else engine_or_conn.engine
    s = settings_mod.load(eng)
    return s, calendar_mod.load(eng, s["calendar.weekend_days"])


def _load(conn, complaint_id: int):
    row = conn.execute(select(Complaint.__table__).where(C.id == complaint_id)).mappings().first()
    if row is None:
        raise ComplaintError(t("complaints.err.not_found", id=complaint_id))
    return row


def _check_version(row, expected_version: int | None) -> None:
    if expected_version is not None and row["version"] != expected_version:
        raise StaleComplaint(t("complaints.err.stale"))


def _update(conn, row, values: dict) -> int:
    """Conditional update on the loaded version; returns the new version or raises StaleComplaint."""
    new_version = row["version"] + 1
    rollup.before_change(conn, [row["id"]])
    res = conn.execute(update(Complaint).where(C.id == row["id"], C.version == row["version"])
                       .values(**values, version=new_version))
    if res.rowcount != 1:
        rollup.after_change(conn, [row["id"]])  # unchanged by us: its contribution goes back
        raise StaleComplaint(t("complaints.err.stale"))
    return new_version


def _due(status, reply_due_at, follow_up_due_at, outer_due_at):
    return clocks.due_at(status, reply_due_at, follow_up_due_at, outer_due_at)


def find_repeat_of(conn, *, client_id, client_name, product_id, product_text, category, accepted_at,
                   window_days: int, exclude_id: int | None = None) -> int | None:
    """The latest earlier complaint of the same client within ``window_days`` on the same
    product or category (domain.md §2 repeat complaints), or None."""
    if client_id is None and not client_name:
        return None
    who = C.client_id == client_id if client_id is not None else and_(C.client_id.is_(None),
                                                                      C.client_name == client_name)
    same = [C.category == category]
    if product_id is not None:
        same.append(C.product_id == product_id)
    elif product_text:
        same.append(C.product_text == product_text)
    q = (select(C.id).where(who, or_(*same), C.accepted_at <= accepted_at,
                            C.accepted_at >= accepted_at - timedelta(days=window_days))
         .order_by(C.accepted_at.desc(), C.id.desc()).limit(1))
    if exclude_id is not None:
        q = q.where(C.id != exclude_id)
    return conn.execute(q).scalar()


def insert_complaint(conn, new: NewComplaint, *, actor: CurrentUser | None, now: datetime,
                     settings: Mapping[str, Any], cal: WorkCalendar, emit: bool = True,
                     audit_each: bool = True) -> int:
    """Insert a validated complaint with its clocks, repeat link and 'created' event (caller's transaction)."""
    accepted = new.accepted_at or now
    pol = clocks.policy_for(settings, new.category)
    r_due = clocks.reply_due(accepted, pol, cal)
    o_due = clocks.outer_due(accepted, pol, cal, 0)
    branch = new.subject_branch
    if branch is None and new.subject_agent_id is not None:
        branch = conn.execute(select(Agent.branch).where(Agent.id == new.subject_agent_id)).scalar()
    if branch is None and new.subject_rm_id is not None:
        branch = conn.execute(select(RelationshipManager.branch)
                              .where(RelationshipManager.id == new.subject_rm_id)).scalar()
    client_name = (new.client_name or "").strip() or None
    if new.client_id is not None and client_name is None:
        from db.models import Client

        client_name = conn.execute(select(Client.name).where(Client.id == new.client_id)).scalar()
    repeat_of = find_repeat_of(conn, client_id=new.client_id, client_name=client_name, product_id=new.product_id,
                               product_text=new.product_text, category=new.category, accepted_at=accepted,
                               window_days=settings["complaints.repeat_window_days"])
    cid = conn.execute(_COMPLAINT_INSERT, dict(
        ref_no=f"tmp-{uuid.uuid4().hex[:24]}", external_id=new.external_id, source=new.source,
        channel=new.channel, client_id=new.client_id, client_name=client_name, product_id=new.product_id,
        product_text=new.product_text, category=new.category, subcategory=new.subcategory or None,
        cause_code=new.cause_code or None, narrative=new.narrative, severity=new.severity,
        regulator_referral=bool(new.regulator_referral or new.channel == "regulator"),
        media_risk=bool(new.media_risk or new.channel == "media"),
        vulnerable_customer=bool(new.vulnerable_customer), status="accepted", accepted_at=accepted,
        subject_agent_id=new.subject_agent_id, subject_rm_id=new.subject_rm_id, subject_branch=branch,
        dept_at_fault=new.dept_at_fault or None, reply_due_at=r_due, outer_due_at=o_due,
        due_at=_due("accepted", r_due, None, o_due), escalation_level=0, repeat_of_id=repeat_of,
        company_response=new.company_response, created_by=actor.id if actor else None, version=1,
        assigned_to=None, team_id=None, replied_at=None, follow_up_due_at=None, followed_up_at=None,
        follow_up_outcome=None, reply_on_time=None, follow_up_on_time=None, closed_at=None,
    )).scalar_one()
    ref = f"TS{to_local(accepted, settings['ui.timezone']):%Y%m%d}{cid:07d}"
    conn.execute(_SET_REF, {"ref": ref, "cid": cid})
    detail = {"ref_no": ref, "source": new.source, "channel": new.channel, "category": new.category}
    if repeat_of:
        detail["repeat_of_id"] = repeat_of
    if new.extra:
        detail["extra"] = new.extra
    _event(conn, cid, now, actor.id if actor else None, "created", None, "accepted", detail)
    if audit_each:  # an import writes one audit row for the whole file instead
        _audit(conn, actor, "register", cid, {"ref_no": ref, "source": new.source, "external_id": new.external_id})
    if emit:
        rollup.changed(conn, [cid])
    return cid


def register(engine: Engine, user: CurrentUser, new: NewComplaint, *, now: datetime | None = None,
             auto_assign: bool = False) -> int:
    """Register a complaint from the form; raises ComplaintError listing every problem."""
    if not (workflow.ACTION_ROLES["register"] & user.roles):
        raise ComplaintError(t("complaints.err.role"))
    now = now or utcnow()
    s, cal = _context(engine)
    errs = validate(new, s, now=now)
    if errs:
        raise ComplaintError(errs)
    with engine.begin() as conn:
        cid = insert_complaint(conn, new, actor=user, now=now, settings=s, cal=cal)
        if auto_assign:
            row = _load(conn, cid)
            _assign_one(conn, user, row, None, now, _workloads(conn))
    return cid


# --- assignment ------------------------------------------------------------------------------

def _handlers(conn) -> list[dict]:
    q = (select(User.id, User.display_name, User.branch, User.team_id)
         .join(UserRole, UserRole.user_id == User.id)
         .where(UserRole.role == "complaint_handler", User.is_active.is_(True)).order_by(User.id))
    return [dict(r._mapping) for r in conn.execute(q)]


def _workloads(conn) -> dict[int, int]:
    # grouped on an expression so that the small index of open complaints is read, not the
    # (assignee, due) index of every complaint (SQLite l: 33-58 -> 4-11 ms)
    who = func.coalesce(C.assigned_to, 0)
    q = select(who, func.count()).where(C.due_at.is_not(None), C.assigned_to.is_not(None)).group_by(who)
    return {uid: n for uid, n in conn.execute(q)}


def conflict_reason(conn, row: Mapping, handler_id: int) -> str | None:
    """Why ``handler_id`` may not handle the complaint ``row`` (None when they may)."""
    h = conn.execute(select(User.id, User.branch).where(User.id == handler_id)).first()
    if h is None:
        return t("complaints.err.no_such_handler")
    if row["subject_agent_id"] is not None:
        agent_user = conn.execute(select(Agent.user_id).where(Agent.id == row["subject_agent_id"])).scalar()
        if agent_user == handler_id:
            return t("complaints.err.coi_person")
    if row["subject_rm_id"] is not None:
        rm_user = conn.execute(select(RelationshipManager.user_id)
                               .where(RelationshipManager.id == row["subject_rm_id"])).scalar()
        if rm_user == handler_id:
            return t("complaints.err.coi_person")
    if row["subject_branch"] and h.branch and h.branch == row["subject_branch"]:
        return t("complaints.err.coi_branch", branch=row["subject_branch"])
    return None


def _is_handler(conn, user_id: int) -> bool:
    return conn.execute(select(UserRole.user_id).where(UserRole.user_id == user_id,
                                                       UserRole.role == "complaint_handler")).first() is not None


def pick_balanced(conn, row: Mapping, workloads: dict[int, int]) -> int:
    """The handler with the fewest open complaints who has no conflict of interest (ties: lowest id)."""
    best = None
    for h in _handlers(conn):
        if conflict_reason(conn, row, h["id"]):
            continue
        k = (workloads.get(h["id"], 0), h["id"])
        if best is None or k < best:
            best = k
    if best is None:
        raise ConflictOfInterest(t("complaints.err.no_candidate"))
    return best[1]


def _assign_one(conn, user: CurrentUser, row, to_user_id: int | None, now: datetime,
                workloads: dict[int, int]) -> tuple[int, int]:
    workflow.check_allowed(row["status"], "assign", user.roles, is_assignee=row["assigned_to"] == user.id)
    balanced = to_user_id is None
    if to_user_id is None:
        to_user_id = pick_balanced(conn, row, workloads)
    else:
        if not _is_handler(conn, to_user_id):
            raise ComplaintError(t("complaints.err.no_such_handler"))
        why = conflict_reason(conn, row, to_user_id)
        if why:
            raise ConflictOfInterest(why)
    if to_user_id == row["assigned_to"]:
        return to_user_id, row["version"]
    to_status = workflow.next_status(row["status"], "assign")
    team = conn.execute(select(User.team_id).where(User.id == to_user_id)).scalar()
    v = _update(conn, row, {"assigned_to": to_user_id, "team_id": team, "status": to_status,
                            "due_at": _due(to_status, row["reply_due_at"], row["follow_up_due_at"],
                                           row["outer_due_at"])})
    kind = "assigned"
    detail = {"to_user_id": to_user_id, "from_user_id": row["assigned_to"], "balanced": balanced}
    _event(conn, row["id"], now, user.id, kind, row["status"], to_status, detail)
    _audit(conn, user, "assign", row["id"], detail)
    workloads[to_user_id] = workloads.get(to_user_id, 0) + 1
    if row["assigned_to"] is not None:
        workloads[row["assigned_to"]] = max(0, workloads.get(row["assigned_to"], 0) - 1)
    return to_user_id, v


def assign(engine: Engine, user: CurrentUser, complaint_id: int, expected_version: int | None,
           to_user_id: int | None = None, *, now: datetime | None = None) -> int:
    """Assign (or reassign) one complaint; ``to_user_id`` None balances by open workload. Returns the handler."""
    now = now or utcnow()
    with engine.begin() as conn:
        row = _load(conn, complaint_id)
        _check_version(row, expected_version)
        uid, _v = _assign_one(conn, user, row, to_user_id, now, _workloads(conn))
        rollup.changed(conn, [complaint_id])
    return uid


@dataclass
class BulkResult:
    assigned: dict[int, int] = field(default_factory=dict)  # complaint id -> handler
    refused: dict[int, str] = field(default_factory=dict)  # complaint id -> why


def bulk_assign(engine: Engine, user: CurrentUser, items: Iterable[tuple[int, int]], to_user_id: int | None = None,
                *, now: datetime | None = None) -> BulkResult:
    """Assign several complaints (id, version) in one transaction; the ones that cannot be
    (changed meanwhile, conflict of interest, closed) are listed with the reason and left alone."""
    now = now or utcnow()
    res = BulkResult()
    with engine.begin() as conn:
        loads = _workloads(conn)
        for cid, version in items:
            try:
                row = _load(conn, cid)
                _check_version(row, version)
                # every check happens before the one UPDATE, so a refused item writes nothing
                uid, _v = _assign_one(conn, user, row, to_user_id, now, loads)
                res.assigned[cid] = uid
            except (ComplaintError, StaleComplaint, workflow.TransitionRefused) as exc:
                res.refused[cid] = str(exc)
        if res.assigned:
            rollup.changed(conn, list(res.assigned))
    return res


# --- workflow actions ------------------------------------------------------------------------

def transition(engine: Engine, user: CurrentUser, complaint_id: int, action: str, expected_version: int | None, *,
               text: str | None = None, outcome: str | None = None, cause_code: str | None = None,
               dept_at_fault: str | None = None, now: datetime | None = None) -> int:
    """Take a workflow action (start, reply, follow_up, close); returns the new version.

    Raises TransitionRefused (state or role), ComplaintError (bad input) or
    StaleComplaint (someone else changed it first: nothing written, the caller keeps its input).
    """
    if action not in ("start", "reply", "follow_up", "close"):
        raise workflow.TransitionRefused(f"unknown action {action!r}")
    now = now or utcnow()
    s, cal = _context(engine)
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise ComplaintError(t("complaints.err.too_long", field="text", max=NOTE_MAX))
    if action == "reply" and not text:
        raise ComplaintError(t("complaints.err.reply_text"))
    if action == "follow_up" and outcome not in OUTCOMES:
        raise ComplaintError(t("complaints.err.outcome"))
    if cause_code and cause_code not in s["complaints.causes"]:
        raise ComplaintError(t("complaints.err.cause", value=cause_code, allowed=", ".join(s["complaints.causes"])))
    if dept_at_fault and dept_at_fault not in DEPARTMENTS:
        raise ComplaintError(t("complaints.err.department", value=dept_at_fault))
    with engine.begin() as conn:
        row = _load(conn, complaint_id)
        _check_version(row, expected_version)
        to = workflow.check_allowed(row["status"], action, user.roles, is_assignee=row["assigned_to"] == user.id,
                                    outcome=outcome)
        pol = clocks.policy_for(s, row["category"])
        vals: dict[str, Any] = {"status": to}
        r_due, f_due = row["reply_due_at"], row["follow_up_due_at"]
        if action == "reply":
            if row["replied_at"] is None:
                vals["replied_at"] = now
                vals["reply_on_time"] = clocks.on_time(now, r_due)
            f_due = clocks.follow_up_due(now, pol, cal)
            vals["follow_up_due_at"] = f_due
            if cause_code:
                vals["cause_code"] = cause_code
            if dept_at_fault:
                vals["dept_at_fault"] = dept_at_fault
        elif action == "follow_up":
            if row["followed_up_at"] is None:
                # the first follow-up is the one the clocks and the satisfaction figures count;
                # later ones (after a reopening) are events
                vals["follow_up_outcome"] = outcome
                vals["followed_up_at"] = now
                vals["follow_up_on_time"] = clocks.on_time(now, f_due)
            if to == "handling":  # not satisfied: reopened, a fresh reply clock
                r_due = clocks.reply_due(now, pol, cal)
                vals["reply_due_at"] = r_due
                f_due = None
                vals["follow_up_due_at"] = None
        elif action == "close":
            vals["closed_at"] = now
        vals["due_at"] = _due(to, r_due, f_due, row["outer_due_at"])
        if to != "closed" and vals["due_at"] is not None and vals["due_at"] > now:
            vals["escalation_level"] = 0  # a fresh clock ends the supervision of the old one
        v = _update(conn, row, vals)
        detail: dict[str, Any] = {}
        if text:
            detail["text"] = text
        if outcome:
            detail["outcome"] = outcome
        if action == "reply":
            detail["on_time"] = vals.get("reply_on_time")
        if cause_code:
            detail["cause_code"] = cause_code
        if dept_at_fault:
            detail["dept_at_fault"] = dept_at_fault
        kind = "follow_up" if action == "follow_up" else "status"
        _event(conn, complaint_id, now, user.id, kind, row["status"], to, detail or None)
        _audit(conn, user, action, complaint_id, {"from": row["status"], "to": to, **({"outcome": outcome}
                                                                                       if outcome else {})})
        rollup.changed(conn, [complaint_id])
    return v


def add_note(engine: Engine, user: CurrentUser, complaint_id: int, text: str, *, now: datetime | None = None) -> None:
    """Append a note (an event; the complaint row is unchanged)."""
    text = (text or "").strip()
    if not text:
        raise ComplaintError(t("complaints.err.note_empty"))
    if len(text) > NOTE_MAX:
        raise ComplaintError(t("complaints.err.too_long", field="note", max=NOTE_MAX))
    now = now or utcnow()
    with engine.begin() as conn:
        row = _load(conn, complaint_id)
        if not (workflow.ACTION_ROLES["note"] & user.roles):
            raise workflow.TransitionRefused(t("complaints.err.role"))
        _event(conn, complaint_id, now, user.id, "note", row["status"], row["status"], {"text": text})
        _audit(conn, user, "note", complaint_id)


def request_department(engine: Engine, user: CurrentUser, complaint_id: int, department: str, due: datetime,
                       text: str, *, now: datetime | None = None) -> int:
    """Ask another department to act, with its own deadline (督办 against the work order)."""
    now = now or utcnow()
    if department not in DEPARTMENTS:
        raise ComplaintError(t("complaints.err.department", value=department))
    if due <= now:
        raise ComplaintError(t("complaints.err.dept_due"))
    text = (text or "").strip()
    if not text or len(text) > NOTE_MAX:
        raise ComplaintError(t("complaints.err.note_empty"))
    with engine.begin() as conn:
        row = _load(conn, complaint_id)
        workflow.check_allowed(row["status"], "dept_request", user.roles, is_assignee=row["assigned_to"] == user.id)
        rid = conn.execute(insert(DepartmentRequest).values(
            complaint_id=complaint_id, department=department, asked_by=user.id, asked_at=now, due_at=due,
        ).returning(DepartmentRequest.id)).scalar_one()
        detail = {"request_id": rid, "department": department, "due_at": due.isoformat(), "text": text}
        _event(conn, complaint_id, now, user.id, "dept_request", row["status"], row["status"], detail)
        _audit(conn, user, "dept_request", complaint_id, {"request_id": rid, "department": department})
    return rid


def answer_department(engine: Engine, user: CurrentUser, request_id: int, answer: str, *,
                      now: datetime | None = None) -> None:
    now = now or utcnow()
    answer = (answer or "").strip()
    if not answer or len(answer) > NOTE_MAX:
        raise ComplaintError(t("complaints.err.note_empty"))
    with engine.begin() as conn:
        req = conn.execute(select(DepartmentRequest).where(DepartmentRequest.id == request_id)).first()
        if req is None:
            raise ComplaintError(t("complaints.err.not_found", id=request_id))
        if req.answered_at is not None:
            raise ComplaintError(t("complaints.err.dept_answered"))
        row = _load(conn, req.complaint_id)
        workflow.check_allowed(row["status"], "dept_answer", user.roles, is_assignee=row["assigned_to"] == user.id)
        res = conn.execute(update(DepartmentRequest).where(DepartmentRequest.id == request_id,
                                                            DepartmentRequest.answered_at.is_(None))
                           .values(answered_at=now, answer=answer))
        if res.rowcount != 1:
            raise StaleComplaint(t("complaints.err.stale"))
        detail = {"request_id": request_id, "department": req.department, "text": answer,
                  "on_time": now <= req.due_at}
        _event(conn, row["id"], now, user.id, "dept_answer", row["status"], row["status"], detail)
        _audit(conn, user, "dept_answer", row["id"], {"request_id": request_id})


def extend(engine: Engine, user: CurrentUser, complaint_id: int, expected_version: int | None, reason: str,
           customer_told_at: datetime, *, now: datetime | None = None) -> datetime:
    """Approve the next extension of the regulator's outer limit; returns the new limit."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise ComplaintError(t("complaints.err.extension_reason"))
    if len(reason) > NOTE_MAX:
        raise ComplaintError(t("complaints.err.too_long", field="reason", max=NOTE_MAX))
    if customer_told_at > now + timedelta(minutes=5):
        raise ComplaintError(t("complaints.err.future"))
    s, cal = _context(engine)
    with engine.begin() as conn:
        row = _load(conn, complaint_id)
        _check_version(row, expected_version)
        workflow.check_allowed(row["status"], "extend", user.roles, is_assignee=row["assigned_to"] == user.id)
        pol = clocks.policy_for(s, row["category"])
        granted = conn.execute(select(func.count()).select_from(ComplaintExtension)
                               .where(ComplaintExtension.complaint_id == complaint_id)).scalar() or 0
        days = clocks.next_extension_days(pol, granted)
        if days is None:
            raise ComplaintError(t("complaints.err.no_more_extensions", n=granted))
        new_outer = clocks.outer_due(row["accepted_at"], pol, cal, granted + 1)
        conn.execute(insert(ComplaintExtension).values(
            complaint_id=complaint_id, days=days, approved_by=user.id, approved_at=now, reason=reason,
            customer_told_at=customer_told_at, new_outer_due_at=new_outer))
        due = _due(row["status"], row["reply_due_at"], row["follow_up_due_at"], new_outer)
        vals = {"outer_due_at": new_outer, "due_at": due}
        if due is not None and due > now:
            vals["escalation_level"] = 0
        _update(conn, row, vals)
        detail = {"days": days, "reason": reason, "customer_told_at": customer_told_at.isoformat(),
                  "new_outer_due_at": new_outer.isoformat(), "approved_by": user.id}
        _event(conn, complaint_id, now, user.id, "extension", row["status"], row["status"], detail)
        _audit(conn, user, "extend", complaint_id, detail)
        rollup.changed(conn, [complaint_id])
    return new_outer


def handlers(engine: Engine) -> list[dict]:
    """Active complaint handlers with their open workload (for assignment pickers)."""
    with engine.connect() as conn:
        loads = _workloads(conn)
        return [h | {"open": loads.get(h["id"], 0)} for h in _handlers(conn)]


def suggest_dept_due(engine: Engine, now: datetime | None = None) -> datetime:
    """A department's default deadline (local time): within the complaint's reply clock from now."""
    s, cal = _context(engine)
    pol = clocks.policy_for(s, None)
    return to_local(clocks.reply_due(now or utcnow(), pol, cal), s["ui.timezone"]).replace(second=0, microsecond=0)
