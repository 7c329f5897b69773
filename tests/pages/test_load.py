"""Concurrent sessions on the demo data: no errors, no data crossing sessions, p95 page time reported.

Each session runs in its own process (AppTest patches process-wide Streamlit state, so
threads would race inside the test harness, not inside the app); all of them work on
the same database at once."""

import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from tests.apptest import DEMO_LOGINS, run_session


def test_concurrent_sessions_stay_apart(demo_db, capsys):
    url = demo_db.url.render_as_string(hide_password=False)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=4, mp_context=multiprocessing.get_context("spawn")) as ex:
        futures = [ex.submit(run_session, url, username, role) for role, username in DEMO_LOGINS.items()]
        results = [f.result(timeout=900) for f in futures]
    wall = time.perf_counter() - t0
    problems = [p for r in results for p in r["problems"]]
    assert problems == []
    assert {r["username"] for r in results} == set(DEMO_LOGINS.values())
    all_times = sorted(t for r in results for t in r["times"])
    p95 = all_times[int(0.95 * (len(all_times) - 1))]
    with capsys.disabled():
        print(f"\nload: {len(results)} concurrent sessions, {len(all_times)} page runs in {wall:.1f} s; "
              f"median {statistics.median(all_times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
