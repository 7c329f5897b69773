"""The precomputed book figures (lib/portfolio/rollup.py) equal the live computation, and pages use them
only while they match today's dates and settings."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, time, timedelta

import pandas as pd
import pytest
from sqlalchemy import select, update

from db.models import Balance, Client, RelationshipManager
from lib import settings as settings_mod
from lib.portfolio import contacts as cs
from lib.portfolio import performance as perf
from lib.portfolio import queries as q
from lib.portfolio import rollup
from lib.portfolio.scope import Scope
from tests.conftest import BACKEND, DEMO_TODAY

MANAGER = Scope(1, "boss", None, False)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns[:3]), kind="stable").reset_index(drop=True)


def _filters(engine) -> list[q.Filters]:
    with engine.connect() as c:
        branch = c.execute(select(RelationshipManager.branch).limit(1)).scalar()
        industry = c.execute(select(Client.industry).where(Client.industry.is_not(None)).limit(1)).scalar()
        rm_id = c.execute(select(RelationshipManager.id).order_by(RelationshipManager.id).limit(1)).scalar()
    return [q.Filters(), q.Filters(tier="key"), q.Filters(industry=industry),
            q.Filters(rating="BBB", client_type="corporate"), q.Filters(branch=branch, grade="senior"),
            q.Filters(rm_id=rm_id)], rm_id


def _compare_all(engine, a, r) -> None:
    filters, rm_id = _filters(engine)
    rm_scope = Scope(2, "rm", rm_id, True)
    for scope in (MANAGER, rm_scope):
        for f in filters:
            live = q.overview(engine, scope, f, a, r, use_rollup=False)
            roll = q.overview(engine, scope, f, a, r, use_rollup=True)
            pd.testing.assert_frame_equal(_sorted(roll), _sorted(live), check_dtype=False)
            for fn in (q.composition, q.balance_trend, q.loan_migration):
                pd.testing.assert_frame_equal(_sorted(fn(engine, scope, f, a, r, use_rollup=True)),
                                              _sorted(fn(engine, scope, f, a, r, use_rollup=False)),
                                              check_dtype=False)
            wl_r, n_r = q.worse_loans(engine, scope, f, a, r, limit=10_000, use_rollup=True)
            wl_l, n_l = q.worse_loans(engine, scope, f, a, r, limit=10_000, use_rollup=False)
            assert n_r == n_l
            pd.testing.assert_frame_equal(wl_r, wl_l, check_dtype=False)
            assert (q.flag_counts(engine, scope, f, a, r, use_rollup=True)
                    == q.flag_counts(engine, scope, f, a, r, use_rollup=False))
        book_f = q.Filters(rm_id=rm_id)
        for sort in ("tier", "deposits_fen", "max_dpd"):
            for flag in (None, "single_product", "worse_class", "dormant"):
                pr, nr = q.book_page(engine, scope, book_f, a, r, flag=flag, sort=sort, limit=500, use_rollup=True)
                pl, nl = q.book_page(engine, scope, book_f, a, r, flag=flag, sort=sort, limit=500, use_rollup=False)
                assert nr == nl
                pd.testing.assert_frame_equal(pr, pl, check_dtype=False)
        for offset in (0, 20, 40):  # the default order's pages, read from the precomputed index
            pr, nr = q.book_page(engine, scope, book_f, a, r, limit=20, offset=offset, use_rollup=True)
            pl, nl = q.book_page(engine, scope, book_f, a, r, limit=20, offset=offset, use_rollup=False)
            assert nr == nl and len(pr) == 20
            pd.testing.assert_frame_equal(pr, pl, check_dtype=False)
        tier_f = q.Filters(rm_id=rm_id, tier="ordinary", client_type="individual")
        pd.testing.assert_frame_equal(q.book_page(engine, scope, tier_f, a, r, limit=30, use_rollup=True)[0],
                                      q.book_page(engine, scope, tier_f, a, r, limit=30, use_rollup=False)[0],
                                      check_dtype=False)
        assert q.filter_values(engine, scope) == q.filter_values(engine, scope)
        pd.testing.assert_frame_equal(perf.performance(engine, scope, q.Filters(), a, r, use_rollup=True),
                                      perf.performance(engine, scope, q.Filters(), a, r, use_rollup=False),
                                      check_dtype=False)


def test_seed_builds_the_rollup_and_it_equals_the_live_figures(demo_db):
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    with demo_db.connect() as c:
        assert q.rollup_ready(c, a, r)
    ov = q.overview(demo_db, MANAGER, q.Filters(), a, r, use_rollup=True)
    assert ov["clients"].sum() > 1000 and ov["worse_class"].sum() > 0 and ov["near_limit"].sum() > 0
    _compare_all(demo_db, a, r)


def test_other_dates_or_settings_are_computed_live(demo_db):
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    next_quarter = q.as_of(demo_db, DEMO_TODAY + timedelta(days=60))  # a new quarter: new period start
    other_rule = replace(r, near_limit_pct=r.near_limit_pct - 10)
    with demo_db.connect() as c:
        assert not q.rollup_ready(c, next_quarter, r)
        assert not q.rollup_ready(c, a, other_rule)
    with pytest.raises(RuntimeError):
        q.overview(demo_db, MANAGER, q.Filters(), a, other_rule, use_rollup=True)
    auto = q.overview(demo_db, MANAGER, q.Filters(), a, other_rule)
    live = q.overview(demo_db, MANAGER, q.Filters(), a, other_rule, use_rollup=False)
    pd.testing.assert_frame_equal(auto, live)
    assert (auto["near_limit"].sum() != q.overview(demo_db, MANAGER, q.Filters(), a, r)["near_limit"].sum())


def test_a_logged_visit_takes_the_client_off_key_overdue_at_once(demo_db):
    """A visit logged after the build takes the client off 'key overdue' at once (the writer keeps the
    precomputed flags exact)."""
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    ko, total = q.key_clients_overdue(demo_db, MANAGER, q.Filters(), a, r, limit=1)
    before = q.overview(demo_db, MANAGER, q.Filters(), a, r, use_rollup=True)
    _log_visit(demo_db, int(ko.loc[0, "id"]), int(ko.loc[0, "rm_id"]))
    after = q.overview(demo_db, MANAGER, q.Filters(), a, r, use_rollup=True)
    assert after["key_overdue"].sum() == before["key_overdue"].sum() - 1
    assert q.key_clients_overdue(demo_db, MANAGER, q.Filters(), a, r, limit=1)[1] == total - 1
    _compare_all(demo_db, a, r)


def test_rebuild_picks_up_a_new_data_load(demo_db):
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    before = q.overview(demo_db, MANAGER, q.Filters(), a, r, use_rollup=True)["deposits_fen"].sum()
    with demo_db.begin() as c:
        c.execute(update(Balance).where(Balance.as_of == a.month_end).values(balance_fen=Balance.balance_fen * 2))
    assert rollup.rebuild_for_today(demo_db, DEMO_TODAY, if_stale=True) is None  # same key: not rebuilt
    res = rollup.rebuild_for_today(demo_db, DEMO_TODAY)
    assert res["clients"] > 1000
    after = q.overview(demo_db, MANAGER, q.Filters(), a, r, use_rollup=True)["deposits_fen"].sum()
    assert after == 2 * before
    _compare_all(demo_db, a, r)


# --- the two flags that move with the calendar (portfolio_book_flags) ---------------------------

FLAG_TOTALS = ("overdue_visit", "key_overdue", "key_overdue_open", "dormant")


def _log_visit(engine, client_id: int, rm_id: int, on=DEMO_TODAY) -> int:
    """A visit logged by the client's RM through the app's writer (contacts.log_contact)."""
    inp = cs.ContactInput(client_id=client_id, kind="visit", occurred_on=on, occurred_time=time(9, 0),
                          summary="visit")
    return cs.log_contact(engine, Scope(2, "rm", rm_id, True), inp, tz=settings_mod.load(engine)["ui.timezone"],
                          now_local=datetime.combine(on, time(18, 0)), user_id=None)


def _flag_view(engine, scope, f, a, r, use) -> dict:
    """Every count of the two flags the pages show for one scope and filter (use: None = as pages do,
    False = live)."""
    with engine.connect() as c:
        per_rm = q.flag_totals(c, scope, f, a, r, FLAG_TOTALS, use_rollup=use)
    ov = q.overview(engine, scope, f, a, r, use_rollup=use)
    fc = q.flag_counts(engine, scope, f, a, r, use_rollup=use)
    return {
        "per_rm": {k: {rm: n for rm, n in v.items() if n} for k, v in per_rm.items()},
        "overview": sorted(zip(ov["rm_id"], ov["key_overdue"], ov["dormant"], strict=True)),
        "counts": {k: fc[k] for k in ("overdue_visit", "dormant")},
        "book": [q.book_page(engine, scope, f, a, r, flag=k, limit=5, use_rollup=use)[1]
                 for k in ("overdue_visit", "dormant")],
        "key_overdue_list": q.key_clients_overdue(engine, scope, f, a, r, limit=5, use_rollup=use)[1],
    }


def _compare_flags(engine, a, r, *, every_filter: bool = True) -> None:
    """The flag counts as the pages read them equal the live counts, for the manager and an RM."""
    filters, rm_id = _filters(engine)
    if every_filter:
        filters += [q.Filters(client_type="individual"), q.Filters(grade="junior"), q.Filters(rating="A"),
                    q.Filters(tier="large", rm_id=rm_id)]
    else:
        filters = [q.Filters(), q.Filters(tier="large"), q.Filters(rm_id=rm_id)]
    for scope in (MANAGER, Scope(2, "rm", rm_id, True)):
        for f in filters:
            assert _flag_view(engine, scope, f, a, r, None) == _flag_view(engine, scope, f, a, r, False), (scope, f)


def _totals(engine, a, r) -> dict[str, int]:
    return {k: sum(v.values()) for k, v in _flag_view(engine, MANAGER, q.Filters(), a, r, None)["per_rm"].items()}


def _flags_ready(engine, a, r) -> bool:
    with engine.connect() as c:
        return q.flags_ready(c, a, r)


def test_the_seed_builds_the_flags_for_its_day_and_they_equal_live_and_the_rules(demo_db):
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    assert _flags_ready(demo_db, a, r)
    # a data load closes a key client overdue for a visit (the list of key clients overdue leaves it out),
    # and the build after it
    ko, _ = q.key_clients_overdue(demo_db, MANAGER, q.Filters(), a, r, limit=1)
    with demo_db.begin() as c:
        c.execute(update(Client).where(Client.id == int(ko.loc[0, "id"])).values(status="closed"))
    rollup.rebuild_for_today(demo_db, DEMO_TODAY)
    # per RM, the rules of lib/portfolio/rules.py applied client by client in Python
    expect: dict[str, dict] = {k: {} for k in FLAG_TOTALS}
    with demo_db.connect() as c:
        rows = c.execute(select(Client.rm_id, Client.tier, Client.status, Client.last_contact_at,
                                Client.last_txn_on)).all()
    for rm_id, tier, status, contact, txn in rows:
        overdue = q.rules.visit_overdue(tier, contact, a.today, r.intervals)
        key = tier in q.rules.KEY_TIERS
        for name, hit in (("overdue_visit", overdue), ("key_overdue", overdue and key),
                          ("key_overdue_open", overdue and key and status != "closed"),
                          ("dormant", q.rules.is_dormant(contact, txn, a.today, r.dormant_days))):
            if hit:
                expect[name][rm_id] = expect[name].get(rm_id, 0) + 1
    view = _flag_view(demo_db, MANAGER, q.Filters(), a, r, None)
    assert view["per_rm"] == expect
    assert all(sum(v.values()) > 10 for v in expect.values())
    assert sum(expect["key_overdue"].values()) > sum(expect["key_overdue_open"].values())  # a closed key client
    _compare_flags(demo_db, a, r)


def test_a_logged_contact_keeps_the_precomputed_flags_exact(demo_db):
    """The writer adjusts the client's group and book rows in its own transaction: without it the
    precomputed counts would still hold the client."""
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    with demo_db.connect() as c:
        cid, rm_id = c.execute(
            select(Client.id, Client.rm_id)
            .where(q._overdue_expr(a.today, r.intervals), q._dormant_expr(a.today, r.dormant_days),
                   Client.tier.in_(q.rules.KEY_TIERS), Client.status != "closed")
            .order_by(Client.id).limit(1)).one()
    before = _totals(demo_db, a, r)
    _log_visit(demo_db, cid, rm_id)
    assert _flags_ready(demo_db, a, r)  # still read by the pages
    assert _totals(demo_db, a, r) == {k: n - 1 for k, n in before.items()}
    _compare_flags(demo_db, a, r)
    _log_visit(demo_db, cid, rm_id)  # a second visit the same day changes no flag
    assert _totals(demo_db, a, r) == {k: n - 1 for k, n in before.items()}
    _compare_flags(demo_db, a, r, every_filter=False)


def test_a_new_day_or_other_flag_settings_are_counted_live_until_the_flags_are_rebuilt(demo_db):
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    day_one = _totals(demo_db, a, r)
    later = DEMO_TODAY + timedelta(days=20)  # same quarter and month-end: only the flags are stale
    a2 = q.as_of(demo_db, later)
    with demo_db.connect() as c:
        assert q.rollup_ready(c, a2, r) and not q.flags_ready(c, a2, r)
    assert _totals(demo_db, a2, r) != day_one  # twenty days on, more clients are overdue
    _compare_flags(demo_db, a2, r, every_filter=False)
    intervals = tuple((k, v // 2) for k, v in r.visit_interval_days)
    for other in (replace(r, visit_interval_days=intervals), replace(r, dormant_days=r.dormant_days - 90)):
        assert not _flags_ready(demo_db, a, other)
        assert _totals(demo_db, a, other) != day_one
        _compare_flags(demo_db, a, other, every_filter=False)
    # the nightly job on the new day: the flags alone, the rest as built
    with demo_db.connect() as c:
        static_built = c.execute(select(q.RS.c.built_at)).scalar_one()
    res = rollup.rebuild_for_today(demo_db, later, if_stale=True)
    assert res is not None and "books" not in res and res["flag_rows"] > 0
    with demo_db.connect() as c:
        assert c.execute(select(q.RS.c.built_at)).scalar_one() == static_built
    assert _flags_ready(demo_db, a2, r) and not _flags_ready(demo_db, a, r)
    _compare_flags(demo_db, a2, r)
    assert rollup.rebuild_for_today(demo_db, later, if_stale=True) is None
    # a changed setting: counted live at once, the flags alone rebuilt by the next run
    settings_mod.save(demo_db, {"portfolio.dormant_days": 90}, user_id=None, check_version=False)
    r3 = q.load_rules(demo_db)
    assert not _flags_ready(demo_db, a2, r3)
    _compare_flags(demo_db, a2, r3, every_filter=False)
    assert "books" not in rollup.rebuild_for_today(demo_db, later, if_stale=True)
    assert _flags_ready(demo_db, a2, r3)
    _compare_flags(demo_db, a2, r3, every_filter=False)


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite admits one writer at a time: no two contacts at once")
def test_two_contacts_in_one_client_group_at_once_both_land(demo_db):
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    dims = [Client.__table__.c[d] for d in q.BOOK_DIMS]
    with demo_db.connect() as c:
        rows = c.execute(select(Client.id, *dims)
                         .where(q._overdue_expr(a.today, r.intervals), Client.status != "closed")
                         .order_by(Client.id)).all()
    seen: dict = {}
    for row in rows:
        if tuple(row[1:]) in seen:
            first, second, rm_id = seen[tuple(row[1:])], row.id, row.rm_id
            break
        seen[tuple(row[1:])] = row.id
    before = _totals(demo_db, a, r)
    # the first contact's transaction adjusts the group's rows and stays open ...
    conn = demo_db.connect()
    tx = conn.begin()
    conn.execute(select(Client.id).where(Client.id == first).with_for_update())
    with rollup.flags_follow(conn, first):
        conn.execute(update(Client).where(Client.id == first)
                     .values(last_contact_at=datetime.combine(DEMO_TODAY, time(1, 0))))
    # ... while the second, through the app's writer, waits for those rows and then adds its own
    errors: list = []

    def second_contact():
        try:
            _log_visit(demo_db, second, rm_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    th = threading.Thread(target=second_contact)
    th.start()
    th.join(2)
    assert th.is_alive(), errors
    tx.commit()
    conn.close()
    th.join(60)
    assert not th.is_alive() and not errors
    after = _totals(demo_db, a, r)
    assert after["overdue_visit"] == before["overdue_visit"] - 2
    _compare_flags(demo_db, a, r, every_filter=False)
