"""Import chat transcripts: JSON Lines (one conversation a line) or CSV (one message a row).

JSON Lines, the interchange shape of ../shared/data/README.md plus optional fields::

    {"conversation_id": "...", "source": "...", "language": "zh-CN",
     "agent": "A0001" | 17, "channel": "web", "client": 123, "started_at": "2026-11-02T09:15:00+08:00",
     "turns": [{"speaker": "agent" | "customer", "text": "...", "ts": ISO-8601 | null}]}

CSV: a header row, then one message a row, with columns conversation_id, speaker, text and
optionally ts, seq, agent, channel, client, started_at, language, source (Chinese headers
会话ID, 发言方, 内容, 时间, 序号, 客服, 渠道, 客户, 开始时间 are accepted too).

UTF-8 with or without BOM, or GB18030. Times with a zone are converted to UTC; times
without one are read in the bank's zone (ui.timezone). Idempotent on conversation id.
A conversation without timestamps, or without a known agent, is kept and marked so
(has_timestamps false, agent_id empty with the given reference in agent_ref).
Any malformed line refuses the whole file, unless ``skip_bad``: then exactly the good
conversations land and the bad lines are listed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine, select, text

from db.bulk import insert_rows, next_id, reset_sequences
from db.models import Agent, Chat, ChatCheck, ChatMessage, Client
from lib import audit, events
from lib import settings as settings_mod
from lib.fileio import ImportIssue, ImportRefused, ImportReport, decode_bytes
from lib.qa import rollup as qa_rollup
from lib.qa.checks import Phrases, Turn, run_checks
from lib.qa.common import bank_zone, now_utc

SPEAKERS = {
    "agent": "agent", "staff": "agent", "service": "agent", "客服": "agent", "坐席": "agent", "a": "agent",
    "customer": "customer", "user": "customer", "client": "customer", "顾客": "customer", "客户": "customer",
    "c": "customer",
}
CSV_ALIASES = {
    "会话id": "conversation_id", "会话编号": "conversation_id", "发言方": "speaker", "角色": "speaker",
    "内容": "text", "消息": "text", "时间": "ts", "序号": "seq", "客服": "agent", "渠道": "channel",
    "客户": "client", "开始时间": "started_at", "语言": "language", "来源": "source",
}
FUTURE_TOLERANCE = timedelta(hours=1)  # clocks differ a little; beyond this a time is an error
MAX_ID_LEN = 128


class _Bad(ValueError):
    pass


@dataclass
class Conversation:
    conversation_id: str
    line: int
    turns: list[Turn]
    source: str | None = None
    language: str | None = None
    agent_ref: str | None = None
    channel: str | None = None
    client_ref: int | None = None
    started_at: datetime | None = None
    lines: list[int] = field(default_factory=list)


# --- parsing -------------------------------------------------------------------------------

def _printable(s: str, what: str) -> str:
    """Refuse what no database column can hold: NUL characters and lone surrogates (from JSON escapes)."""
    if "\x00" in s:
        raise _Bad(f"{what} contains a NUL character")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise _Bad(f"{what} contains characters that are not valid Unicode text") from None
    return s


def _text(v, what: str, max_len: int, *, required: bool = True) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise _Bad(f"{what} is missing")
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise _Bad(f"{what} must be text, got {type(v).__name__}")
    s = _printable(str(v).strip(), what)
    if len(s) > max_len:
        raise _Bad(f"{what} is longer than {max_len} characters")
    return s


def _ts(v, what: str, zone, now: datetime) -> datetime | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise _Bad(f"{what} is not a time")
    if isinstance(v, (int, float)):
        try:
            dt = datetime.fromtimestamp(float(v), timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise _Bad(f"{what} {v!r} is not a time") from None
    elif isinstance(v, str):
        try:
            dt = datetime.fromisoformat(v.strip())
        except (ValueError, OverflowError):
            raise _Bad(f"{what} {v[:40]!r} is not an ISO-8601 time") from None
    else:
        raise _Bad(f"{what} must be an ISO-8601 time, got {type(v).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone)
    try:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it: no UTC time to store
        raise _Bad(f"{what} {dt.isoformat()} is {'implausibly old' if dt.year < 2000 else 'in the future'}") from None
    if dt > now + FUTURE_TOLERANCE:
        raise _Bad(f"{what} {dt.isoformat()}Z is in the future")
    if dt.year < 2000:
        raise _Bad(f"{what} {dt.isoformat()}Z is implausibly old")
    return dt


def _speaker(v) -> str:
    if not isinstance(v, str) or v.strip().lower() not in SPEAKERS:
        raise _Bad(f"speaker must be agent or customer, got {str(v)[:20]!r}")
    return SPEAKERS[v.strip().lower()]


def _client(v) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise _Bad("client must be a client number")
    try:
        n = int(str(v).strip())
    except ValueError:
        raise _Bad(f"client must be a client number, got {str(v)[:20]!r}") from None
    if n <= 0 or n > 2**62:
        raise _Bad(f"client {n} is not a client number")
    return n


def _check_order(turns: list[Turn]) -> None:
    last = None
    for i, t in enumerate(turns, 1):
        if t.ts is None:
            continue
        if last is not None and t.ts < last:
            raise _Bad(f"turn {i}: timestamps go backwards")
        last = t.ts


def _parse_jsonl(text_: str, settings, now: datetime) -> tuple[list[Conversation], list[ImportIssue]]:
    zone = bank_zone(settings)
    max_text = int(settings["qa.import_max_text_chars"])
    convs: list[Conversation] = []
    issues: list[ImportIssue] = []
    # JSON Lines are separated by \n only: str.splitlines would also split inside a text at
    # U+0085, U+2028 and the like, and misnumber every line after it
    for no, raw in enumerate(text_.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise _Bad(f"not valid JSON ({getattr(exc, 'msg', 'too deeply nested')})") from None
            if not isinstance(obj, dict):
                raise _Bad("a line must be one JSON object (a conversation)")
            cid = _text(obj.get("conversation_id"), "conversation_id", MAX_ID_LEN)
            turns_raw = obj.get("turns")
            if not isinstance(turns_raw, list) or not turns_raw:
                raise _Bad("turns must be a non-empty list")
            turns = []
            for i, t in enumerate(turns_raw, 1):
                if not isinstance(t, dict):
                    raise _Bad(f"turn {i} is not an object")
                try:
                    body = t.get("text")
                    if not isinstance(body, str):
                        raise _Bad(f"text must be text, got {type(body).__name__}")
                    if len(body) > max_text:
                        raise _Bad(f"text is longer than {max_text} characters")
                    _printable(body, "text")
                    turns.append(Turn(_speaker(t.get("speaker")), body, _ts(t.get("ts"), "ts", zone, now)))
                except _Bad as exc:
                    raise _Bad(f"turn {i}: {exc}") from None
            _check_order(turns)
            conv = Conversation(
                conversation_id=cid, line=no, turns=turns, lines=[no],
                source=(_text(obj.get("source"), "source", 10_000, required=False) or None),
                language=_text(obj.get("language"), "language", 16, required=False),
                agent_ref=_text(obj.get("agent"), "agent", 64, required=False),
                channel=_text(obj.get("channel"), "channel", 16, required=False),
                client_ref=_client(obj.get("client")),
                started_at=_ts(obj.get("started_at"), "started_at", zone, now),
            )
            convs.append(conv)
        except _Bad as exc:
            issues.append(ImportIssue(no, str(exc)))
    return convs, issues


def _parse_csv(text_: str, settings, now: datetime) -> tuple[list[Conversation], list[ImportIssue]]:
    zone = bank_zone(settings)
    max_text = int(settings["qa.import_max_text_chars"])
    reader = csv.reader(io.StringIO(text_, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    except csv.Error as exc:
        raise ImportRefused(f"line 1: the CSV header cannot be read ({exc})", [ImportIssue(1, str(exc))]) from None
    cols = [CSV_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in ("conversation_id", "speaker", "text") if c not in cols]
    if missing:
        raise ImportRefused(f"line 1: the CSV needs the columns {', '.join(missing)}",
                            [ImportIssue(1, f"missing columns {', '.join(missing)}")])
    idx = {c: i for i, c in enumerate(cols)}
    groups: dict[str, dict] = {}
    bad_ids: dict[str, ImportIssue] = {}
    issues: list[ImportIssue] = []
    prev_end = reader.line_num
    while True:
        start = prev_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportRefused(f"line {start}: the CSV cannot be read past here ({exc})",
                                [ImportIssue(start, str(exc))]) from None
        prev_end = reader.line_num
        if not any(c.strip() for c in row):
            continue

        def get(name, row=row):
            i = idx.get(name)
            return row[i] if i is not None and i < len(row) else None

        cid = None
        try:
            if len(row) > len(cols):
                raise _Bad(f"{len(row)} cells but the header has {len(cols)}")
            cid = _text(get("conversation_id"), "conversation_id", MAX_ID_LEN)
            body = get("text")
            if body is None:
                raise _Bad("text is missing")
            if len(body) > max_text:
                raise _Bad(f"text is longer than {max_text} characters")
            _printable(body, "text")
            seq_raw = get("seq")
            seq = None
            if seq_raw not in (None, ""):
                try:
                    seq = int(seq_raw)
                except ValueError:
                    raise _Bad(f"seq must be a whole number, got {seq_raw[:20]!r}") from None
            turn = Turn(_speaker(get("speaker")), body, _ts(get("ts"), "ts", zone, now))
            g = groups.get(cid)
            if g is None:
                g = groups[cid] = {"line": start, "rows": [], "lines": [], "fields": {}}
            g["rows"].append((seq if seq is not None else len(g["rows"]) + 1, turn))
            g["lines"].append(start)
            for f, conv in (("agent", lambda v: _text(v, "agent", 64, required=False)),
                            ("channel", lambda v: _text(v, "channel", 16, required=False)),
                            ("client", _client),
                            ("started_at", lambda v: _ts(v, "started_at", zone, now)),
                            ("language", lambda v: _text(v, "language", 16, required=False)),
                            ("source", lambda v: _text(v, "source", 10_000, required=False))):
                v = conv(get(f))
                if v is not None and f not in g["fields"]:
                    g["fields"][f] = v
        except _Bad as exc:
            issue = ImportIssue(start, str(exc))
            issues.append(issue)
            if cid is not None:
                bad_ids.setdefault(cid, issue)
    convs = []
    for cid, g in groups.items():
        if cid in bad_ids:
            # a conversation with a bad row is not imported in part: its good rows go too
            for ln in g["lines"]:
                issues.append(ImportIssue(ln, f"conversation {cid[:40]} has a bad row (line {bad_ids[cid].line})"))
            continue
        rows = sorted(g["rows"], key=lambda r: r[0])
        seqs = [r[0] for r in rows]
        try:
            if len(set(seqs)) != len(seqs):
                raise _Bad("the same seq appears twice in this conversation")
            turns = [r[1] for r in rows]
            _check_order(turns)
        except _Bad as exc:
            issues.append(ImportIssue(g["line"], f"conversation {cid[:40]}: {exc}"))
            continue
        f = g["fields"]
        convs.append(Conversation(cid, g["line"], turns, source=f.get("source"), language=f.get("language"),
                                  agent_ref=f.get("agent"), channel=f.get("channel"), client_ref=f.get("client"),
                                  started_at=f.get("started_at"), lines=g["lines"]))
    issues.sort(key=lambda i: i.line)
    return convs, issues


def parse(data: bytes, filename: str, settings, now: datetime | None = None
          ) -> tuple[list[Conversation], list[ImportIssue], str]:
    """Conversations, problems by line, and the encoding used. Raises ImportRefused for an unreadable file."""
    now = now or now_utc()
    text_, enc = decode_bytes(data)
    name = (filename or "").lower()
    if name.endswith(".csv"):
        kind = "csv"
    elif name.endswith((".jsonl", ".json", ".ndjson")):
        kind = "jsonl"
    else:
        kind = "jsonl" if text_.lstrip()[:1] in ("{", "[") else "csv"
    convs, issues = (_parse_jsonl if kind == "jsonl" else _parse_csv)(text_, settings, now)
    # the same conversation twice in one file: the later one is a bad line
    seen: dict[str, int] = {}
    unique = []
    for c in convs:
        if c.conversation_id in seen:
            issues.append(ImportIssue(c.line, f"conversation_id {c.conversation_id[:40]} already appears on line "
                                              f"{seen[c.conversation_id]}"))
        else:
            seen[c.conversation_id] = c.line
            unique.append(c)
    issues.sort(key=lambda i: i.line)
    return unique, issues, enc


# --- writing -------------------------------------------------------------------------------

def _language(c: Conversation) -> str:
    if c.language:
        return c.language[:8]
    return "zh-CN" if any("\u4e00" <= ch <= "\u9fff" for t in c.turns for ch in t.text) else "en"


def _chunks(seq, n=500):
    seq = list(seq)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def import_chats(engine: Engine, data: bytes, filename: str, *, skip_bad: bool = False,
                 actor=None, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import a file in one transaction; returns the report. Raises ImportRefused (nothing written)."""
    settings = settings_mod.load(engine)
    convs, issues, enc = parse(data, filename, settings)
    report = ImportReport()
    report.extra["encoding"] = enc
    zone = bank_zone(settings)
    phrases = Phrases(settings)
    now = now_utc()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # explicit ids below: one import at a time
            conn.execute(text("LOCK TABLE chats IN SHARE ROW EXCLUSIVE MODE"))
        # clients must exist
        refs = {c.client_ref for c in convs if c.client_ref is not None}
        known_clients: set[int] = set()
        for chunk in _chunks(refs):
            known_clients.update(conn.execute(select(Client.id).where(Client.id.in_(chunk))).scalars())
        good = []
        for c in convs:
            if c.client_ref is not None and c.client_ref not in known_clients:
                issues.append(ImportIssue(c.line, f"client {c.client_ref} is not a known client"))
            else:
                good.append(c)
        issues.sort(key=lambda i: i.line)
        if issues and not skip_bad:
            raise ImportRefused(
                f"{len(issues)} bad line(s), first: {issues[0]}; nothing imported (use --skip-bad to import the good "
                f"lines)", issues)
        report.rejected = issues
        # idempotent on conversation id
        existing: set[str] = set()
        for chunk in _chunks([c.conversation_id for c in good]):
            existing.update(conn.execute(select(Chat.conversation_id)
                                         .where(Chat.conversation_id.in_(chunk))).scalars())
        new = [c for c in good if c.conversation_id not in existing]
        report.skipped = len(good) - len(new)
        # agents by employee number or id
        agents: dict[str, int] = {}
        for aid, emp in conn.execute(select(Agent.id, Agent.employee_no)):
            agents[emp.lower()] = aid
            agents[str(aid)] = aid
        chat_id = next_id(conn, Chat.__table__)
        msg_id = next_id(conn, ChatMessage.__table__)
        chats, msgs, checks = [], [], []
        pairs: set[tuple[int, date]] = set()
        total = len(new)
        for k, c in enumerate(new, 1):
            agent_id = agents.get(c.agent_ref.lower()) if c.agent_ref else None
            stamps = [t.ts for t in c.turns if t.ts is not None]
            has_ts = len(stamps) == len(c.turns)
            started = c.started_at or (stamps[0] if stamps else None)
            ended = stamps[-1] if stamps else None
            local_day = (started.replace(tzinfo=timezone.utc).astimezone(zone).date() if started
                         else datetime.now(zone).date())
            chats.append({"id": chat_id, "conversation_id": c.conversation_id, "source": (c.source or "")[:32] or None,
                          "language": _language(c), "agent_id": agent_id,
                          "agent_ref": None if agent_id else c.agent_ref, "channel": c.channel,
                          "client_id": c.client_ref, "started_at": started, "ended_at": ended,
                          "work_date": local_day, "message_count": len(c.turns), "has_timestamps": has_ts,
                          "imported_at": now})
            for seq, t in enumerate(c.turns, 1):
                msgs.append((msg_id, chat_id, seq, t.speaker, t.ts, t.text))
                msg_id += 1
            r = run_checks(c.turns, phrases)
            checks.append({"chat_id": chat_id, "checked_at": now, "settings_version_id": settings.version_id,
                           **r.row()})
            if agent_id:
                pairs.add((agent_id, local_day))
            chat_id += 1
            if progress and (k % 200 == 0 or k == total):
                progress(k, total)
        insert_rows(conn, Chat.__table__, list(chats[0]) if chats else [], chats)
        insert_rows(conn, ChatMessage.__table__, ["id", "chat_id", "seq", "speaker", "ts", "text"], msgs)
        insert_rows(conn, ChatCheck.__table__, list(checks[0]) if checks else [], checks)
        qa_rollup.chats_added(conn, [c["id"] for c in chats])
        reset_sequences(conn, Chat.__table__, ChatMessage.__table__)
        report.inserted = len(new)
        report.extra["messages"] = len(msgs)
        report.extra["without_agent"] = sum(1 for c in chats if c["agent_id"] is None)
        report.extra["without_timestamps"] = sum(1 for c in chats if not c["has_timestamps"])
        if pairs:
            events.emit("chats_changed", conn, pairs=sorted(pairs),
                        new_chat_ids=[c["id"] for c in chats if c["agent_id"]] if chats else [])
        audit.record(conn, user_id=getattr(actor, "id", None), username=getattr(actor, "username", None),
                     action="qa.chats_import", entity="chats", entity_id=filename[:64] if filename else None,
                     detail={"inserted": report.inserted, "skipped": report.skipped,
                             "rejected": [str(i) for i in report.rejected[:50]], "messages": len(msgs),
                             "encoding": enc})
    if progress and not new:
        progress(1, 1)
    return report


def assign_agent(engine: Engine, chat_ids: list[int], agent_id: int, *, actor) -> int:
    """Give chats without a known agent their agent, so that they can be sampled; audited."""
    from sqlalchemy import update

    with engine.begin() as conn:
        if conn.execute(select(Agent.id).where(Agent.id == agent_id)).scalar() is None:
            raise ValueError(f"agent {agent_id} does not exist")
        rows = conn.execute(select(Chat.id, Chat.work_date).where(Chat.id.in_(chat_ids), Chat.agent_id.is_(None))).all()
        if not rows:
            return 0
        with qa_rollup.chats_changing(conn, [r.id for r in rows]):
            conn.execute(update(Chat).where(Chat.id.in_([r.id for r in rows])).values(agent_id=agent_id,
                                                                                      agent_ref=None))
        events.emit("chats_changed", conn, pairs=sorted({(agent_id, r.work_date) for r in rows}))
        audit.record(conn, user_id=actor.id, username=actor.username, action="qa.chats_assign", entity="chats",
                     entity_id=agent_id, detail={"chat_ids": [r.id for r in rows]})
    return len(rows)
