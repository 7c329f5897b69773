"""Client 360: one client's profile, history, products, loans, contacts, complaints and chats.

Every function takes the viewer's ``Scope`` and answers only for a client in
it: a client outside the scope and a client that does not exist look the same
(``None`` / empty), so an RM cannot probe other books. ``open_client`` writes
the audit row of 离岗审计 (who looked at which client, when).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import Engine, and_, desc, func, select

from db.models import (
    Agent,
    AuditLog,
    Balance,
    Chat,
    Client,
    ClientTierHistory,
    Complaint,
    Contact,
    CreditLine,
    Holding,
    Loan,
    LoanClassification,
    Product,
    RelationshipManager,
)
from lib import audit
from lib.masking import mask_id_number, mask_phone
from lib.portfolio.scope import Scope, scope_condition, show_phone

C = Client.__table__
VIEW_ACTION = "client.view"
DENIED_ACTION = "client.view_denied"
# the same viewer re-opening the same client within this window is one view (Streamlit reruns the page)
REVIEW_WINDOW = timedelta(minutes=10)


def _in_scope(scope: Scope, client_id: int):
    return and_(C.c.id == int(client_id), scope_condition(scope, C))


def profile(engine: Engine, scope: Scope, client_id: int) -> dict | None:
    """The client's profile with identifiers masked as the viewer's role requires; None if not in scope."""
    rm = RelationshipManager.__table__
    q = (
        select(C, rm.c.name.label("rm_name"), rm.c.grade.label("rm_grade"))
        .select_from(C.outerjoin(rm, rm.c.id == C.c.rm_id))
        .where(_in_scope(scope, client_id))
    )
    with engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    if row is None:
        return None
    p = dict(row)
    p["id_number"] = mask_id_number(p["id_number"])
    if not show_phone(scope):
        p["phone"] = mask_phone(p["phone"])
    return p


def open_client(engine: Engine, scope: Scope, client_id: int, *, now: datetime | None = None) -> dict | None:
    """The profile, with the opening written to the audit log (a refused opening too)."""
    p = profile(engine, scope, client_id)
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.begin() as conn:
        if p is None:
            audit.record(conn, user_id=scope.viewer_id, username=scope.username, action=DENIED_ACTION,
                         entity="client", entity_id=client_id, at=now)
            return None
        recent = conn.execute(
            select(func.max(AuditLog.at)).where(AuditLog.user_id == scope.viewer_id, AuditLog.action == VIEW_ACTION,
                                                AuditLog.entity == "client", AuditLog.entity_id == str(client_id),
                                                AuditLog.at > now - REVIEW_WINDOW)
        ).scalar()
        if recent is None:
            audit.record(conn, user_id=scope.viewer_id, username=scope.username, action=VIEW_ACTION,
                         entity="client", entity_id=client_id, at=now,
                         detail={"client_no": p["client_no"], "rm_id": p["rm_id"]})
    return p


def _frame(engine: Engine, q, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def tier_history(engine: Engine, scope: Scope, client_id: int) -> pd.DataFrame:
    t = ClientTierHistory.__table__
    q = (select(t.c.effective_on, t.c.tier, t.c.credit_rating).select_from(t.join(C, C.c.id == t.c.client_id))
         .where(_in_scope(scope, client_id)).order_by(desc(t.c.effective_on), desc(t.c.id)))
    return _frame(engine, q, ["effective_on", "tier", "credit_rating"])


def holdings(engine: Engine, scope: Scope, client_id: int) -> pd.DataFrame:
    """Products held, with the latest month-end balance of each."""
    h, p, b = Holding.__table__, Product.__table__, Balance.__table__
    last = (select(b.c.holding_id, func.max(b.c.as_of).label("m")).where(b.c.client_id == int(client_id))
            .group_by(b.c.holding_id).subquery())
    q = (
        select(h.c.id, p.c.code, p.c.name_zh, p.c.name_en, p.c.category, h.c.account_no, h.c.opened_on, h.c.closed_on,
               b.c.as_of, b.c.balance_fen)
        .select_from(h.join(C, C.c.id == h.c.client_id).join(p, p.c.id == h.c.product_id)
                     .outerjoin(last, last.c.holding_id == h.c.id)
                     .outerjoin(b, and_(b.c.holding_id == h.c.id, b.c.as_of == last.c.m)))
        .where(_in_scope(scope, client_id))
        .order_by(p.c.category, h.c.id)
    )
    return _frame(engine, q, ["id", "code", "name_zh", "name_en", "category", "account_no", "opened_on", "closed_on",
                              "as_of", "balance_fen"])


def balance_history(engine: Engine, scope: Scope, client_id: int) -> pd.DataFrame:
    """Month-end balances by product category, with interest and fee income."""
    h, p, b = Holding.__table__, Product.__table__, Balance.__table__
    q = (
        select(b.c.as_of, p.c.category, func.sum(b.c.balance_fen).label("balance_fen"),
               func.sum(b.c.interest_income_fen).label("interest_fen"), func.sum(b.c.fee_income_fen).label("fee_fen"))
        .select_from(b.join(C, C.c.id == b.c.client_id).join(h, h.c.id == b.c.holding_id)
                     .join(p, p.c.id == h.c.product_id))
        .where(_in_scope(scope, client_id))
        .group_by(b.c.as_of, p.c.category)
        .order_by(b.c.as_of)
    )
    return _frame(engine, q, ["as_of", "category", "balance_fen", "interest_fen", "fee_fen"])


def credit_lines(engine: Engine, scope: Scope, client_id: int) -> pd.DataFrame:
    cl = CreditLine.__table__
    q = (select(cl.c.id, cl.c.granted_fen, cl.c.used_fen, cl.c.granted_on, cl.c.expires_on, cl.c.status)
         .select_from(cl.join(C, C.c.id == cl.c.client_id)).where(_in_scope(scope, client_id)).order_by(cl.c.id))
    df = _frame(engine, q, ["id", "granted_fen", "used_fen", "granted_on", "expires_on", "status"])
    df["used_share"] = (df["used_fen"] / df["granted_fen"].where(df["granted_fen"] > 0)).astype("float64")
    return df


def loans(engine: Engine, scope: Scope, client_id: int) -> pd.DataFrame:
    lo, p = Loan.__table__, Product.__table__
    q = (
        select(lo.c.id, lo.c.loan_no, p.c.name_zh, p.c.name_en, lo.c.principal_fen, lo.c.outstanding_fen, lo.c.rate_bp,
               lo.c.start_on, lo.c.maturity_on, lo.c.classification, lo.c.days_past_due, lo.c.interest_collected_fen)
        .select_from(lo.join(C, C.c.id == lo.c.client_id).outerjoin(p, p.c.id == lo.c.product_id))
        .where(_in_scope(scope, client_id)).order_by(lo.c.id)
    )
    return _frame(engine, q, ["id", "loan_no", "name_zh", "name_en", "principal_fen", "outstanding_fen", "rate_bp",
                              "start_on", "maturity_on", "classification", "days_past_due", "interest_collected_fen"])


def loan_history(engine: Engine, scope: Scope, client_id: int) -> pd.DataFrame:
    lo, lc = Loan.__table__, LoanClassification.__table__
    q = (
        select(lo.c.loan_no, lc.c.as_of, lc.c.classification, lc.c.days_past_due)
        .select_from(lc.join(lo, lo.c.id == lc.c.loan_id).join(C, C.c.id == lo.c.client_id))
        .where(_in_scope(scope, client_id)).order_by(lo.c.loan_no, lc.c.as_of, lc.c.id)
    )
    return _frame(engine, q, ["loan_no", "as_of", "classification", "days_past_due"])


def contacts(engine: Engine, scope: Scope, client_id: int, *, limit: int = 200) -> pd.DataFrame:
    """The contact log, newest first."""
    ct = Contact.__table__
    rm = RelationshipManager.__table__
    q = (
        select(ct.c.id, ct.c.occurred_at, ct.c.kind, ct.c.surprise, ct.c.summary, ct.c.dinner_with,
               ct.c.dinner_purpose, ct.c.dinner_relationship, ct.c.follow_up_on, rm.c.name.label("rm_name"))
        .select_from(ct.join(C, C.c.id == ct.c.client_id).outerjoin(rm, rm.c.id == ct.c.rm_id))
        .where(_in_scope(scope, client_id)).order_by(desc(ct.c.occurred_at), desc(ct.c.id)).limit(limit)
    )
    return _frame(engine, q, ["id", "occurred_at", "kind", "surprise", "summary", "dinner_with", "dinner_purpose",
                              "dinner_relationship", "follow_up_on", "rm_name"])


def complaints(engine: Engine, scope: Scope, client_id: int, *, limit: int = 100) -> pd.DataFrame:
    """This client's complaints (read-only; the complaints area owns them)."""
    cp = Complaint.__table__
    q = (
        select(cp.c.id, cp.c.ref_no, cp.c.channel, cp.c.category, cp.c.status, cp.c.accepted_at, cp.c.replied_at,
               cp.c.closed_at)
        .select_from(cp.join(C, C.c.id == cp.c.client_id))
        .where(_in_scope(scope, client_id)).order_by(desc(cp.c.accepted_at), desc(cp.c.id)).limit(limit)
    )
    return _frame(engine, q, ["id", "ref_no", "channel", "category", "status", "accepted_at", "replied_at",
                              "closed_at"])


