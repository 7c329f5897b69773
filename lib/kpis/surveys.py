"""Service-quality cards (服务质量卡): CSV import, one-card form, quarterly view — and work errors.

The CSV has a header row with these columns (any order; extra columns ignored):
``employee_no`` (required), ``sent_on`` (YYYY-MM-DD, required), ``score`` (1-5,
empty while unanswered), ``answered_on``, ``channel``, ``comment`` and
``external_id`` (the card's number: a second import of it is skipped). UTF-8
with or without BOM, or GB18030. A bad line refuses the whole file with every
problem and its line number; nothing is written. The import, the rollup
refresh and the audit record are one transaction.
"""

# SQL here is assembled from fixed fragments of this module; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pandas as pd
from sqlalchemy import Engine, insert, select

from db.models import Survey, WorkError
from lib import audit
from lib.auth import CurrentUser
from lib.fileio import ImportIssue, ImportRefused, ImportReport, decode_bytes
from lib.kpis import rollups
from lib.kpis.scope import Scope, agents_in
from lib.kpis.sql import q

REQUIRED = ("employee_no", "sent_on")
MAX_COMMENT = 2000
ERROR_KINDS = ("data_entry", "wrong_information", "process", "handover", "other")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{field} {value!r} is not a date (YYYY-MM-DD)") from None


