"""Reading complaints: the queue (saved views, filters, keyset paging), one complaint in
full, and the look-ups the register form needs. Every query is scoped to the viewer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from db.models import (
    Agent,
    Client,
    Complaint,
    ComplaintEvent,
    ComplaintExtension,
    DepartmentRequest,
    Product,
    RelationshipManager,
    User,
)
from lib import masking
from lib import settings as settings_mod
from lib.auth import CurrentUser
from lib.calendar import to_local
from lib.complaints import clocks, scope, workflow
from lib.i18n import current_language

C = Complaint.__table__.c
VIEWS = ("mine", "team", "unassigned", "due_soon", "overdue", "follow_up", "flagged", "escalated", "open", "closed")


@dataclass(frozen=True)
class QueueFilter:
    view: str = "open"
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    search: str = ""
    assignee_id: int | None = None


@dataclass
class QueuePage:
    rows: pd.DataFrame
    next_cursor: tuple | None  # pass as ``after`` for the next page
    extra: dict = field(default_factory=dict)


def _view_clause(user: CurrentUser, view: str, now: datetime, due_soon_h: float):
    """What a saved view adds to 'open' (None: nothing; 'closed' is handled by the caller)."""
    if view == "mine":
        return C.assigned_to == user.id
    if view == "team":
        teams = list(user.led_team_ids) + ([user.team_id] if user.team_id else [])
        return C.team_id.in_(teams or [-1])
    if view == "unassigned":
        return C.assigned_to.is_(None)
    if view == "due_soon":
        return and_(C.due_at >= now, C.due_at <= now + timedelta(hours=due_soon_h))
    if view == "overdue":
        return C.due_at < now
    if view == "follow_up":
        return C.status == "replied"
    if view == "flagged":
        return or_(C.regulator_referral.is_(True), C.media_risk.is_(True))
    if view == "escalated":
        return C.escalation_level > 0
    return None


def _conditions(user: CurrentUser, flt: QueueFilter, now: datetime, due_soon_h: float) -> list:
    v = flt.view
    if v not in VIEWS:
        raise ValueError(f"unknown view {v!r}")
    conds = [scope.clause(user, open_only=v != "closed")]
    if v == "closed":
        conds.append(C.due_at.is_(None))
    else:
        conds.append(C.due_at.is_not(None))  # open (due_at is set exactly while a complaint is open)
        extra = _view_clause(user, v, now, due_soon_h)
        if extra is not None:
            conds.append(extra)
    if flt.channels:
        conds.append(C.channel.in_(flt.channels))
    if flt.categories:
        conds.append(C.category.in_(flt.categories))
    if flt.statuses:
        conds.append(C.status.in_(flt.statuses))
    if flt.assignee_id is not None:
        conds.append(C.assigned_to == flt.assignee_id)
    text = (flt.search or "").strip()
    if text:
        conds.append(or_(C.ref_no.contains(text, autoescape=True), C.client_name.contains(text, autoescape=True),
                         C.external_id.contains(text, autoescape=True)))
    return conds


def queue_page(engine: Engine, user: CurrentUser, flt: QueueFilter, *, after: tuple | None = None,
               limit: int | None = None, now: datetime | None = None) -> QueuePage:
    """One page of the queue, sorted by due time (closed: newest first), keyset-paged."""
    from lib.complaints.service import utcnow

    s = settings_mod.load(engine)
    now = now or utcnow()
    limit = limit or s["ui.page_size"]
    conds = _conditions(user, flt, now, s["complaints.due_soon_hours"])
    assignee = aliased(User)
    cols = [C.id, C.ref_no, C.status, C.channel, C.category, C.subcategory, C.client_name, C.severity,
            C.regulator_referral, C.media_risk, C.vulnerable_customer, C.accepted_at, C.reply_due_at,
            C.follow_up_due_at, C.outer_due_at, C.due_at, C.closed_at, C.escalation_level, C.repeat_of_id,
            C.assigned_to, assignee.display_name.label("assignee"), C.version]
    q = select(*cols).select_from(Complaint.__table__.outerjoin(assignee, assignee.id == C.assigned_to))
    if flt.view == "closed":
        key_col = C.closed_at
        if after is not None:
            conds.append(tuple_(key_col, C.id) < tuple_(*after))
        q = q.where(*conds).order_by(key_col.desc(), C.id.desc())
    else:
        key_col = C.due_at
        if after is not None:
            conds.append(tuple_(key_col, C.id) > tuple_(*after))
        q = q.where(*conds).order_by(key_col, C.id)
    with engine.connect() as conn:
        rows = conn.execute(q.limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    df = _frame(rows, now, s["ui.timezone"], s["complaints.due_soon_hours"])
    nxt = None
    if more and rows:
        last = rows[-1]
        nxt = (last["closed_at"] if flt.view == "closed" else last["due_at"], last["id"])
    return QueuePage(df, nxt)


QUEUE_COLUMNS = ["id", "ref_no", "link", "status", "channel", "category", "client_name", "severity", "flags",
                 "accepted_at", "due_kind", "due_at", "time_left", "overdue", "hours_left", "assignee",
                 "escalation_level", "repeat", "version"]


def _frame(rows, now: datetime, tz: str, due_soon_h: float) -> pd.DataFrame:
    lang = current_language()
    out = []
    for r in rows:
        kind, due = clocks.active_clock(r["status"], r["reply_due_at"], r["follow_up_due_at"], r["outer_due_at"])
        left = clocks.time_left(due, now)
        flags = "".join([
            "⚖" if r["regulator_referral"] else "",
            "📰" if r["media_risk"] else "",
            "♿" if r["vulnerable_customer"] else "",
            "↻" if r["repeat_of_id"] else "",
        ])
        out.append({
            "id": r["id"], "ref_no": r["ref_no"], "link": f"complaints-detail?ref={r['ref_no']}",
            "status": r["status"], "channel": r["channel"], "category": r["category"],
            "client_name": r["client_name"], "severity": r["severity"], "flags": flags,
            "accepted_at": to_local(r["accepted_at"], tz),
            "due_kind": kind or "", "due_at": to_local(due, tz) if due else None,
            "time_left": clocks.format_left(left, lang), "overdue": bool(left is not None and left.total_seconds() < 0),
            "hours_left": None if left is None else round(left.total_seconds() / 3600, 1),
            "assignee": r["assignee"], "escalation_level": r["escalation_level"],
            "repeat": r["repeat_of_id"] is not None, "version": r["version"],
        })
    return pd.DataFrame(out, columns=QUEUE_COLUMNS)


def view_counts(engine: Engine, user: CurrentUser, now: datetime | None = None) -> dict[str, int]:
    """How many open complaints each saved view holds for this viewer: one pass over the open
    complaints in scope (the due-time index), each view a conditional sum."""
    from lib.complaints.service import utcnow

    s = settings_mod.load(engine)
    now = now or utcnow()
    h = s["complaints.due_soon_hours"]
    cols = [func.count().label("open")]
    for v in VIEWS:
        cond = _view_clause(user, v, now, h)
        if cond is not None:
            cols.append(func.sum(case((cond, 1), else_=0)).label(v))
    with engine.connect() as conn:
        row = conn.execute(select(*cols).select_from(Complaint).where(
            *_conditions(user, QueueFilter(view="open"), now, h))).mappings().one()
    return {v: int(row[v] or 0) for v in VIEWS if v != "closed"}


def count(engine: Engine, user: CurrentUser, flt: QueueFilter, now: datetime | None = None) -> int:
    from lib.complaints.service import utcnow

    s = settings_mod.load(engine)
    conds = _conditions(user, flt, now or utcnow(), s["complaints.due_soon_hours"])
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Complaint).where(*conds)).scalar() or 0


# --- one complaint ---------------------------------------------------------------------------

def find_id(engine: Engine, user: CurrentUser, ref: str) -> int | None:
    """The id of the complaint with reference ``ref`` (or numeric id) if the viewer may see it."""
    ref = (ref or "").strip()
    if not ref:
        return None
    cond = C.ref_no == ref
    if ref.isdigit() and len(ref) < 12:
        cond = or_(cond, C.id == int(ref))
    with engine.connect() as conn:
        return conn.execute(select(C.id).where(cond, scope.clause(user)).limit(1)).scalar()


def detail(engine: Engine, user: CurrentUser, complaint_id: int, now: datetime | None = None) -> dict | None:
    """Everything about one complaint for the viewer (masked unless policy.UNMASKED_ROLES), or None."""
    from lib.complaints.service import utcnow

    now = now or utcnow()
    s = settings_mod.load(engine)
    tz = s["ui.timezone"]
    assignee, creator = aliased(User), aliased(User)
    with engine.connect() as conn:
        row = conn.execute(
            select(Complaint.__table__, assignee.display_name.label("assignee"),
                   creator.display_name.label("creator"), Product.name_zh.label("product_zh"),
                   Product.name_en.label("product_en"), Agent.name.label("subject_agent"),
                   RelationshipManager.name.label("subject_rm"), Client.id_number.label("client_id_number"),
                   Client.phone.label("client_phone"))
            .select_from(Complaint.__table__
                         .outerjoin(assignee, assignee.id == C.assigned_to)
                         .outerjoin(creator, creator.id == C.created_by)
                         .outerjoin(Product, Product.id == C.product_id)
                         .outerjoin(Agent, Agent.id == C.subject_agent_id)
                         .outerjoin(RelationshipManager, RelationshipManager.id == C.subject_rm_id)
                         .outerjoin(Client, Client.id == C.client_id))
            .where(C.id == complaint_id, scope.clause(user))
        ).mappings().first()
        if row is None:
            return None
        actor = aliased(User)
        ev = conn.execute(
            select(ComplaintEvent.id, ComplaintEvent.at, ComplaintEvent.kind, ComplaintEvent.from_status,
                   ComplaintEvent.to_status, ComplaintEvent.detail_json, actor.display_name.label("actor"))
            .outerjoin(actor, actor.id == ComplaintEvent.actor_user_id)
            .where(ComplaintEvent.complaint_id == complaint_id)
            .order_by(ComplaintEvent.at, ComplaintEvent.id)
        ).mappings().all()
        approver = aliased(User)
        ext = conn.execute(
            select(ComplaintExtension.days, ComplaintExtension.approved_at, ComplaintExtension.reason,
                   ComplaintExtension.customer_told_at, ComplaintExtension.new_outer_due_at,
                   approver.display_name.label("approved_by"))
            .join(approver, approver.id == ComplaintExtension.approved_by)
            .where(ComplaintExtension.complaint_id == complaint_id).order_by(ComplaintExtension.id)
        ).mappings().all()
        asker = aliased(User)
        reqs = conn.execute(
            select(DepartmentRequest.id, DepartmentRequest.department, DepartmentRequest.asked_at,
                   DepartmentRequest.due_at, DepartmentRequest.answered_at, DepartmentRequest.answer,
                   asker.display_name.label("asked_by"))
            .outerjoin(asker, asker.id == DepartmentRequest.asked_by)
            .where(DepartmentRequest.complaint_id == complaint_id).order_by(DepartmentRequest.id)
        ).mappings().all()
        repeats = conn.execute(select(C.ref_no).where(C.repeat_of_id == complaint_id, scope.clause(user))
                               .order_by(C.id)).scalars().all()
        repeat_ref = None
        if row["repeat_of_id"]:
            repeat_ref = conn.execute(select(C.ref_no).where(C.id == row["repeat_of_id"])).scalar()
    unmasked = scope.unmasked(user)
    m = (lambda x: x) if unmasked else masking.mask_text

    def local(x):
        return to_local(x, tz) if x is not None else None

    d = dict(row)
    for k in ("accepted_at", "reply_due_at", "replied_at", "follow_up_due_at", "followed_up_at", "outer_due_at",
              "closed_at", "due_at"):
        d[k + "_local"] = local(row[k])
    d["narrative"] = m(row["narrative"])
    d["client_id_number"] = row["client_id_number"] if unmasked else masking.mask_id_number(row["client_id_number"])
    d["client_phone"] = row["client_phone"] if unmasked else masking.mask_phone(row["client_phone"])
    d["product"] = (row["product_zh"] if current_language() == "zh" else row["product_en"]) or row["product_text"]
    kind, due = clocks.active_clock(row["status"], row["reply_due_at"], row["follow_up_due_at"], row["outer_due_at"])
    d["due_kind"], d["time_left"] = kind, clocks.time_left(due, now)
    d["clocks"] = [
        {"clock": name, "due": local(due_v), "done": local(done_v),
         "on_time": clocks.on_time(done_v, due_v) if done_v else None,
         "left": clocks.format_left(clocks.time_left(due_v, now), current_language())
         if done_v is None and due_v is not None and row["status"] != "closed" else ""}
        for name, due_v, done_v in (("reply", row["reply_due_at"], row["replied_at"]),
                                    ("follow_up", row["follow_up_due_at"], row["followed_up_at"]),
                                    ("outer", row["outer_due_at"], row["closed_at"]))
    ]
    hist = []
    for e in ev:
        det = json.loads(e["detail_json"]) if e["detail_json"] else {}
        text = det.get("text") or ""
        hist.append({"at": local(e["at"]), "actor": e["actor"], "kind": e["kind"], "from": e["from_status"],
                     "to": e["to_status"], "text": m(text) if text else "",
                     "detail": m(_detail_summary(det))})
    d["history"] = pd.DataFrame(hist, columns=["at", "actor", "kind", "from", "to", "text", "detail"])
    d["extensions"] = pd.DataFrame(
        [{**dict(x), "approved_at": local(x["approved_at"]), "customer_told_at": local(x["customer_told_at"]),
          "new_outer_due_at": local(x["new_outer_due_at"]), "reason": m(x["reason"])} for x in ext],
        columns=["days", "approved_at", "reason", "customer_told_at", "new_outer_due_at", "approved_by"])
    d["dept_requests"] = pd.DataFrame(
        [{**dict(x), "asked_at": local(x["asked_at"]), "due_at": local(x["due_at"]),
          "answered_at": local(x["answered_at"]), "answer": m(x["answer"]),
          "overdue": x["answered_at"] is None and x["due_at"] < now} for x in reqs],
        columns=["id", "department", "asked_by", "asked_at", "due_at", "answered_at", "answer", "overdue"])
    d["extensions_granted"] = len(ext)
    d["repeat_ref"] = repeat_ref
    d["repeated_by"] = list(repeats)
    d["actions"] = workflow.allowed_actions(row["status"], user.roles, is_assignee=row["assigned_to"] == user.id)
    pol = clocks.policy_for(s, row["category"])
    d["next_extension_days"] = clocks.next_extension_days(pol, len(ext))
    return d


def _detail_summary(det: dict) -> str:
    keep = {k: v for k, v in det.items() if k not in ("text", "extra")}
    return ", ".join(f"{k}={v}" for k, v in keep.items())


# --- look-ups for the register form ----------------------------------------------------------

def find_clients(engine: Engine, user: CurrentUser, text: str, limit: int = 20) -> pd.DataFrame:
    """Clients matching a name fragment, or a masked / partial ID number (e.g. ``310***1234`` or ``1234``).

    Only the roles that register complaints may search; identifiers come back masked
    unless the viewer may see them whole.
    """
    text = (text or "").strip()
    cols = ["id", "name", "id_masked", "phone_masked", "branch"]
    if not text or not (user.roles & workflow.ACTION_ROLES["register"]):
        return pd.DataFrame(columns=cols)
    digits = text.replace("*", "").replace(" ", "")
    if any(ch.isdigit() for ch in text) and (digits.isdigit() or digits[:-1].isdigit()):
        if "*" in text:
            head, tail = text.split("*", 1)[0], text.rsplit("*", 1)[-1]
            cond = and_(Client.id_number.startswith(head, autoescape=True),
                        Client.id_number.endswith(tail, autoescape=True))
        else:
            cond = or_(Client.id_number.endswith(text, autoescape=True), Client.phone.endswith(text, autoescape=True))
    else:
        cond = Client.name.contains(text, autoescape=True)
    with engine.connect() as conn:
        rows = conn.execute(select(Client.id, Client.name, Client.id_number, Client.phone, Client.branch)
                            .where(cond).order_by(Client.name, Client.id).limit(limit)).all()
    return pd.DataFrame([{"id": r.id, "name": r.name, "id_masked": masking.mask_id_number(r.id_number),
                          "phone_masked": masking.mask_phone(r.phone), "branch": r.branch} for r in rows],
                        columns=cols)


def products(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(Product.id, Product.code, Product.name_zh, Product.name_en, Product.category)
                            .order_by(Product.category, Product.code)).mappings().all()
    return [dict(r) for r in rows]


def agents(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(Agent.id, Agent.employee_no, Agent.name, Agent.branch)
                            .where(Agent.active.is_(True)).order_by(Agent.employee_no)).mappings().all()
    return [dict(r) for r in rows]


def rms(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(RelationshipManager.id, RelationshipManager.employee_no, RelationshipManager.name,
                                   RelationshipManager.branch)
                            .where(RelationshipManager.active.is_(True))
                            .order_by(RelationshipManager.employee_no)).mappings().all()
    return [dict(r) for r in rows]


def branches(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        a = conn.execute(select(Agent.branch).distinct()).scalars().all()
        b = conn.execute(select(RelationshipManager.branch).distinct()).scalars().all()
    return sorted({x for x in list(a) + list(b) if x})
