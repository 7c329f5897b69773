"""``python -m db seed``: a deterministic demo department.

The core seeder makes the people; each area's seeder (db/seed/<area>.py,
when present) adds its records in a fixed order, each from its own random
stream, so that one seed always gives identical rows.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import time
from datetime import date, timedelta

from faker import Faker
from sqlalchemy import Engine, func, select

from db.models import User
from db.seed.context import SIZES, SeedContext
from db.seed.core import seed_core

AREA_SEEDERS = ("db.seed.portfolio", "db.seed.complaints", "db.seed.qa", "db.seed.kpi")


class SeedError(RuntimeError):
    pass


def database_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(User)).scalar() or 0) == 0


def seed(engine: Engine, size: str = "demo", seed_value: int = 42, today: date | None = None,
         progress=None) -> dict[str, float]:
    """Seed an empty database; returns seconds per step. Refuses a database that has users."""
    if size not in SIZES:
        raise SeedError(f"Unknown size {size!r}; use demo, m or l.")
    if not database_is_empty(engine):
        raise SeedError("The database already has users: demo data goes only into an empty database.")
    if today is None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    params = SIZES[size]
    fake = Faker("zh_CN")
    fake.seed_instance(seed_value)
    ctx = SeedContext(engine=engine, size=size, seed=seed_value, today=today,
                      start=today - timedelta(days=params["chat_days"] - 1), params=params,
                      rng=random.Random(seed_value), fake=fake, progress=progress)
    timings: dict[str, float] = {}
    with engine.begin() as conn:
        ctx.conn = conn
        t0 = time.perf_counter()
        seed_core(ctx)
        timings["core"] = time.perf_counter() - t0
        for mod in AREA_SEEDERS:
            if importlib.util.find_spec(mod) is None:
                continue
            t0 = time.perf_counter()
            importlib.import_module(mod).seed(ctx)
            timings[mod.rsplit(".", 1)[1]] = time.perf_counter() - t0
    return timings
