"""Regenerate docs/screenshot.png: a workspace dashboard, logged in, in English, 1280x800.

Standalone on purpose (nothing from tests/): starts `formwork serve` on a free loopback
port with a throw-away instance folder, signs up through the real pages, creates the
"Acme Trading" workspace and takes the picture with Debian's Chromium.

    python docs/make_screenshot.py [--output docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

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
WORKSPACE = "Acme Trading"
USER_NAME = "Dana Reyes"
USER_EMAIL = "dana@acme.example"
USER_PASSWORD = "screenshot-only-password"  # noqa: S105 - throw-away account in a temp instance


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:  # pause between polls; returns early if the server died
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        raise SystemExit(f"formwork serve exited with code {process.returncode}")
    raise SystemExit(f"formwork serve did not answer {url}/healthz within {deadline_s:.0f} s")


def take_screenshot(url: str, output: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=url, viewport={"width": 1280, "height": 800}, locale="en-US"
        )
        page = context.new_page()
        page.goto("/signup")
        page.get_by_label("Your name").fill(USER_NAME)
        page.get_by_label("E-mail").fill(USER_EMAIL)
        page.get_by_label("Password", exact=True).fill(USER_PASSWORD)
        page.get_by_label("Repeat password").fill(USER_PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        expect(page).to_have_url(re.compile(r"/workspaces/new$"))
        page.get_by_label("Workspace name").fill(WORKSPACE)
        page.get_by_role("button", name="Create workspace").click()
        expect(page).to_have_url(re.compile(r"/w/\d+/$"))
        # Once more without the one-off "created" message: the dashboard as people see it.
        page.reload()
        expect(page.get_by_test_id("apps-empty-state")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.screenshot(path=str(output))
        context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("screenshot.png"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="formwork-screenshot-") as instance:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("FORMWORK_")}
        env["FORMWORK_INSTANCE_PATH"] = instance
        command = [sys.executable, "-c", "from formwork.cli import main; main()"]
        with (
            open(Path(instance) / "server.log", "wb") as log,
            subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=instance,
            ) as server,
        ):
            try:
                wait_until_healthy(url, server, deadline_s=30)
                take_screenshot(url, args.output)
            except BaseException:
                log.flush()
                sys.stderr.write((Path(instance) / "server.log").read_text(errors="replace"))
                raise
            finally:
                server.terminate()
                server.wait(timeout=10)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
