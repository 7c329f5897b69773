"""Real-browser fixtures: a freshly started Streamlit server on a copy of the
demo database, and Playwright driving Debian's chromium (no browser download)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            # one worker runs every browser test (make test passes --dist loadgroup): two servers and two
            # browsers beside two suites' workers starved sign-ins past 90 s on a slower 2-core machine
            item.add_marker(pytest.mark.xdist_group("browser"))


@dataclass
class LiveServer:
    url: str
    engine: object
    db_url: str
    proc: subprocess.Popen
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, log: Path, extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=db_url, DASHBOARD_LOGIN_SLEEP="0", PYTHONUNBUFFERED="1")
    env.pop("DASHBOARD_COOKIE_KEY", None)
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    fh = open(log, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not start in 60 s: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def live_server(db_factory, demo_template, tmp_path_factory):
    """A freshly started server (nobody has opened it yet) on its own copy of the demo database."""
    from lib.db import engine_for

    db_url = db_factory.new_url(demo_template)
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    proc, url = start_server(db_url, log)
    yield LiveServer(url=url, engine=engine_for(db_url), db_url=db_url, proc=proc, log=log)
    stop_server(proc)
    db_factory.drop(db_url)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium package (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def browser_page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # two pytest workers share two cores with the server
    yield page
    ctx.close()


LABELS = {"zh": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Sign in")}


def login(page, base_url: str, username: str, password: str = "demo", lang: str = "zh") -> None:
    """Sign in through the real form and wait until the app shows the signed-in sidebar.

    One retry, as a person would press again: in five full runs on a slower 2-core machine, 4 or 5 of
    about 70 sign-ins never came back, all but one while two suites ran at once (the sign-in cookie goes
    through streamlit-authenticator's browser-side cookie component; the cause was not found). A
    second failure fails the test."""
    user_label, pw_label, submit = LABELS[lang]
    signed_in = page.get_by_test_id("stSidebar").get_by_text(username, exact=True)
    for attempt in (1, 2):
        page.goto(base_url + "/")
        form = page.get_by_role("textbox", name=user_label)
        form.or_(signed_in).first.wait_for()
        if signed_in.is_visible():  # the first attempt got through after all (its cookie signs in)
            return
        form.fill(username)
        page.get_by_role("textbox", name=pw_label).fill(password)
        page.get_by_role("button", name=submit).click()
        try:
            signed_in.wait_for(timeout=45_000 if attempt == 1 else None)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; the second attempt raises
            if attempt == 2:
                raise


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (no running indicator)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout)


def screenshot(page, name: str) -> Path:
    """Save a screenshot: into docs/screenshots with UPDATE_SCREENSHOTS=1, else beside the test run."""
    import tempfile

    base = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else (
        Path(tempfile.gettempdir()) / "dashboard-screenshots")
    out = base / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    return out
