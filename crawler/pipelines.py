"""Item pipelines: a raw capture becomes an article record, and records reach the archive in batches."""

from __future__ import annotations

import logging
import time

from scrapy.exceptions import DropItem

from crawler.items import ArticleCheck, ArticleRecord, PageCapture
from crawler.pagechecks import NotAnArticle
from crawler.refusals import count_refusal
from crawler.registry import get_topic, load_registry
from crawler.runs import stopping_when_disk_full
from crawler.store import Archive, acquire_archive, in_archive_writer, release_archive
from crawler.warc import run_location, sync_writer
from crawler.workers import extract_by_portal_id, extract_elsewhere, shared_pool, worker_count

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """PageCapture → ArticleRecord, in worker processes (crawler/workers.py). A page that cannot be
    read is counted and dropped, never fatal."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        topic = crawler.settings.get("TOPIC")
        self.topic = get_topic(topic) if topic else None
        self.workers = worker_count(crawler.settings.getint("EXTRACT_WORKERS"))
        self.niceness = crawler.settings.getint("EXTRACT_WORKER_NICENESS")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self, spider=None):
        # The workers start with the crawl, so that their start (~0.5 s each: imports, the
        # registry, dateparser's data) overlaps the crawl's own, not its first pages' wait.
        if self.workers:
            shared_pool(self.workers, self.niceness)

    async def process_item(self, item):
        if not isinstance(item, PageCapture):
            return item
        try:
            if self.workers:
                record = await extract_elsewhere(item, self.workers, self.niceness)
            else:
                record = extract_by_portal_id(item)
        except NotAnArticle as refusal:
            count_refusal(self.crawler, refusal.kind, refusal.detail)
            raise DropItem(f"not an article: {refusal.detail}", log_level="DEBUG") from None
        except Exception as error:  # a bad page must not stop the crawl
            self.stats.inc_value(f"vnarchive/{item.portal}/errors/extract")
            logger.exception("%s: could not extract %s", item.portal, item.url)
            raise DropItem(f"extraction failed: {error}") from error
        if not record.title or not record.body:
            self.stats.inc_value(f"vnarchive/{item.portal}/errors/not_an_article")
            raise DropItem(f"no article in {item.url} ({', '.join(record.warnings)})")
        if self.topic and self.topic.id not in record.topics:
            self.stats.inc_value(f"vnarchive/{item.portal}/off_topic")
            raise DropItem(f"not about {self.topic.id}: {item.url}", log_level="DEBUG")
        for warning in record.warnings:
            logger.info("%s: %s: %s", item.portal, item.url, warning)
        self.stats.inc_value(f"vnarchive/{item.portal}/extracted")
        if record.published_at:
            self.stats.inc_value(f"vnarchive/{item.portal}/dated")
        return record


class StorePipeline:
    """ArticleRecord and ArticleCheck → archive.db: a batch per transaction, written when it holds
    ARCHIVE_BATCH_SIZE items or is ARCHIVE_FLUSH_SECONDS old, so a killed run loses little work.
    The WARC file is synced first: a committed row never points at a record not on disk.

    The writes run in one thread for all the run's crawlers (archive_writer): SQLite keeps one
    writer at a time, and its work (the FTS index, commits) runs there without the GIL, beside
    the reactor. The item that fills a batch waits for its write, which holds fetching back when
    the disk is slower than the crawl."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_PATH")
        self.batch_size = crawler.settings.getint("ARCHIVE_BATCH_SIZE")
        self.flush_seconds = crawler.settings.getfloat("ARCHIVE_FLUSH_SECONDS")
        self.warc_location = run_location(crawler.settings)
        self.portals = {p.id: p for p in load_registry().portals}
        self.pending: list[ArticleRecord | ArticleCheck] = []
        self.oldest_pending = 0.0
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def open_spider(self, spider=None):
        with stopping_when_disk_full(self.crawler):
            self.archive = await in_archive_writer(self._open)

    def _open(self) -> Archive:
        archive = acquire_archive(self.path)
        if not self.crawler.settings.getint("VNARCHIVE_RUN_ID"):  # a bare `scrapy crawl`
            archive.sync_portals(self.portals.values())
        return archive

    async def close_spider(self, spider=None):
        await self.flush()
        if self.archive:
            await in_archive_writer(release_archive, self.archive)

    async def process_item(self, item):
        if isinstance(item, (ArticleRecord, ArticleCheck)):
            if not self.pending:
                self.oldest_pending = time.monotonic()
            self.pending.append(item)
            if len(self.pending) >= self.batch_size or time.monotonic() - self.oldest_pending >= self.flush_seconds:
                await self.flush()
        return item

    async def flush(self) -> None:
        if not self.pending or self.archive is None:
            return
        batch, self.pending = self.pending, []
        counts = {}
        with stopping_when_disk_full(self.crawler):
            counts = await in_archive_writer(self._write, batch)
        # One crawler crawls one portal, so the whole batch is that portal's.
        for outcome, count in counts.items():
            self.crawler.stats.inc_value(f"vnarchive/{batch[0].portal}/{outcome}", count)

    def _write(self, batch: list[ArticleRecord | ArticleCheck]) -> dict[str, int]:
        sync_writer(*self.warc_location)
        return self.archive.save_articles(batch, self.portals)
