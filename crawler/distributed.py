"""Crawling beyond one machine: `vnarchive crawl --workers-redis redis://…` workers.

Several worker processes, on one machine or many, crawl the same portals through one Redis
server. What they share there, and who reads it:

- the frontier: scrapy-redis's scheduler keeps each portal's request queue and its request
  dupefilter in Redis, so any worker fetches what any worker found (requests travel as
  pickled `Request.to_dict()`: callbacks by spider method name, cb_kwargs as plain data);
- the article gate: a portal's set of queued article keys (`PortalSpider.claim`), so that an
  article reached under several URL forms by two workers is fetched once;
- the seeding: the first worker to open a portal's crawl (an atomic SET NX) decides the run's
  mode (deep, incremental, since) from the archive and yields the start requests; the others
  read that mode and start from the shared queue. scrapy-redis 0.9.1's RedisSpider is not used:
  it starts through `start_requests()` reading `<spider>:start_urls`, which Scrapy 2.16+ no longer
  calls (only `async def start()`); our spiders define `start()`, and the seeding wraps it;
- items: extracted ArticleRecord / ArticleCheck as JSON on a list, after the worker's WARC file
  is synced (a row is never committed pointing at a record not on disk);
- reports: each portal's counts (a `portal_runs` row without the storing counts), its page
  validators, at the end of the worker's crawl of it.

Workers never write archive.db: `vnarchive ingest` (crawler/ingest.py) is the one writer. A worker
reads the archive read-only at start, as every crawl does (crawler/incremental.py: archived keys,
validators, re-checks due); on another machine give it a copy (`vnarchive snapshot`) or none: a
stale copy only costs re-fetches, which are stored as `unchanged`.

A worker's crawl of a portal ends when the portal's shared queue has been empty for
FRONTIER_IDLE_SECONDS (another worker may still be adding to it). A worker announces itself with
a heartbeat key that expires, so `ingest` knows when every worker has left, even one killed.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import socket
import threading
import time
from dataclasses import asdict
from typing import Any, AsyncIterator

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

from crawler import clock
from crawler.items import ArticleCheck, ArticleRecord
from crawler.runs import DISK_FULL_STAT, RunRecorder, stopping_when_disk_full
from crawler.warc import run_file_name, run_location, sync_writer

logger = logging.getLogger(__name__)

# Every key lives under PREFIX; what is under FRONTIER belongs to the run in progress and is
# cleared by `ingest` when the run is over (or, found stale, before it starts).
PREFIX = "vnarchive:"
FRONTIER = PREFIX + "frontier:"
QUEUE_KEY = FRONTIER + "%(spider)s:requests"        # scrapy-redis: a portal's request queue
DUPEFILTER_KEY = FRONTIER + "%(spider)s:dupefilter"  # scrapy-redis: its request fingerprints
ITEMS_KEY = PREFIX + "items"      # JSON ArticleRecord / ArticleCheck, oldest first
REPORTS_KEY = PREFIX + "reports"  # JSON portal reports, oldest first
PORTALS_KEY = FRONTIER + "portals"    # portal ids the run's workers crawl
WORKERS_KEY = FRONTIER + "workers"    # ids of the workers that joined
FINISHED_KEY = FRONTIER + "finished"  # ids of the workers that left after their last report
# A worker refreshes its heartbeat every HEARTBEAT_SECONDS; a worker killed without a word is
# taken for gone HEARTBEAT_TTL_SECONDS later.
HEARTBEAT_SECONDS = 5
HEARTBEAT_TTL_SECONDS = 20

# The scrapy-redis parts a worker runs with. SCHEDULER_PERSIST: a worker that finishes must not
# clear the queue and dupefilter the others still use (`ingest` clears them at the end).
# The priority queue pops without blocking the reactor (the FIFO one blocks in BRPOP).
WORKER_SETTINGS = {
    "SCHEDULER": f"{__name__}.SharedFrontier",
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
    "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
}


def portal_key(portal_id: str, what: str) -> str:
    return f"{FRONTIER}{portal_id}:{what}"


def heartbeat_key(worker_id: str) -> str:
    return f"{FRONTIER}alive:{worker_id}"


def worker_portals_key(worker_id: str) -> str:
    """The portals one worker crawls: a worker lost midway may have taken requests of each."""
    return f"{FRONTIER}portals-of:{worker_id}"


@functools.cache
def connect(url: str) -> redis.Redis:
    """The process's client of the shared Redis (a thread-safe connection pool shared by its
    portals' crawls); raises redis.RedisError when it cannot be reached. Its calls block the
    reactor briefly, as scrapy-redis's own do: keep Redis near the workers."""
    server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, decode_responses=True)
    server.ping()
    return server


