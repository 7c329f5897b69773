"""Declarative base and column helpers shared by every model module.

Conventions (see docs/schema.md):
- every timestamp is a naive ``DateTime`` holding UTC; pages convert to the
  bank's time zone (setting ``ui.timezone``);
- money is an integer number of fen (分) in a ``BigInteger`` column whose name
  ends in ``_fen``;
- large tables use ``BigId`` keys (BIGINT on PostgreSQL, INTEGER rowid on SQLite).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so that Alembic migrations are identical on SQLite
# and PostgreSQL and constraints can be altered later by name.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
