"""The precomputed book figures (lib/portfolio/rollup.py) equal the live computation, and pages use them
only while they match today's dates and settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select, update

from db.models import Balance, Client, RelationshipManager
from lib.portfolio import performance as perf
from lib.portfolio import queries as q
from lib.portfolio import rollup
from lib.portfolio.scope import Scope
from tests.conftest import DEMO_TODAY

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


def test_flags_that_move_with_the_date_are_counted_live(demo_db):
    """A visit logged after the build takes the client off 'key overdue' at once."""
    a, r = q.as_of(demo_db, DEMO_TODAY), q.load_rules(demo_db)
    ko, total = q.key_clients_overdue(demo_db, MANAGER, q.Filters(), a, r, limit=1)
    before = q.overview(demo_db, MANAGER, q.Filters(), a, r, use_rollup=True)
    with demo_db.begin() as c:
        c.execute(update(Client).where(Client.id == int(ko.loc[0, "id"]))
                  .values(last_contact_at=datetime.combine(DEMO_TODAY, datetime.min.time())))
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
