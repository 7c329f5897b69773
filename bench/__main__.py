"""``python -m bench`` (``make bench``): time every page for each role allowed there.

For each database (SQLite, PostgreSQL) and size (m, l) it seeds the bench
database or reuses it, then per page and representative user: the page's
script run under AppTest cold (caches cleared) and warm, the SQL time inside
the cold run (the page's floor), the rows it shows, its peak Python memory; for
the heaviest page of each view, the same output computed the naive way.
Writes BENCHMARKS.md and bench/benchmarks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from datetime import date, datetime, timezone
from pathlib import Path

os.environ.setdefault("DASHBOARD_LOGIN_SLEEP", "0")
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy import inspect as sa_inspect  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PG_ADMIN = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROLE_USER = {"admin": "demo_admin", "manager": "demo_manager", "team_lead": "demo_lead", "qa": "demo_qa",
             "complaint_handler": "demo_handler", "rm": "demo_rm", "agent": "demo_agent"}
BENCH_TODAY = date(2026, 11, 22)


def db_url(backend: str, size: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{ROOT / 'data' / f'bench_{size}.db'}"
    return make_url(PG_ADMIN).set(database=f"dash_bench_{size}").render_as_string(hide_password=False)


def ensure_database(backend: str, size: str, log) -> tuple[str, float | None]:
    """The bench database of this size, seeded; returns (url, seconds spent seeding or None if reused)."""
    from db.migrate import current_revision, upgrade
    from db.seed import seed
    from lib.db import engine_for

    url = db_url(backend, size)
    if backend == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            name = make_url(url).database
            if not c.execute(text("select 1 from pg_database where datname=:n"), {"n": name}).first():
                c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    eng = engine_for(url)
    seeded_size = None
    if current_revision(eng) is not None:
        with eng.connect() as c:
            seeded_size = c.execute(text("select value from meta where key='seed_size'")).scalar()
    if seeded_size == size:
        log(f"{backend}/{size}: reusing {eng.url.render_as_string(hide_password=True)}")
        bring_up_to_date(eng, log)
        with eng.connect() as c:
            took = c.execute(text("select value from meta where key='bench_seed_seconds'")).scalar()
        return url, float(took) if took else None
    if backend == "sqlite":
        eng.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(make_url(url).database + suffix).unlink(missing_ok=True)
    else:
        from lib.db import _ENGINES

        eng.dispose()
        _ENGINES.pop(url, None)
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            name = make_url(url).database
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    eng = engine_for(url)
    upgrade(eng)
    log(f"{backend}/{size}: seeding ...")
    t0 = time.perf_counter()
    seed(eng, size, 42, today=BENCH_TODAY, progress=_progress(log))
    spent = time.perf_counter() - t0
    with eng.begin() as c:  # kept with the database, so that a run reusing it still reports it
        c.execute(text("insert into meta (key, value) values ('bench_seed_seconds', :v)"), {"v": f"{spent:.0f}"})
    if backend == "postgresql":
        vacuum_analyze(eng)
    log(f"{backend}/{size}: seeded in {spent:.0f} s")
    return url, spent


def bring_up_to_date(eng, log) -> None:
    """A reused bench database gets the newer migrations, any index added to a model since it was
    seeded, and derived tables built for today: the same state a fresh seed would give, without
    seeding again (the seed is deterministic, so its rows would be identical)."""
    from db.migrate import current_revision, head_revision, upgrade
    from db.models import Base
    from lib import settings as settings_mod
    from lib.portfolio.scope import bank_today

    if current_revision(eng) != head_revision():
        log(f"  migrating {current_revision(eng)} -> {head_revision()}")
        upgrade(eng)
    for table in Base.metadata.sorted_tables:
        wanted = {i.name for i in table.indexes}
        with eng.begin() as c:
            present = {i["name"] for i in sa_inspect(c).get_indexes(table.name)}
            for name in sorted(present - wanted):
                if name.startswith("ix_"):  # an index a model no longer has (not a key's own)
                    log(f"  dropping index {name}")
                    c.execute(text(f'DROP INDEX "{name}"'))
            for index in table.indexes:
                if index.name in present:
                    continue
                log(f"  creating index {index.name}")
                index.create(c)
    today = bank_today(settings_mod.load(eng)["ui.timezone"])
    for name, build in derived_builders():
        t0 = time.perf_counter()
        if build(eng, today) is not None:
            log(f"  {name} built in {time.perf_counter() - t0:.1f} s")
    if eng.dialect.name == "postgresql":
        vacuum_analyze(eng)


def derived_builders() -> list[tuple]:
    """Derived tables a reused database may lack or have stale: (name, build(engine, today) -> result or
    None when already current). Add a line here for each new rollup."""
    from lib.portfolio import rollup

    return [
        ("portfolio rollup", lambda eng, today: rollup.rebuild_for_today(eng, today, if_stale=True)),
        ("complaints month rollup", lambda eng, today: __import__("lib.complaints.rollup").complaints.rollup.build(eng, today)),
        # migration 0008 builds it; this only rebuilds one left empty beside stored rows
        ("qa results rollups", lambda eng, today: __import__("lib.qa.rollup").qa.rollup.build_if_missing(eng, today)),
    ]


def vacuum_analyze(eng) -> None:
    """After a bulk load: statistics for the planner and the visibility map for index-only scans (what
    autovacuum does on its own a little later)."""
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))


def _progress(log):
    last = {}

    def report(step, done, total):
        pct = int(done * 100 / max(total, 1))
        if pct // 10 != last.get(step, -1):
            last[step] = pct // 10
            log(f"  {step}: {done:,}/{total:,}")

    return report


class SqlTimer:
    """The page's SQL floor: every statement a run sends to the engine is recorded, then replayed alone
    on one connection — executed and every row fetched (SQLite does most of its work while rows are
    fetched, which cursor events do not see) — and rolled back, so replayed writes leave nothing."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[tuple] = []
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, params, context, executemany):
        self.statements.append((statement, params, executemany))

    @property
    def queries(self) -> int:
        return len(self.statements)

    def reset(self):
        self.statements = []

    def replay(self) -> float:
        """Seconds to run the recorded statements again, alone."""
        todo, self.statements = self.statements, []
        with self.engine.connect() as c:
            raw = c.connection.dbapi_connection
            t0 = time.perf_counter()
            for statement, params, many in todo:
                cur = raw.cursor()
                try:
                    if many:
                        cur.executemany(statement, params)
                    else:
                        cur.execute(statement, params)
                    if cur.description:
                        cur.fetchall()
                finally:
                    cur.close()
            spent = time.perf_counter() - t0
            raw.rollback()
        return spent


