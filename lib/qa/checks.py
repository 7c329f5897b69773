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
    return check_tuples([(t.speaker, t.text, t.ts) for t in turns], phrases)


def check_tuples(turns: Sequence[tuple[str, str, datetime | None]], phrases: Phrases) -> CheckResult:
    """``run_checks`` over (speaker, text, ts) tuples: what an importer holds before any Turn exists
    (building a frozen dataclass per message costs more than the checks themselves)."""
    res = CheckResult(waits=[None] * len(turns))
    agent_texts = [tx for sp, tx, _ in turns if sp == "agent"]
    if agent_texts:
        res.greeting_ok = _any_in(agent_texts[0], phrases.greeting)
        res.closing_ok = _any_in(agent_texts[-1], phrases.closing)
        res.forbidden_hits = _hits(agent_texts, phrases.forbidden)
    if not turns:
        return res
    for t in turns:
        if t[2] is None:
            return res
    pending: datetime | None = None  # when the oldest unanswered customer message came
    waits: list[int] = []
    long_waits = 0
    apologised = 0
    for i, (speaker, text, ts) in enumerate(turns):
        if speaker == "customer":
            if pending is None:
                pending = ts
        elif pending is not None:
            wait = int((ts - pending).total_seconds())
            res.waits[i] = wait
            waits.append(wait)
            if wait > phrases.long_wait_s:
                long_waits += 1
                if contains_any(text, phrases.apology):
                    apologised += 1
            pending = None
    res.agent_replies = len(waits)
    res.slow_replies = sum(1 for w in waits if w > phrases.limit_s)
    res.max_wait_s = max(waits) if waits else None
    res.first_response_s = waits[0] if waits else None
    res.apology_needed = long_waits > 0
    res.apology_ok = (apologised == long_waits) if long_waits else None
    return res


def _any_in(text: str, phrases: Sequence[str]) -> bool:
    low = text.lower()
    for p in phrases:
        if p in low:
            return True
    return False


def _hits(texts: list[str], phrases: Sequence[str]) -> list[str]:
    """The phrases found in any of ``texts``, in order of first appearance (turn by turn, then in the
    phrase list's order). One search of all the texts joined rules out the usual case of none; the
    newline between them is neither cased nor case-ignorable, so lower() of the whole is the lower()
    of each text joined (even Greek final sigma): no hit of a single text can be missed."""
    if not phrases:
        return []
    joined = "\n".join(texts).lower()
    for p in phrases:
        if p in joined:
            break
    else:
        return []
    hits: list[str] = []
    for text in texts:
        for p in contains_any(text, phrases):
            if p not in hits:
                hits.append(p)
    return hits


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
