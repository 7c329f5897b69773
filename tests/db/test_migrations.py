"""Migrations: from empty to head on this backend, models and migrations agree, and back down."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db.migrate import current_revision, downgrade, head_revision, upgrade
from db.models import Base
from lib.db import engine_for


def test_upgrade_from_empty_matches_models_and_downgrades(db_factory):
    url = db_factory.new_url()
    eng = engine_for(url)
    assert current_revision(eng) is None
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    tables = set(inspect(eng).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    downgrade(eng, "base")
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    db_factory.release(url)
