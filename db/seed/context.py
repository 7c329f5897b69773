"""What every area's seeder receives: the random source, the sizes, and the people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from faker import Faker
from sqlalchemy import Engine

# Rows per big table for each size; areas scale their own volumes from these.
SIZES = {
    "demo": {"clients": 5_000, "complaints": 3_000, "chat_days": 183, "chats_per_agent_day": 5, "agents": 120, "rms": 40},
    "m": {"clients": 100_000, "complaints": 100_000, "chat_days": 183, "chats_per_agent_day": 0, "chats": 100_000,
          "agents": 120, "rms": 40},
    "l": {"clients": 1_000_000, "complaints": 1_000_000, "chat_days": 183, "chats_per_agent_day": 0, "chats": 1_000_000,
          "agents": 120, "rms": 40},
}


@dataclass
class SeedContext:
    engine: Engine
    size: str
    seed: int
    today: date  # the last day with data; everything is dated relative to it
    start: date  # the first day with data
    params: dict
    rng: random.Random
    fake: Faker
    progress: object = None  # callable(step_name, done, total) or None
    conn: object = None  # the one transaction every seeder writes in: all or nothing
    # filled by the core seeder
    team_ids: dict[str, int] = field(default_factory=dict)  # team code -> id
    agent_ids: list[int] = field(default_factory=list)
    agent_team: dict[int, int] = field(default_factory=dict)
    rm_ids: list[int] = field(default_factory=list)
    rm_grade: dict[int, str] = field(default_factory=dict)
    rm_branch: dict[int, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)  # username -> id
    qa_user_ids: list[int] = field(default_factory=list)
    handler_user_ids: list[int] = field(default_factory=list)
    lead_user_ids: dict[int, int] = field(default_factory=dict)  # team id -> lead user id
    branches: list[str] = field(default_factory=list)
    # facts one area's seeder leaves for the next (e.g. portfolio: client id range, product ids)
    shared: dict = field(default_factory=dict)

    def sub_rng(self, name: str) -> random.Random:
        """An independent, reproducible random stream per area, so areas do not shift each other."""
        return random.Random(f"{self.seed}:{name}")

    def report(self, step: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(step, done, total)
