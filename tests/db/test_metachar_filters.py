"""Text filters with SQL metacharacters give correct results, never errors."""

import pytest
from sqlalchemy import insert

from db.models import AuditLog
from lib import admin, auth
from lib.complaints.queue import QueueFilter, count

HOSTILE = ["%", "_", "\\", "'", "' OR 1=1 --", "\"; DROP TABLE complaints; --", "50%", "a_b", "[x]", "王%"]


@pytest.mark.parametrize("term", HOSTILE)
def test_audit_action_filter_matches_literally(empty_db, term):
    with empty_db.begin() as conn:
        conn.execute(insert(AuditLog), [
            {"at": auth.now_utc(), "action": "client.view", "username": "a"},
            {"at": auth.now_utc(), "action": f"{term}literal", "username": "b"},
        ])
    rows = admin.audit_page(empty_db, action=term)
    assert rows["action"].tolist() == [f"{term}literal"]
    assert admin.audit_count(empty_db, action=term) == 1


@pytest.mark.parametrize("term", HOSTILE)
def test_complaint_queue_search_matches_literally(demo_db, term):
    manager = auth.load_user(demo_db, username="demo_manager")
    # no complaint's reference, client name or external id contains these characters
    for view in ("open", "closed"):
        assert count(demo_db, manager, QueueFilter(view=view, search=term)) == 0
    assert sum(count(demo_db, manager, QueueFilter(view=v, search="TS")) for v in ("open", "closed")) > 0
