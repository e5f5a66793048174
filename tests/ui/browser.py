"""The browser side of the UI tests: one Chromium per test session, axe-core, screenshots.

Chromium (Debian's, at /usr/bin/chromium) is started once per pytest process and each test
connects to it over the DevTools protocol with a fresh browser context, so a test pays for a
context (a few milliseconds), not for a browser start. axe-core comes from the npm registry:
`make test` installs the version pinned in tests/ui/axe-core.version into the virtualenv.

`look` is what every page visit ends with: axe at 1280 and 375 px (any serious or critical
violation fails), no horizontal scrolling at 375 px, and a screenshot at both widths under
artifacts/ui/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("HOOKLINE_CHROMIUM", "/usr/bin/chromium"))
AXE_VERSION = (Path(__file__).with_name("axe-core.version")).read_text().strip()
AXE_JS = Path(
    os.environ.get(
        "HOOKLINE_AXE_JS", ROOT / ".venv" / f"axe-core-{AXE_VERSION}" / "node_modules/axe-core/axe.min.js"
    )
)
ARTIFACTS = ROOT / "artifacts" / "ui"
REQUIRE_BROWSER = os.environ.get("HOOKLINE_REQUIRE_BROWSER") == "1"
WIDTHS = (1280, 375)
HEIGHT = 900
BLOCKING_IMPACTS = ("serious", "critical")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
START_TIMEOUT_S = 30.0
WIDEST = """(width) => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > width + 0.5)
  .filter((e) => !e.parentElement.closest(".table-wrap"))
  .slice(0, 5)
  .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} (${Math.round(e.getBoundingClientRect().right)} px)`)"""
"""The first elements that stick out past the viewport: what to fix when a page is too wide."""


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    if not AXE_JS.exists():
        return f"{AXE_JS} is missing: `make test` installs axe-core {AXE_VERSION} from npm"
    return None


def running_chromium() -> Iterator[str]:
    """Start Chromium with a DevTools port; yields its websocket endpoint, stops it afterwards."""
    profile = Path(tempfile.mkdtemp(prefix="hookline-chromium-"))
    process = subprocess.Popen(
        [str(CHROMIUM), *CHROMIUM_ARGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield _endpoint(process, profile / "DevToolsActivePort")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _endpoint(process: subprocess.Popen[bytes], port_file: Path) -> str:
    """Chromium writes its port and browser path into DevToolsActivePort once it listens."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{CHROMIUM} exited with status {process.returncode} on start")
        lines = port_file.read_text().split() if port_file.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise RuntimeError(f"{CHROMIUM} did not open its DevTools port within {START_TIMEOUT_S:g} s")


@dataclass
class Looker:
    """Checks and photographs every page a test visits; remembers which paths it has seen."""

    test_name: str
    axe_source: str
    looked: set[str] = field(default_factory=set)
    shots: list[Path] = field(default_factory=list)

    async def __call__(self, page: Page, name: str) -> None:
        """axe at both widths, no sideways scrolling on a phone, a screenshot at each width."""
        await page.wait_for_load_state("load")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            for width in WIDTHS:
                await page.set_viewport_size({"width": width, "height": HEIGHT})
                if width < 400:
                    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
                    assert scroll_width == width, (
                        f"{name}: {scroll_width} px wide at a {width} px viewport; too wide: "
                        + ", ".join(await page.evaluate(WIDEST, width))
                    )
                await self._axe(page, name, width)
                shot = ARTIFACTS / f"{_slug(self.test_name)}--{_slug(name)}--{width}.png"
                await page.screenshot(path=str(shot), full_page=True)
                self.shots.append(shot)
        finally:
            await page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        self.looked.add(path_of(page.url))

    async def _axe(self, page: Page, name: str, width: int) -> None:
        if not await page.evaluate("typeof window.axe === 'object'"):
            await page.evaluate(self.axe_source)  # DevTools evaluation: the page's CSP stays as it is
        result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        blocking = [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{name} at {width} px: axe found\n" + "\n".join(
            f"- {v['impact']} {v['id']}: {v['help']}; "
            + json.dumps([n["target"] for n in v["nodes"]][:5])
            + "; "
            + (v["nodes"][0].get("failureSummary", "") if v["nodes"] else "")
            for v in blocking
        )


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")
