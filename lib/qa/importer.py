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

How it goes fast (the rules stay those of the plain functions ``_ts``, ``_speaker``, ``_printable``,
``_text``...): nearly every turn is a known speaker as written, a text within the limit and a time
in the common shape, and ``_Reader`` takes those by a short path, handing anything else to the
plain functions, whose messages are the ones reported. On PostgreSQL a worker thread parses and
checks the file chunk by chunk while the calling thread writes the previous chunk (binary COPY);
the server works in its own process, so the two overlap. It is all one transaction: a bad line
met in a later chunk (without ``skip_bad``) or any error rolls back what earlier chunks wrote.
"""

from __future__ import annotations

import csv
import io
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ARRAY, Engine, any_, bindparam, select, text

from db.bulk import insert_rows, next_id, reset_sequences
from db.models import Agent, Chat, ChatCheck, ChatMessage, Client
from lib import audit, events
from lib import settings as settings_mod
from lib.fileio import ImportIssue, ImportRefused, ImportReport, decode_bytes
from lib.qa import rollup as qa_rollup
from lib.qa.checks import Phrases, check_tuples
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
CHUNK_MESSAGES = 20_000  # messages parsed ahead and written at a time
FIRST_CHUNK_MESSAGES = 2_000  # the first chunk: the sooner the server has work, the better
CHAT_COLUMNS = ("id", "conversation_id", "source", "language", "agent_id", "agent_ref", "channel", "client_id",
                "started_at", "ended_at", "work_date", "message_count", "has_timestamps", "imported_at")
MESSAGE_COLUMNS = ("id", "chat_id", "seq", "speaker", "ts", "text")
CHECK_COLUMNS = ("chat_id", "checked_at", "settings_version_id", "greeting_ok", "closing_ok", "first_response_s",
                 "slow_replies", "max_wait_s", "agent_replies", "forbidden_hits", "apology_needed", "apology_ok")

# What JSON text can turn into a character no column holds (NUL, a lone surrogate): only a \u escape.
# The decoded file itself has neither: decode_bytes refuses NUL bytes, and neither UTF-8 nor GB18030
# decodes to a surrogate (GB18030 checked over every two- and four-byte sequence). A line without
# such an escape needs no per-text check; a line with one gets it, with its message.
_RISKY = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_CJK = re.compile("[\u4e00-\u9fff]")
_Y2000 = datetime(2000, 1, 1)
_LOCAL = object()  # a time without a zone: the bank's


class _Bad(ValueError):
    pass


@dataclass
class Conversation:
    conversation_id: str
    line: int
    turns: list[tuple[str, str, datetime | None]]  # (speaker, text, ts in UTC), in order
    source: str | None = None
    language: str | None = None
    agent_ref: str | None = None
    channel: str | None = None
    client_ref: int | None = None
    started_at: datetime | None = None
    lines: list[int] = field(default_factory=list)


@dataclass
class _Prepared:
    """What a conversation's rows need that does not depend on what the database holds: worked out
    in the worker thread, so that the writing thread only numbers the rows and sends them."""
    conv: Conversation
    row: tuple  # the chats columns between id and imported_at (CHAT_COLUMNS[1:-1])
    agent_id: int | None
    work_date: date
    has_ts: bool
    check: tuple  # the chat_checks columns after chat_id, checked_at, settings_version_id
    id: int = 0  # the chat's id, once it is known to be new
    first_message_id: int = 0


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


def _check_order(turns: list[tuple]) -> None:
    last = None
    for i, t in enumerate(turns, 1):
        if t[2] is None:
            continue
        if last is not None and t[2] < last:
            raise _Bad(f"turn {i}: timestamps go backwards")
        last = t[2]


class _Reader:
    """The rules of one import (zone, limits, now), and fast paths for what nearly every line is:
    the fast paths accept only what the plain rules (``_ts``, ``_speaker``, ``_printable``...) accept,
    with the same result, and hand anything else to them, so that every message stays theirs."""

    def __init__(self, settings, now: datetime):
        self.zone = bank_zone(settings)
        self.max_text = int(settings["qa.import_max_text_chars"])
        self.now = now
        self.latest = now + FUTURE_TOLERANCE
        self.offsets: dict[str, timedelta | None] = {"Z": timedelta(0)}

    # times

    def ts(self, v, what: str) -> datetime | None:
        if type(v) is str:
            dt = self.fast_ts(v)
            if dt is not None:
                return dt
        return _ts(v, what, self.zone, self.now)

    def _offset(self, suffix: str) -> timedelta | None:
        """The UTC offset a suffix such as +08:00 means (None: not one fromisoformat takes)."""
        try:
            off = self.offsets[suffix]
        except KeyError:
            try:
                off = datetime.fromisoformat("2000-01-01T00:00:00" + suffix).utcoffset()
            except ValueError:
                off = None
            self.offsets[suffix] = off
        return off

    def fast_ts(self, s: str) -> datetime | None:
        """``s`` as a naive UTC time, when it is date, time and an optional ±HH:MM or Z within the
        plausible range; otherwise None (``_ts`` decides). fromisoformat and subtracting the offset
        give what fromisoformat of the whole and astimezone give, without datetime.replace (slow)."""
        n = len(s)
        if n >= 25 and s[n - 3] == ":" and (s[n - 6] == "+" or s[n - 6] == "-"):
            body, off = s[:n - 6], self._offset(s[n - 6:])
            if off is None:
                return None
        elif n >= 20 and s[n - 1] == "Z":
            body, off = s[:n - 1], self.offsets["Z"]
        elif n >= 19:
            body, off = s, _LOCAL
        else:
            return None
        if body[10] != "T" and body[10] != " ":
            return None
        try:
            dt = datetime.fromisoformat(body)
            if dt.tzinfo is not None:
                return None
            if off is _LOCAL:
                off = self.zone.utcoffset(dt)
            if off:
                dt = dt - off
        except (ValueError, OverflowError):
            return None
        if dt > self.latest or dt < _Y2000:
            return None
        return dt

    # JSON Lines

    def conversation(self, raw: str, no: int, plain: bool) -> Conversation:
        """One line as a conversation, or _Bad saying what is wrong with it. ``plain``: the line has
        no escape that could make a NUL or a lone surrogate."""
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _Bad(f"not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise _Bad("not valid JSON (too deeply nested)") from None
        except ValueError:  # a number of more than 4,300 digits: Python refuses to read it
            raise _Bad("not valid JSON (a number too long to read)") from None
        if not isinstance(obj, dict):
            raise _Bad("a line must be one JSON object (a conversation)")
        get = obj.get
        cid = _text(get("conversation_id"), "conversation_id", MAX_ID_LEN)
        turns_raw = get("turns")
        if not isinstance(turns_raw, list) or not turns_raw:
            raise _Bad("turns must be a non-empty list")
        turns = self.fast_turns(turns_raw) if plain else None
        if turns is None:
            turns = self.turns(turns_raw)
        return Conversation(
            conversation_id=cid, line=no, turns=turns, lines=[no],
            source=(_text(get("source"), "source", 10_000, required=False) or None),
            language=_text(get("language"), "language", 16, required=False),
            agent_ref=_text(get("agent"), "agent", 64, required=False),
            channel=_text(get("channel"), "channel", 16, required=False),
            client_ref=_client(get("client")),
            started_at=self.ts(get("started_at"), "started_at"),
        )

    def turns(self, turns_raw: list) -> list[tuple]:
        """The turns by the plain rules, or _Bad naming the first bad one."""
        turns = []
        for i, t in enumerate(turns_raw, 1):
            if not isinstance(t, dict):
                raise _Bad(f"turn {i} is not an object")
            try:
                body = t.get("text")
                if not isinstance(body, str):
                    raise _Bad(f"text must be text, got {type(body).__name__}")
                if len(body) > self.max_text:
                    raise _Bad(f"text is longer than {self.max_text} characters")
                _printable(body, "text")
                turns.append((_speaker(t.get("speaker")), body, self.ts(t.get("ts"), "ts")))
            except _Bad as exc:
                raise _Bad(f"turn {i}: {exc}") from None
        _check_order(turns)
        return turns

    def fast_turns(self, turns_raw: list) -> list[tuple] | None:
        """The turns when every one is plainly good (a known speaker as written, text within the
        limit, a time in the common shape or none, times in order); None sends the line to ``turns``."""
        out = []
        append = out.append
        speakers = SPEAKERS
        max_text = self.max_text
        fast_ts = self.fast_ts
        last = None
        for t in turns_raw:
            if type(t) is not dict:
                return None
            body = t.get("text")
            if type(body) is not str or len(body) > max_text:
                return None
            try:
                sp = speakers[t.get("speaker")]
            except (KeyError, TypeError):
                return None
            ts = t.get("ts")
            if ts is not None:
                if type(ts) is not str:
                    return None
                ts = fast_ts(ts)
                if ts is None or (last is not None and ts < last):
                    return None
                last = ts
            append((sp, body, ts))
        return out


def _no_gate() -> None:
    return None


def _jsonl_chunks(text_: str, rd: _Reader, chunk_messages: int, gate: Callable[[], object] = _no_gate
                  ) -> Iterator[_Chunk]:
    # JSON Lines are separated by \n only: str.splitlines would also split inside a text at
    # U+0085, U+2028 and the like, and misnumber every line after it. Lines are cut as they are
    # reached (the first chunk is out before the rest of the file is touched), the first chunk small
    # so that the writer has something to send at once.
    expected = text_.count("\n") + (not text_.endswith("\n"))  # lines, blank ones too: a progress total
    chunk = _Chunk(expected=expected)
    limit = min(chunk_messages, FIRST_CHUNK_MESSAGES)
    msgs = 0
    seen: dict[str, int] = {}
    find, search = text_.find, _RISKY.search
    pos, end_all, no = 0, len(text_), 0
    while pos <= end_all:
        end = find("\n", pos)
        if end < 0:
            end = end_all
        raw = text_[pos:end]
        pos = end + 1
        no += 1
        gate()
        if not raw or raw.isspace():
            continue
        chunk.read += 1
        try:
            c = rd.conversation(raw, no, "\\u" not in raw or search(raw) is None)
        except _Bad as exc:
            chunk.issues.append(ImportIssue(no, str(exc)))
            continue
        # the same conversation twice in one file: the later one is a bad line
        first = seen.setdefault(c.conversation_id, no)
        if first != no:
            chunk.issues.append(ImportIssue(no, f"conversation_id {c.conversation_id[:40]} already appears on "
                                                f"line {first}"))
            continue
        chunk.convs.append(c)
        msgs += len(c.turns)
        if msgs >= limit:
            yield chunk
            chunk, msgs, limit = _Chunk(expected=expected), 0, chunk_messages
    yield chunk


def _parse_jsonl(text_: str, settings, now: datetime) -> tuple[list[Conversation], list[ImportIssue]]:
    convs: list[Conversation] = []
    issues: list[ImportIssue] = []
    for ch in _jsonl_chunks(text_, _Reader(settings, now), CHUNK_MESSAGES):
        convs += ch.convs
        issues += ch.issues
    return convs, issues


def _parse_csv(text_: str, settings, now: datetime) -> tuple[list[Conversation], list[ImportIssue]]:
    rd = _Reader(settings, now)
    max_text = rd.max_text
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
            turn = (_speaker(get("speaker")), body, rd.ts(get("ts"), "ts"))
            g = groups.get(cid)
            if g is None:
                g = groups[cid] = {"line": start, "rows": [], "lines": [], "fields": {}}
            g["rows"].append((seq if seq is not None else len(g["rows"]) + 1, turn))
            g["lines"].append(start)
            for f, conv in (("agent", lambda v: _text(v, "agent", 64, required=False)),
                            ("channel", lambda v: _text(v, "channel", 16, required=False)),
                            ("client", _client),
                            ("started_at", lambda v: rd.ts(v, "started_at")),
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


@dataclass
class _Chunk:
    """Conversations parsed (and, on the way to the writer, prepared), with the bad lines met."""
    convs: list = field(default_factory=list)  # Conversation, then _Prepared
    issues: list[ImportIssue] = field(default_factory=list)
    read: int = 0  # conversations (lines) this chunk accounts for
    expected: int = 0  # conversations in the whole file, as far as known


def _kind(text_: str, filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return "jsonl" if text_.lstrip()[:1] in ("{", "[") else "csv"


def _prepare(c: Conversation, zone, phrases: Phrases, agents: dict[str, int]) -> _Prepared:
    turns = c.turns
    stamps = [t[2] for t in turns if t[2] is not None]
    started = c.started_at or (stamps[0] if stamps else None)
    local_day = (started.replace(tzinfo=timezone.utc).astimezone(zone).date() if started
                 else datetime.now(zone).date())
    agent_id = agents.get(c.agent_ref.lower()) if c.agent_ref else None
    has_ts = len(stamps) == len(turns)
    checked = check_tuples(turns, phrases).row()
    return _Prepared(
        c, (c.conversation_id, (c.source or "")[:32] or None, _language(c), agent_id,
            None if agent_id else c.agent_ref, c.channel, c.client_ref, started, stamps[-1] if stamps else None,
            local_day, len(turns), has_ts),
        agent_id, local_day, has_ts, tuple(checked[k] for k in CHECK_COLUMNS[3:]))


def _chunks(text_: str, kind: str, settings, now: datetime, phrases: Phrases, agents: dict[str, int],
            chunk_messages: int = CHUNK_MESSAGES, gate: Callable[[], object] = _no_gate) -> Iterator[_Chunk]:
    """The file as chunks of prepared conversations (with their checks), in file order; the same
    conversations and issues as ``parse``. ``agents``: agent id by employee number or id; ``gate``
    is called between lines and conversations (see ``_Ahead``)."""
    if kind == "jsonl":
        source = _jsonl_chunks(text_, _Reader(settings, now), chunk_messages, gate)
    else:
        source = _csv_chunks(text_, settings, now, chunk_messages)
    zone = bank_zone(settings)
    for ch in source:
        prepared = []
        for c in ch.convs:
            gate()
            prepared.append(_prepare(c, zone, phrases, agents))
        ch.convs = prepared
        yield ch


def _csv_chunks(text_: str, settings, now: datetime, chunk_messages: int) -> Iterator[_Chunk]:
    # a conversation's rows may be anywhere in a CSV: the whole file is read before any is complete
    convs, issues = _parse_csv(text_, settings, now)
    chunk, msgs = _Chunk(issues=issues, expected=len(convs)), 0
    for c in convs:
        chunk.convs.append(c)
        chunk.read += 1
        msgs += len(c.turns)
        if msgs >= chunk_messages:
            yield chunk
            chunk, msgs = _Chunk(expected=len(convs)), 0
    yield chunk


def parse(data: bytes, filename: str, settings, now: datetime | None = None
          ) -> tuple[list[Conversation], list[ImportIssue], str]:
    """Conversations, problems by line, and the encoding used. Raises ImportRefused for an unreadable file."""
    now = now or now_utc()
    text_, enc = decode_bytes(data)
    kind = _kind(text_, filename)
    convs, issues = (_parse_jsonl if kind == "jsonl" else _parse_csv)(text_, settings, now)
    issues.sort(key=lambda i: i.line)
    return convs, issues, enc


class _Ahead:
    """Iterate a generator that a worker thread runs a few items ahead of the caller.

    The import parses and checks the next chunk of the file while this thread waits for the database
    to take the previous one (the server works in its own process; psycopg lets go of the GIL while
    it waits). The worker touches no database and no Streamlit state; an exception in it is raised
    here, in the caller's thread; ``close`` stops it and waits for it, whatever happened.

    ``make(gate)`` makes the generator; it calls ``gate()`` often (a line, a conversation), which
    waits from ``pause()`` until the function it returns is called: the caller's short Python work
    between two statements, while the server waits for it, then has the GIL to itself (sharing it,
    every reply from the server would wait up to the interpreter's switch interval to be read)."""

    def __init__(self, make: Callable[[Callable[[], object]], Iterator], depth: int = 2):
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._thread = threading.Thread(target=self._run, args=(make,), name="chat-import-parse", daemon=True)
        self._thread.start()

    def pause(self) -> Callable[[], None]:
        self._go.clear()
        return self._go.set

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, make) -> None:
        try:
            for item in make(self._go.wait):
                if not self._put((True, item)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            self._put((False, exc))
            return
        self._put((False, None))

    def __iter__(self) -> Iterator:
        while True:
            ok, item = self._q.get()
            if ok:
                yield item
            elif item is None:
                return
            else:
                raise item

    def close(self) -> None:
        self._stop.set()
        self._go.set()
        self._thread.join()

    def __enter__(self) -> _Ahead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Inline:
    """``_Ahead``'s interface without the thread."""

    def __init__(self, make: Callable[[Callable[[], object]], Iterator]):
        self._gen = make(_no_gate)

    def pause(self) -> Callable[[], None]:
        return _no_gate

    def __iter__(self) -> Iterator:
        return self._gen

    def close(self) -> None:
        self._gen.close()

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- writing -------------------------------------------------------------------------------

def _language(c: Conversation) -> str:
    if c.language:
        return c.language[:8]
    search = _CJK.search
    return "zh-CN" if any(search(t[1]) for t in c.turns) else "en"


def _message_rows(new: list[_Prepared], begun: Callable[[], object] = _no_gate) -> Iterator[tuple]:
    """The messages' rows; ``begun()`` once the first has been taken (the COPY has begun by then)."""
    for p in new:
        mid, cid = p.first_message_id, p.id
        seq = 0
        for sp, tx, ts in p.conv.turns:
            seq += 1
            yield (mid, cid, seq, sp, ts, tx)
            if begun is not _no_gate:
                begun()
                begun = _no_gate
            mid += 1


def _present(conn, col, values: Iterable) -> set:
    """Which of ``values`` the column ``col`` holds. PostgreSQL gets them as one array parameter
    (an IN list of a thousand placeholders costs more to build and parse than to run)."""
    values = list(values)
    if not values:
        return set()
    if conn.dialect.name == "postgresql":
        arr = ARRAY(col.type)
        return set(conn.execute(select(col).where(col == any_(bindparam("v", values, type_=arr)))).scalars())
    out: set = set()
    for i in range(0, len(values), 500):
        out.update(conn.execute(select(col).where(col.in_(values[i:i + 500]))).scalars())
    return out


def import_chats(engine: Engine, data: bytes, filename: str, *, skip_bad: bool = False,
                 actor=None, progress: Callable[[int, int], None] | None = None,
                 _chunk_messages: int = CHUNK_MESSAGES, _ahead: bool | None = None) -> ImportReport:
    """Import a file in one transaction; returns the report. Raises ImportRefused (nothing written).

    The file is read in chunks: while one chunk is written (COPY on PostgreSQL), a worker thread
    parses and checks the next. Every bad line is still found before the end, and any one of them
    (without ``skip_bad``) refuses the file by rolling the whole transaction back."""
    settings = settings_mod.load(engine)
    text_, enc = decode_bytes(data)
    kind = _kind(text_, filename)
    report = ImportReport()
    report.extra["encoding"] = enc
    phrases = Phrases(settings)
    parse_now = now_utc()
    now = now_utc()
    issues: list[ImportIssue] = []
    # SQLite works in this process: a worker parsing beside it would only take the GIL from it
    # (sqlite3 lets go of the GIL on every row and then waits for it again)
    threaded = engine.dialect.name == "postgresql" if _ahead is None else _ahead
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # explicit ids below: one import at a time
            conn.execute(text("LOCK TABLE chats IN SHARE ROW EXCLUSIVE MODE"))
        # agents by employee number or id
        agents: dict[str, int] = {}
        for aid, emp in conn.execute(select(Agent.id, Agent.employee_no)):
            agents[emp.lower()] = aid
            agents[str(aid)] = aid
        first_chat = chat_id = next_id(conn, Chat.__table__)
        msg_id = next_id(conn, ChatMessage.__table__)
        known_clients: set[int] = set()
        pairs: set[tuple[int, date]] = set()
        with_agent: list[int] = []
        checks: list[tuple] = []
        skipped = messages = without_agent = without_ts = read = 0
        version = settings.version_id

        def make(gate) -> Iterator[_Chunk]:
            return _chunks(text_, kind, settings, parse_now, phrases, agents, _chunk_messages, gate)

        # whatever happens in the loop, the worker is stopped and waited for before the transaction ends
        with (_Ahead if threaded else _Inline)(make) as ahead:
            for chunk in ahead:
                # from here until the messages' COPY has begun the server waits for this thread: the
                # worker pauses meanwhile
                resume = ahead.pause()
                try:
                    issues += chunk.issues
                    read += chunk.read
                    # clients must exist
                    refs = {p.conv.client_ref for p in chunk.convs if p.conv.client_ref is not None} - known_clients
                    known_clients.update(_present(conn, Client.id, refs))
                    good = []
                    for p in chunk.convs:
                        ref = p.conv.client_ref
                        if ref is not None and ref not in known_clients:
                            issues.append(ImportIssue(p.conv.line, f"client {ref} is not a known client"))
                        else:
                            good.append(p)
                    if issues and not skip_bad:
                        continue  # refused: the rest is read only for its bad lines
                    # idempotent on conversation id
                    existing = _present(conn, Chat.conversation_id, [p.conv.conversation_id for p in good])
                    new, chats = [], []
                    for p in good:
                        if p.conv.conversation_id in existing:
                            skipped += 1
                            continue
                        p.id, p.first_message_id = chat_id, msg_id
                        chats.append((chat_id, *p.row, now))
                        checks.append((chat_id, now, version, *p.check))
                        if p.agent_id:
                            pairs.add((p.agent_id, p.work_date))
                            with_agent.append(chat_id)
                        else:
                            without_agent += 1
                        if not p.has_ts:
                            without_ts += 1
                        n = len(p.conv.turns)
                        messages += n
                        msg_id += n
                        chat_id += 1
                        new.append(p)
                    insert_rows(conn, Chat.__table__, CHAT_COLUMNS, chats, fast=True)
                    # the messages go out as they are numbered, one COPY a chunk: the server takes them
                    # while the rest follow, and the worker resumes once the first has gone
                    insert_rows(conn, ChatMessage.__table__, MESSAGE_COLUMNS, _message_rows(new, resume),
                                fast=True, stream=True, batch=1 << 62)
                finally:
                    resume()
                written = chat_id - first_chat
                if progress and written:
                    # the total shrinks towards what is written as skipped and bad lines turn up
                    progress(written, max(written, written + chunk.expected - read))
        issues.sort(key=lambda i: i.line)
        if issues and not skip_bad:
            raise ImportRefused(
                f"{len(issues)} bad line(s), first: {issues[0]}; nothing imported (use --skip-bad to import the good "
                f"lines)", issues)
        # the checks of every chunk in one go: a COPY less per chunk is a wait less per chunk
        insert_rows(conn, ChatCheck.__table__, CHECK_COLUMNS, checks, fast=True)
        report.rejected = issues
        new_ids = list(range(first_chat, chat_id))
        qa_rollup.chats_added(conn, new_ids)
        reset_sequences(conn, Chat.__table__, ChatMessage.__table__)
        report.inserted = len(new_ids)
        report.skipped = skipped
        report.extra["messages"] = messages
        report.extra["without_agent"] = without_agent
        report.extra["without_timestamps"] = without_ts
        if progress and new_ids:
            progress(len(new_ids), len(new_ids))
        if pairs:
            events.emit("chats_changed", conn, pairs=sorted(pairs), new_chat_ids=with_agent)
        audit.record(conn, user_id=getattr(actor, "id", None), username=getattr(actor, "username", None),
                     action="qa.chats_import", entity="chats", entity_id=filename[:64] if filename else None,
                     detail={"inserted": report.inserted, "skipped": report.skipped,
                             "rejected": [str(i) for i in report.rejected[:50]], "messages": messages,
                             "encoding": enc})
    if progress and not new_ids:
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
