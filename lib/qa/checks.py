"""Automatic checks of one chat: suggestions the reviewer confirms or overrides.

Pure functions over the chat's turns; every phrase list and limit comes from
the settings (qa.greeting_phrases, qa.closing_phrases, qa.forbidden_phrases,
qa.apology_phrases, qa.response_limit_s, qa.long_wait_s).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Turn:
    speaker: str  # agent | customer
    text: str
    ts: datetime | None = None


@dataclass
class CheckResult:
    greeting_ok: bool | None = None
    closing_ok: bool | None = None
    first_response_s: int | None = None  # None = N/A (no timestamps)
    slow_replies: int | None = None
    max_wait_s: int | None = None
    agent_replies: int | None = None
    forbidden_hits: list[str] = field(default_factory=list)
    apology_needed: bool | None = None
    apology_ok: bool | None = None
    # per turn index: seconds the customer had waited when this agent reply came (None: not a reply / N/A)
    waits: list[int | None] = field(default_factory=list)

    def row(self) -> dict:
        """The chat_checks columns (forbidden_hits as a JSON list, or None when there were none)."""
        return {"greeting_ok": self.greeting_ok, "closing_ok": self.closing_ok,
                "first_response_s": self.first_response_s, "slow_replies": self.slow_replies,
                "max_wait_s": self.max_wait_s, "agent_replies": self.agent_replies,
                "forbidden_hits": json.dumps(self.forbidden_hits, ensure_ascii=False) if self.forbidden_hits else None,
                "apology_needed": self.apology_needed, "apology_ok": self.apology_ok}


class Phrases:
    """Phrase lists prepared once (lower-cased) for many chats."""

    def __init__(self, settings: Mapping):
        self.greeting = _norm(settings["qa.greeting_phrases"])
        self.closing = _norm(settings["qa.closing_phrases"])
        self.forbidden = _norm(settings["qa.forbidden_phrases"])
        self.apology = _norm(settings["qa.apology_phrases"])
        self.limit_s = int(settings["qa.response_limit_s"])
        self.long_wait_s = int(settings["qa.long_wait_s"])


def _norm(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(p.lower() for p in items if p and p.strip())


def contains_any(text: str, phrases: Sequence[str]) -> list[str]:
    """The phrases (already lower-case) found in ``text``, case-insensitively."""
    low = text.lower()
    return [p for p in phrases if p in low]


def run_checks(turns: Sequence[Turn], phrases: Phrases) -> CheckResult:
    """Check one chat. Response-time checks need a timestamp on every turn; otherwise they are N/A."""
    res = CheckResult(waits=[None] * len(turns))
    agent_idx = [i for i, t in enumerate(turns) if t.speaker == "agent"]
    if agent_idx:
        res.greeting_ok = bool(contains_any(turns[agent_idx[0]].text, phrases.greeting))
        res.closing_ok = bool(contains_any(turns[agent_idx[-1]].text, phrases.closing))
        hits: list[str] = []
        for i in agent_idx:
            for p in contains_any(turns[i].text, phrases.forbidden):
                if p not in hits:
                    hits.append(p)
        res.forbidden_hits = hits
    if not turns or any(t.ts is None for t in turns):
        return res
    pending: datetime | None = None  # when the oldest unanswered customer message came
    waits: list[int] = []
    long_waits = 0
    apologised = 0
    for i, t in enumerate(turns):
        if t.speaker == "customer":
            if pending is None:
                pending = t.ts
        elif pending is not None:
            wait = int((t.ts - pending).total_seconds())
            res.waits[i] = wait
            waits.append(wait)
            if wait > phrases.long_wait_s:
                long_waits += 1
                if contains_any(t.text, phrases.apology):
                    apologised += 1
            pending = None
    res.agent_replies = len(waits)
    res.slow_replies = sum(1 for w in waits if w > phrases.limit_s)
    res.max_wait_s = max(waits) if waits else None
    res.first_response_s = waits[0] if waits else None
    res.apology_needed = long_waits > 0
    res.apology_ok = (apologised == long_waits) if long_waits else None
    return res


# criterion code -> suggestion from the checks: "pass" | "fail" | "na" | None (no opinion)
def suggestions(check: Mapping | None) -> dict[str, str | None]:
    """What the automatic checks suggest for each rubric criterion (the reviewer decides)."""
    out: dict[str, str | None] = {c: None for c in
                                  ("greeting", "closing", "attitude", "wording", "knowledge", "response_60s", "handling")}
    if not check:
        return out

    def verdict(v):
        return None if v is None else ("pass" if v else "fail")

    out["greeting"] = verdict(check.get("greeting_ok"))
    out["closing"] = verdict(check.get("closing_ok"))
    slow = check.get("slow_replies")
    out["response_60s"] = "na" if slow is None else ("fail" if slow > 0 else "pass")
    hits = check.get("forbidden_hits")
    if isinstance(hits, str):
        hits = json.loads(hits) if hits else []
    if hits or check.get("apology_ok") is False:
        out["wording"] = "fail"
    elif hits is not None:
        out["wording"] = "pass"
    return out
