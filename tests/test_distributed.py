"""Distributed crawl: a real redis-server on 127.0.0.1, two `vnarchive crawl --workers-redis`
workers over HTTP against the replica, and one `vnarchive ingest` writing the archive."""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from crawler.distributed import (
    FRONTIER, ITEMS_KEY, REPORTS_KEY, WORKERS_KEY, connect, heartbeat_key, join_run, worker_spider,
)
from crawler.incremental import Recheck
from crawler.ingest import Ingest
from crawler.registry import load_registry
from crawler.replica import ReplicaServer, article_url, edition_changes, replica_articles
from crawler.warc import RecordPointer, read_record, warc_dir
from spiders.portals import PORTAL_SPIDERS
from tests.conftest import FROZEN_NOW, ROOT, TODAY, rows

REDIS_SERVER = shutil.which("redis-server")
CRAWLED_PORTALS = {p.id for p in load_registry().crawlable()}
WORKERS = 2
NEXT_DAY = "2026-11-24T10:00:00+07:00"

needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed "
                                 "(`apt-get install redis-server`; .ci/run installs it when it runs as root)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A redis-server of the test's own: a free port, no persistence, stopped at the end."""
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


def vnarchive(*args: str, log: Path, now: str) -> subprocess.Popen:
    """The real command in a child process, its output in `log`."""
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=open(log, "w"), env={**os.environ, "VNARCHIVE_NOW": now})


def finished(process: subprocess.Popen, log: Path, timeout: float) -> tuple[int, str]:
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"{process.args[3]} did not finish; log: {log.read_text()[-3000:]}")
    return process.returncode, out


def run_distributed(db: Path, replica_url: str, redis_url: str, logs: Path, now: str):
    """One run: the writer first, then two workers started together. (writer's code and stdout, workers')"""
    logs.mkdir()
    writer = vnarchive("ingest", "--db", str(db), "--redis", redis_url, "--wait", "60", "--until-idle", "1",
                       log=logs / "ingest.log", now=now)
    workers = [vnarchive("crawl", "--db", str(db), "--replica", replica_url, "--workers-redis", redis_url,
                         "--set", "FRONTIER_IDLE_SECONDS=3", "--set", "EXTRACT_WORKERS=1",
                         log=logs / f"worker{n}.log", now=now)
               for n in range(WORKERS)]
    worker_results = [finished(worker, logs / f"worker{n}.log", 240) for n, worker in enumerate(workers)]
    writer_result = finished(writer, logs / "ingest.log", 60)
    assert [code for code, _ in worker_results] == [0] * WORKERS, (logs / "worker0.log").read_text()[-3000:]
    assert writer_result[0] == 0, writer_result[1] + (logs / "ingest.log").read_text()[-3000:]
    return writer_result, worker_results


@pytest.fixture(scope="module")
def distributed_run(replica, redis_url, tmp_path_factory):
    """The first run of an archive, over the session's replica."""
    folder = tmp_path_factory.mktemp("distributed")
    db = folder / "archive.db"
    writer_result, worker_results = run_distributed(db, replica.base_url, redis_url, folder / "day1", FROZEN_NOW)
    return db, writer_result, worker_results, folder


@pytest.fixture(scope="module")
def next_day(distributed_run, redis_url):
    """The daily run a day later, over the replica's second edition: incremental, with re-checks."""
    db, *_, folder = distributed_run
    with ReplicaServer(0, today=TODAY, edition=2) as server:
        writer_result, _ = run_distributed(db, server.base_url, redis_url, folder / "day2", NEXT_DAY)
    return db, writer_result


def served_urls() -> set[str]:
    return {article_url(a) for a in replica_articles(TODAY) if a.portal in CRAWLED_PORTALS}


@needs_redis
def test_two_workers_and_one_writer_store_every_replica_article_exactly_once(distributed_run):
    db, (_, writer_out), *_ = distributed_run
    archived = rows(db, "SELECT url, url_key FROM articles")
    assert {row["url"] for row in archived} == served_urls()
    assert len(archived) == len(served_urls())
    # Stored once: a second copy of an article, from either worker, would be counted `unchanged`.
    [run] = rows(db, "SELECT * FROM crawl_runs WHERE id = 1")
    assert (run["outcome"], run["new"], run["changed"], run["unchanged"], run["errors"]) == \
        ("ok", len(served_urls()), 0, 0, 0)
    assert f"run {run['id']}: ok; new {len(served_urls())}, changed 0, unchanged 0, errors 0" in writer_out


@needs_redis
def test_each_article_has_the_date_a_single_process_crawl_gives_it(distributed_run, crawled_archive):
    """Some portals date an article only in their listings: the worker that fetched it through a
    sitemap may not be the one that read the listing."""
    def dates(db):
        return {row["url"]: (row["published_at"], row["date_source"])
                for row in rows(db, "SELECT url, published_at, date_source FROM articles")}

    distributed, single = dates(distributed_run[0]), dates(crawled_archive[0])
    assert {url: single[url] for url in distributed if distributed[url] != single[url]} == {}


@needs_redis
def test_the_workers_share_one_frontier_and_each_article_was_fetched_once(distributed_run):
    db, _, worker_results, _ = distributed_run
    [run] = rows(db, "SELECT warc_file FROM crawl_runs WHERE id = 1")
    files = run["warc_file"].split()
    assert 1 <= len(files) <= WORKERS and all((warc_dir(db) / name).exists() for name in files)
    by_file = Counter(row["warc_file"] for row in rows(db, "SELECT warc_file FROM articles"))
    # Usually both workers fetch articles; a worker that starts seconds late on a loaded machine may
    # find the shared frontier already drained, which is the frontier working, not a fault.
    assert set(by_file) <= set(files)
    print("articles by worker file:", dict(by_file))
    fetched = rows(db, "SELECT sum(articles_fetched) AS n FROM portal_runs WHERE run_id = 1")[0]["n"]
    assert fetched == len(served_urls())  # the shared frontier and article gate: no fetch twice
    assert all("items sent to" in out for _, out in worker_results)


