"""Every complaint label exists in both languages."""

import re
from pathlib import Path

from lib.complaints import CHANNELS, DEPARTMENTS, OUTCOMES, SEVERITIES, importer, queue, report, workflow
from lib.i18n import STRINGS
from lib.i18n.complaints import STRINGS as OWN
from lib.settings import CATALOG

ROOT = Path(__file__).resolve().parents[3]
FILES = list((ROOT / "lib" / "complaints").glob("*.py")) + list((ROOT / "pages").glob("complaints_*.py"))


def test_keys_are_prefixed_and_have_both_languages():
    for key, (zh, en) in OWN.items():
        assert key.startswith("complaints."), key
        assert zh.strip() and en.strip(), key


def test_every_literal_key_used_exists():
    used = set()
    for f in FILES:
        used |= set(re.findall(r'"(complaints\.[a-z_]+\.[a-z_0-9.]+)"', f.read_text()))
    settings_keys = {k for k in CATALOG if k.startswith("complaints.")}
    missing = sorted(k for k in used - settings_keys if k not in STRINGS and not k.endswith((".", "_")))
    assert not missing, missing


def test_every_code_has_a_label():
    cats = CATALOG["complaints.categories"].default
    codes = {
        "status": workflow.STATUSES, "channel": CHANNELS, "category": list(cats),
        "subcategory": [s for subs in cats.values() for s in subs], "cause": CATALOG["complaints.causes"].default,
        "dept": DEPARTMENTS, "severity": SEVERITIES, "outcome": OUTCOMES, "clock": ("reply", "follow_up", "outer"),
        "event": ("created", "assigned", "status", "note", "extension", "escalated", "dept_request", "dept_answer",
                  "follow_up"),
        "view": queue.VIEWS, "action": [a for a in workflow.ACTIONS if a not in ("register", "import")],
        "report.dim": report.DIMENSIONS, "import": [f"preset_{p}" for p in importer.PRESETS],
        "report.flag": ("late_reply", "late_follow_up", "not_satisfied", "repeats", "regulator", "media", "escalated"),
        "escalated": ("1", "2"),
    }
    missing = [f"complaints.{kind}.{c}" for kind, cs in codes.items() for c in cs
               if f"complaints.{kind}.{c}" not in STRINGS]
    assert not missing, missing
