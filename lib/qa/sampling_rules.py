"""The provable draw: the same seed and candidate pool always give the same sample.

Anyone can take the stored seed and candidate ids of a draw, call ``draw`` and
compare the result with the stored sample: it was not hand-picked.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence


def draw(candidate_ids: Sequence[int], size: int, seed: str) -> list[int]:
    """``size`` chats chosen at random from ``candidate_ids`` (all of them when fewer), sorted.

    The generator is Python's Mersenne Twister seeded with the SHA-256 of the seed
    text, and the pool is sorted first, so the order the candidates were listed in
    does not matter.
    """
    pool = sorted(set(int(c) for c in candidate_ids))
    if size <= 0:
        return []
    if len(pool) <= size:
        return pool
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big"))
    return sorted(rng.sample(pool, size))


def spread(items: Sequence, reviewers: Sequence[int], offset: int = 0) -> list[int | None]:
    """Reviewer for each item, round-robin so that loads differ by at most one."""
    if not reviewers:
        return [None] * len(items)
    rs = list(reviewers)
    return [rs[(offset + i) % len(rs)] for i in range(len(items))]