def parse_csv(data: bytes, agents_by_no: dict[str, int]) -> tuple[list[dict], list[ImportIssue]]:
    """Rows ready to insert and the problems found, each with its line number."""
    text, _enc = decode_bytes(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise ImportRefused("line 1: the file is empty", [ImportIssue(1, "no header")])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused(f"line 1: missing column(s) {', '.join(missing)}",
                            [ImportIssue(1, f"missing column {c}") for c in missing])
    reader.fieldnames = header
    rows, issues, seen = [], [], set()
    for rec in reader:
        line = reader.line_num
        try:
            if None in rec:
                raise ValueError("more cells than columns")
            get = {k: (v or "").strip() for k, v in rec.items()}
            emp = get.get("employee_no", "")
            if emp not in agents_by_no:
                raise ValueError(f"employee_no {emp!r} is not an agent you may record cards for")
            sent = _date(get["sent_on"], "sent_on")
            score = None
            if get.get("score"):
                if not get["score"].isdigit() or not 1 <= int(get["score"]) <= 5:
                    raise ValueError(f"score {get['score']!r} is not a whole number from 1 to 5")
                score = int(get["score"])
            answered = _date(get["answered_on"], "answered_on") if get.get("answered_on") else None
            if answered and answered < sent:
                raise ValueError("answered_on is before sent_on")
            if score is not None and answered is None:
                answered = sent
            ext = get.get("external_id") or None
            if ext and len(ext) > 64:
                raise ValueError("external_id is longer than 64 characters")
            if ext and ext in seen:
                raise ValueError(f"external_id {ext!r} appears twice in the file")
            if ext:
                seen.add(ext)
            comment = get.get("comment") or None
            if comment and len(comment) > MAX_COMMENT:
                raise ValueError(f"comment is longer than {MAX_COMMENT} characters")
            channel = (get.get("channel") or None)
            if channel and len(channel) > 16:
                raise ValueError("channel is longer than 16 characters")
            rows.append({"external_id": ext, "agent_id": agents_by_no[emp], "sent_on": sent,
                         "answered_on": answered, "score": score, "channel": channel, "comment": comment,
                         "line": line})
        except ValueError as exc:
            issues.append(ImportIssue(line, str(exc)))
    return rows, issues


def import_csv(engine: Engine, data: bytes, scope: Scope, *, actor: CurrentUser | None = None,
               source: str = "upload") -> ImportReport:
    """Import cards for the scope's agents; refuses the whole file on any bad line."""
    agents = agents_in(engine, scope)
    by_no = {str(r.employee_no): int(r.agent_id) for r in agents.itertuples()}
    rows, issues = parse_csv(data, by_no)
    if issues:
        raise ImportRefused(f"{len(issues)} bad line(s); nothing imported: " + "; ".join(map(str, issues[:5])),
                            issues)
    report = ImportReport()
    now = _now()
    with engine.begin() as conn:
        exts = [r["external_id"] for r in rows if r["external_id"]]
        have = set()
        for i in range(0, len(exts), 500):
            have |= set(conn.execute(select(Survey.external_id).where(Survey.external_id.in_(exts[i:i + 500])))
                        .scalars())
        new = [r for r in rows if not (r["external_id"] and r["external_id"] in have)]
        report.skipped = len(rows) - len(new)
        if new:
            conn.execute(insert(Survey), [
                {k: v for k, v in r.items() if k != "line"} | {"recorded_by": actor.id if actor else None,
                                                               "recorded_at": now} for r in new])
        report.inserted = len(new)
        rollups.refresh_pairs(conn, {(r["agent_id"], r["sent_on"]) for r in new}, chats=False)
        audit.record(conn, user_id=actor.id if actor else None, username=actor.username if actor else None,
                     action="kpi.surveys_import", entity="surveys", detail={"source": source, "inserted": len(new),
                                                                            "skipped": report.skipped})
    return report


def record_survey(engine: Engine, scope: Scope, *, agent_id: int, sent_on: date, score: int | None,
                  answered_on: date | None = None, channel: str | None = None, comment: str | None = None,
                  actor: CurrentUser) -> int:
    """Record one card from the form; the agent must be in the viewer's scope."""
    from lib.kpis.scope import narrow_to_agent

    narrow_to_agent(engine, scope, agent_id)
    if score is not None and not 1 <= int(score) <= 5:
        raise ValueError("A score is a whole number from 1 to 5.")
    if answered_on and answered_on < sent_on:
        raise ValueError("The answer cannot come before the card was sent.")
    with engine.begin() as conn:
        sid = conn.execute(insert(Survey).values(
            agent_id=int(agent_id), sent_on=sent_on, score=score,
            answered_on=answered_on or (sent_on if score is not None else None), channel=channel or None,
            comment=(comment or "").strip()[:MAX_COMMENT] or None, recorded_by=actor.id, recorded_at=_now())
            .returning(Survey.id)).scalar_one()
        rollups.refresh_days(conn, int(agent_id), [sent_on])
        audit.record(conn, user_id=actor.id, username=actor.username, action="kpi.survey_record", entity="survey",
                     entity_id=sid, detail={"agent_id": int(agent_id), "score": score})
    return sid


def record_work_error(engine: Engine, scope: Scope, *, agent_id: int, day: date, kind: str, note: str | None,
                      actor: CurrentUser) -> int:
    """A lead records an error in an agent's daily work (日常工作准确度); audited, rollup refreshed."""
    from lib.kpis.scope import narrow_to_agent

    narrow_to_agent(engine, scope, agent_id)
    if kind not in ERROR_KINDS:
        raise ValueError(f"Unknown kind of error {kind!r}.")
    with engine.begin() as conn:
        eid = conn.execute(insert(WorkError).values(agent_id=int(agent_id), day=day, kind=kind,
                                                    note=(note or "").strip()[:MAX_COMMENT] or None,
                                                    recorded_by=actor.id, recorded_at=_now())
                           .returning(WorkError.id)).scalar_one()
        rollups.refresh_days(conn, int(agent_id), [day])
        audit.record(conn, user_id=actor.id, username=actor.username, action="kpi.work_error", entity="work_error",
                     entity_id=eid, detail={"agent_id": int(agent_id), "day": day.isoformat(), "kind": kind})
    return eid


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2026-Q3' -> (2026-07-01, 2026-09-30)."""
    y, qn = quarter.split("-Q")
    y, qn = int(y), int(qn)
    start = date(y, 3 * (qn - 1) + 1, 1)
    end = date(y + 1, 1, 1) if qn == 4 else date(y, 3 * qn + 1, 1)
    from datetime import timedelta

    return start, end - timedelta(days=1)


def quarter_of(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def quarterly(engine: Engine, scope: Scope, quarter: str) -> pd.DataFrame:
    """Per agent of the scope for one quarter: cards sent, answered, mean score, share satisfied (from rollups)."""
    start, end = quarter_bounds(quarter)
    cond, params = scope.where()
    with engine.connect() as conn:
        rows = conn.execute(q(f"""
            SELECT a.id AS agent_id, a.employee_no, a.name, t.name AS team,
                   COALESCE(SUM(r.surveys_answered), 0) AS answered,
                   COALESCE(SUM(r.survey_score_sum), 0) AS score_sum,
                   COALESCE(SUM(r.surveys_satisfied), 0) AS satisfied
            FROM agents a JOIN teams t ON t.id = a.team_id
            LEFT JOIN rollup_agent_day r ON r.agent_id = a.id AND r.day >= :start AND r.day <= :end
            WHERE {cond} GROUP BY a.id, a.employee_no, a.name, t.name ORDER BY a.id""",
                              expanding=scope.expanding), params | {"start": start, "end": end}).mappings().all()
        sent = dict(conn.execute(q(f"""
            SELECT y.agent_id, COUNT(*) FROM surveys y JOIN agents a ON a.id = y.agent_id
            WHERE y.sent_on >= :start AND y.sent_on <= :end AND {cond} GROUP BY y.agent_id""",
                                   expanding=scope.expanding), params | {"start": start, "end": end}).all())
    df = pd.DataFrame(rows, columns=["agent_id", "employee_no", "name", "team", "answered", "score_sum", "satisfied"])
    df["sent"] = df["agent_id"].map(sent).fillna(0).astype(int)
    ans = df["answered"].astype(float)
    df["mean_score"] = (df["score_sum"] / ans.where(ans > 0)).astype(float)
    df["satisfied_pct"] = (100.0 * df["satisfied"] / ans.where(ans > 0)).astype(float)
    return df[["agent_id", "employee_no", "name", "team", "sent", "answered", "mean_score", "satisfied_pct"]]


def quarters_around(d: date, n: int = 6) -> list[str]:
    out, y, qn = [], d.year, (d.month - 1) // 3 + 1
    for _ in range(n):
        out.append(f"{y}-Q{qn}")
        qn -= 1
        if qn == 0:
            y, qn = y - 1, 4
    return out
