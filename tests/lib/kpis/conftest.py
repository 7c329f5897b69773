"""A small department with known figures (see each test for the arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from tests.lib.kpis.builder import Dept

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))
# after every deadline of the complaints below
LATER = datetime(2026, 4, 1)


@dataclass
class Small:
    engine: object
    dept: Dept
    team_a: int
    team_b: int
    alice: int
    bob: int
    carol: int
    chats: dict
    complaints: dict


def build_small(engine) -> Small:
    """Team A: alice (chats, reviews, complaints, cards, an error), bob (rostered, no chats).
    Team B: carol (one chat)."""
    from lib.kpis import rollups

    with engine.begin() as conn:
        d = Dept(conn)
        ta, tb = d.team("A", lead="lead_a"), d.team("B", lead="lead_b")
        alice, bob = d.agent(ta, "alice", login=True), d.agent(ta, "bob")
        carol = d.agent(tb, "carol", login=True)
        d.user("boss", ["manager"])
        d.roster(alice, [D1, D2])
        d.roster(bob, [D1, D2])
        d.roster(carol, [D1])
        x, y = d.client(), d.client()
        chats = {
            # greeting, then waits of 30 s (from the first of two customer messages) and 80 s
            "c1": d.chat(alice, D1, [("agent", 0), ("customer", 10), ("customer", 20), ("agent", 40),
                                     ("customer", 50), ("agent", 130)], client_id=x),
            # the same client again the same day: c1 did not resolve the problem, c2 did
            "c2": d.chat(alice, D1, [("customer", 0), ("agent", 100)], client_id=x),
            # exactly 60 s: within the limit; no client known
            "c3": d.chat(alice, D2, [("customer", 0), ("agent", 60)]),
            # no timestamps: not measurable
            "c4": d.chat(alice, D2, [("customer", None), ("agent", None)], timestamps=False),
            "c5": d.chat(carol, D1, [("customer", 0), ("agent", 5)], client_id=y),
        }
        d.review(alice, D1, False, chat_id=chats["c1"])
        d.review(alice, D1, True, chat_id=chats["c2"])
        d.review(alice, D2, True, chat_id=chats["c3"])
        acc = datetime(2026, 3, 2, 1, 0)  # 09:00 on D1 in Shanghai
        complaints = {
            "k1": d.complaint(alice, acc, replied_after_h=10, followed_up_after_d=1, outcome="satisfied"),
            "k2": d.complaint(alice, acc, replied_after_h=30, followed_up_after_d=4, outcome="not_satisfied"),
            "k3": d.complaint(alice, acc, replied_after_h=2),
            # 17:00 UTC on 1 March is 01:00 on 2 March in Shanghai: it counts on D1
            "k4": d.complaint(alice, datetime(2026, 3, 1, 17, 0)),
        }
        d.survey(alice, D1, 5)
        d.survey(alice, D2, 3)
        d.survey(alice, D1, None)
        d.work_error(alice, D1)
        d.finish()
    rollups.rebuild(engine)
    return Small(engine, d, ta, tb, alice, bob, carol, chats, complaints)


@pytest.fixture
def small(empty_db) -> Small:
    return build_small(empty_db)
