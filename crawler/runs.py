"""Record each portal's part of a run in `portal_runs`, the base of portal health.

`vnarchive crawl` opens the `crawl_runs` row and passes its id in VNARCHIVE_RUN_ID; a bare
`scrapy crawl hanam` gets a run row of its own here. A portal's row is written `running`
when its spider opens and completed when it closes, so a run killed midway leaves rows
that say so (the next run marks them `killed` and crawls those portals deep).

A portal is `broken` when its listings yield no link (and did not answer "not modified"),
or when at least MIN_ARTICLES_FOR_DATE_CHECK articles were extracted and none had a date:
the two ways a portal's redesign shows up first.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import sys
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from crawler import __version__, clock
from crawler.store import acquire_archive, archived_keys, in_archive_writer, release_archive

logger = logging.getLogger(__name__)

PORTAL_COUNTERS = ("listing_pages", "listing_unchanged", "links_found", "articles_fetched", "rechecked",
                   "not_modified", "new", "changed", "unchanged", "gone", "extracted", "dated")
MIN_ARTICLES_FOR_DATE_CHECK = 3
DISK_FULL_STAT = "vnarchive/disk_full"
CLEAN_FINISH = ("finished", "closespider_pagecount", "closespider_itemcount")
# The finish reason of a portal paused by the circuit breaker (crawler/middlewares.py).
CIRCUIT_OPEN = "circuit_open"
# Outcomes of a portal that was not crawled through (the run's exit code counts them).
FAILED_OUTCOMES = frozenset({"broken", "aborted", "paused"})
# Dropped on purpose, not failed: refusals have their own counts (crawler/refusals.py).
NOT_ERRORS = ("IgnoreRequest", "Refused", "DownloadCancelledError")
# Under vnarchive/<portal>/: HTTP answers that are not failures of the portal (http_404 of a robots.txt).
NOT_ERRORS_STAT = "not_errors"
# Scrapy's own counts of what it declined, under the refusal kind they are.
SCRAPY_REFUSALS = {"urllength/request_ignored_count": "url_too_long", "offsite/filtered": "offsite"}


def errors_by_kind(stats: dict, portal: str) -> Counter:
    """Failures of one portal's crawl, by kind: HTTP status, network exception, extraction."""
    kinds: Counter = Counter()
    for key, value in stats.items():
        if key.startswith("downloader/response_status_count/") and int(key.rsplit("/", 1)[1]) >= 400:
            kinds[f"http_{key.rsplit('/', 1)[1]}"] += value
        elif key.startswith("downloader/exception_type_count/"):
            if not key.endswith(NOT_ERRORS):
                kinds[key.rsplit(".", 1)[-1]] += value
        elif key.startswith("spider_exceptions/"):
            kinds[f"spider_{key.split('/', 1)[1]}"] += value
        elif key.startswith(f"vnarchive/{portal}/errors/"):
            kinds[key.rsplit("/", 1)[1]] += value
    # A 404 or 410 on a re-check is news (the article is gone), and a missing robots.txt, feed or
    # sitemap is a fact of the portal: answers, not failures.
    for status in ("404", "410"):
        kinds[f"http_{status}"] -= stats.get(f"vnarchive/{portal}/gone_{status}", 0)
    prefix = f"vnarchive/{portal}/{NOT_ERRORS_STAT}/"
    for key, value in stats.items():
        if key.startswith(prefix):
            kinds[key[len(prefix):]] -= value
    return +kinds


def refusals_by_kind(stats: dict, portal: str, finish_reason: str = "") -> Counter:
    """What one portal's crawl declined on purpose, by kind (crawler/refusals.py)."""
    prefix = f"vnarchive/{portal}/refused/"
    kinds = Counter({key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)})
    for stat, kind in SCRAPY_REFUSALS.items():
        kinds[kind] += stats.get(stat, 0)
    if finish_reason == "closespider_pagecount":
        kinds["page_limit"] += 1
    return +kinds


def tls_issues(stats: dict, portal: str) -> Counter:
    """Responses whose certificate had each issue (crawler/tls.py)."""
    prefix = f"vnarchive/{portal}/tls/"
    return Counter({key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)})


def health_problems(counts: dict) -> list[str]:
    """What looks broken in one portal's run."""
    problems = []
    if counts["listing_pages"] == 0 and counts["listing_unchanged"] == 0:
        problems.append("no listing page read")
    elif counts["links_found"] == 0 and counts["listing_unchanged"] == 0:
        problems.append("listings yield no links")
    if counts["extracted"] >= MIN_ARTICLES_FOR_DATE_CHECK and counts["dated"] == 0:
        problems.append(f"none of {counts['extracted']} articles has a date")
    return problems


