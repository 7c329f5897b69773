"""Team-KPI commands: rebuild the rollups, import service-quality cards."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from db.cli import CommandError, engine, require_migrated


def _date(s: str | None) -> date | None:
    if s is None:
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise CommandError(f"{s!r} is not a date (YYYY-MM-DD)") from None


def cmd_rebuild_rollups(args) -> None:
    from lib.kpis import rollups
    from lib.qa import rollup as qa_rollup

    start, end = _date(args.start), _date(args.end)
    if start and end and end < start:
        raise CommandError("--end is before --start")
    eng = engine()
    require_migrated(eng)
    t0 = time.perf_counter()
    counts = rollups.rebuild(eng, start, end)
    counts |= qa_rollup.rebuild(eng, start, end)  # the QA results page's rollups (lib/qa/rollup.py)
    span = f" {start or '…'}..{end or '…'}" if (start or end) else ""
    print(f"rebuild-rollups{span}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
          + f" in {time.perf_counter() - t0:.1f}s")


def cmd_import_surveys(args) -> None:
    from lib.fileio import ImportRefused
    from lib.kpis import surveys
    from lib.kpis.scope import Scope

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    eng = engine()
    require_migrated(eng)
    try:
        rep = surveys.import_csv(eng, path.read_bytes(), Scope(None), source=str(path))
    except ImportRefused as exc:
        for issue in exc.issues[:50]:
            print(f"  {issue}")
        raise CommandError(f"{path.name} refused: {len(exc.issues) or 1} problem(s); nothing imported") from None
    print(f"import-surveys {path.name}: {rep.inserted} cards inserted, {rep.skipped} already present")


def register(sub) -> None:
    s = sub.add_parser("rebuild-rollups", help="rebuild the team-KPI facts and daily rollups, and the QA results rollups, "
                                            "from the base tables")
    s.add_argument("--start", help="first day (YYYY-MM-DD); default: all")
    s.add_argument("--end", help="last day (YYYY-MM-DD); default: all")
    s.set_defaults(func=cmd_rebuild_rollups)

    s = sub.add_parser("import-surveys", help="import service-quality cards (CSV, UTF-8 or GB18030)")
    s.add_argument("file")
    s.set_defaults(func=cmd_import_surveys)