# --- items on the wire ---------------------------------------------------------------

def item_message(item: ArticleRecord | ArticleCheck) -> str:
    kind = "check" if isinstance(item, ArticleCheck) else "article"
    return json.dumps({"kind": kind, **asdict(item)}, ensure_ascii=False)


def item_from_message(message: str) -> ArticleRecord | ArticleCheck:
    fields = json.loads(message)
    kind = fields.pop("kind")
    return ArticleCheck(**fields) if kind == "check" else ArticleRecord(**fields)


# --- the worker process ----------------------------------------------------------------

def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def worker_warc_file() -> str:
    """`vnarchive-<host>-<time>-<pid>.warc.gz`: one per worker, unique in a folder shared by machines."""
    host = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())
    return run_file_name(clock.now()).replace("vnarchive-", f"vnarchive-{host}-", 1)


def apply_worker_settings(settings, redis_url: str) -> None:
    """Turn a crawl's settings into a worker's: shared frontier, items and reports to Redis."""
    settings.setdict({**WORKER_SETTINGS, "REDIS_URL": redis_url}, priority="cmdline")
    pipelines = settings.getdict("ITEM_PIPELINES")
    pipelines[f"{__name__}.RedisItemPipeline"] = pipelines.pop("crawler.pipelines.StorePipeline")
    extensions = settings.getdict("EXTENSIONS")
    extensions[f"{__name__}.PortalReporter"] = extensions.pop("crawler.runs.RunRecorder")
    extensions[f"{__name__}.FrontierIdle"] = 0
    settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    settings.set("EXTENSIONS", extensions, priority="cmdline")


def run_worker(settings, redis_url: str, portal_ids: list[str]) -> dict:
    """Crawl the portals as one worker of a shared frontier; returns the worker's summary."""
    from scrapy.crawler import CrawlerProcess

    from spiders.portals import PORTAL_SPIDERS

    server = connect(redis_url)
    me = worker_id()
    server.sadd(PORTALS_KEY, *portal_ids)
    server.sadd(worker_portals_key(me), *portal_ids)
    join_run(server, me)
    heartbeat = Heartbeat(server, me)
    heartbeat.start()
    apply_worker_settings(settings, redis_url)
    process = CrawlerProcess(settings)
    crawlers = [process.create_crawler(worker_spider(PORTAL_SPIDERS[portal_id])) for portal_id in portal_ids]
    for crawler in crawlers:
        process.crawl(crawler)
    try:
        process.start()
    finally:
        heartbeat.stop()
        server.sadd(FINISHED_KEY, me)  # after every item and report of this worker is in Redis
        server.delete(heartbeat_key(me))
    stats = [crawler.stats.get_stats() for crawler in crawlers]
    return {"worker": me, "portals": len(portal_ids), "warc_file": settings.get("WARC_FILE"),
            "requests": sum(s.get("downloader/request_count", 0) for s in stats),
            "items": sum(s.get("vnarchive/sent_to_redis", 0) for s in stats),
            "disk_full": any(s.get(DISK_FULL_STAT) for s in stats)}


def join_run(server: redis.Redis, worker: str) -> None:
    """Joined and alive in one transaction: `ingest`, looking for a stale frontier, sees both or neither."""
    with server.pipeline(transaction=True) as transaction:
        transaction.sadd(WORKERS_KEY, worker).set(heartbeat_key(worker), "1", ex=HEARTBEAT_TTL_SECONDS).execute()


class Heartbeat:
    """A key that says this worker is alive (set first by join_run), refreshed from a thread (the
    reactor may be busy)."""

    def __init__(self, server: redis.Redis, worker: str):
        self.server, self.key = server, heartbeat_key(worker)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="redis-heartbeat", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                self.server.set(self.key, "1", ex=HEARTBEAT_TTL_SECONDS)
            except redis.RedisError as error:  # the next beat may get through
                logger.warning("heartbeat: %s", error)


# --- the spider of a worker ---------------------------------------------------------

