"""The audit log is append-only: no code path updates or deletes its rows."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITE = re.compile(r"(update|delete)\(\s*AuditLog\b|(UPDATE|DELETE\s+FROM)\s+\"?audit_log\b", re.IGNORECASE)


def test_no_code_updates_or_deletes_audit_rows():
    hits = []
    for path in list(ROOT.glob("lib/**/*.py")) + list(ROOT.glob("pages/*.py")) + list(ROOT.glob("db/**/*.py")) + [
            ROOT / "app.py"]:
        if "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == []


def test_the_audit_page_offers_no_edit():
    src = (ROOT / "pages" / "audit.py").read_text(encoding="utf-8")
    assert "data_editor" not in src and "audit.record" not in src
