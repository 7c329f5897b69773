"""Screenshots of every page for the README: ``python -m tests.e2e.screenshots [DATABASE_URL]``.

Starts the app on a seeded database (default: data/dashboard.db, made by
`make run`), signs in as a user of a role that may open each page, and saves
docs/screenshots/<page>.png from Debian's chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from lib import policy
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, login, start_server, stop_server, wait_idle

PREFERRED = ["manager", "team_lead", "qa", "complaint_handler", "rm", "agent", "admin"]
LOGIN = {"admin": "demo_admin", "manager": "demo_manager", "team_lead": "demo_lead", "qa": "demo_qa",
         "complaint_handler": "demo_handler", "rm": "demo_rm", "agent": "demo_agent"}


def main(argv: list[str]) -> int:
    db_url = argv[0] if argv else f"sqlite:///{ROOT / 'data' / 'dashboard.db'}"
    only = set(argv[1:])
    proc, url = start_server(db_url, Path("/tmp/screenshots-server.log"))
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for spec in policy.PAGES:
                if only and spec.key not in only:
                    continue
                role = next(r for r in PREFERRED if r in spec.roles)
                ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                page = ctx.new_page()
                page.set_default_timeout(60_000)
                login(page, url, LOGIN[role])
                page.goto(f"{url}/{spec.url_path}")
                wait_idle(page, 120_000)
                page.wait_for_timeout(5000)  # tables and charts draw on canvas after the run
                wait_idle(page, 120_000)
                page.screenshot(path=str(out / f"{spec.key}.png"), full_page=True)
                print(f"{spec.key} as {LOGIN[role]} -> docs/screenshots/{spec.key}.png", flush=True)
                ctx.close()
            browser.close()
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
