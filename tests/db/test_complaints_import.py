"""Importing complaints: the shared CFPB file, and bad files of our own (each kind of error, each encoding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.cli import main as cli
from db.models import AuditLog, Complaint, ComplaintEvent
from lib.complaints.importer import CFPB_COLUMNS, import_complaints
from lib.fileio import ImportRefused

HEADER = "external_id,accepted_at,channel,client_name,category,subcategory,cause_code,severity,narrative,media_risk\n"
GOOD = [
    "EXT-1,2026-11-20 09:15,hotline,王小明,fees,service_charge,staff_error,medium,年费多收，电话13800138000,no\n",
    "EXT-2,2026-11-20 10:00,weibo,李华,service,attitude,,high,柜员态度差,yes\n",
    'EXT-3,2026-11-21 14:30,branch,"张三, 先生",product,wealth,,low,"理财风险未揭示，""要求赔偿""\n第二行",0\n',
]


def count(engine, model=Complaint):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(model)).scalar()


def own(*lines: str) -> str:
    return HEADER + "".join(lines)


def test_shared_cfpb_file_imports_once(empty_db, shared_data):
    data = (shared_data / "complaints" / "cfpb_2013_1000.csv").read_bytes()
    rep = import_complaints(empty_db, data, preset="cfpb")
    assert (rep.inserted, rep.skipped, len(rep.rejected)) == (1000, 0, 0)
    assert count(empty_db) == 1000
    again = import_complaints(empty_db, data, preset="cfpb")
    assert (again.inserted, again.skipped) == (0, 1000)
    assert count(empty_db) == 1000
    with empty_db.connect() as c:
        regulator = c.execute(select(func.count()).select_from(Complaint)
                              .where(Complaint.regulator_referral.is_(True))).scalar()
        closed = c.execute(select(func.count()).select_from(Complaint).where(Complaint.status == "closed")).scalar()
        ext = c.execute(select(Complaint.external_id, Complaint.channel, Complaint.category)
                        .where(Complaint.external_id == "CFPB-511074")).one()
        imports = c.execute(select(func.count()).select_from(AuditLog)
                            .where(AuditLog.action == "complaint.import")).scalar()
    assert regulator == 92  # 'Referral' rows of the export
    assert closed == 1000  # every 2013 record has the company's response
    assert tuple(ext) == ("CFPB-511074", "regulator", "product")
    assert imports == 1
    assert count(empty_db, ComplaintEvent) >= 2000


def test_shared_cfpb_file_through_the_cli(empty_db, shared_data, capsys):
    path = shared_data / "complaints" / "cfpb_2013_1000.csv"
    assert cli(["import-complaints", str(path), "--preset", "cfpb"]) == 0
    assert "1000 inserted" in capsys.readouterr().out
    assert cli(["import-complaints", str(path), "--preset", "cfpb"]) == 0
    assert "0 inserted, 1000 already present" in capsys.readouterr().out


CFPB_HEADER = ",".join(CFPB_COLUMNS) + "\n"
# rows in the export's shape, written for these tests (not taken from the export)
CFPB_ROWS = [
    "2024-03-01,Credit card,,Late fee,,,,Example Bank,CA,90001,,,Web,2024-03-02,Closed with explanation,Yes,No,900001\n",
    "2024-03-02,Mortgage,FHA mortgage,Trouble during payment process,,My payment was lost,,Example Bank,NY,10001,"
    "Older American,Consent provided,Referral,2024-03-03,In progress,Yes,,900002\n",
]


def test_cfpb_preset_maps_columns(empty_db):
    rep = import_complaints(empty_db, (CFPB_HEADER + "".join(CFPB_ROWS)).encode(), preset="cfpb")
    assert rep.inserted == 2
    with empty_db.connect() as c:
        rows = c.execute(select(Complaint.__table__).order_by(Complaint.external_id)).all()
    a, b = rows
    assert (a.channel, a.category, a.status, a.reply_on_time, a.follow_up_outcome) == (
        "chat", "transaction_dispute", "closed", True, "satisfied")
    assert (b.channel, b.regulator_referral, b.vulnerable_customer, b.status) == ("regulator", True, True, "accepted")
    assert b.narrative.startswith("[Trouble during payment process]") and "My payment was lost" in b.narrative
    assert b.due_at is not None


def test_cfpb_preset_refuses_a_file_without_its_columns(empty_db):
    with pytest.raises(ImportRefused, match="missing column"):
        import_complaints(empty_db, own(*GOOD).encode(), preset="cfpb")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_own_format_in_each_encoding(empty_db, encoding):
    rep = import_complaints(empty_db, own(*GOOD).encode(encoding))
    assert rep.inserted == 3 and rep.extra["encoding"] == encoding
    with empty_db.connect() as c:
        names = set(c.execute(select(Complaint.client_name)).scalars())
        media = c.execute(select(Complaint.media_risk).where(Complaint.external_id == "EXT-2")).scalar()
        narrative = c.execute(select(Complaint.narrative).where(Complaint.external_id == "EXT-3")).scalar()
    assert names == {"王小明", "李华", "张三, 先生"} and media is True
    assert narrative == '理财风险未揭示，"要求赔偿"\n第二行'
    assert import_complaints(empty_db, own(*GOOD).encode(encoding)).skipped == 3


@pytest.mark.parametrize("bad, line, message", [
    ("EXT-9,2026-11-20 09:15,fax,王,fees,,,medium,x,no\n", 6, "Channel"),
    ("EXT-9,2026-11-20 09:15,hotline,王,nosuch,,,medium,x,no\n", 6, "Category"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees,attitude,,medium,x,no\n", 6, "Subcategory"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees,,bogus,medium,x,no\n", 6, "Cause"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees,,,urgent,x,no\n", 6, "Severity"),
    ("EXT-9,20/11/2026,hotline,王,fees,,,medium,x,no\n", 6, "accepted_at"),
    ("EXT-9,2099-01-01 00:00,hotline,王,fees,,,medium,x,no\n", 6, "future"),
    ("EXT-9,2026-11-20 09:15,hotline,,fees,,,medium,x,no\n", 6, "client"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees,,,medium,,no\n", 6, "narrative"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees,,,medium,x,maybe\n", 6, "media_risk"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees\n", 6, "expected 10 fields"),
    ("EXT-1,2026-11-20 09:15,hotline,王,fees,,,medium,x,no\n", 6, "duplicate id EXT-1"),
    ("EXT-9,2026-11-20 09:15,hotline,王,fees,,,medium," + "长" * 10_001 + ",no\n", 6, "too long"),
])
def test_each_kind_of_bad_line_is_reported_and_refuses_the_file(empty_db, bad, line, message):
    data = own(*GOOD, bad).encode()
    with pytest.raises(ImportRefused) as exc:
        import_complaints(empty_db, data)
    assert exc.value.issues[0].line == line  # GOOD[2] spans two lines: the bad record starts on line 6
    assert message.lower() in exc.value.issues[0].message.lower()
    assert count(empty_db) == 0 and count(empty_db, AuditLog) == 0
    rep = import_complaints(empty_db, data, skip_bad=True)
    assert rep.inserted == 3 and [i.line for i in rep.rejected] == [line]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"channel,category\nhotline,fees\n", "missing column"),
    (b"channel,category,narrative,client_name,channel\n", "twice"),
    ((HEADER + GOOD[0]).encode() + b"\x00\n", "NUL"),
    ((HEADER + GOOD[0]).encode() + b"\xff\xfe\xfa\x81\x39", "neither UTF-8 nor GB18030"),
    ((HEADER + 'EXT-5,2026-11-20 09:15,hotline,王,fees,,,medium,"' + "x" * 200_000 + '",no\n').encode(), "malformed"),
])
def test_files_refused_whole(empty_db, data, message):
    with pytest.raises(ImportRefused, match=message):
        import_complaints(empty_db, data, skip_bad=True)
    assert count(empty_db) == 0


def test_unknown_client_number(empty_db):
    data = b"client_no,channel,category,narrative\nNOPE-1,hotline,fees,x\n"
    with pytest.raises(ImportRefused) as exc:
        import_complaints(empty_db, data)
    assert "unknown client_no" in exc.value.issues[0].message


def test_cli_refuses_with_one_line_and_writes_nothing(empty_db, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(own(GOOD[0], "EXT-9,2026-11-20 09:15,fax,王,fees,,,medium,x,no\n"), encoding="utf-8")
    assert cli(["import-complaints", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "nothing imported" in err
    assert count(empty_db) == 0
    assert cli(["import-complaints", str(bad), "--skip-bad"]) == 0
    assert "1 inserted" in capsys.readouterr().out
    assert cli(["import-complaints", str(tmp_path / "missing.csv")]) == 2


FIELD = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["hotline", "fax", "=HYPERLINK(\"x\")", ""]),
                               st.sampled_from(["fees", "service", "bogus"]), FIELD, FIELD), max_size=6),
       skip=st.booleans())
def test_hostile_rows_end_cleanly(empty_db, rows, skip):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["channel", "category", "client_name", "narrative"])
    w.writerows(rows)
    before = count(empty_db)
    try:
        rep = import_complaints(empty_db, buf.getvalue().encode(), skip_bad=skip)
    except ImportRefused:
        assert count(empty_db) == before
    else:
        assert count(empty_db) == before + rep.inserted


def test_fixture_folder_is_not_needed():
    # the tests above build their files in code; nothing is copied from ../shared
    assert not (Path(__file__).parent / "cfpb_2013_1000.csv").exists()
