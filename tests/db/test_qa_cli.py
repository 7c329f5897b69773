"""QA commands: import-chats (refusal exit code, --skip-bad), sample --date, verify-draw, close-month,
export qa-month — and the demo seed's QA data."""

import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from db.models import Chat, MonthClosure, Review, Sample, SampleDraw
from lib.qa import points, sampling
from tests.conftest import DEMO_TODAY
from tests.lib.qa.world import World

ROOT = Path(__file__).resolve().parents[2]


def run_cli(url, *args):
    import os

    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "db", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)


def url(engine):
    return engine.url.render_as_string(hide_password=False)


def test_import_chats_cli_refuses_then_skips_bad(empty_db, tmp_path):
    f = tmp_path / "chats.jsonl"
    f.write_text('{"conversation_id": "a", "turns": [{"speaker": "agent", "text": "您好"}]}\n{oops\n',
                 encoding="utf-8")
    r = run_cli(url(empty_db), "import-chats", str(f))
    assert r.returncode == 2 and "line 2" in r.stderr
    r = run_cli(url(empty_db), "import-chats", str(f), "--skip-bad")
    assert r.returncode == 0 and "1 inserted" in r.stdout and "rejected line 2" in r.stdout
    r = run_cli(url(empty_db), "import-chats", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_sample_close_and_export(empty_db, tmp_path):
    w = World(empty_db)
    w.chats("ag1", date(2026, 10, 5), 3)
    r = run_cli(url(empty_db), "sample", "--date", "2026-10-05")
    assert r.returncode == 0 and "3 samples drawn for 1 agents" in r.stdout
    with empty_db.connect() as c:
        did = c.execute(select(SampleDraw.id)).scalar()
    r = run_cli(url(empty_db), "verify-draw", str(did))
    assert r.returncode == 0 and "EQUAL" in r.stdout
    r = run_cli(url(empty_db), "sample", "--date", "yesterday")
    assert r.returncode == 2
    r = run_cli(url(empty_db), "close-month", "2026-10")
    assert r.returncode == 2 and "waiting" in r.stderr
    r = run_cli(url(empty_db), "close-month", "2026-10", "--force")
    assert r.returncode == 0 and "frozen for 1 agents" in r.stdout
    out = tmp_path / "pay"
    r = run_cli(url(empty_db), "export", "qa-month", "2026-10", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "pay.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("month,employee_no,agent,team,working_days,points")
    assert "A0001" in text and "True" in text.splitlines()[1]  # closed


def test_demo_seed_exercises_every_rule(demo_db):
    with demo_db.connect() as c:
        assert c.execute(select(func.count()).select_from(Chat)).scalar() > 50_000
        over_cap = c.execute(select(func.count()).select_from(
            select(Chat.agent_id, Chat.work_date).group_by(Chat.agent_id, Chat.work_date)
            .having(func.count() > 20).subquery())).scalar()
        assert over_cap > 0
        assert c.execute(select(func.max(select(func.count()).select_from(Sample)
                                        .group_by(Sample.draw_id).subquery().c[0]))).scalar() == 20
        pending = c.execute(select(func.count()).select_from(Sample).where(Sample.status == "pending")).scalar()
        assert pending > 0
        months = c.execute(select(MonthClosure.month)).scalars().all()
        did = c.execute(select(SampleDraw.id).order_by(SampleDraw.id.desc())).scalars().first()
        assert c.execute(select(func.count()).select_from(Review).where(Review.calibration_session_id.is_not(None))
                         ).scalar() > 0
    prev = (DEMO_TODAY.replace(day=1) - __import__("datetime").timedelta(days=1)).strftime("%Y-%m")
    assert months == [prev]
    closed = points.agent_month(demo_db, prev)
    assert set(closed["tier"]) == {"full", "standard", "deduct1", "deduct2", "no_bonus"}
    assert points.recompute(demo_db, prev).equals(closed)
    assert sampling.verify(demo_db, did).equal