class SharedFrontier(Scheduler):
    """scrapy-redis's scheduler, counting without the `spider` argument Scrapy 2.19 deprecates."""

    def enqueue_request(self, request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        request = self.queue.pop(self.idle_before_close)
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


def worker_spider(spider_class: type) -> type:
    """The portal's spider, sharing its seeding and article gate with the other workers."""
    return type(spider_class.__name__, (SharedFrontierSpider, spider_class), {"__module__": spider_class.__module__})


class SharedFrontierSpider:
    """Mixed in before a PortalSpider class."""

    redis: redis.Redis
    seeds: bool  # this worker yields the portal's start requests

    def _plan_run(self, settings) -> None:
        super()._plan_run(settings)
        self.redis = connect(settings.get("REDIS_URL"))
        planned = self.mode
        self.seeds = bool(self.redis.set(portal_key(self.portal.id, "seeded"), planned, nx=True))
        if not self.seeds:
            # One mode per portal and run: the seeder's, decided before this run wrote anything.
            self.mode = self.redis.get(portal_key(self.portal.id, "seeded")) or planned
        logger.info("%s: %s", self.portal.id, "seeding the shared frontier" if self.seeds
                    else f"joining the shared frontier ({self.mode} run)")

    async def start(self) -> AsyncIterator[Any]:
        if not self.seeds:
            return
        async for request in super().start():
            yield request

    def claim(self, key: str) -> bool:
        return super().claim(key) and self.redis.sadd(portal_key(self.portal.id, "queued"), key) == 1

    def remember_date_shown(self, key: str, date_text: str) -> bool:
        """Shared: the worker that fetches an article found through a sitemap may not be the one
        that read the listing showing its date."""
        if not super().remember_date_shown(key, date_text):
            return False
        shared = portal_key(self.portal.id, "dates")
        if len(date_text) > len(self.redis.hget(shared, key) or ""):
            self.redis.hset(shared, key, date_text)
        return True

    def date_shown(self, key: str, listing_date: str) -> str:
        super().remember_date_shown(key, self.redis.hget(portal_key(self.portal.id, "dates"), key) or "")
        return super().date_shown(key, listing_date)


class FrontierIdle:
    """Keeps a worker's portal crawl open while the shared frontier may still grow: it closes
    once the portal's queue has been empty for FRONTIER_IDLE_SECONDS (Scrapy asks again every 5 s)."""

    def __init__(self, crawler):
        self.idle_seconds = crawler.settings.getfloat("FRONTIER_IDLE_SECONDS")
        self.idle_since: float | None = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.busy, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def busy(self, request, spider) -> None:
        self.idle_since = None

    def spider_idle(self, spider) -> None:
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider


class RedisItemPipeline:
    """ArticleRecord and ArticleCheck → the items list, in batches like StorePipeline's, each sent
    after the worker's WARC file is synced."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.redis = connect(crawler.settings.get("REDIS_URL"))
        self.batch_size = crawler.settings.getint("ARCHIVE_BATCH_SIZE")
        self.flush_seconds = crawler.settings.getfloat("ARCHIVE_FLUSH_SECONDS")
        self.warc_location = run_location(crawler.settings)
        self.pending: list[str] = []
        self.oldest_pending = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if isinstance(item, (ArticleRecord, ArticleCheck)):
            if not self.pending:
                self.oldest_pending = time.monotonic()
            self.pending.append(item_message(item))
            if len(self.pending) >= self.batch_size or time.monotonic() - self.oldest_pending >= self.flush_seconds:
                self.flush()
        return item

    def close_spider(self, spider=None):
        self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        with stopping_when_disk_full(self.crawler):
            sync_writer(*self.warc_location)
            self.redis.rpush(ITEMS_KEY, *batch)
            self.crawler.stats.inc_value("vnarchive/sent_to_redis", len(batch))


class PortalReporter(RunRecorder):
    """RunRecorder's portal row, sent to `ingest` instead of written: the worker writes no SQLite.
    The row lacks what only storing tells (new, changed, unchanged, not modified, gone)."""

    def spider_opened(self, spider):
        self.started_at = clock.now_iso()

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        report = {
            "worker": worker_id(), "row": self.portal_row(spider, reason),
            "responses": stats.get("downloader/response_count", 0),
            # A worker that got no page of the portal may never have opened its file at all.
            "warc_file": self.crawler.settings.get("WARC_FILE") if stats.get("downloader/response_count") else "",
            "validators": {url: list(pair) for url, pair in spider.fresh_validators.items()},
            "page_links": {url: sorted(keys) for url, keys in spider.page_links.items() if url in spider.fresh_validators},
        }
        spider.redis.rpush(REPORTS_KEY, json.dumps(report, ensure_ascii=False))
