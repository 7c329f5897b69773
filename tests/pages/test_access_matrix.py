"""The access matrix of lib/policy.py, proven page by page and role by role:
pages offered or refused, and download buttons shown only where the table allows."""

from pathlib import Path

import pytest

from lib import policy
from tests.apptest import DEMO_LOGINS, page, sign_in_state

ROOT = Path(__file__).resolve().parents[2]


def _download_buttons(at):
    return [el for el in at.get("download_button")]


@pytest.mark.parametrize("role", policy.ROLES)
def test_pages_and_downloads_per_role(demo_db, role):
    for spec in policy.PAGES:
        at = page(spec.file)
        sign_in_state(at, demo_db, DEMO_LOGINS[role])
        at.run(timeout=120)
        assert not at.exception, (spec.key, role, [e.value for e in at.exception])
        refused = any("do not allow this page" in e.value for e in at.error)
        assert refused == (role not in spec.roles), (spec.key, role)
        checks = at.session_state["_download_checks"] if "_download_checks" in at.session_state else {}
        for key, allowed in checks.items():
            assert allowed == policy.can_download({role}, key), (spec.key, role, key)
        if _download_buttons(at):
            assert any(checks.values()), f"{spec.key} shows a download to {role} without a policy check"
        if refused:
            assert not _download_buttons(at) and len(at.dataframe) == 0


def test_every_download_key_is_checked_somewhere_and_known():
    used = set()
    for path in list(ROOT.glob("pages/*.py")) + list(ROOT.glob("lib/**/*.py")):
        text = path.read_text(encoding="utf-8")
        for key in policy.DOWNLOADS:
            if f'"{key}"' in text:
                used.add(key)
    assert used == set(policy.DOWNLOADS)


def test_readme_shows_the_policy_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert policy.markdown_table() in readme, "README's access table differs from lib/policy.py"


def test_readme_shows_a_screenshot_of_every_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for spec in policy.PAGES:
        shot = f"docs/screenshots/{spec.key}.png"
        assert shot in readme and (ROOT / shot).is_file(), shot
