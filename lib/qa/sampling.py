"""Daily sampling: each working day, up to qa.daily_sample_size chats per agent, drawn at
random from that agent's chats of the day, with the seed and candidate pool stored.

Samples are spread evenly over the QA reviewers on duty (active users with the qa role).
``python -m db sample --date D`` runs one day; ``catch_up`` (the automatic daily run,
called by the workbench and ``python -m db sample --catch-up``) draws every recent day
that has not been drawn yet.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, and_, func, insert, select

from db.models import Chat, Sample, SampleDraw, User, UserRole
from lib import audit
from lib import settings as settings_mod
from lib.qa.common import bank_today, now_utc
from lib.qa.sampling_rules import draw, spread


@dataclass
class DayResult:
    day: date
    agents: int = 0
    samples: int = 0
    already_drawn: int = 0


def reviewers_on_duty(conn) -> list[int]:
    return list(conn.execute(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "qa", User.is_active.is_(True)).order_by(User.id)).scalars())


def sample_day(conn, day: date, settings, *, actor=None, seed_for: Callable[[int], str] | None = None,
               reviewers: list[int] | None = None) -> DayResult:
    """Draw ``day`` for every agent with chats that day and no draw yet, inside the caller's transaction."""
    size = int(settings["qa.daily_sample_size"])
    res = DayResult(day)
    pool_rows = conn.execute(select(Chat.agent_id, Chat.id).where(Chat.work_date == day, Chat.agent_id.is_not(None))
                             .order_by(Chat.agent_id, Chat.id)).all()
    pools: dict[int, list[int]] = {}
    for a, c in pool_rows:
        pools.setdefault(a, []).append(c)
    done = set(conn.execute(select(SampleDraw.agent_id).where(SampleDraw.work_date == day)).scalars())
    res.already_drawn = len(done & set(pools))
    todo = [a for a in sorted(pools) if a not in done]
    if not todo:
        return res
    reviewers = reviewers if reviewers is not None else reviewers_on_duty(conn)
    now = now_utc()
    chosen: list[tuple[int, int, int]] = []  # (draw_id, agent, chat)
    for a in todo:
        seed = seed_for(a) if seed_for else secrets.token_hex(16)
        pool = pools[a]
        picked = draw(pool, size, seed)
        did = conn.execute(insert(SampleDraw).values(
            work_date=day, agent_id=a, seed=seed, sample_size=size, candidate_ids_json=json.dumps(pool),
            drawn_at=now, drawn_by=getattr(actor, "id", None)).returning(SampleDraw.id)).scalar_one()
        chosen.extend((did, a, c) for c in picked)
        res.agents += 1
    who = spread(chosen, reviewers, offset=day.toordinal())
    conn.execute(insert(Sample), [{"draw_id": d, "work_date": day, "agent_id": a, "chat_id": c,
                                   "reviewer_user_id": r, "status": "pending"}
                                  for (d, a, c), r in zip(chosen, who, strict=True)])
    res.samples = len(chosen)
    audit.record(conn, user_id=getattr(actor, "id", None), username=getattr(actor, "username", None),
                 action="qa.sample_draw", entity="qa_sample_day", entity_id=day.isoformat(),
                 detail={"agents": res.agents, "samples": res.samples, "reviewers": len(reviewers)})
    return res


def run_day(engine: Engine, day: date, *, actor=None) -> DayResult:
    settings = settings_mod.load(engine)
    with engine.begin() as conn:
        return sample_day(conn, day, settings, actor=actor)


def catch_up(engine: Engine, *, actor=None, today: date | None = None) -> list[DayResult]:
    """The automatic daily run: draw every day of the last qa.catch_up_days (before today) not drawn yet.

    Cheap when there is nothing to do (one grouped query).
    """
    settings = settings_mod.load(engine)
    today = today or bank_today(settings)
    start = today - timedelta(days=int(settings["qa.catch_up_days"]))
    with engine.connect() as conn:
        chat_days = dict(conn.execute(
            select(Chat.work_date, func.count(func.distinct(Chat.agent_id)))
            .where(Chat.work_date >= start, Chat.work_date < today, Chat.agent_id.is_not(None))
            .group_by(Chat.work_date)).all())
        drawn = dict(conn.execute(
            select(SampleDraw.work_date, func.count()).where(SampleDraw.work_date >= start,
                                                             SampleDraw.work_date < today)
            .group_by(SampleDraw.work_date)).all())
    out = []
    for day in sorted(chat_days):
        if drawn.get(day, 0) < chat_days[day]:
            out.append(run_day(engine, day, actor=actor))
    return out


@dataclass
class Verification:
    draw_id: int
    stored: list[int]
    redrawn: list[int]
    seed: str
    candidates: int

    @property
    def equal(self) -> bool:
        return self.stored == self.redrawn


def verify(engine: Engine, draw_id: int) -> Verification:
    """Re-draw a stored draw from its seed and pool and compare it with the stored sample."""
    with engine.connect() as conn:
        d = conn.execute(select(SampleDraw).where(SampleDraw.id == draw_id)).one()
        stored = sorted(conn.execute(select(Sample.chat_id).where(Sample.draw_id == draw_id)).scalars())
    pool = json.loads(d.candidate_ids_json)
    return Verification(draw_id, stored, draw(pool, d.sample_size, d.seed), d.seed, len(pool))


def draws_frame(engine: Engine, day: date, agent_ids: list[int] | None):
    import pandas as pd

    from db.models import Agent
    from lib.qa.common import restrict

    with engine.connect() as conn:
        rows = conn.execute(
            select(SampleDraw.id, SampleDraw.work_date, Agent.employee_no, Agent.name, SampleDraw.sample_size,
                   SampleDraw.seed, func.count(Sample.id).label("drawn"))
            .join(Agent, Agent.id == SampleDraw.agent_id)
            .outerjoin(Sample, Sample.draw_id == SampleDraw.id)
            .where(and_(SampleDraw.work_date == day, restrict(SampleDraw.agent_id, agent_ids)))
            .group_by(SampleDraw.id, SampleDraw.work_date, Agent.employee_no, Agent.name, SampleDraw.sample_size,
                      SampleDraw.seed)
            .order_by(Agent.employee_no)).mappings().all()
    return pd.DataFrame(rows, columns=["id", "work_date", "employee_no", "name", "sample_size", "seed", "drawn"])
