"""Operations: backup and restore of the SQLite default, the data dictionary."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from db.engine import PROJECT_ROOT, database_url


def _sqlite_path() -> Path:
    from db.cli import CommandError

    url = make_url(database_url())
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise CommandError("backup and restore are for the SQLite default; for PostgreSQL use pg_dump and pg_restore")
    p = Path(url.database)
    return p if p.is_absolute() else PROJECT_ROOT / p


def backup_sqlite(src: Path, dest: Path) -> None:
    """A consistent copy of a live database through SQLite's online backup API."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(src) as s, sqlite3.connect(tmp) as d:
        s.backup(d)
    tmp.replace(dest)


def _check_backup(path: Path) -> str:
    from db.cli import CommandError

    if not path.is_file():
        raise CommandError(f"no backup file at {path}")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
            if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise CommandError(f"{path} fails SQLite's integrity check")
            rev = c.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path} is not a dashboard backup ({exc})") from None
    if not rev:
        raise CommandError(f"{path} has no schema version")
    return rev[0]


def cmd_backup(args) -> None:
    src = _sqlite_path()
    from db.cli import CommandError

    if not src.is_file():
        raise CommandError(f"no database at {src}")
    dest = Path(args.output) if args.output else PROJECT_ROOT / "data" / "backups" / (
        f"dashboard-{datetime.now():%Y%m%d-%H%M%S}.db")
    backup_sqlite(src, dest)
    print(f"backed up {src} -> {dest} ({dest.stat().st_size:,} bytes)")


def cmd_restore(args) -> None:
    from db.migrate import head_revision

    src = Path(args.file)
    rev = _check_backup(src)
    dest = _sqlite_path()
    if dest.is_file() and not args.yes:
        from db.cli import CommandError

        raise CommandError(f"{dest} exists: add --yes to replace it with the backup (taken at schema {rev})")
    if dest.is_file():
        # keep what we replace, so a mistaken restore can itself be undone
        keep = dest.with_name(f"{dest.stem}.before-restore-{datetime.now():%Y%m%d-%H%M%S}.db")
        backup_sqlite(dest, keep)
        print(f"kept the replaced database as {keep}")
    # write into the live file through the backup API (readers see the old or the new, never half)
    with sqlite3.connect(src) as s, sqlite3.connect(dest) as d:
        s.backup(d)
    note = "" if rev == head_revision() else "; run `python -m db migrate` to bring it to the latest schema"
    print(f"restored {src} -> {dest} (schema {rev}){note}")


def cmd_schema_doc(args) -> None:
    from db.schema_doc import render

    out = Path(args.output)
    out.write_text(render(), encoding="utf-8")
    print(f"wrote {out}")


def register(sub) -> None:
    s = sub.add_parser("backup", help="copy the SQLite database (online backup API)")
    s.add_argument("--output", "-o", help="backup file (default data/backups/dashboard-<time>.db)")
    s.set_defaults(func=cmd_backup)
    s = sub.add_parser("restore", help="replace the SQLite database with a backup")
    s.add_argument("file")
    s.add_argument("--yes", action="store_true", help="replace an existing database")
    s.set_defaults(func=cmd_restore)
    s = sub.add_parser("schema-doc", help="write the data dictionary (docs/schema.md)")
    s.add_argument("--output", "-o", default=str(PROJECT_ROOT / "docs" / "schema.md"))
    s.set_defaults(func=cmd_schema_doc)
