"""Complaint commands: ``import-complaints`` and ``escalate-complaints``."""

from __future__ import annotations

import sys
from pathlib import Path

from db.cli import CommandError, engine, require_migrated


def cmd_import(args) -> None:
    from lib.complaints.importer import import_complaints
    from lib.fileio import ImportRefused

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    eng = engine()
    require_migrated(eng)
    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="import-complaints", unit="rows", file=sys.stderr)
        bar.n = done
        bar.refresh()

    try:
        rep = import_complaints(eng, path.read_bytes(), preset=args.preset, skip_bad=args.skip_bad,
                                progress=progress)
    except ImportRefused as exc:
        for issue in exc.issues[:20]:
            print(f"  {issue}", file=sys.stderr)
        if len(exc.issues) > 20:
            print(f"  … and {len(exc.issues) - 20} more", file=sys.stderr)
        raise CommandError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    for issue in rep.rejected[:20]:
        print(f"  skipped {issue}", file=sys.stderr)
    print(f"import-complaints {path.name} ({rep.extra.get('preset')}, {rep.extra.get('encoding')}): {rep.summary()}")


def cmd_escalate(args) -> None:
    from lib.complaints.escalation import run

    eng = engine()
    require_migrated(eng)
    changed = run(eng)
    to_lead = sum(1 for v in changed.values() if v == 1)
    print(f"escalate-complaints: {len(changed)} escalated ({to_lead} to the team lead, "
          f"{len(changed) - to_lead} to the manager)")


def register(sub) -> None:
    s = sub.add_parser("import-complaints", help="import complaints from CSV (own columns or --preset cfpb)")
    s.add_argument("file")
    s.add_argument("--preset", choices=["own", "cfpb"], default="own")
    s.add_argument("--skip-bad", action="store_true", help="import the good records and report the bad ones")
    s.set_defaults(func=cmd_import)
    s = sub.add_parser("escalate-complaints", help="escalate overdue complaints to the team lead / manager (督办)")
    s.set_defaults(func=cmd_escalate)
