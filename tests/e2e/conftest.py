"""End-to-end harness: a real `formwork serve` and Debian's Chromium driven by Playwright.

Fixtures: ``live_server`` (base URL of a server on a fresh SQLite instance, one per
session), ``browser`` (one Chromium per session), ``open_page`` (a new browser context
and page per call: one per person in a journey, so cookies never leak) and ``page``
(the first such page). A failing test leaves a screenshot of every page it opened in
``test-artifacts/`` and shows the server's log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_DEADLINE_S = 30.0
# Generous for a loaded 2-core machine; expect() returns as soon as the condition holds.
EXPECT_TIMEOUT_MS = 10_000
ACTION_TIMEOUT_MS = 15_000

PAGES_KEY = pytest.StashKey[list[Page]]()
SERVER_KEY = pytest.StashKey["LiveServer"]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e carries the ``e2e`` marker (``-m "not e2e"`` skips them)."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    """A running ``formwork serve`` subprocess and where its output goes."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes] = field(repr=False)

    def log(self, tail_chars: int = 8000) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-tail_chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()


class ServerStartError(RuntimeError):
    """`formwork serve` exited or never answered /healthz."""

    def __init__(self, message: str, *, port_taken: bool) -> None:
        super().__init__(message)
        self.port_taken = port_taken


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(instance: Path) -> dict[str, str]:
    """The caller's environment without FORMWORK_* settings, so the run is hermetic."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORMWORK_")}
    env["FORMWORK_INSTANCE_PATH"] = str(instance)
    # Every journey signs up or logs in people from 127.0.0.1: the default limit (10 a
    # minute) would throttle the suite itself. test_auth checks the limiter on its own.
    env["FORMWORK_AUTH_RATE_LIMIT"] = "300 per minute"
    # Opt-in: run the journeys against another database (e.g. PostgreSQL in CI).
    if database_url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        env["FORMWORK_DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _server_command(port: int) -> list[str]:
    # The console script beside this interpreter, so the server runs the same Python and
    # the same installed formwork as the tests (a PATH shim could pick another one).
    script = Path(sys.executable).with_name("formwork")
    if script.is_file() and os.access(script, os.X_OK):
        prefix = [str(script)]
    else:
        prefix = [sys.executable, "-c", "from formwork.cli import main; main()"]
    # No scheduler: its lease renewals and sweeps write to the SQLite file every few
    # seconds, and the tests seed that same file from this process; the journeys need
    # only the executor, which runs automations right after each save.
    return [*prefix, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - our loopback URL
            return response.status == 200 and b'"ok"' in response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _start_server(instance: Path) -> LiveServer:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = instance / "server.log"
    log_file = log_path.open("ab")
    process = subprocess.Popen(
        _server_command(port),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=_server_env(instance),
        cwd=instance,
    )
    server = LiveServer(url=url, process=process, log_path=log_path, log_file=log_file)
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if _healthy(url):
            return server
        try:  # the pause between polls doubles as the check that the server is still alive
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        break
    server.stop()
    log = server.log()
    raise ServerStartError(
        f"formwork serve did not become healthy on {url} within {STARTUP_DEADLINE_S:.0f} s "
        f"(exit code {process.returncode}):\n{log}",
        port_taken="address already in use" in log.lower(),
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`formwork serve` on a free loopback port with a fresh instance folder."""
    # The free port is found before the server binds it and another process may take it
    # in between: only that failure is worth another port.
    for attempt in range(1, 4):
        instance = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp(), prefix="instance-"))
        try:
            server = _start_server(instance)
        except ServerStartError as exc:
            if exc.port_taken and attempt < 3:
                continue
            pytest.fail(str(exc), pytrace=False)
        try:
            yield server
        finally:
            server.stop()
        return


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole run (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False
        )
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            expect.set_options(timeout=EXPECT_TIMEOUT_MS)
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


PageFactory = Callable[[], Page]


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[PageFactory]:
    """Open a page in a fresh browser context: one per person taking part in a journey."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    request.node.stash[PAGES_KEY] = pages
    request.node.stash[SERVER_KEY] = live_server

    def open_new() -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1280, "height": 800},
            locale="en-US",
            timezone_id="UTC",
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_new
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: PageFactory) -> Page:
    """A page in its own fresh browser context (no cookies from other tests)."""
    return open_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure: screenshot every page the test opened and attach the server log."""
    report: pytest.TestReport = yield
    if report.failed and report.when in ("setup", "call"):
        for index, page in enumerate(item.stash.get(PAGES_KEY, [])):
            path = _artifact_path(item, index)
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a crashed page must not hide the real failure
                report.sections.append(("e2e screenshot", f"{path}: not taken ({exc})"))
            else:
                report.sections.append(("e2e screenshot", f"{path} ({page.url})"))
        server = item.stash.get(SERVER_KEY, None)
        if server is not None:
            report.sections.append(("formwork serve log (tail)", server.log()))
    return report


def _artifact_path(item: pytest.Item, index: int) -> Path:
    folder = item.config.rootpath / "test-artifacts"
    folder.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")
    return folder / f"{name}-{index}.png"
