"""What an operator relies on: snapshots, a full disk, portal health, backfills with --since."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from datasette.app import Datasette

from crawler.registry import load_registry
from crawler.replica import article_url, expected_published_at, replica_articles
from crawler.runs import health_problems
from crawler.warc import RecordPointer, read_record
from tests.conftest import TODAY, rows, run_vnarchive


def test_a_snapshot_is_a_consistent_copy_ready_for_datasette_inspect(crawled_archive, tmp_path):
    db, _ = crawled_archive
    out = tmp_path / "snapshot.db"
    result = run_vnarchive("snapshot", "--db", str(db), str(out))
    assert result.returncode == 0, result.stderr
    assert rows(out, "PRAGMA journal_mode") == [{"journal_mode": "delete"}]
    assert rows(out, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    inspect_data = json.loads(Path(f"{out}.inspect.json").read_text())
    count = len(rows(db))
    assert inspect_data["snapshot"]["tables"]["articles"]["count"] == count

    async def served_count():
        datasette = Datasette(immutables=[str(out)], inspect_data=inspect_data)
        response = await datasette.client.get("/snapshot/articles.json?_size=1")
        return response.json()["filtered_table_rows_count"]
    assert asyncio.run(served_count()) == count
    again = run_vnarchive("snapshot", "--db", str(db), str(out))
    assert again.returncode == 2 and "exists" in again.stderr


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MiB file system: a crawl of the replica fills it midway."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_stops_the_run_with_exit_5_and_keeps_what_was_committed(small_disk, replica):
    db = small_disk / "archive.db"
    result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url, "--log-file", os.devnull)
    assert result.returncode == 5, result.stdout + result.stderr[-2000:]
    assert "disk full" in result.stderr
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    kept = rows(db)
    assert 0 < len(kept) < len(replica_articles(TODAY))
    for row in kept:
        pointer = RecordPointer(row["warc_file"], row["warc_offset"], row["warc_length"], row["raw_digest"])
        assert read_record(small_disk / "warc", pointer).status == 200


class MaintenancePage(BaseHTTPRequestHandler):
    """A portal after a redesign gone wrong: every URL answers 200 with a page without links."""

    def do_GET(self):
        body = "<html><body><h1>Hệ thống đang bảo trì</h1></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def maintenance_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), MaintenancePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_portal_whose_listings_suddenly_yield_no_links_is_flagged_broken(tmp_path, replica, maintenance_server):
    db = str(tmp_path / "archive.db")
    assert run_vnarchive("crawl", "--db", db, "--replica", replica.base_url, "--portal", "hue").returncode == 0
    hostmap = [arg for host in load_registry().get("hue").domains for arg in ("--hostmap", f"{host}={maintenance_server}")]
    result = run_vnarchive("crawl", "--db", db, "--portal", "hue", *hostmap)
    assert result.returncode == 1 and "broken: hue" in result.stdout
    [hue] = [row for row in json.loads(run_vnarchive("portals", "--db", db, "--json").stdout) if row["id"] == "hue"]
    assert hue["broken"] and hue["health"] == "listings yield no links"
    assert hue["articles"] == len([a for a in replica_articles(TODAY) if a.portal == "hue"])  # nothing lost


def test_extraction_that_suddenly_yields_no_dates_is_a_health_problem():
    counts = dict.fromkeys(("listing_pages", "listing_unchanged", "links_found", "extracted", "dated"), 0)
    assert health_problems({**counts, "listing_pages": 2, "links_found": 20, "extracted": 12, "dated": 11}) == []
    assert health_problems({**counts, "listing_pages": 2, "links_found": 20, "extracted": 12}) == [
        "none of 12 articles has a date"]
    # A listing that answered 304 Not Modified is quiet, not broken.
    assert health_problems({**counts, "listing_unchanged": 1}) == []


def test_since_backfills_down_to_the_date_and_no_further(tmp_path, replica):
    served = sorted((a for a in replica_articles(TODAY) if a.portal == "hanam"), key=lambda a: a.published)
    since = served[len(served) // 2].published.date().isoformat()
    db = tmp_path / "archive.db"
    result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url, "--portal", "hanam", "--since", since)
    assert result.returncode == 0, result.stderr[-2000:]
    expected = {article_url(a) for a in served if expected_published_at(a)[:10] >= since}
    assert {row["url"] for row in rows(db)} == expected
    assert rows(db, "SELECT mode FROM portal_runs") == [{"mode": "since"}]