def portal_outcome(counts: dict, errors: Counter, finish_reason: str) -> str:
    """ok | errors (some requests or pages failed) | broken (health_problems) | paused (the
    circuit breaker stopped it) | aborted."""
    if finish_reason == CIRCUIT_OPEN:
        return "paused"
    if finish_reason not in CLEAN_FINISH:
        return "aborted"
    if health_problems(counts):
        return "broken"
    return "errors" if sum(errors.values()) else "ok"


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(error, sqlite3.OperationalError) and "disk is full" in str(error)


@contextmanager
def stopping_when_disk_full(crawler) -> Iterator[None]:
    """Around every write of a crawl: a full disk stops the portal's crawl instead of failing it
    page by page; any other error goes on up."""
    try:
        yield
    except Exception as error:
        if not is_disk_full(error):
            raise
        stop_for_disk_full(crawler, error)


def stop_for_disk_full(crawler, error: BaseException) -> None:
    """Nothing more can be kept: stop this portal's crawl; the run exits with its own code."""
    if not crawler.stats.get_value(DISK_FULL_STAT):
        logger.critical("disk full, stopping: %s", error)
    crawler.stats.set_value(DISK_FULL_STAT, 1)
    if crawler.engine is not None and crawler.engine.spider is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason="disk_full"))


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_PATH")
        self.run_id = crawler.settings.getint("VNARCHIVE_RUN_ID") or None
        self.owns_run = self.run_id is None
        self.started_at = ""
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def spider_opened(self, spider):
        with stopping_when_disk_full(self.crawler):
            await in_archive_writer(self._open_rows, spider)

    def _open_rows(self, spider):
        self.started_at = clock.now_iso()
        archive = acquire_archive(self.path)
        if self.owns_run:
            self.run_id = archive.start_run(
                started_at=self.started_at, portals=[spider.portal.id], command=" ".join(sys.argv),
                version=__version__, pid=os.getpid(),
            )
        archive.save_portal_run({"run_id": self.run_id, "portal": spider.portal.id, "started_at": self.started_at,
                                 "outcome": "running", "mode": spider.mode})
        release_archive(archive)

    async def spider_closed(self, spider, reason):
        row = self.portal_row(spider, reason)
        with stopping_when_disk_full(self.crawler):
            await in_archive_writer(self._close_rows, spider, reason, row)
        if row["outcome"] == "broken":
            logger.error("%s: broken: %s", spider.portal.id, "; ".join(health_problems(row)))

    def _close_rows(self, spider, reason, row):
        archive = acquire_archive(self.path)
        if reason == "finished":
            archive.save_validators(spider.settled_validators(archived_keys(archive.db, spider.portal.id)))
        archive.save_portal_run(row)
        if self.owns_run:
            archive.update_run(self.run_id, **run_totals([row], self.crawler.stats.get_stats()))
        release_archive(archive)

    def portal_row(self, spider, reason: str) -> dict:
        portal = spider.portal.id
        stats = self.crawler.stats.get_stats()
        counts = {name: stats.get(f"vnarchive/{portal}/{name}", 0) for name in PORTAL_COUNTERS}
        errors = errors_by_kind(stats, portal)
        refused = refusals_by_kind(stats, portal, reason)
        return {
            "run_id": self.run_id, "portal": portal, "started_at": self.started_at,
            "finished_at": clock.now_iso(), "outcome": portal_outcome(counts, errors, reason), "mode": spider.mode,
            "requests": stats.get("downloader/request_count", 0), **counts,
            "errors": sum(errors.values()), "errors_by_kind": json.dumps(errors), "finish_reason": reason,
            "refused": sum(refused.values()), "refused_by_kind": json.dumps(refused),
            "tls_issues": json.dumps(tls_issues(stats, portal)),
        }


def run_totals(portal_rows: list[dict], stats: dict) -> dict:
    """The crawl_runs columns summed from its portals' rows."""
    errors: Counter = Counter()
    refused: Counter = Counter()
    for row in portal_rows:
        errors.update(json.loads(row["errors_by_kind"] or "{}"))
        refused.update(json.loads(row.get("refused_by_kind") or "{}"))
    outcomes = {row["outcome"] for row in portal_rows}
    return {
        "finished_at": clock.now_iso(),
        "outcome": "ok" if outcomes <= {"ok"} else ("failed" if outcomes <= FAILED_OUTCOMES else "partial"),
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        **{name: sum(row[name] or 0 for row in portal_rows) for name in ("new", "changed", "unchanged", "gone")},
        "errors": sum(errors.values()), "errors_by_kind": json.dumps(errors),
        "refused": sum(refused.values()), "refused_by_kind": json.dumps(refused),
    }
