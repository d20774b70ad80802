"""Regenerate docs/demo-report.png: the customer-asset report of `formwork serve --demo`
(the Customer Asset CRM template with its sample data), logged in as the demo user.

Standalone like make_screenshot.py: a throw-away instance folder, a free loopback port,
Debian's Chromium.

    python docs/make_report_screenshot.py [--output docs/demo-report.png] [--language en|zh-CN]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from make_screenshot import CHROMIUM, CHROMIUM_ARGS, free_port, wait_until_healthy
from playwright.sync_api import expect, sync_playwright

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "formwork-demo"  # noqa: S105 - the documented demo account


def take_screenshot(url: str, output: Path, language: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=url,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN" if language == "zh-CN" else "en-US",
        )
        page = context.new_page()
        page.goto("/login")
        page.locator("input[name=email]").fill(DEMO_EMAIL)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_load_state()
        page.goto("/")
        link = page.locator("a[href^='/w/']").first.get_attribute("href") or ""
        workspace = link.split("/w/")[1].split("/")[0]
        page.goto(f"/w/{workspace}/value/")
        expect(page.get_by_test_id("tier-section")).to_be_visible()
        page.screenshot(path=str(output), full_page=True)
        context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("demo-report.png"))
    parser.add_argument("--language", choices=["en", "zh-CN"], default="en")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="formwork-demo-") as instance:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("FORMWORK_")}
        env["FORMWORK_INSTANCE_PATH"] = instance
        command = [sys.executable, "-c", "from formwork.cli import main; main()"]
        serve = [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"]
        serve += ["--demo-language", args.language]
        with (
            open(Path(instance) / "server.log", "wb") as log,
            subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                serve,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=instance,
            ) as server,
        ):
            try:
                wait_until_healthy(url, server, deadline_s=180)
                take_screenshot(url, args.output, args.language)
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