@needs_redis
def test_every_row_points_at_its_record_in_a_workers_warc(distributed_run):
    db, *_ = distributed_run
    for row in rows(db, "SELECT url, warc_file, warc_offset, warc_length, raw_digest FROM articles"):
        pointer = RecordPointer(row["warc_file"], row["warc_offset"], row["warc_length"], row["raw_digest"])
        assert read_record(warc_dir(db), pointer).status == 200, row["url"]


@needs_redis
def test_each_portal_has_one_row_with_both_workers_counts(distributed_run):
    db, *_ = distributed_run
    portal_runs = rows(db, "SELECT * FROM portal_runs WHERE run_id = 1")
    assert {r["portal"]: r["outcome"] for r in portal_runs} == dict.fromkeys(CRAWLED_PORTALS, "ok")
    assert all(r["mode"] == "deep" and r["finish_reason"] == "finished" for r in portal_runs)
    assert sum(r["new"] for r in portal_runs) == len(served_urls())


@needs_redis
def test_the_run_leaves_nothing_in_redis(distributed_run, redis_url):
    server = redis.Redis.from_url(redis_url)
    assert server.llen(ITEMS_KEY) == server.llen(REPORTS_KEY) == 0
    assert list(server.scan_iter(match=FRONTIER + "*")) == []


@needs_redis
def test_the_next_days_run_finds_new_edited_and_removed_articles(next_day):
    db, (_, writer_out) = next_day
    changes = edition_changes(TODAY)
    first, second = rows(db, "SELECT * FROM crawl_runs ORDER BY id")
    assert (second["outcome"], second["new"], second["changed"], second["gone"]) == \
        ("ok", len([a for a in changes.new if a.portal in CRAWLED_PORTALS]), len(changes.edited), len(changes.removed))
    assert second["requests"] < first["requests"]
    portal_runs = rows(db, "SELECT * FROM portal_runs WHERE run_id = ?", [second["id"]])
    assert {r["mode"] for r in portal_runs} == {"incremental"}  # the seeder's mode, one per portal
    assert sum(r["rechecked"] for r in portal_runs) > 0  # re-check requests went through the shared queue


def test_a_recheck_request_survives_the_shared_frontiers_serialization():
    """Requests travel through Redis as pickled Request.to_dict(): callbacks by name, plain cb_kwargs."""
    crawler = get_crawler(PORTAL_SPIDERS["hanam"], {"ARCHIVE_PATH": "/nonexistent/archive.db", "EXTRACT_WORKERS": 0})
    spider = crawler.spidercls.from_crawler(crawler)
    recheck = Recheck("https://hanam.gov.vn/Pages/2026-11-1/a.aspx", "hanam.gov.vn/pages/2026-11-1/a.aspx",
                      '"v1"', "", "1/11/2026")
    request = spider.recheck_request(recheck)
    restored = request_from_dict(pickle.loads(pickle.dumps(request.to_dict(spider=spider))), spider=spider)
    assert restored.callback == spider.parse_recheck
    assert restored.cb_kwargs == {"then": "parse_article", "then_kwargs": request.cb_kwargs["then_kwargs"],
                                  "recheck": recheck}
    assert restored.headers.get("If-None-Match") == b'"v1"'


@needs_redis
def test_a_worker_joining_while_the_writer_clears_a_stale_frontier_keeps_its_place(redis_url, monkeypatch):
    """The writer clears a frontier left by a dead run; a worker of the new run joins just then."""
    url = redis_url.rsplit("/", 1)[0] + "/1"  # a database of its own: the module's runs use 0
    server = connect(url)
    server.flushdb()
    server.sadd(WORKERS_KEY, "killed-yesterday")  # joined, never finished, no heartbeat
    server.rpush(FRONTIER + "hanam:requests", "a request of the dead run")
    scan = redis.Redis.scan_iter
    joined = []

    def scan_while_a_worker_joins(client, *args, **kwargs):
        if not joined:
            join_run(redis.Redis.from_url(url), "starting-now")
            joined.append(True)
        return scan(client, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "scan_iter", scan_while_a_worker_joins)
    Ingest(None, 1, server).clear_stale_frontier()
    assert "starting-now" in server.smembers(WORKERS_KEY)
    assert server.exists(heartbeat_key("starting-now"))
    server.flushdb()


@needs_redis
def test_a_date_one_worker_read_in_a_listing_reaches_the_worker_that_fetches_the_article(redis_url):
    url = redis_url.rsplit("/", 1)[0] + "/2"  # a database of its own: the module's runs use 0
    connect(url).flushdb()
    settings = {"ARCHIVE_PATH": "/nonexistent/archive.db", "EXTRACT_WORKERS": 0, "REDIS_URL": url}
    spider_class = worker_spider(PORTAL_SPIDERS["quangbinh"])
    lister, fetcher = (spider_class.from_crawler(get_crawler(spider_class, settings)) for _ in range(2))
    article = "https://quangbinh.gov.vn/tin-tuc/bai-viet-123.html"
    assert fetcher.article_request(article, "", "https://quangbinh.gov.vn/sitemap.xml") is not None
    assert lister.article_request(article, "12/03/2024 08:30", "https://quangbinh.gov.vn/") is None  # taken
    assert fetcher.date_shown(fetcher.key(article), "") == "12/03/2024 08:30"
    connect(url).flushdb()
