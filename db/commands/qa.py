"""QA commands: daily sampling, verifying a draw, re-running the automatic checks, closing a month."""

from __future__ import annotations

from datetime import date

from db.cli import CommandError, engine, require_migrated


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise CommandError(f"{s!r} is not a date (YYYY-MM-DD)") from None


def cmd_sample(args) -> None:
    from lib.qa import sampling

    eng = engine()
    require_migrated(eng)
    if args.catch_up:
        days = sampling.catch_up(eng)
        print(f"sample --catch-up: {len(days)} day(s) drawn, "
              f"{sum(d.samples for d in days)} samples for {sum(d.agents for d in days)} agent-days")
        return
    if not args.date:
        raise CommandError("give --date YYYY-MM-DD or --catch-up")
    r = sampling.run_day(eng, _date(args.date))
    print(f"sample {r.day}: {r.samples} samples drawn for {r.agents} agents "
          f"({r.already_drawn} agents were already drawn)")


def cmd_verify_draw(args) -> None:
    from lib.qa import sampling

    eng = engine()
    require_migrated(eng)
    try:
        v = sampling.verify(eng, args.draw_id)
    except Exception as exc:  # noqa: BLE001 - no such draw
        raise CommandError(f"draw {args.draw_id}: {type(exc).__name__}") from None
    print(f"draw {v.draw_id}: seed {v.seed}, {v.candidates} candidates; stored {v.stored}; re-drawn {v.redrawn}; "
          f"{'EQUAL' if v.equal else 'DIFFERENT'}")
    if not v.equal:
        raise CommandError("the stored sample differs from the re-draw")


def cmd_recheck(args) -> None:
    from lib.qa import checks_db

    eng = engine()
    require_migrated(eng)
    n = checks_db.recheck(eng, _date(args.start), _date(args.end))
    print(f"recheck-chats {args.start}..{args.end}: {n} chats checked again with the current settings")


def cmd_close_month(args) -> None:
    from lib.qa import points

    eng = engine()
    require_migrated(eng)
    try:
        n = points.close_month(eng, args.month, force=args.force)
    except (ValueError, points.MonthClosedError) as exc:
        raise CommandError(str(exc)) from None
    print(f"close-month {args.month}: frozen for {n} agents")


def register(sub) -> None:
    s = sub.add_parser("sample", help="draw the daily QA sample (--date D) or every recent undrawn day (--catch-up)")
    s.add_argument("--date")
    s.add_argument("--catch-up", action="store_true")
    s.set_defaults(func=cmd_sample)
    s = sub.add_parser("verify-draw", help="re-draw a stored QA sample from its seed and compare")
    s.add_argument("draw_id", type=int)
    s.set_defaults(func=cmd_verify_draw)
    s = sub.add_parser("recheck-chats", help="re-run the automatic chat checks for a date range")
    s.add_argument("start")
    s.add_argument("end")
    s.set_defaults(func=cmd_recheck)
    s = sub.add_parser("close-month", help="freeze a QA month's points and deductions (YYYY-MM)")
    s.add_argument("month")
    s.add_argument("--force", action="store_true", help="close even with samples still waiting for review")
    s.set_defaults(func=cmd_close_month)
