"""The command line: every command prints what it did, exits non-zero with a
one-line reason on bad input, and writes nothing when it fails."""

from __future__ import annotations

import argparse
import getpass
import importlib
import importlib.util
import re
import sys
import time
from pathlib import Path

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from db.engine import DatabaseConfigError, database_url, make_engine

# Area command modules: each defines register(subparsers) and owns its commands.
AREA_COMMANDS = ("db.commands.chats", "db.commands.complaints", "db.commands.qa", "db.commands.kpi",
                 "db.commands.portfolio", "db.commands.ops")


class CommandError(RuntimeError):
    """A command that cannot do what was asked; the message is the one line printed."""


def engine():
    return make_engine(database_url())


def require_migrated(eng) -> None:
    from db.migrate import current_revision, head_revision

    if current_revision(eng) != head_revision():
        raise CommandError("the database is not migrated: run `python -m db migrate` first")


def cmd_migrate(args) -> None:
    from db.migrate import current_revision, head_revision, upgrade

    eng = engine()
    before = current_revision(eng)
    upgrade(eng)
    print(f"migrated {eng.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {head_revision()}")


def _progress_bar():
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def report(step, done, total):
        bar = bars.get(step)
        if bar is None:
            bar = bars[step] = tqdm(total=total, desc=step, unit="rows", leave=True, file=sys.stderr)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return report


def cmd_seed(args) -> None:
    from datetime import date

    from db.seed import SeedError, database_is_empty, seed

    eng = engine()
    require_migrated(eng)
    if args.if_empty and not database_is_empty(eng):
        print("seed: the database already has data; nothing to do")
        return
    today = None
    if args.today:
        try:
            today = date.fromisoformat(args.today)
        except ValueError:
            raise CommandError(f"--today {args.today!r} is not a date (YYYY-MM-DD)") from None
    t0 = time.perf_counter()
    try:
        timings = seed(eng, size=args.size, seed_value=args.seed, today=today, progress=_progress_bar())
    except SeedError as exc:
        raise CommandError(str(exc)) from None
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    print(f"seeded {args.size} data with seed {args.seed} in {time.perf_counter() - t0:.1f}s ({steps})")


def cmd_create_user(args) -> None:
    from lib import auth

    eng = engine()
    require_migrated(eng)
    if sys.stdin.isatty():
        pw = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("repeat: ") != pw:
            raise CommandError("the two passwords differ")
    else:
        pw = sys.stdin.readline().rstrip("\n")
    try:
        uid = auth.create_user(eng, args.username, pw, args.role, display_name=args.name, language=args.language)
    except auth.AuthError as exc:
        raise CommandError(str(exc)) from None
    print(f"created user {args.username.lower()} (id {uid}) with roles {', '.join(args.role)}")


def cmd_export(args) -> None:
    from lib import exports

    reports = exports.load_all()
    rep = reports.get(args.report)
    if rep is None:
        raise CommandError(f"unknown report {args.report!r}; reports: {', '.join(sorted(reports))}")
    month = args.month
    if rep.needs_month:
        if not month or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError(f"export {args.report} needs a month as YYYY-MM")
    eng = engine()
    require_migrated(eng)
    tables = rep.build(eng, month)
    out = Path(args.output or f"{args.report}{'_' + month if month else ''}")
    files = exports.write(tables, out, args.format)
    rows = sum(len(df) for df in tables.values())
    print(f"exported {args.report}{' ' + month if month else ''}: {rows} rows -> {', '.join(map(str, files))}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m db", description="Database commands of the service dashboard.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("migrate", help="create or upgrade the schema")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("seed", help="deterministic demo data into an empty database")
    s.add_argument("--size", choices=["demo", "m", "l"], default="demo")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--today", help="last day with data (YYYY-MM-DD); default yesterday")
    s.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")
    s.set_defaults(func=cmd_seed)

    s = sub.add_parser("create-user", help="add a login user (password from a prompt or stdin)")
    s.add_argument("username")
    s.add_argument("--role", action="append", required=True, help="a role; repeat for several")
    s.add_argument("--name", help="display name")
    s.add_argument("--language", choices=["zh", "en"], default="zh")
    s.set_defaults(func=cmd_create_user)

    s = sub.add_parser("export", help="a report as CSV or XLSX (the figures the pages show)")
    s.add_argument("report")
    s.add_argument("month", nargs="?", help="YYYY-MM for monthly reports")
    s.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    s.add_argument("--output", "-o", help="output file (without extension)")
    s.set_defaults(func=cmd_export)

    for mod in AREA_COMMANDS:
        if importlib.util.find_spec(mod) is not None:
            importlib.import_module(mod).register(sub)
    return p


def _quiet_streamlit() -> None:
    """lib modules cache with st.cache_data; outside a running app Streamlit warns on every call."""
    import logging

    import streamlit.runtime.caching  # noqa: F401 - create the loggers before quieting them
    import streamlit.runtime.scriptrunner_utils.script_run_context  # noqa: F401

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _quiet_streamlit()
    try:
        args.func(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DatabaseConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        msg = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: database problem ({msg}); check DATABASE_URL and run `python -m db migrate`",
              file=sys.stderr)
        return 1
    return 0
