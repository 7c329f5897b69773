"""Concurrent sessions on the demo data: no errors, no data crossing sessions, p95 page time reported."""

import statistics
import threading
import time

from lib import policy
from tests.apptest import DEMO_LOGINS, app, sign_in_state, texts

ROUNDS = 2


def test_concurrent_sessions_stay_apart(demo_db, capsys):
    results: dict[str, list] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def session(role: str, username: str):
        try:
            at = app()
            user = sign_in_state(at, demo_db, username)
            at.run(timeout=180)
            times = []
            for _ in range(ROUNDS):
                for spec in policy.pages_for({role}):
                    t0 = time.perf_counter()
                    if spec.key == "home":
                        at.run(timeout=180)
                    else:
                        at.switch_page(spec.file).run(timeout=180)
                    times.append(time.perf_counter() - t0)
                    if at.exception:
                        raise AssertionError(f"{spec.key}: {at.exception[0].value}")
                    # this session still belongs to its own user, and shows no one else's name
                    assert at.session_state["_auth"]["user_id"] == user.id
                    shown = texts(at)
                    assert f"`{username}`" in shown or username in shown
                    for other in DEMO_LOGINS.values():
                        if other != username:
                            assert f"`{other}`" not in shown
            with lock:
                results[username] = times
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            with lock:
                errors.append(f"{username}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=session, args=(r, u)) for r, u in DEMO_LOGINS.items()]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(600)
    wall = time.perf_counter() - t0
    assert errors == []
    assert set(results) == set(DEMO_LOGINS.values())
    all_times = sorted(t for ts in results.values() for t in ts)
    p95 = all_times[int(0.95 * (len(all_times) - 1))]
    with capsys.disabled():
        print(f"\nload: {len(threads)} concurrent sessions, {len(all_times)} page runs in {wall:.1f} s; "
              f"median {statistics.median(all_times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
