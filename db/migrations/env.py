"""Alembic environment: runs on the connection handed over by db.migrate, or on DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

from db.engine import make_engine
from db.models import AREA_OF_MODULE, Base

config = context.config
target_metadata = Base.metadata

# Developers autogenerate one area's migration at a time:
#   ALEMBIC_AREA=qa alembic revision --autogenerate ...
_AREA = os.environ.get("ALEMBIC_AREA")


def _include_object(obj, name, type_, reflected, compare_to):
    if not _AREA or type_ != "table" or reflected:
        return True
    from db.models import Base as _B

    for mapper in _B.registry.mappers:
        if mapper.local_table is not None and mapper.local_table.name == name:
            return AREA_OF_MODULE.get(mapper.class_.__module__) == _AREA
    return False


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine()
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
