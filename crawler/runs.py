"""Record each portal's part of a run in `portal_runs`, the base of portal health.

`vnarchive crawl` opens the `crawl_runs` row and passes its id in VNARCHIVE_RUN_ID; a bare
`scrapy crawl hanam` gets a run row of its own here.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter

from scrapy import signals

from crawler import __version__, clock
from crawler.store import Archive

PORTAL_COUNTERS = ("listing_pages", "links_found", "articles_fetched", "new", "changed", "unchanged")


def errors_by_kind(stats: dict, portal: str) -> Counter:
    """Failures of one portal's crawl, by kind: HTTP status, network exception, extraction."""
    kinds: Counter = Counter()
    for key, value in stats.items():
        if key.startswith("downloader/response_status_count/") and int(key.rsplit("/", 1)[1]) >= 400:
            kinds[f"http_{key.rsplit('/', 1)[1]}"] += value
        elif key.startswith("downloader/exception_type_count/"):
            kinds[key.rsplit(".", 1)[-1]] += value
        elif key.startswith("spider_exceptions/"):
            kinds[f"spider_{key.split('/', 1)[1]}"] += value
        elif key.startswith(f"vnarchive/{portal}/errors/"):
            kinds[key.rsplit("/", 1)[1]] += value
    return kinds


def portal_outcome(counts: dict, errors: Counter, finish_reason: str) -> str:
    """ok | errors (some requests or pages failed) | broken (no listing yielded a link) | aborted."""
    if finish_reason not in ("finished", "closespider_pagecount", "closespider_itemcount"):
        return "aborted"
    if counts["listing_pages"] == 0 or counts["links_found"] == 0:
        return "broken"
    return "errors" if sum(errors.values()) else "ok"


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

    def spider_opened(self, spider):
        self.started_at = clock.now_iso()
        if self.owns_run:
            archive = Archive(self.path)
            self.run_id = archive.start_run(
                started_at=self.started_at, portals=[spider.portal.id], command=" ".join(sys.argv),
                version=__version__, pid=os.getpid(),
            )
            archive.close()

    def spider_closed(self, spider, reason):
        portal = spider.portal.id
        stats = self.crawler.stats.get_stats()
        counts = {name: stats.get(f"vnarchive/{portal}/{name}", 0) for name in PORTAL_COUNTERS}
        errors = errors_by_kind(stats, portal)
        row = {
            "run_id": self.run_id, "portal": portal, "started_at": self.started_at,
            "finished_at": clock.now_iso(), "outcome": portal_outcome(counts, errors, reason),
            **counts, "errors": sum(errors.values()), "errors_by_kind": json.dumps(errors),
            "finish_reason": reason,
        }
        archive = Archive(self.path)
        archive.save_portal_run(row)
        if self.owns_run:
            archive.finish_run(self.run_id, **run_totals([row], stats))
        archive.close()


def run_totals(portal_rows: list[dict], stats: dict) -> dict:
    """The crawl_runs columns summed from its portals' rows."""
    errors: Counter = Counter()
    for row in portal_rows:
        errors.update(json.loads(row["errors_by_kind"]))
    outcomes = {row["outcome"] for row in portal_rows}
    return {
        "finished_at": clock.now_iso(),
        "outcome": "ok" if outcomes <= {"ok"} else ("failed" if outcomes <= {"broken", "aborted"} else "partial"),
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        **{name: sum(row[name] for row in portal_rows) for name in ("new", "changed", "unchanged")},
        "errors": sum(errors.values()), "errors_by_kind": json.dumps(errors),
    }
