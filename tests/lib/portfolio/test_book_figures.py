"""Book figures and every flag on small hand-made data with known answers (pure rules and SQL)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import insert

from db.models import (
    Balance,
    Client,
    Contact,
    CreditLine,
    Holding,
    Loan,
    LoanClassification,
    Product,
    RelationshipManager,
)
from lib.portfolio import contacts as cs
from lib.portfolio import queries as q
from lib.portfolio import rules
from lib.portfolio.scope import Scope

TODAY = date(2026, 11, 22)
INTERVALS = {"key": 30, "large": 30, "vip": 60, "ordinary": 180}


# --- pure rules --------------------------------------------------------------------------------

def test_visit_overdue_per_tier():
    assert rules.visit_overdue("key", datetime(2026, 10, 22, 9), TODAY, INTERVALS) is True  # 31 days
    assert rules.visit_overdue("key", datetime(2026, 10, 23, 9), TODAY, INTERVALS) is False  # 30 days
    assert rules.visit_overdue("ordinary", datetime(2026, 6, 1), TODAY, INTERVALS) is False
    assert rules.visit_overdue("vip", None, TODAY, INTERVALS) is True


def test_dormant_needs_no_contact_and_no_transaction():
    old = datetime(2026, 1, 1)
    assert rules.is_dormant(old, date(2026, 1, 1), TODAY, 180) is True
    assert rules.is_dormant(old, date(2026, 11, 1), TODAY, 180) is False
    assert rules.is_dormant(datetime(2026, 11, 1), None, TODAY, 180) is False
    assert rules.is_dormant(None, None, TODAY, 180) is True


def test_single_product_near_limit_fee_share_npl():
    assert rules.is_single_product(1) and not rules.is_single_product(2) and not rules.is_single_product(0)
    assert rules.near_limit(90, 100, 90) and not rules.near_limit(89, 100, 90) and not rules.near_limit(5, 0, 90)
    assert rules.fee_share(20, 80) == pytest.approx(0.2) and rules.fee_share(0, 0) is None
    assert rules.npl_ratio({"pass": 90, "substandard": 5, "loss": 5}) == pytest.approx(0.1)
    assert rules.npl_ratio({}) is None


def test_class_migration_and_period():
    assert rules.is_worse("pass", "special_mention") and not rules.is_worse("doubtful", "substandard")
    assert not rules.is_worse(None, "loss")
    assert rules.period_bounds(TODAY) == (date(2026, 10, 1), TODAY)
    assert rules.period_bounds(TODAY, "month") == (date(2026, 11, 1), TODAY)
    assert rules.month_ends(TODAY, 2) == [date(2026, 9, 30), date(2026, 10, 31)]
    assert rules.month_ends(date(2026, 10, 31), 1) == [date(2026, 10, 31)]


def test_follow_up_state_and_attainment():
    assert rules.follow_up_state(date(2026, 11, 20), False, TODAY, 3) == "overdue"
    assert rules.follow_up_state(date(2026, 11, 25), False, TODAY, 3) == "due"
    assert rules.follow_up_state(date(2026, 11, 26), False, TODAY, 3) is None
    assert rules.follow_up_state(date(2026, 11, 20), True, TODAY, 3) is None
    assert rules.attainment(50, 100) == pytest.approx(0.5)
    assert rules.attainment(1.0, 1.5, lower_is_better=True) == 1.0
    assert rules.attainment(3.0, 1.5, lower_is_better=True) == pytest.approx(0.5)


# --- the SQL figures on a hand-made book ---------------------------------------------------------

def _book(engine):
    """RM 1 holds clients 1-6, RM 2 holds client 7; each client shows exactly one flag (1-6)."""
    me = date(2026, 10, 31)
    prev = date(2026, 9, 30)
    recent = datetime(2026, 11, 15, 2)
    with engine.begin() as c:
        c.execute(insert(RelationshipManager), [
            {"id": 1, "employee_no": "R1", "name": "甲", "grade": "intermediate", "branch": "B1"},
            {"id": 2, "employee_no": "R2", "name": "乙", "grade": "junior", "branch": "B2"}])
        c.execute(insert(Product), [
            {"id": 1, "code": "D", "name_zh": "存款", "name_en": "Deposit", "category": "deposit"},
            {"id": 2, "code": "W", "name_zh": "理财", "name_en": "Wealth", "category": "wealth"},
            {"id": 3, "code": "L", "name_zh": "贷款", "name_en": "Loan", "category": "loan"}])

        def client(i, tier, rm, last_contact, last_txn, acquired=date(2020, 1, 1)):
            return {"id": i, "client_no": f"C{i}", "name": f"客户{i}", "client_type": "corporate", "tier": tier,
                    "credit_rating": "A", "industry": "制造业", "rm_id": rm, "branch": "B1",
                    "acquisition_channel": "referral", "acquired_on": acquired, "status": "active",
                    "id_number": "310115199001011234", "phone": "13912345678",
                    "last_contact_at": last_contact, "last_txn_on": last_txn}

        c.execute(insert(Client), [
            client(1, "key", 1, datetime(2026, 10, 1, 2), date(2026, 11, 20)),  # overdue visit (52 days)
            client(2, "ordinary", 1, datetime(2026, 1, 2), date(2026, 1, 2)),  # dormant (+ overdue: 324 days)
            client(3, "vip", 1, recent, date(2026, 11, 20), acquired=date(2026, 10, 15)),  # single product, new
            client(4, "vip", 1, recent, date(2026, 11, 20)),  # loan past due
            client(5, "vip", 1, recent, date(2026, 11, 20)),  # loan moved to a worse class
            client(6, "vip", 1, recent, date(2026, 11, 20)),  # credit line near limit
            client(7, "key", 2, datetime(2026, 1, 1), date(2026, 1, 1)),  # another book
        ])
        holdings, balances = [], []
        hid = 0
        for cid in range(1, 8):
            prods = [1] if cid == 3 else [1, 2]
            for pid in prods:
                hid += 1
                holdings.append({"id": hid, "client_id": cid, "product_id": pid, "opened_on": date(2020, 1, 1)})
                balances.append({"id": hid, "holding_id": hid, "client_id": cid, "as_of": me,
                                 "balance_fen": 1_000_000 * pid, "interest_income_fen": 800 if pid == 1 else 0,
                                 "fee_income_fen": 200 if pid == 2 else 0})
        c.execute(insert(Holding), holdings)
        c.execute(insert(Balance), balances)
        c.execute(insert(Loan), [
            {"id": 1, "loan_no": "L1", "client_id": 4, "product_id": 3, "principal_fen": 500, "outstanding_fen": 400,
             "rate_bp": 400, "start_on": date(2025, 1, 1), "maturity_on": date(2027, 1, 1),
             "classification": "pass", "days_past_due": 12, "interest_collected_fen": 0},
            {"id": 2, "loan_no": "L2", "client_id": 5, "product_id": 3, "principal_fen": 500, "outstanding_fen": 300,
             "rate_bp": 400, "start_on": date(2025, 1, 1), "maturity_on": date(2027, 1, 1),
             "classification": "substandard", "days_past_due": 0, "interest_collected_fen": 0},
        ])
        c.execute(insert(LoanClassification), [
            {"loan_id": 1, "as_of": prev, "classification": "pass", "days_past_due": 0},
            {"loan_id": 2, "as_of": prev, "classification": "special_mention", "days_past_due": 0},
            {"loan_id": 2, "as_of": date(2026, 11, 2), "classification": "substandard", "days_past_due": 0}])
        c.execute(insert(CreditLine), [
            {"client_id": 6, "granted_fen": 1000, "used_fen": 950, "granted_on": date(2025, 1, 1), "status": "active"},
            {"client_id": 4, "granted_fen": 1000, "used_fen": 100, "granted_on": date(2025, 1, 1), "status": "active"},
            {"client_id": 7, "granted_fen": 1000, "used_fen": 1000, "granted_on": date(2025, 1, 1), "status": "active"}])
        c.execute(insert(Contact), [
            {"client_id": 4, "rm_id": 1, "kind": "visit", "occurred_at": recent, "summary": "s",
             "follow_up_on": date(2026, 11, 18), "created_at": recent},
            {"client_id": 5, "rm_id": 1, "kind": "call", "occurred_at": recent, "summary": "s",
             "follow_up_on": date(2026, 11, 24), "created_at": recent},
            {"client_id": 6, "rm_id": 1, "kind": "call", "occurred_at": datetime(2026, 11, 10, 2), "summary": "s",
             "follow_up_on": date(2026, 11, 12), "created_at": recent},
            {"client_id": 6, "rm_id": 1, "kind": "call", "occurred_at": recent, "summary": "follow-up done", "follow_up_on": None,
             "created_at": recent}])


RM1 = Scope(100, "rm1", 1, True)
RM2 = Scope(101, "rm2", 2, True)
MANAGER = Scope(102, "boss", None, False)
RULES = q.Rules(visit_interval_days=tuple(sorted(INTERVALS.items())), dormant_days=180, near_limit_pct=90,
                follow_up_days=3)


def _asof(engine):
    return q.as_of(engine, TODAY)


def test_flags_on_the_hand_made_book(empty_db):
    _book(empty_db)
    df, total = q.book_page(empty_db, RM1, q.Filters(), _asof(empty_db), RULES, sort="name", limit=50)
    assert total == 6 and set(df["id"]) == {1, 2, 3, 4, 5, 6}
    flags = {int(r.id): {k for k in rules.FLAG_NAMES if r[k]} for _, r in df.iterrows()}
    assert flags == {1: {"overdue_visit"}, 2: {"dormant", "overdue_visit"}, 3: {"single_product"},
                     4: {"past_due"}, 5: {"worse_class"}, 6: {"near_limit"}}
    counts = q.flag_counts(empty_db, RM1, q.Filters(), _asof(empty_db), RULES)
    assert counts == {"clients": 6, "overdue_visit": 2, "dormant": 1, "single_product": 1, "past_due": 1,
                      "worse_class": 1, "near_limit": 1}
    only = q.book_page(empty_db, RM1, q.Filters(), _asof(empty_db), RULES, flag="near_limit")[0]
    assert list(only["id"]) == [6]


def test_book_figures(empty_db):
    _book(empty_db)
    df, _ = q.book_page(empty_db, RM1, q.Filters(), _asof(empty_db), RULES, sort="name")
    c4 = df[df["id"] == 4].iloc[0]
    assert c4["deposits_fen"] == 1_000_000 and c4["wealth_fen"] == 2_000_000 and c4["loans_fen"] == 400
    assert c4["interest_fen"] == 800 and c4["fee_fen"] == 200 and c4["products"] == 2
    assert c4["credit_granted_fen"] == 1000 and c4["credit_used_fen"] == 100 and c4["max_dpd"] == 12
    assert df[df["id"] == 5].iloc[0]["npl_fen"] == 300


def test_overview_aggregates_per_rm(empty_db):
    _book(empty_db)
    ov = q.overview(empty_db, MANAGER, q.Filters(), _asof(empty_db), RULES).set_index("rm_id")
    assert ov.loc[1, "clients"] == 6 and ov.loc[2, "clients"] == 1
    assert ov.loc[1, "tier_vip"] == 4 and ov.loc[1, "tier_key"] == 1
    assert ov.loc[1, "deposits_fen"] == 6_000_000 and ov.loc[1, "loans_fen"] == 700
    assert ov.loc[1, "key_overdue"] == 1 and ov.loc[2, "key_overdue"] == 1
    assert ov.loc[1, "new_clients"] == 1
    assert ov.loc[1, "fee_share"] == pytest.approx(1000 / (1000 + 4800))
    assert ov.loc[1, "npl_ratio"] == pytest.approx(300 / 700)
    assert ov.loc[1, "products_per_client"] == pytest.approx(11 / 6)
    assert ov.loc[1, "loans_substandard_fen"] == 300
    # the RM's own scope returns only their row, whatever filter they pass
    assert list(q.overview(empty_db, RM1, q.Filters(rm_id=2), _asof(empty_db), RULES)["rm_id"]) == []


def test_migration_worse_loans_and_overdue_key_clients(empty_db):
    _book(empty_db)
    a = _asof(empty_db)
    mig = q.loan_migration(empty_db, MANAGER, q.Filters(), a)
    assert set(map(tuple, mig[["from_class", "to_class", "loans"]].values)) == {
        ("pass", "pass", 1), ("special_mention", "substandard", 1)}
    wl, n = q.worse_loans(empty_db, MANAGER, q.Filters(), a)
    assert n == 1 and wl.iloc[0]["loan_no"] == "L2"
    ko, n = q.key_clients_overdue(empty_db, MANAGER, q.Filters(), a, RULES)
    assert n == 2 and set(ko["id"]) == {1, 7}
    ko, n = q.key_clients_overdue(empty_db, RM1, q.Filters(), a, RULES)
    assert n == 1 and list(ko["id"]) == [1]


def test_follow_ups_due(empty_db):
    _book(empty_db)
    fu = q.follow_ups(empty_db, RM1, _asof(empty_db), RULES)
    assert dict(zip(fu["client_id"], fu["state"], strict=True)) == {4: "overdue", 5: "due"}
    assert q.follow_ups(empty_db, RM2, _asof(empty_db), RULES).empty


def test_scope_keeps_books_apart(empty_db):
    _book(empty_db)
    df, total = q.book_page(empty_db, RM2, q.Filters(), _asof(empty_db), RULES)
    assert total == 1 and list(df["id"]) == [7]
    df, total = q.book_page(empty_db, RM2, q.Filters(rm_id=1), _asof(empty_db), RULES)
    assert total == 0


def test_contact_validation():
    now = datetime(2026, 11, 22, 15, 0)
    ok = cs.ContactInput(client_id=1, kind="visit", occurred_on=date(2026, 11, 22), occurred_time=time(9, 0),
                         summary="visited")
    assert cs.validate(ok, now_local=now, in_book=True) == []
    assert "portfolio.err.client_not_in_book" in cs.validate(ok, now_local=now, in_book=False)
    future = cs.ContactInput(1, "call", date(2026, 11, 23), None, "x")
    assert "portfolio.err.future" in cs.validate(future, now_local=now, in_book=True)
    later_today = cs.ContactInput(1, "call", date(2026, 11, 22), time(16, 0), "x")
    assert "portfolio.err.future" in cs.validate(later_today, now_local=now, in_book=True)
    empty = cs.ContactInput(1, "email", date(2026, 11, 20), None, "   ")
    assert cs.validate(empty, now_local=now, in_book=True) == ["portfolio.err.summary_required"]
    dinner = cs.ContactInput(1, "dinner", date(2026, 11, 20), None, "dinner", dinner_with="王总")
    assert set(cs.validate(dinner, now_local=now, in_book=True)) == {"portfolio.err.dinner_purpose",
                                                                      "portfolio.err.dinner_relationship"}
    fu = cs.ContactInput(1, "visit", date(2026, 11, 20), None, "x", follow_up_on=date(2026, 11, 19))
    assert cs.validate(fu, now_local=now, in_book=True) == ["portfolio.err.follow_up_before"]
    assert "portfolio.err.surprise_visit_only" in cs.validate(
        cs.ContactInput(1, "call", date(2026, 11, 20), None, "x", surprise=True), now_local=now, in_book=True)


def test_log_contact_writes_audits_and_refuses_other_books(empty_db):
    from sqlalchemy import select

    from db.models import AuditLog

    _book(empty_db)
    now = datetime(2026, 11, 22, 15, 0)
    inp = cs.ContactInput(4, "visit", date(2026, 11, 22), time(10, 0), "checked the plant")
    cid = cs.log_contact(empty_db, RM1, inp, tz="Asia/Shanghai", now_local=now, user_id=None)
    with empty_db.connect() as c:
        last = c.execute(select(Client.last_contact_at).where(Client.id == 4)).scalar()
        aud = c.execute(select(AuditLog.action, AuditLog.entity_id).where(AuditLog.action == "contact.create")).all()
    assert last == datetime(2026, 11, 22, 2, 0)  # 10:00 Shanghai is 02:00 UTC
    assert aud == [("contact.create", "4")] and cid
    with pytest.raises(cs.ContactError) as e:
        cs.log_contact(empty_db, RM2, inp, tz="Asia/Shanghai", now_local=now, user_id=None)
    assert e.value.keys == ["portfolio.err.client_not_in_book"]
    with pytest.raises(cs.ContactError):
        cs.log_contact(empty_db, MANAGER, inp, tz="Asia/Shanghai", now_local=now, user_id=None)


def test_charts_queries_run(empty_db):
    _book(empty_db)
    a = _asof(empty_db)
    ch = q.new_clients_by_channel(empty_db, MANAGER, q.Filters(), a)
    assert list(map(tuple, ch.values)) == [(1, "referral", 1)]
    comp = q.composition(empty_db, MANAGER, q.Filters(), a)
    assert comp["balance_fen"].sum() == 1_000_000 * 7 + 2_000_000 * 6
    tr = q.balance_trend(empty_db, RM1, q.Filters(), a)
    assert tr["balance_fen"].sum() == 1_000_000 * 6 + 2_000_000 * 5


def test_performance_against_targets(empty_db):
    from lib.portfolio import performance as pf

    _book(empty_db)
    perf = pf.performance(empty_db, MANAGER, q.Filters(), _asof(empty_db), RULES).set_index("rm_id")
    assert perf.loc[1, "deposits_actual"] == pytest.approx(60_000.0)  # 6,000,000 fen in yuan
    assert perf.loc[1, "deposits_target"] == 1_000_000_000  # intermediate grade, default setting
    assert perf.loc[1, "new_clients_actual"] == 1
    assert perf.loc[1, "visits_actual"] == 1  # one visit in the quarter (client 4)
    assert perf.loc[1, "npl_ratio_actual"] == pytest.approx(300 / 700 * 100)
    assert perf.loc[1, "npl_ratio_att"] == pytest.approx(1.8 / (300 / 700 * 100))
    assert perf.loc[2, "npl_ratio_att"] == 1.0  # no loans: under the ceiling
    g = pf.by_grade(perf.reset_index())
    assert set(g["grade"]) == {"intermediate", "junior"}


def test_download_and_view_are_audited(empty_db):
    from sqlalchemy import select

    from db.models import AuditLog, User
    from lib.portfolio import client as cq
    from lib.portfolio import service as svc

    _book(empty_db)
    with empty_db.begin() as c:
        c.execute(insert(User), [{"id": i, "username": n, "display_name": n, "password_hash": "!",
                                  "created_at": datetime(2026, 1, 1)} for i, n in ((100, "rm1"), (102, "boss"))])
    svc.log_download(empty_db, RM1, "portfolio_book", [1, 2, 3], {"rm_id": 1})
    at = datetime(2026, 11, 22, 8, 0)
    assert cq.open_client(empty_db, RM1, 4, now=at)["phone"] == "13912345678"  # own RM sees the mobile
    assert cq.open_client(empty_db, RM1, 4, now=at.replace(minute=5)) is not None  # same view: not logged again
    assert cq.open_client(empty_db, RM1, 7, now=at) is None  # another book: refused and logged
    p = cq.open_client(empty_db, MANAGER, 4, now=at)
    assert p["phone"] == "139****5678" and p["id_number"] == "310***********1234"
    with empty_db.connect() as c:
        rows = c.execute(select(AuditLog.username, AuditLog.action, AuditLog.entity_id, AuditLog.detail_json)
                         .order_by(AuditLog.id)).all()
    assert [(r.username, r.action, r.entity_id) for r in rows] == [
        ("rm1", "portfolio.download", None), ("rm1", "client.view", "4"), ("rm1", "client.view_denied", "7"),
        ("boss", "client.view", "4")]
    assert '"client_ids": [1, 2, 3]' in rows[0].detail_json
