"""The QA administration page's logic: uploads (same path as the CLI), unassigned chats, rubric tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from db.models import Agent, Chat, RubricVersion, Team
from lib.fileio import ImportIssue, ImportRefused, ImportReport
from lib.qa import importer
from lib.qa.rubric import Rubric


@dataclass
class UploadOutcome:
    refused: bool
    report: ImportReport | None
    issues: list[ImportIssue] = field(default_factory=list)
    message: str = ""

    def issues_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"line": i.line, "problem": i.message} for i in self.issues[:1000]],
                            columns=["line", "problem"])


def import_upload(engine: Engine, data: bytes, name: str, skip_bad: bool, actor, progress=None) -> UploadOutcome:
    """The page's upload: exactly what `python -m db import-chats` does."""
    try:
        rep = importer.import_chats(engine, data, name, skip_bad=skip_bad, actor=actor, progress=progress)
    except ImportRefused as exc:
        return UploadOutcome(True, None, list(exc.issues), str(exc))
    return UploadOutcome(False, rep, list(rep.rejected))


def unassigned(engine: Engine, limit: int = 20) -> dict:
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Chat).where(Chat.agent_id.is_(None))).scalar() or 0
        refs = [(r or "", int(n)) for r, n in conn.execute(
            select(Chat.agent_ref, func.count()).where(Chat.agent_id.is_(None)).group_by(Chat.agent_ref)
            .order_by(func.count().desc()).limit(limit))]
    return {"total": int(total), "refs": [r for r, _ in refs],
            "rows": pd.DataFrame(refs, columns=["agent_ref", "chats"])}


def assign_ref(engine: Engine, ref: str, agent_id: int, *, actor) -> int:
    """Assign every unassigned chat with this agent reference ("" = none given) to ``agent_id``."""
    with engine.connect() as conn:
        cond = Chat.agent_ref.is_(None) if ref == "" else Chat.agent_ref == ref
        ids = list(conn.execute(select(Chat.id).where(Chat.agent_id.is_(None), cond)).scalars())
    return importer.assign_agent(engine, ids, agent_id, actor=actor) if ids else 0


def agent_options(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {r.id: f"{r.employee_no} {r.name}" for r in conn.execute(
            select(Agent.id, Agent.employee_no, Agent.name).join(Team, Team.id == Agent.team_id)
            .where(Team.kind == "chat", Agent.active.is_(True)).order_by(Agent.employee_no))}


def rubric_frame(rub: Rubric) -> pd.DataFrame:
    return pd.DataFrame([{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "weight": float(c.weight),
                          "critical": c.critical} for c in rub.criteria])


def rubric_versions(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(RubricVersion.version, RubricVersion.created_at, RubricVersion.pass_mark,
                                   RubricVersion.note).order_by(RubricVersion.version.desc())).mappings().all()
    return pd.DataFrame(rows, columns=["version", "created_at", "pass_mark", "note"])


def closable_months(engine: Engine, today: date, n: int = 6) -> list[str]:
    from lib.qa.points import closed_months

    closed = set(closed_months(engine))
    out = []
    d = today.replace(day=1) - timedelta(days=1)
    for _ in range(n):
        m = d.strftime("%Y-%m")
        if m not in closed:
            out.append(m)
        d = d.replace(day=1) - timedelta(days=1)
    return out


def log_download(engine: Engine, viewer, month: str) -> None:
    from lib import admin

    admin.log_download(engine, viewer, "qa_month", {"month": month})
