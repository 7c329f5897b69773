"""On the demo seed, the KPI rollups equal a computation from the raw records written here in plain
Python (no SQL beyond reading the base tables), and the KPI commands work end to end."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib import settings as settings_mod
from lib.kpis import metrics
from lib.kpis.rollups import COUNTS
from lib.kpis.scope import Scope


def _d(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _ts(v):
    return None if v is None else pd.Timestamp(v).to_pydatetime()


def raw_rollups(engine) -> tuple[dict, dict, dict]:
    """(counts per (agent, day), chats per (agent, day, first-response s), first responses per chat)."""
    s = settings_mod.load(engine)
    limit, window = s["qa.response_limit_s"], s["kpi.repeat_contact_days"]
    sat_min = s["kpi.survey_satisfied_min_score"]
    counts: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    hist: dict[tuple, int] = defaultdict(int)
    frt: dict[int, int | None] = {}
    with engine.connect() as conn:
        chats = conn.execute(text("SELECT id, agent_id, work_date, client_id, started_at, has_timestamps "
                                  "FROM chats")).all()
        msgs = conn.execute(text("SELECT chat_id, seq, speaker, ts FROM chat_messages ORDER BY chat_id, seq")).all()
        for a, d in conn.execute(text("SELECT agent_id, work_date FROM agent_schedules")):
            counts[(a, _d(d))]["scheduled"] += 1
        for a, d, q in conn.execute(text("SELECT agent_id, work_date, qualified FROM qa_reviews "
                                         "WHERE sample_id IS NOT NULL AND agent_id IS NOT NULL")):
            counts[(a, _d(d))]["reviews"] += 1
            counts[(a, _d(d))]["unqualified"] += 0 if q else 1
        complaints = conn.execute(text(
            "SELECT subject_agent_id, accepted_at, reply_due_at, replied_at, follow_up_due_at, followed_up_at, "
            "follow_up_outcome, reply_on_time, follow_up_on_time FROM complaints "
            "WHERE subject_agent_id IS NOT NULL")).all()
        for a, d, score in conn.execute(text("SELECT agent_id, sent_on, score FROM surveys")):
            c = counts[(a, _d(d))]
            if score is not None:
                c["surveys_answered"] += 1
                c["survey_score_sum"] += score
                c["surveys_satisfied"] += 1 if score >= sat_min else 0
        for a, d in conn.execute(text("SELECT agent_id, day FROM work_errors")):
            counts[(a, _d(d))]["work_errors"] += 1

    by_chat: dict[int, list] = defaultdict(list)
    for cid, _seq, speaker, ts in msgs:
        by_chat[cid].append((speaker, _ts(ts)))
    # resolved: no later contact by the same client within the window
    resolving: dict[int, bool] = {}
    per_client = defaultdict(list)
    for cid, _a, d, client, started, _h in chats:
        if client is not None and d is not None:
            per_client[client].append((_d(d), started is None, _ts(started) or pd.Timestamp(0).to_pydatetime(), cid))
    for lst in per_client.values():
        lst.sort()
        for i, (d, _n, _s, cid) in enumerate(lst):
            nxt = lst[i + 1][0] if i + 1 < len(lst) else None
            resolving[cid] = nxt is None or (nxt - d).days > window
    for cid, a, d, client, _started, has_ts in chats:
        if a is None or d is None:
            continue
        key = (a, _d(d))
        c = counts[key]
        c["chats"] += 1
        waits = []
        if has_ts:
            prev, run_ts = None, None
            for speaker, ts in by_chat.get(cid, []):
                if speaker == "customer" and prev != "customer":
                    run_ts = ts
                elif speaker == "agent" and prev == "customer" and ts is not None and run_ts is not None:
                    waits.append(max(0.0, round((ts - run_ts).total_seconds(), 3)))
                prev = speaker
        first = math.floor(waits[0] + 0.5) if waits else None
        frt[cid] = first
        if first is not None:
            c["frt_chats"] += 1
            c["frt_sum_s"] += first
            hist[(a, _d(d), first)] += 1
        c["replies_timed"] += len(waits)
        c["replies_within"] += sum(1 for w in waits if w <= limit)
        if client is not None:
            c["tracked_chats"] += 1
            c["resolving_chats"] += 1 if resolving[cid] else 0

    for a, acc, r_due, replied, f_due, followed, outcome, r_ok, f_ok in complaints:
        acc, r_due, replied, f_due, followed = map(_ts, (acc, r_due, replied, f_due, followed))
        c = counts[(a, (acc + timedelta(hours=8)).date())]  # Asia/Shanghai, no daylight saving
        c["complaints"] += 1
        # the verdict the complaints area froze at the first reply / follow-up, else the deadlines
        if r_ok is not None:
            c["reply_on_time" if r_ok else "reply_late"] += 1
        elif replied is not None:
            c["reply_on_time" if r_due is None or replied <= r_due else "reply_late"] += 1
        elif r_due is not None:
            c["reply_open"] += 1
        if f_ok is not None:
            c["fu_on_time" if f_ok else "fu_late"] += 1
        elif replied is not None and followed is not None:
            c["fu_on_time" if f_due is None or followed <= f_due else "fu_late"] += 1
        elif replied is not None and f_due is not None:
            c["fu_open"] += 1
        if followed is not None:
            c["fu_satisfied"] += 1 if outcome == "satisfied" else 0
            c["fu_reached"] += 1 if outcome in ("satisfied", "not_satisfied") else 0
    return counts, hist, frt


@pytest.fixture(scope="module")
def demo_engine(db_factory, demo_template):
    from lib.db import engine_for

    url = db_factory.new_url(demo_template)
    yield engine_for(url)
    db_factory.release(url)


def test_rollups_equal_the_raw_computation_on_the_demo_seed(demo_engine):
    counts, hist, frt = raw_rollups(demo_engine)
    with demo_engine.connect() as conn:
        rolled = {(a, _d(d)): dict(zip(COUNTS, rest, strict=True)) for a, d, *rest in conn.execute(text(
            f"SELECT agent_id, day, {', '.join(COUNTS)} FROM rollup_agent_day"))}  # noqa: S608
        rolled_hist = {(a, _d(d), s): n for a, d, s, n in conn.execute(text(
            "SELECT agent_id, day, first_response_s, chats FROM rollup_frt_agent_day"))}
        n_chats = conn.execute(text("SELECT COUNT(*) FROM chats")).scalar()
    assert n_chats > 10_000, "the demo seed should have chats"
    # a day with only an unanswered card has a rollup row of zeros; compare the days that count something
    raw = {k: v for k, v in counts.items() if any(v.values())}
    rolled = {k: v for k, v in rolled.items() if any(v.values())}
    assert set(rolled) == set(raw)
    diffs = [(k, c, raw[k][c], rolled[k][c]) for k in raw for c in COUNTS if raw[k][c] != rolled[k][c]]
    assert diffs[:10] == []
    assert rolled_hist == dict(hist)
    assert sum(v["complaints"] for v in raw.values()) > 0
    assert sum(v["reviews"] for v in raw.values()) > 0


def test_team_month_percentiles_equal_numpy_on_raw_chats(demo_engine):
    _counts, _hist, frt = raw_rollups(demo_engine)
    with demo_engine.connect() as conn:
        team_id, month_day = conn.execute(text(
            "SELECT a.team_id, MAX(c.work_date) FROM chats c JOIN agents a ON a.id = c.agent_id "
            "GROUP BY a.team_id ORDER BY a.team_id")).first()
        month_day = _d(month_day)
        start = month_day.replace(day=1)
        end = metrics.month_bounds(f"{start:%Y-%m}")[1]
        ids = [r[0] for r in conn.execute(text(
            "SELECT c.id FROM chats c JOIN agents a ON a.id = c.agent_id WHERE a.team_id = :t "
            "AND c.work_date >= :s AND c.work_date <= :e"), {"t": team_id, "s": start, "e": end})]
    vals = [frt[i] for i in ids if frt[i] is not None]
    r = metrics.compute(demo_engine, Scope((team_id,)), start, end, qa=False).iloc[0]
    assert r["chats_handled"] == len(ids)
    assert r["first_response_median_s"] == np.percentile(vals, 50, method="inverted_cdf")
    assert r["first_response_p90_s"] == np.percentile(vals, 90, method="inverted_cdf")


def test_rebuild_rollups_command_and_kpi_month_export(demo_db, tmp_path, capsys):
    from db.cli import main

    assert main(["rebuild-rollups"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rebuild-rollups: kpi_chat_facts")
    assert main(["rebuild-rollups", "--start", "2026-11-01", "--end", "2026-10-01"]) == 2
    assert main(["export", "kpi-month", "2026-10", "--format", "xlsx", "-o", str(tmp_path / "k")]) == 0
    book = pd.read_excel(tmp_path / "k.xlsx", sheet_name=None)
    assert set(book) == {"agents", "teams"} and len(book["agents"]) == 120
    assert book["agents"]["chats_handled"].sum() > 0
    assert main(["export", "kpi-month", "2026-10", "-o", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c_agents.csv").exists() and (tmp_path / "c_teams.csv").exists()


def test_import_surveys_command(demo_db, tmp_path, capsys):
    from db.cli import main

    f = tmp_path / "cards.csv"
    f.write_bytes("employee_no,sent_on,score,external_id\nA0001,2026-11-02,4,CLI-1\n".encode("gb18030"))
    assert main(["import-surveys", str(f)]) == 0
    assert "1 cards inserted" in capsys.readouterr().out
    assert main(["import-surveys", str(f)]) == 0
    assert "0 cards inserted, 1 already present" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("employee_no,sent_on,score\nA0001,2026-11-02,7\n", encoding="utf-8")
    assert main(["import-surveys", str(bad)]) == 2
    assert "line 2" in capsys.readouterr().out
