"""Concurrent sessions on the demo data: no errors, no data crossing sessions, p95 page time reported.

Each session runs in its own Python process (AppTest patches process-wide Streamlit
state, so threads would race inside the test harness, not inside the app); all of
them work on the same database at once."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.apptest import DEMO_LOGINS

ROOT = Path(__file__).resolve().parents[2]
CODE = ("import json, sys; from tests.apptest import run_session; "
        "print('RESULT ' + json.dumps(run_session(sys.argv[1], sys.argv[2], sys.argv[3])))")


def test_concurrent_sessions_stay_apart(demo_db, capsys):
    url = demo_db.url.render_as_string(hide_password=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT), STREAMLIT_LOGGER_LEVEL="error")
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", CODE, url, username, role], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role, username in DEMO_LOGINS.items()]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
        assert p.returncode == 0 and line, err[-2000:]
        results.append(json.loads(line[len("RESULT "):]))
    wall = time.perf_counter() - t0
    problems = [p for r in results for p in r["problems"]]
    assert problems == []
    assert {r["username"] for r in results} == set(DEMO_LOGINS.values())
    all_times = sorted(t for r in results for t in r["times"])
    p95 = all_times[int(0.95 * (len(all_times) - 1))]
    with capsys.disabled():
        print(f"\nload: {len(results)} concurrent sessions, {len(all_times)} page runs in {wall:.1f} s; "
              f"median {statistics.median(all_times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
