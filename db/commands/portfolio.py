"""Portfolio commands: rebuild the precomputed book figures (after each load of balances, loans or credit lines)."""

from __future__ import annotations

from datetime import date

from db.cli import CommandError, engine, require_migrated


def cmd_portfolio_rollup(args) -> None:
    from lib import settings as settings_mod
    from lib.portfolio import rollup
    from lib.portfolio.scope import bank_today

    eng = engine()
    require_migrated(eng)
    if args.today:
        try:
            today = date.fromisoformat(args.today)
        except ValueError:
            raise CommandError(f"{args.today!r} is not a date (YYYY-MM-DD)") from None
    else:
        today = bank_today(settings_mod.load(eng)["ui.timezone"])
    res = rollup.rebuild_for_today(eng, today, if_stale=args.if_stale)
    if res is None:
        print(f"portfolio-rollup: already built for {today} (nothing to do)")
        return
    if "books" not in res:  # only the day changed: the flags alone
        print(f"portfolio-rollup for {today}: overdue-visit and dormant flags only, {res['flag_rows']:,} rows "
              f"in {res['seconds']:.1f}s")
        return
    print(f"portfolio-rollup for {today}: {res['clients']:,} clients, {res['books']:,} book rows, "
          f"{res['balances']:,} balance rows, {res['migration']:,} migration rows, {res['worse_loans']:,} worse loans, "
          f"{res['flag_rows']:,} flag rows in {res['seconds']:.1f}s")


def register(sub) -> None:
    s = sub.add_parser("portfolio-rollup",
                       help="rebuild the precomputed book figures for today (run after each day's data load: the "
                            "overdue-visit and dormant counts are for one day)")
    s.add_argument("--today", help="the bank's date to build for (YYYY-MM-DD); default: today in ui.timezone")
    s.add_argument("--if-stale", action="store_true", help="only what is not built for that date (a new day alone: only the flags)")
    s.set_defaults(func=cmd_portfolio_rollup)
