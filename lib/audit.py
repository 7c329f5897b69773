"""The append-only audit log: who did what to which record, and when.

Only ``record`` writes here, and only inserts; no page edits or deletes a row.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert

from db.models import AuditLog


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def record(
    conn,
    *,
    user_id: int | None,
    username: str | None,
    action: str,
    entity: str | None = None,
    entity_id: Any = None,
    detail: dict | list | None = None,
    at: datetime | None = None,
) -> None:
    """Insert one audit row inside the caller's transaction (a Connection or Session)."""
    conn.execute(
        insert(AuditLog).values(
            at=at or _now(),
            user_id=user_id,
            username=username,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail_json=None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