def chats(engine: Engine, scope: Scope, client_id: int, *, limit: int = 100) -> pd.DataFrame:
    """This client's chats with the service agents (read-only; the QA area owns them)."""
    ch, ag = Chat.__table__, Agent.__table__
    q = (
        select(ch.c.id, ch.c.conversation_id, ch.c.channel, ch.c.started_at, ch.c.message_count,
               ag.c.name.label("agent_name"))
        .select_from(ch.join(C, C.c.id == ch.c.client_id).outerjoin(ag, ag.c.id == ch.c.agent_id))
        .where(_in_scope(scope, client_id)).order_by(desc(ch.c.started_at), desc(ch.c.id)).limit(limit)
    )
    return _frame(engine, q, ["id", "conversation_id", "channel", "started_at", "message_count", "agent_name"])


def search_clients(engine: Engine, scope: Scope, text: str, *, limit: int = 20) -> pd.DataFrame:
    """Clients in scope whose name or client number contains ``text`` (metacharacters match literally)."""
    term = (text or "").strip()
    if not term:
        return pd.DataFrame(columns=["id", "client_no", "name", "tier", "rm_id"])
    like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    q = (select(C.c.id, C.c.client_no, C.c.name, C.c.tier, C.c.rm_id)
         .where(scope_condition(scope, C), (C.c.name.like(like, escape="\\")) | (C.c.client_no.like(like, escape="\\")))
         .order_by(C.c.name, C.c.id).limit(limit))
    return _frame(engine, q, ["id", "client_no", "name", "tier", "rm_id"])
