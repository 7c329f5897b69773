"""``python -m db import-chats FILE [--skip-bad]``: chat transcripts (JSON Lines or CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

from db.cli import CommandError, engine, require_migrated


def cmd_import_chats(args) -> None:
    from tqdm import tqdm

    from lib.fileio import ImportRefused
    from lib.qa.importer import import_chats

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    eng = engine()
    require_migrated(eng)
    bar = tqdm(total=0, desc="import-chats", unit="chats", file=sys.stderr)

    def progress(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        rep = import_chats(eng, path.read_bytes(), path.name, skip_bad=args.skip_bad, progress=progress)
    except ImportRefused as exc:
        bar.close()
        for issue in exc.issues[:50]:
            print(f"  {issue}", file=sys.stderr)
        if len(exc.issues) > 50:
            print(f"  … and {len(exc.issues) - 50} more", file=sys.stderr)
        raise CommandError(str(exc)) from None
    bar.close()
    for issue in rep.rejected:
        print(f"  rejected {issue}")
    print(f"import-chats {path.name}: {rep.summary()}; {rep.extra.get('messages', 0)} messages; "
          f"{rep.extra.get('without_agent', 0)} without a known agent, "
          f"{rep.extra.get('without_timestamps', 0)} without timestamps ({rep.extra.get('encoding')})")


def register(sub) -> None:
    s = sub.add_parser("import-chats", help="import chat transcripts (JSON Lines or CSV); idempotent")
    s.add_argument("file")
    s.add_argument("--skip-bad", action="store_true", help="import the good lines and list the bad ones")
    s.set_defaults(func=cmd_import_chats)
