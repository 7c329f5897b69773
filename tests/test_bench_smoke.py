"""A smoke run of the benchmark at demo size: every page runs without error and the report is written.

Timings are not asserted here (they belong to `make bench`, not to the test suite)."""

import json

from tests.conftest import BACKEND


def test_benchmark_smoke_run_at_demo_size(demo_db, tmp_path):
    from bench.__main__ import main

    url = demo_db.url.render_as_string(hide_password=False)
    md, js = tmp_path / "B.md", tmp_path / "b.json"
    assert main(["--backends", BACKEND, "--sizes", "demo", "--url", url, "--out", str(md), "--json", str(js),
                 "--import-conversations", "200"]) == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    (run,) = data["runs"]
    from lib import policy

    timed = {(p["page"], p["role"]) for p in run["pages"]}
    assert timed == {(s.key, r) for s in policy.PAGES for r in s.roles}
    assert [p for p in run["pages"] if p["errors"]] == []
    assert all(p["cold_ms"] > 0 and p["warm_ms"] > 0 for p in run["pages"])
    assert run["import"]["conversations"] == 200 and run["import"]["messages"] > 200 * 10
    text = md.read_text(encoding="utf-8")
    assert f"## {BACKEND} · size demo" in text and "| home | admin |" in text
