"""The demo seed: deterministic for a seed, the demo logins, refusal on a non-empty database."""

import hashlib

import pytest
from sqlalchemy import select, text

from db.models import Base, Meta, User, UserRole
from db.seed import SeedError, seed
from lib import auth
from lib.db import engine_for
from tests.conftest import DEMO_TODAY


def _digest(engine) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            pk = [c.name for c in table.primary_key.columns]
            rows = conn.execute(select(table).order_by(*[table.c[c] for c in pk])).all()
            out[name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


def test_seeding_twice_with_one_seed_gives_identical_rows(db_factory, migrated_template, demo_template):
    url = db_factory.new_url(migrated_template)
    eng = engine_for(url)
    seed(eng, "demo", 42, today=DEMO_TODAY)
    first, second = _digest(engine_for(demo_template)), _digest(eng)
    db_factory.release(demo_template)  # other tests copy the template: leave no connection to it
    db_factory.release(url)
    differing = [t for t in first if first[t] != second[t]]
    assert differing == []


def test_demo_seed_has_one_login_per_role_and_the_demo_flag(demo_db):
    with demo_db.connect() as conn:
        demo_users = dict(conn.execute(select(User.username, User.id).where(User.username.like("demo_%"))).all())
        roles = conn.execute(select(UserRole.role).where(UserRole.user_id.in_(demo_users.values()))).scalars()
        assert sorted(roles) == sorted(["admin", "manager", "team_lead", "qa", "complaint_handler", "rm", "agent"])
        assert conn.execute(select(Meta.value).where(Meta.key == "demo")).scalar() == "1"
        teams = conn.execute(text("select count(*) from teams")).scalar()
        agents = conn.execute(text("select count(*) from agents")).scalar()
        rms = conn.execute(text("select count(*) from relationship_managers")).scalar()
    assert len(demo_users) == 7 and teams == 8 and agents == 120 and rms == 40
    assert auth.is_demo(demo_db)
    for u in demo_users:
        row = auth.load_user(demo_db, username=u)
        assert row is not None


def test_seed_refuses_a_database_with_users(empty_db):
    auth.create_user(empty_db, "alice", "s3cret-pass", ["admin"])
    with pytest.raises(SeedError, match="empty database"):
        seed(empty_db, "demo", 1, today=DEMO_TODAY)
    assert not auth.is_demo(empty_db)
    with empty_db.connect() as conn:
        assert conn.execute(select(User.username)).scalars().all() == ["alice"]


def test_seed_rejects_an_unknown_size(empty_db):
    with pytest.raises(SeedError, match="Unknown size"):
        seed(empty_db, "xl", 1, today=DEMO_TODAY)
