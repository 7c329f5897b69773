"""Importing complaints from CSV: the department's own columns, or the public CFPB export (``cfpb``).

The same file rules as every import (lib.fileio): UTF-8 with or without BOM, or
GB18030; each bad record reported with the line it starts on; the file refused
whole unless ``skip_bad``; one transaction; idempotent on the external id (a
second import of the same file inserts nothing).

Own format — a header row with (required) ``channel, category, narrative`` and
``client_name`` (or ``client_no``), and optionally ``external_id, accepted_at``
(ISO date/time, bank time), ``subcategory, cause_code, severity, product,
regulator_referral, media_risk, vulnerable_customer, subject_branch,
dept_at_fault``. Imported complaints enter the queue unassigned, clocks running
from ``accepted_at``.

``cfpb`` — the 18 columns of the US CFPB Consumer Complaint Database export
(https://www.consumerfinance.gov/data-research/consumer-complaints/). Mapping:
Complaint ID → external id ``CFPB-<id>``; Date received → accepted (00:00 bank
time); Product / Sub-product → product text and our category (``CFPB_CATEGORY``);
Issue / Sub-issue → subcategory text and the narrative's first line when the
narrative is empty (it is, before 2015); Submitted via → channel (Referral → a
regulator referral); Tags "Older American" → vulnerable customer; Company
response → company_response. Those complaints were answered by the company
already, so they are imported closed: replied and closed on Date sent to
company, replied on time = Timely response?, first follow-up outcome from
Consumer disputed? (Yes → not satisfied). "In progress" responses stay open.
Company, State, ZIP code and consent go into the 'created' event.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Engine, bindparam, select, update

from db.models import Client, Complaint
from lib.auth import CurrentUser
from lib.calendar import to_utc
from lib.complaints import CHANNELS, rollup
from lib.complaints.service import NewComplaint, _audit, _context, _event, insert_complaint, utcnow, validate
from lib.fileio import ImportIssue, ImportRefused, ImportReport, decode_bytes

C = Complaint.__table__.c

CFPB_COLUMNS = ["Date received", "Product", "Sub-product", "Issue", "Sub-issue", "Consumer complaint narrative",
                "Company public response", "Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
                "Submitted via", "Date sent to company", "Company response to consumer", "Timely response?",
                "Consumer disputed?", "Complaint ID"]
CFPB_CHANNEL = {"Web": "chat", "Phone": "hotline", "Postal mail": "letter", "Fax": "letter", "Email": "email",
                "Referral": "regulator", "Web Referral": "regulator"}
# CFPB product -> our category (lib.settings complaints.categories)
CFPB_CATEGORY = {"Mortgage": "product", "Debt collection": "debt_collection", "Credit reporting": "credit_report",
                 "Credit card": "transaction_dispute", "Bank account or service": "transaction_dispute",
                 "Student loan": "product", "Consumer Loan": "product", "Money transfers": "transaction_dispute",
                 "Payday loan": "product", "Prepaid card": "transaction_dispute", "Other financial service": "fees",
                 "Virtual currency": "technical"}
OWN_REQUIRED = ("channel", "category", "narrative")
OWN_OPTIONAL = ("external_id", "accepted_at", "client_name", "client_no", "subcategory", "cause_code", "severity",
                "product", "regulator_referral", "media_risk", "vulnerable_customer", "subject_branch", "dept_at_fault")
TRUE = {"1", "true", "yes", "y", "是", "t"}
FALSE = {"", "0", "false", "no", "n", "否", "f"}
PRESETS = ("own", "cfpb")
_CLOSE = update(Complaint.__table__).where(C.id == bindparam("cid")).values(
    status="closed", replied_at=bindparam("at"), reply_on_time=bindparam("on_time"),
    follow_up_outcome=bindparam("outcome"), closed_at=bindparam("at"), due_at=None)


@dataclass
class _Parsed:
    line: int
    new: NewComplaint
    closed: dict | None = None  # for historical (already answered) records


def _records(text: str):
    """(line the record starts on, fields) for every CSV record after the header; the header first."""
    reader = csv.reader(io.StringIO(text, newline=""))
    prev = 0
    try:
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            yield start, row
    except csv.Error as exc:
        raise ImportRefused(f"line {prev + 1}: the CSV is malformed ({exc})", [ImportIssue(prev + 1, str(exc))]) \
            from None


def _bool(v: str, name: str) -> bool:
    x = (v or "").strip().lower()
    if x in TRUE:
        return True
    if x in FALSE:
        return False
    raise ValueError(f"{name} must be yes or no, got {v!r}")


def _date(v: str, name: str) -> date:
    try:
        return date.fromisoformat((v or "").strip())
    except ValueError:
        raise ValueError(f"{name} is not a date (YYYY-MM-DD): {v!r}") from None


def _parse_cfpb(rec: dict, line: int, tz: str, now: datetime) -> _Parsed:
    cid = (rec["Complaint ID"] or "").strip()
    if not cid.isdigit():
        raise ValueError(f"Complaint ID must be a number, got {cid!r}")
    received = _date(rec["Date received"], "Date received")
    sent_raw = (rec["Date sent to company"] or "").strip()
    sent = _date(sent_raw, "Date sent to company") if sent_raw else received
    # the real export has records sent to the company before the date it lists as received
    # (23 of cfpb_2013_1000.csv): kept, the close is never before the acceptance
    product = (rec["Product"] or "").strip()
    if product not in CFPB_CATEGORY:
        raise ValueError(f"unknown Product {product!r}")
    via = (rec["Submitted via"] or "").strip()
    if via not in CFPB_CHANNEL:
        raise ValueError(f"unknown Submitted via {via!r}")
    issue, sub_issue = (rec["Issue"] or "").strip(), (rec["Sub-issue"] or "").strip()
    narrative = (rec["Consumer complaint narrative"] or "").strip()
    first_line = issue + (f" / {sub_issue}" if sub_issue else "")
    narrative = f"[{first_line}]\n{narrative}" if narrative else f"[{first_line}]" if first_line else ""
    accepted = to_utc(datetime.combine(received, time()), tz)
    sub_product = (rec["Sub-product"] or "").strip()
    tags = (rec["Tags"] or "").strip()
    response = (rec["Company response to consumer"] or "").strip()
    new = NewComplaint(
        channel=CFPB_CHANNEL[via], category=CFPB_CATEGORY[product], narrative=narrative,
        subcategory=None, severity="medium", client_name=f"CFPB consumer {cid}",
        product_text=(product + (f" / {sub_product}" if sub_product else ""))[:128],
        regulator_referral=via in ("Referral", "Web Referral"), vulnerable_customer="Older American" in tags,
        accepted_at=accepted, external_id=f"CFPB-{cid}", source="cfpb", company_response=response[:128] or None,
        extra={k: rec[k] for k in ("Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
                                   "Company public response", "Issue", "Sub-issue") if rec.get(k)},
    )
    closed = None
    if response and response.lower() != "in progress":
        at = to_utc(datetime.combine(sent, time()), tz)
        timely = (rec["Timely response?"] or "").strip()
        disputed = (rec["Consumer disputed?"] or "").strip()
        closed = {"at": max(at, accepted), "on_time": {"Yes": True, "No": False}.get(timely),
                  "outcome": {"Yes": "not_satisfied", "No": "satisfied"}.get(disputed), "response": response}
    return _Parsed(line, new, closed)


def _parse_own(rec: dict, line: int, tz: str, client_ids: dict[str, int]) -> _Parsed:
    def g(k):
        return (rec.get(k) or "").strip()

    acc = None
    if g("accepted_at"):
        try:
            acc = to_utc(datetime.fromisoformat(g("accepted_at")), tz)
        except ValueError:
            raise ValueError(f"accepted_at is not a date and time (YYYY-MM-DD HH:MM): {g('accepted_at')!r}") from None
    client_id = None
    if g("client_no"):
        client_id = client_ids.get(g("client_no"))
        if client_id is None:
            raise ValueError(f"unknown client_no {g('client_no')!r}")
    return _Parsed(line, NewComplaint(
        channel=g("channel"), category=g("category"), narrative=rec.get("narrative") or "",
        subcategory=g("subcategory") or None, cause_code=g("cause_code") or None, severity=g("severity") or "medium",
        client_id=client_id, client_name=g("client_name") or None, product_text=g("product") or None,
        regulator_referral=_bool(g("regulator_referral"), "regulator_referral"),
        media_risk=_bool(g("media_risk"), "media_risk"),
        vulnerable_customer=_bool(g("vulnerable_customer"), "vulnerable_customer"),
        subject_branch=g("subject_branch") or None, dept_at_fault=g("dept_at_fault") or None,
        accepted_at=acc, external_id=g("external_id") or None, source="import"))


def import_complaints(engine: Engine, data: bytes, *, preset: str = "own", skip_bad: bool = False,
                      user: CurrentUser | None = None, lang: str = "en", progress=None) -> ImportReport:
    """Import a CSV file's complaints; raises ImportRefused (nothing written) when it must."""
    if preset not in PRESETS:
        raise ImportRefused(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
    text, encoding = decode_bytes(data)
    s, cal = _context(engine)
    tz = s["ui.timezone"]
    now = utcnow()
    recs = _records(text)
    try:
        _l, header = next(recs)
    except StopIteration:
        raise ImportRefused("the file is empty") from None
    header = [h.strip() for h in header]
    if preset == "cfpb":
        missing = [c for c in CFPB_COLUMNS if c not in header]
    else:
        missing = [c for c in OWN_REQUIRED if c not in header]
        if "client_name" not in header and "client_no" not in header:
            missing.append("client_name or client_no")
    if missing:
        raise ImportRefused(f"line 1: missing column(s): {', '.join(missing)}", [ImportIssue(1, "missing columns")])
    if len(set(header)) != len(header):
        raise ImportRefused("line 1: a column name appears twice", [ImportIssue(1, "duplicate column")])
    client_ids: dict[str, int] = {}
    report = ImportReport(extra={"encoding": encoding, "preset": preset})
    parsed: list[_Parsed] = []
    seen: dict[str, int] = {}
    raw = list(recs)
    if preset == "own" and "client_no" in header:
        nos = {r[header.index("client_no")].strip() for _, r in raw if len(r) == len(header)}
        nos.discard("")
        with engine.connect() as conn:
            nos_l = sorted(nos)
            for i in range(0, len(nos_l), 500):
                client_ids.update(conn.execute(select(Client.client_no, Client.id)
                                               .where(Client.client_no.in_(nos_l[i:i + 500]))).all())
    for line, row in raw:
        if not any(x.strip() for x in row):
            continue  # blank line
        if len(row) != len(header):
            report.rejected.append(ImportIssue(line, f"expected {len(header)} fields, found {len(row)}"))
            continue
        rec = dict(zip(header, row, strict=True))
        try:
            p = _parse_cfpb(rec, line, tz, now) if preset == "cfpb" else _parse_own(rec, line, tz, client_ids)
        except ValueError as exc:
            report.rejected.append(ImportIssue(line, str(exc)))
            continue
        errs = validate(p.new, s, lang=lang, now=now)
        if p.new.source != "form" and p.new.dept_at_fault and len(p.new.dept_at_fault) > 64:
            errs.append("dept_at_fault is too long")
        if errs:
            report.rejected.append(ImportIssue(line, "; ".join(errs)))
            continue
        ext = p.new.external_id
        if ext:
            if ext in seen:
                report.rejected.append(ImportIssue(line, f"duplicate id {ext} (first on line {seen[ext]})"))
                continue
            seen[ext] = line
        parsed.append(p)
    if report.rejected and not skip_bad:
        first = report.rejected[0]
        raise ImportRefused(f"{len(report.rejected)} bad record(s), first at {first}; nothing imported "
                            "(fix the file, or use --skip-bad to import the good records only)", report.rejected)
    # idempotence: complaints already imported
    exts = [p.new.external_id for p in parsed if p.new.external_id]
    existing: set[str] = set()
    with engine.connect() as conn:
        for i in range(0, len(exts), 500):
            existing.update(conn.execute(select(C.external_id).where(C.external_id.in_(exts[i:i + 500]))).scalars())
    todo = [p for p in parsed if p.new.external_id not in existing]
    report.skipped = len(parsed) - len(todo)
    ids: list[int] = []
    with engine.begin() as conn:
        for k, p in enumerate(todo):
            cid = insert_complaint(conn, p.new, actor=user, now=now, settings=s, cal=cal, emit=False,
                                   audit_each=False)
            if p.closed:
                _close_historical(conn, cid, p, user)
            ids.append(cid)
            if progress and (k + 1) % 100 == 0:
                progress(k + 1, len(todo))
        if ids:
            _audit(conn, user, "import", None, {"preset": preset, "inserted": len(ids), "skipped": report.skipped,
                                                "rejected": len(report.rejected), "first_id": ids[0],
                                                "last_id": ids[-1]})
            rollup.changed(conn, ids)
    report.inserted = len(ids)
    if progress:
        progress(len(todo), len(todo))
    return report


def _close_historical(conn, cid: int, p: _Parsed, user: CurrentUser | None) -> None:
    c = p.closed
    at = c["at"]
    conn.execute(_CLOSE, {"cid": cid, "at": at, "on_time": c["on_time"], "outcome": c["outcome"]})
    _event(conn, cid, at, user.id if user else None, "status", "accepted", "closed",
           {"text": "closed by the company (CFPB export)"})
    _event(conn, cid, at, user.id if user else None, "note", "closed", "closed",
           {"text": f"imported as answered: {c['response']}", "outcome": c["outcome"]})


__all__ = ["import_complaints", "PRESETS", "CFPB_COLUMNS", "CHANNELS"]