def _clear_caches():
    import streamlit as st

    st.cache_data.clear()
    from lib.settings import _values_at

    _values_at.cache_clear()


_COMPONENTS = []


def _components():
    """One component registry for every AppTest of the run (what a server builds once at start-up)."""
    if not _COMPONENTS:
        from streamlit.components.v2.component_manager import BidiComponentManager

        manager = BidiComponentManager()
        manager.discover_and_register_components(start_file_watching=False)
        _COMPONENTS.append(manager)
    return _COMPONENTS[0]


def _load_altair_schema() -> None:
    """Altair loads and compiles the Vega-Lite JSON schema on the process's first chart (~0.3 s here);
    a running server has done that on its first chart. Without this the first chart page timed at the
    first size paid for it (portfolio_overview, SQLite m: 596 ms cold in the run of 2026-11-23 17:00)."""
    import altair as alt
    import pandas as pd

    alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").to_dict()


_SCRIPT_CACHE = []


def share_script_cache():
    """One compiled-script cache for every AppTest of the run, as a server keeps one per process;
    returns the function that undoes it (the smoke test runs inside the test suite).

    AppTest makes a new ScriptCache on each run, so every run parsed the page and applied
    Streamlit's magic AST rewrite again: 1–25 ms a page here (75 ms for the longest, whose
    nested functions make the rewrite walk the tree many times). A server compiles each page
    once, on its first visit by anyone; the bench's untimed first run does that here.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    if not _SCRIPT_CACHE:
        _SCRIPT_CACHE.append(ScriptCache())
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: _SCRIPT_CACHE[0]

    def restore():
        app_test.ScriptCache = local_script_runner.ScriptCache = ScriptCache

    return restore


def time_page(url: str, spec, role: str, timer: SqlTimer) -> dict:
    from streamlit.testing.v1 import AppTest

    from lib.db import engine_for
    from tests.apptest import sign_in_state

    eng = engine_for(url)

    def fresh():
        at = AppTest.from_file(str(ROOT / spec.file), default_timeout=300)
        # AppTest scans every installed package for components on each new instance's first run
        # (~75 ms here); a server does it once at start-up, so the bench does it once too
        at._bidi_component_manager = _components()
        sign_in_state(at, eng, ROLE_USER[role])
        return at

    # cold: caches cleared; the SQL inside this run is the page's floor
    at = fresh()
    _clear_caches()
    timer.reset()
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    queries = timer.queries
    floor = timer.replay()
    errors = [str(e.value)[:200] for e in at.exception]
    rows = max([len(d.value) for d in at.dataframe] + [0])
    # warm: the same session again, caches filled
    warm_runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        warm_runs.append(time.perf_counter() - t0)
    warm = statistics.median(warm_runs)
    # memory: a separate cold run under tracemalloc (it slows Python down)
    at2 = fresh()
    _clear_caches()
    tracemalloc.start()
    at2.run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"page": spec.key, "file": spec.file, "role": role, "cold_ms": cold * 1000, "warm_ms": warm * 1000,
            "sql_floor_ms": floor * 1000, "queries": queries, "rows_shown": rows, "peak_mb": peak / 2**20,
            "errors": errors}


def time_naive(url: str, area: str) -> float | None:
    from bench.naive import NAIVE
    from lib.db import engine_for

    fn = NAIVE.get(area)
    if fn is None:
        return None
    t0 = time.perf_counter()
    if area == "complaints":
        fn(engine_for(url), BENCH_TODAY.strftime("%Y-%m"))
    else:
        fn(engine_for(url))
    return (time.perf_counter() - t0) * 1000


def area_of(key: str) -> str:
    for a in ("portfolio", "complaints", "qa", "kpi"):
        if key.startswith(a):
            return a
    return "shell"


def run(backends, sizes, out_md: Path, out_json: Path, log, url_override: str | None = None,
        only_pages: set[str] | None = None, import_n: int = 20_000) -> dict:
    from lib import policy

    restore = share_script_cache()
    try:
        for spec in policy.PAGES:  # compiled before timing, as a running server has them (share_script_cache)
            _SCRIPT_CACHE[0].get_bytecode(str(ROOT / spec.file))
        return _run(backends, sizes, out_md, out_json, log, url_override, only_pages, import_n)
    finally:
        restore()


def _run(backends, sizes, out_md: Path, out_json: Path, log, url_override, only_pages, import_n) -> dict:
    from lib import policy
    from lib.db import engine_for

    results = {"machine": machine(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "runs": []}
    for backend in backends:
        for size in sizes:
            try:
                url, seeded = (url_override, None) if url_override else ensure_database(backend, size, log)
            except Exception as exc:  # noqa: BLE001 - a backend that is not there is reported, not fatal
                log(f"{backend}/{size}: skipped ({type(exc).__name__}: {exc})")
                continue
            os.environ["DATABASE_URL"] = url
            from lib.guard import reset_boot_cache

            reset_boot_cache()
            # the supervision job, as the scheduler runs it (python -m db escalate-complaints): pages would
            # otherwise pay for every complaint that fell due since the database was last opened
            from lib.complaints.escalation import run as escalate

            escalated = escalate(engine_for(url))
            if escalated:
                log(f"{backend}/{size}: escalate-complaints escalated {len(escalated):,} before timing")
            timer = SqlTimer(engine_for(url))
            # one untimed run first: a server has imported every module and loaded Altair's schema before
            # its first visitor; the first page timed would otherwise pay for that
            time_page(url, policy.PAGES[0], sorted(policy.PAGES[0].roles)[0], timer)
            _load_altair_schema()
            pages = []
            for spec in policy.PAGES:
                if only_pages and spec.key not in only_pages:
                    continue
                for role in sorted(spec.roles):
                    r = time_page(url, spec, role, timer)
                    log(f"{backend}/{size} {spec.key:24s} {role:18s} cold {r['cold_ms']:7.1f} warm {r['warm_ms']:6.1f}"
                        f" sql {r['sql_floor_ms']:7.1f} rows {r['rows_shown']}{' ERR' if r['errors'] else ''}")
                    pages.append(r)
            naive = []
            for area in ("portfolio", "complaints", "qa", "kpi"):
                mine = [p for p in pages if area_of(p["page"]) == area]
                if not mine:
                    continue
                heaviest = max(mine, key=lambda p: p["cold_ms"])
                try:
                    n_ms = time_naive(url, area)
                except Exception as exc:  # noqa: BLE001
                    log(f"naive {area}: failed ({exc})")
                    n_ms = None
                naive.append({"area": area, "page": heaviest["page"], "role": heaviest["role"],
                              "page_cold_ms": heaviest["cold_ms"], "naive_ms": n_ms})
            counts = table_counts(engine_for(url))
            imp = None
            if import_n:
                from bench.imports import time_chat_import

                try:
                    imp = time_chat_import(url, PG_ADMIN, import_n)
                    log(f"{backend}/{size} chat import: {imp['messages']:,} messages in {imp['seconds']} s = "
                        f"{imp['messages_per_s']:,}/s")
                except Exception as exc:  # noqa: BLE001 - reported, not fatal
                    log(f"{backend}/{size} chat import failed ({type(exc).__name__}: {exc})")
            results["runs"].append({"backend": backend, "size": size, "seed_seconds": seeded, "pages": pages,
                                    "naive": naive, "rows": counts, "import": imp})
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    out_md.write_text(render_md(results), encoding="utf-8")
    return results


def table_counts(engine) -> dict:
    out = {}
    with engine.connect() as c:
        for t in ("clients", "complaints", "chats", "chat_messages", "qa_reviews", "balances"):
            try:
                out[t] = c.execute(select(text("count(*)")).select_from(text(t))).scalar()
            except Exception:  # noqa: BLE001
                out[t] = None
    return out


def machine() -> dict:
    import sqlalchemy
    import streamlit

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "streamlit": streamlit.__version__, "sqlalchemy": sqlalchemy.__version__,
            "platform": platform.platform()}


def render_md(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmarks", "",
             f"Produced by `make bench` (`python -m bench`) on {results['started']}.",
             f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory']} memory; Python {m['python']}, "
             f"Streamlit {m['streamlit']}, SQLAlchemy {m['sqlalchemy']}.", "",
             "Per page and role: the page script under AppTest, **cold** (caches cleared, includes the guard and "
             "session check) and **warm** (median of 3 reruns); **SQL** is the page's floor: every statement the "
             "cold run sent, replayed alone on one connection with every row fetched, then rolled back; **bound** "
             "is 1.5 × SQL + 30 ms; **rows** the largest table shown; **peak** Python memory of a cold run "
             "(tracemalloc). All AppTests of a run share one component registry, as a server builds it once at "
             "start-up (each new AppTest would otherwise scan every installed package, ~75 ms), and one "
             "compiled-script cache filled before timing, as a running server has compiled its pages (AppTest "
             "would otherwise parse each page and rewrite it for Streamlit's magic on every run, 1–25 ms); Altair's "
             "Vega-Lite schema is loaded before timing, as a server has on its first chart (~0.3 s). "
             "PostgreSQL databases are VACUUM ANALYZEd after loading, as autovacuum would.", ""]
    by_key = {}
    for run in results["runs"]:
        by_key[(run["backend"], run["size"])] = run
        lines += [f"## {run['backend']} · size {run['size']}", ""]
        counts = ", ".join(f"{k} {v:,}" for k, v in run["rows"].items() if v is not None)
        lines.append(f"Rows: {counts}." + (f" Seeding took {run['seed_seconds']:.0f} s (`python -m db seed --size "
                                           f"{run['size']}`, when this database was made)." if run["seed_seconds"]
                                           else ""))
        lines += ["", "| page | role | cold ms | warm ms | SQL ms | cold ≤ bound | rows | peak MB |",
                  "|---|---|---:|---:|---:|---|---:|---:|"]
        for p in run["pages"]:
            bound = 1.5 * p["sql_floor_ms"] + 30
            ok = "yes" if p["cold_ms"] <= bound else f"no ({p['cold_ms'] / bound:.1f}×)"
            err = " ⚠ " + p["errors"][0][:60] if p["errors"] else ""
            lines.append(f"| {p['page']} | {p['role']} | {p['cold_ms']:.0f} | {p['warm_ms']:.0f} | "
                         f"{p['sql_floor_ms']:.0f} | {ok} | {p['rows_shown']} | {p['peak_mb']:.1f}{err} |")
        if run["naive"]:
            lines += ["", "Heaviest page of each view against the naive way (select * into pandas, then pandas):", "",
                      "| view | page | cold ms | naive ms | faster |", "|---|---|---:|---:|---:|"]
            for n in run["naive"]:
                ratio = f"{n['naive_ms'] / n['page_cold_ms']:.0f}×" if n["naive_ms"] else "—"
                nm = f"{n['naive_ms']:.0f}" if n["naive_ms"] else "—"
                lines.append(f"| {n['area']} | {n['page']} ({n['role']}) | {n['page_cold_ms']:.0f} | {nm} | {ratio} |")
        if run.get("import"):
            imp = run["import"]
            lines += ["", f"Chat import (python -m db import-chats into a copy of this database): "
                          f"{imp['conversations']:,} conversations, {imp['messages']:,} messages ({imp['mb']} MB of "
                          f"JSON Lines) in {imp['seconds']} s: **{imp['messages_per_s']:,} messages/s**."]
        lines.append("")
    growth = []
    for backend in ("sqlite", "postgresql"):
        m_run, l_run = by_key.get((backend, "m")), by_key.get((backend, "l"))
        if m_run and l_run:
            mm = {(p["page"], p["role"]): p["cold_ms"] for p in m_run["pages"]}
            for p in l_run["pages"]:
                k = (p["page"], p["role"])
                if k in mm and mm[k] > 0:
                    growth.append((backend, p["page"], p["role"], mm[k], p["cold_ms"], p["cold_ms"] / mm[k]))
    if growth:
        lines += ["## From m to l (10 × the data)", "", "| database | page | role | m cold ms | l cold ms | growth |",
                  "|---|---|---|---:|---:|---:|"]
        for g in growth:
            lines.append(f"| {g[0]} | {g[1]} | {g[2]} | {g[3]:.0f} | {g[4]:.0f} | {g[5]:.2f}× |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--sizes", default="m,l")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    ap.add_argument("--json", default=str(ROOT / "bench" / "benchmarks.json"))
    ap.add_argument("--url", help="time this database as it is (no seeding); for smoke runs")
    ap.add_argument("--pages", help="only these page keys (comma-separated), for a quick look; default: every page")
    ap.add_argument("--import-conversations", type=int, default=20_000,
                    help="conversations (~19 messages each) in the timed chat import into a copy; 0: no import")
    args = ap.parse_args(argv)

    def log(msg):
        print(msg, flush=True)

    # AppTest and cached functions called outside a page warn on every call; keep the log readable
    import logging

    import streamlit.logger

    streamlit.logger.set_log_level("error")
    logging.disable(logging.WARNING)

    pages = set(args.pages.split(",")) if args.pages else None
    run(args.backends.split(","), args.sizes.split(","), Path(args.out), Path(args.json), log, args.url, pages,
        args.import_conversations)
    print(f"wrote {args.out} and {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
