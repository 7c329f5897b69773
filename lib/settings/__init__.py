"""Versioned settings: every number of shared/domain.md, with its default.

A version holds only the keys it changed; the value of a key at version V is
the one from the newest version <= V that set it, else the catalogue default.
Versions never change once written, so a closed month can always be
recomputed with the settings that applied to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, func, insert, select

from db.models import SettingsVersion, SettingValue
from lib.settings import catalog_complaints, catalog_core, catalog_kpi, catalog_portfolio, catalog_qa
from lib.settings.spec import Setting

CATALOG: dict[str, Setting] = {
    s.key: s
    for mod in (catalog_core, catalog_qa, catalog_complaints, catalog_portfolio, catalog_kpi)
    for s in mod.SETTINGS
}


class StaleSettingsError(RuntimeError):
    """Someone else saved the settings since this editor loaded them."""


class Settings(Mapping):
    """Read-only view of the settings at one version (None = defaults only)."""

    def __init__(self, values: dict[str, Any], version_id: int | None):
        self._values = values
        self.version_id = version_id

    def __getitem__(self, key: str) -> Any:
        if key not in CATALOG:
            raise KeyError(f"unknown setting {key!r}")
        return self._values.get(key, CATALOG[key].default)

    def __iter__(self) -> Iterator[str]:
        return iter(CATALOG)

    def __len__(self) -> int:
        return len(CATALOG)


def defaults() -> Settings:
    return Settings({}, None)


def latest_version_id(conn) -> int | None:
    return conn.execute(select(func.max(SettingsVersion.id))).scalar()


@lru_cache(maxsize=64)
def _values_at(engine: Engine, version_id: int) -> dict[str, Any]:
    sv = SettingValue
    latest = (
        select(sv.key, func.max(sv.version_id).label("v"))
        .where(sv.version_id <= version_id)
        .group_by(sv.key)
        .subquery()
    )
    q = select(sv.key, sv.value_json).join(latest, (sv.key == latest.c.key) & (sv.version_id == latest.c.v))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return {k: json.loads(v) for k, v in rows if k in CATALOG}


def load(engine: Engine, version_id: int | None = None) -> Settings:
    """Settings at ``version_id``, or the current ones."""
    if version_id is None:
        with engine.connect() as conn:
            version_id = latest_version_id(conn)
    if version_id is None:
        return defaults()
    return Settings(dict(_values_at(engine, version_id)), version_id)


def save(
    engine: Engine,
    changes: dict[str, Any],
    *,
    user_id: int | None,
    username: str | None = None,
    note: str | None = None,
    expected_version_id: int | None = None,
    check_version: bool = True,
) -> int | None:
    """Validate and store ``changes`` as a new version; return its id.

    Raises ValueError naming the first invalid setting (nothing written) and
    StaleSettingsError when another edit landed after ``expected_version_id``.
    """
    from lib import audit

    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in CATALOG:
            raise ValueError(f"unknown setting {key!r}")
        clean[key] = CATALOG[key].validate(value)
    if not clean:
        return None
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.begin() as conn:
        current = latest_version_id(conn)
        if check_version and current != expected_version_id:
            raise StaleSettingsError(
                "The settings were changed by someone else while you edited them; reload to see their change."
            )
        before = load(engine, current) if current else defaults()
        vid = conn.execute(
            insert(SettingsVersion).values(created_at=now, created_by=user_id, note=note).returning(SettingsVersion.id)
        ).scalar_one()
        conn.execute(
            insert(SettingValue),
            [{"version_id": vid, "key": k, "value_json": json.dumps(v, ensure_ascii=False)} for k, v in clean.items()],
        )
        audit.record(
            conn,
            user_id=user_id,
            username=username,
            action="settings.change",
            entity="settings_version",
            entity_id=vid,
            detail={k: {"from": before[k], "to": v} for k, v in clean.items()} | ({"note": note} if note else {}),
        )
    return vid
