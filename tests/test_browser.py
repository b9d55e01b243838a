"""A reader in a real browser: headless Chromium, driven over the DevTools protocol, searches the served
archive for `dân vận`, opens the first article and saves screenshots of both pages.

The archive is served by `vnarchive serve --public` on 127.0.0.1, as a deployment would be. Chromium
resolves no host name but 127.0.0.1 (--host-resolver-rules), so nothing leaves the machine; a fresh
Debian machine gets it from apt when the tests run as root. The screenshots are search.png and
article.png (and chart.png) in each test's tmp_path (the newest run: /tmp/pytest-of-$USER/pytest-current/<test>0/).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp  # a dependency of Scrapy's; its websocket client is all the DevTools protocol needs
import pytest
from datasette.utils import tilde_decode

from crawler.datasette_plugin import PUBLIC_SETTINGS, citation
from tests.conftest import ROOT, rows

SEARCH = "dân vận"
STARTUP_SECONDS = 20
STEP_SECONDS = 10
VIEWPORT = {"width": 1280, "height": 1400, "deviceScaleFactor": 1, "mobile": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready, what: str, seconds: float = STARTUP_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = ready()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {seconds} s")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing and we are root."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed, and installing it needs root and apt-get")
    subprocess.run(["apt-get", "update"], check=False, capture_output=True, timeout=600)
    installed = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                               check=False, capture_output=True, text=True, timeout=900, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if installed.returncode != 0 or not shutil.which("chromium"):
        pytest.skip(f"apt-get could not install chromium: {installed.stderr[-500:]}")
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def served(crawled_archive, tmp_path_factory):
    """`vnarchive serve --public` on a copy of the demo archive (serving makes -shm files beside it)."""
    db = tmp_path_factory.mktemp("served") / "archive.db"
    with sqlite3.connect(crawled_archive[0]) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--public", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: urllib.request.urlopen(f"{base_url}/-/versions.json", timeout=2).status == 200, "Datasette")
        yield base_url, db
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """Headless Chromium with its DevTools port; yields the port."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    flags = ["--headless", "--remote-debugging-port=0", f"--user-data-dir={profile}", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"]
    if os.geteuid() == 0:
        flags.insert(0, "--no-sandbox")  # Chromium's sandbox refuses to run as root
    process = subprocess.Popen([chromium, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    active_port = profile / "DevToolsActivePort"
    try:
        port = int(wait_until(lambda: active_port.exists() and active_port.read_text().split("\n")[0], "Chromium"))
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class Page:
    """One browser tab over the DevTools protocol: commands by id; events are not needed here."""

    def __init__(self, socket):
        self.socket = socket
        self.last_id = 0

    async def send(self, method: str, **params) -> dict:
        self.last_id += 1
        await self.socket.send_json({"id": self.last_id, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json()
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    async def evaluate(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = STEP_SECONDS):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{expression!r} still false after {seconds} s on {await self.evaluate('location.href')}")

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


def first_tab(devtools_port: int) -> str:
    """The DevTools websocket of the browser's open tab."""
    with urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=5) as answer:
        return next(target for target in json.load(answer) if target["type"] == "page")["webSocketDebuggerUrl"]


async def read_an_article(tab: str, base_url: str, out: Path) -> dict:
    """Search the articles table for SEARCH by typing in its box, open the first result; what was seen."""
    async with aiohttp.ClientSession() as session, session.ws_connect(tab, max_msg_size=0) as socket:
        page = Page(socket)
        await page.send("Emulation.setDeviceMetricsOverride", **VIEWPORT)
        await page.send("Page.navigate", url=f"{base_url}/archive/articles")
        await page.wait_for("document.readyState === 'complete' && !!document.querySelector('input[name=_search]')")
        await page.evaluate("document.querySelector('input[name=_search]').focus()")
        await page.send("Input.insertText", text=SEARCH)
        await page.evaluate("document.querySelector('input[name=_search]').form.querySelector('[type=submit]').click()")
        await page.wait_for("location.search.includes('_search=') && document.readyState === 'complete'"
                            " && !!document.querySelector('td.col-title a')")
        results = await page.evaluate("({url: location.href, first: document.querySelector('td.col-title a').textContent,"
                                      " marks: document.querySelectorAll('mark').length})")
        await page.evaluate("document.querySelector('table.rows-and-columns').scrollIntoView()")  # below the facets
        await page.screenshot(out / "search.png")
        await page.evaluate("document.querySelector('td.col-title a').click()")
        await page.wait_for("!!document.querySelector('.vn-citation') && document.readyState === 'complete'")
        article = await page.evaluate("({url: location.href, heading: document.querySelector('h1').textContent,"
                                      " citation: document.querySelector('.vn-citation').textContent,"
                                      " text: document.body.innerText})")
        await page.screenshot(out / "article.png")
    return {"results": results, "article": article}


def test_a_reader_searches_opens_an_article_and_can_cite_it(browser, served, tmp_path):
    base_url, db = served
    seen = asyncio.run(asyncio.wait_for(read_an_article(first_tab(browser), base_url, tmp_path), timeout=60))
    results, article = seen["results"], seen["article"]
    assert "_search=d%C3%A2n+v%E1%BA%ADn" in results["url"] and results["marks"] > 0
    assert article["heading"] == results["first"]
    url_key = article["url"].split("/archive/articles/", 1)[1]
    [row] = rows(db, "SELECT a.*, p.name AS portal_name, p.domain AS portal_domain FROM articles a"
                 " LEFT JOIN portals p ON p.id = a.portal WHERE url_key = ?", [tilde_decode(url_key)])
    assert row["title"] in article["text"] and article["citation"] == citation(row)
    assert (tmp_path / "search.png").stat().st_size > 10_000 and (tmp_path / "article.png").stat().st_size > 10_000


CHART = "#g.mark=line&g.x_column=month&g.x_type=temporal&g.y_column=articles&g.y_type=quantitative&g.color_column=portal"


async def draw_the_monthly_chart(tab: str, base_url: str, out: Path) -> dict:
    """The articles-per-month query with datasette-vega's chart set in the URL; the drawn chart's size."""
    async with aiohttp.ClientSession() as session, session.ws_connect(tab, max_msg_size=0) as socket:
        page = Page(socket)
        await page.send("Emulation.setDeviceMetricsOverride", **VIEWPORT)
        await page.send("Page.navigate", url=f"{base_url}/archive/articles_per_month?province=H%C3%A0+N%E1%BB%99i{CHART}")
        size = await page.wait_for("(c => c && c.width > 0 && {width: c.width, height: c.height})"
                                   "(document.querySelector('.vega-embed canvas'))")
        await page.evaluate("document.querySelector('.vega-embed').scrollIntoView()")
        await page.screenshot(out / "chart.png")
    return size


def test_the_monthly_counts_are_drawn_as_a_chart(browser, served, tmp_path):
    base_url, _ = served
    size = asyncio.run(asyncio.wait_for(draw_the_monthly_chart(first_tab(browser), base_url, tmp_path), timeout=30))
    assert size["width"] > 100 and size["height"] > 100


def test_serve_public_applies_the_public_settings(served):
    base_url, _ = served
    with urllib.request.urlopen(f"{base_url}/-/settings.json", timeout=5) as answer:
        settings = json.load(answer)
    assert {name: settings[name] for name in PUBLIC_SETTINGS} == PUBLIC_SETTINGS
    with urllib.request.urlopen(f"{base_url}/robots.txt", timeout=5) as answer:
        assert "Disallow: /" in answer.read().decode()
