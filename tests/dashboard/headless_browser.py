"""Drive Debian's headless Chromium over the DevTools protocol with aiohttp (already a dependency).

``--dump-dom`` with a virtual time budget does not wait for WebSocket traffic (virtual time runs
out while the page is still talking to the node), so the test waits in real time for the page to
reach a state it can check, then reads the DOM and takes a screenshot through the same session.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000", "--remote-debugging-port=0",
)
START_TIMEOUT_S = 30.0


class BrowserError(RuntimeError):
    """Chromium did not start, or a DevTools command failed; the message says which."""


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


class BrowserPage:
    """One page target reached over its own DevTools WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    async def command(self, method: str, params: dict[str, Any] | None = None,
                      timeout: float = 30.0) -> dict[str, Any]:
        command_id = next(self._ids)
        await self._socket.send_str(json.dumps(
            {"id": command_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"{method}: no answer in {timeout} s")
            message = await self._socket.receive(timeout=remaining)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise BrowserError(f"{method}: DevTools socket closed ({message.type.name})")
            answer = json.loads(message.data)
            if answer.get("id") != command_id:
                continue  # an event; nothing here subscribes to any
            if "error" in answer:
                raise BrowserError(f"{method}: {answer['error']}")
            result: dict[str, Any] = answer.get("result", {})
            return result

    async def navigate(self, url: str) -> None:
        await self.command("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 1000, "deviceScaleFactor": 1,
                            "mobile": False})
        answer = await self.command("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise BrowserError(f"cannot load {url}: {answer['errorText']}")
        # Page.navigate answers once the request is committed, not once the document has loaded.
        await self.wait_for(f"location.href === {json.dumps(url)} && "
                            "document.readyState === 'complete'", timeout=30.0)

    async def evaluate(self, expression: str) -> Any:
        answer = await self.command("Runtime.evaluate",
                                    {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise BrowserError(f"page script failed: {answer['exceptionDetails']}")
        return answer.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float) -> None:
        """Poll a page expression until it is truthy (real time: the page waits on the node)."""
        deadline = time.monotonic() + timeout
        while not await self.evaluate(expression):
            if time.monotonic() > deadline:
                raise BrowserError(f"page never satisfied {expression!r} in {timeout} s")
            await asyncio.sleep(0.25)

    async def dom(self) -> str:
        html = await self.evaluate("document.documentElement.outerHTML")
        return str(html)

    async def screenshot(self, path: Path) -> Path:
        answer = await self.command("Page.captureScreenshot",
                                    {"format": "png", "captureBeyondViewport": True})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(answer["data"]))
        return path


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], deadline: float) -> int:
    active = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"chromium exited with code {process.returncode} at start")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(active.read_text().splitlines()[0])
        time.sleep(0.1)
    raise BrowserError("chromium did not open its DevTools port in time")


@asynccontextmanager
async def headless_page(chromium: str) -> AsyncIterator[BrowserPage]:
    """A fresh profile, one blank page; the browser is killed on the way out, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="ordo-chromium-") as profile_dir:
        profile = Path(profile_dir)
        log = (profile.parent / f"{profile.name}.log").open("wb")
        process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            port = _devtools_port(profile, process, time.monotonic() + START_TIMEOUT_S)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
                pages = [t for t in targets if t.get("type") == "page"]
                if not pages:
                    raise BrowserError(f"chromium has no page target: {targets}")
                async with http.ws_connect(pages[0]["webSocketDebuggerUrl"],
                                           max_msg_size=0) as socket:
                    yield BrowserPage(socket)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, 9)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            log.close()
            with contextlib.suppress(OSError):
                Path(log.name).unlink()
