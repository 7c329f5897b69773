"""The versioned rubric: seven criteria of §3 with weights, critical flags and a pass mark.

An edit never changes a version: it writes a new one, and every review keeps the
version it was scored with, so last month's verdicts are never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, func, insert, select

from db.models import RubricCriterion, RubricVersion
from lib import audit
from lib.qa.common import now_utc
from lib.qa.rules import Criterion

# code, 中文, English, weight, critical — the seven criteria of domain.md §3 (聊天记录考核从…来考核).
# The weights, critical flags and pass mark are the department's starting choice; QA edits them as new versions.
DEFAULT_CRITERIA = (
    ("greeting", "问候语", "Greeting", 10, False),
    ("closing", "结束语", "Closing", 10, False),
    ("attitude", "服务态度", "Service attitude", 20, True),
    ("wording", "服务用语", "Service wording", 15, True),
    ("knowledge", "业务知识", "Business knowledge", 15, False),
    ("response_60s", "60秒响应", "Response within 60 s", 15, False),
    ("handling", "处理问题清晰及时", "Handling clear and timely", 15, False),
)
DEFAULT_PASS_MARK = 90
CODES = tuple(c[0] for c in DEFAULT_CRITERIA)


class StaleRubricError(RuntimeError):
    """Someone saved a newer rubric version while this one was being edited."""


@dataclass(frozen=True)
class CriterionRow:
    id: int
    code: str
    name_zh: str
    name_en: str
    weight: Decimal
    critical: bool
    sort: int

    def rule(self) -> Criterion:
        return Criterion(self.id, self.code, Decimal(str(self.weight)), bool(self.critical))

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Rubric:
    id: int
    version: int
    pass_mark: Decimal
    criteria: tuple[CriterionRow, ...]
    note: str | None = None

    def rules(self) -> list[Criterion]:
        return [c.rule() for c in self.criteria]


def ensure_default(conn, *, created_by: int | None = None, at=None) -> int:
    """Create rubric version 1 with the seven criteria when there is none; returns the current version's id."""
    cur = conn.execute(select(RubricVersion.id).order_by(RubricVersion.version.desc()).limit(1)).scalar()
    if cur is not None:
        return cur
    rid = conn.execute(insert(RubricVersion).values(version=1, created_at=at or now_utc(), created_by=created_by,
                                                    pass_mark=DEFAULT_PASS_MARK, note="§3 seven criteria")
                       .returning(RubricVersion.id)).scalar_one()
    conn.execute(insert(RubricCriterion), [
        {"rubric_version_id": rid, "code": code, "name_zh": zh, "name_en": en, "weight": w, "critical": crit,
         "sort": i} for i, (code, zh, en, w, crit) in enumerate(DEFAULT_CRITERIA)])
    return rid


def _load(conn, rid: int) -> Rubric:
    v = conn.execute(select(RubricVersion).where(RubricVersion.id == rid)).one()
    crit = conn.execute(select(RubricCriterion).where(RubricCriterion.rubric_version_id == rid)
                        .order_by(RubricCriterion.sort, RubricCriterion.id)).all()
    return Rubric(v.id, v.version, Decimal(str(v.pass_mark)),
                  tuple(CriterionRow(c.id, c.code, c.name_zh, c.name_en, Decimal(str(c.weight)), bool(c.critical),
                                     c.sort) for c in crit), v.note)


def current(engine_or_conn) -> Rubric:
    """The newest rubric version (version 1 is created on first use)."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            return current(conn)
    rid = ensure_default(engine_or_conn)
    return _load(engine_or_conn, rid)


def by_id(engine_or_conn, rubric_version_id: int) -> Rubric:
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return _load(conn, rubric_version_id)
    return _load(engine_or_conn, rubric_version_id)


def versions(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(RubricVersion.id, RubricVersion.version, RubricVersion.created_at, RubricVersion.pass_mark,
                   RubricVersion.note).order_by(RubricVersion.version.desc())).mappings()]


def save_version(engine: Engine, criteria: list[dict], pass_mark, *, actor, note: str | None,
                 expected_version: int) -> Rubric:
    """Write a new rubric version (the old one stays for the reviews scored with it); audited.

    ``criteria``: dicts with code, name_zh, name_en, weight, critical. Raises ValueError on bad
    input and StaleRubricError when another version was saved since ``expected_version``.
    """
    if "admin" not in actor.roles:
        raise PermissionError("only an administrator edits the rubric")
    pm = Decimal(str(pass_mark))
    if not (Decimal(0) <= pm <= Decimal(100)):
        raise ValueError("the pass mark is a score between 0 and 100")
    codes = [c["code"] for c in criteria]
    if sorted(codes) != sorted(CODES):
        raise ValueError("the rubric keeps the seven criteria of §3")
    clean = []
    for i, c in enumerate(criteria):
        w = Decimal(str(c["weight"]))
        if w < 0 or w > 1000:
            raise ValueError(f"{c['code']}: the weight must be between 0 and 1000")
        clean.append({"code": c["code"], "name_zh": str(c["name_zh"]).strip()[:64] or c["code"],
                      "name_en": str(c["name_en"]).strip()[:64] or c["code"], "weight": w,
                      "critical": bool(c["critical"]), "sort": i})
    if sum(c["weight"] for c in clean) <= 0:
        raise ValueError("at least one criterion needs a weight")
    with engine.begin() as conn:
        latest = conn.execute(select(func.max(RubricVersion.version))).scalar() or 0
        if latest != expected_version:
            raise StaleRubricError(f"rubric version {latest} was saved meanwhile; reload to see it")
        before = _load(conn, conn.execute(select(RubricVersion.id).where(RubricVersion.version == latest))
                       .scalar_one()) if latest else None
        rid = conn.execute(insert(RubricVersion).values(version=latest + 1, created_at=now_utc(),
                                                        created_by=actor.id, pass_mark=pm, note=note)
                           .returning(RubricVersion.id)).scalar_one()
        conn.execute(insert(RubricCriterion), [{"rubric_version_id": rid, **c} for c in clean])
        audit.record(conn, user_id=actor.id, username=actor.username, action="qa.rubric_version",
                     entity="qa_rubric_version", entity_id=latest + 1,
                     detail={"pass_mark": str(pm), "note": note,
                             "criteria": {c["code"]: {"weight": str(c["weight"]), "critical": c["critical"]}
                                          for c in clean},
                             "before": None if before is None else {
                                 "pass_mark": str(before.pass_mark),
                                 "criteria": {c.code: {"weight": str(c.weight), "critical": c.critical}
                                              for c in before.criteria}}})
        return _load(conn, rid)
