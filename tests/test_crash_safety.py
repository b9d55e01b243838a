"""Crash safety, proven by killing the crawler: SIGKILL at several points of a replica crawl,
a rerun after each, and in the end the same archive as one uninterrupted crawl."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datasette.app import Datasette

from crawler.warc import RecordPointer, read_record
from tests.conftest import FROZEN_NOW, ROOT, rows, run_vnarchive

# Kill when the archive holds this many articles (0: as soon as the run's WARC file appears).
KILL_AT = (0, 40, 120, 190)
WAIT_SECONDS = 120
# A worker notices its crawl is gone at once (its stdin ends), or within PARENT_CHECK_SECONDS (crawler/workers.py).
WORKER_GRACE_SECONDS = 5


def start_crawl(db: Path, replica) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--replica", replica.base_url,
         "--log-file", str(db.parent / "crawl.log")],
        cwd=ROOT, env={**os.environ, "VNARCHIVE_NOW": FROZEN_NOW}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def article_count(db: Path) -> int:
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return 0


def open_warc_files(db: Path) -> set[Path]:
    return set((db.parent / "warc").glob("*.open"))


def reached(db: Path, articles: int, open_before: set[Path]) -> bool:
    """The run has started (its own WARC file is open) and the archive holds `articles`. A fast
    earlier run may have left more than that: the kill then comes as soon as this run has started."""
    return bool(open_warc_files(db) - open_before) and article_count(db) >= articles


def datasette_reads(db: Path) -> int:
    """Datasette, reading while the crawl writes: the rows it sees."""
    async def get():
        response = await Datasette([str(db)]).client.get("/archive/articles.json?_shape=array&_size=5&_col=url")
        assert response.status_code == 200, response.text
        return len(response.json())
    return asyncio.run(get())


@pytest.fixture(scope="module")
def killed_and_rerun(replica, tmp_path_factory):
    """The archive after a crawl killed at every KILL_AT point and rerun to the end."""
    db = tmp_path_factory.mktemp("killed") / "archive.db"
    kills, overlapping, orphans = [], None, []
    for articles in KILL_AT:
        open_before = open_warc_files(db)
        crawl = start_crawl(db, replica)
        deadline = time.monotonic() + WAIT_SECONDS
        while crawl.poll() is None and not reached(db, articles, open_before) and time.monotonic() < deadline:
            time.sleep(0.05)
        if crawl.poll() is None:
            if articles == 40:
                assert datasette_reads(db) == 5
                overlapping = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url), \
                    rows(db, "SELECT id FROM crawl_runs")
            children = child_pids(crawl.pid)
            crawl.send_signal(signal.SIGKILL)
            crawl.wait()
            kills.append((articles, article_count(db)))
            orphans.append((children, still_running(children, WORKER_GRACE_SECONDS)))
    final = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url)
    return db, kills, overlapping, final, orphans


def child_pids(pid: int) -> set[int]:
    """Processes whose parent is `pid` (the crawl's extraction workers), from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def still_running(pids: set[int], grace: float) -> set[int]:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.1)
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


def test_the_crawler_was_killed_at_every_point(killed_and_rerun):
    _, kills, _, final, _ = killed_and_rerun
    assert [point for point, _ in kills] == list(KILL_AT)
    print("killed at (target, articles held):", kills)
    assert final.returncode == 0, final.stdout + final.stderr[-3000:]


def test_a_killed_crawl_leaves_no_worker_processes_behind(killed_and_rerun):
    *_, orphans = killed_and_rerun
    assert any(children for children, _ in orphans)  # the crawls had workers to leave behind
    assert all(not left for _, left in orphans), orphans


def test_the_archive_is_intact_without_duplicates(killed_and_rerun):
    db, *_ = killed_and_rerun
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert rows(db, "SELECT url, count(*) AS n FROM articles GROUP BY url HAVING n > 1") == []
    assert rows(db, "SELECT url_key, count(*) AS n FROM articles GROUP BY url_key HAVING n > 1") == []


def test_the_final_urls_equal_an_uninterrupted_crawl(killed_and_rerun, crawled_archive):
    db, *_ = killed_and_rerun
    uninterrupted, _ = crawled_archive
    assert {r["url"] for r in rows(db)} == {r["url"] for r in rows(uninterrupted)}


def test_every_archived_article_verifies_against_its_raw_record(killed_and_rerun):
    db, *_ = killed_and_rerun
    for row in rows(db):
        pointer = RecordPointer(row["warc_file"], row["warc_offset"], row["warc_length"], row["raw_digest"])
        stored = read_record(db.parent / "warc", pointer)  # raises on a digest mismatch
        assert stored.url in (row["url"], row["fetched_url"]) and stored.status == 200


def test_every_warc_file_passes_warcio_check_and_none_is_left_open(killed_and_rerun):
    db, *_ = killed_and_rerun
    files = sorted((db.parent / "warc").glob("*.warc.gz"))
    assert len(files) == len(KILL_AT) + 1
    assert not list((db.parent / "warc").glob("*.open"))
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_killed_runs_are_recorded_as_killed(killed_and_rerun):
    db, *_ = killed_and_rerun
    outcomes = [r["outcome"] for r in rows(db, "SELECT outcome FROM crawl_runs ORDER BY id")]
    assert outcomes == ["killed"] * len(KILL_AT) + ["ok"]


def test_an_overlapping_run_exits_0_and_writes_nothing(killed_and_rerun):
    _, _, (second, runs_after), _, _ = killed_and_rerun
    assert second.returncode == 0
    assert "another run holds" in second.stderr
    assert len(runs_after) == 2  # the killed first run and the run it overlapped; none of its own
