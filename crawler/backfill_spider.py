"""The spider of `vnarchive backfill` (crawler/backfill.py says what a backfill does): archive
indexes → the capture to keep per article → a PageCapture for the crawl's own pipelines; with the
pipeline that adds the capture's provenance to its record, and the middleware that obeys Retry-After."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import zlib
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, AsyncIterator, Iterable
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse, Response
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler import clock
from crawler.backfill import ARCHIVE_SETTINGS
from crawler.dates import VIETNAM_TZ
from crawler.items import ArticleRecord, PageCapture
from crawler.pagechecks import ends_before_html_close, not_an_article
from crawler.refusals import REFUSAL_KINDS, count_refusal
from crawler.registry import Portal, load_registry
from crawler.runs import NOT_ERRORS_STAT
from crawler.selectors import CompiledSelectors
from crawler.store import Archive
from crawler.urls import canonical_url, url_key
from crawler.warc import acquire_writer, release_writer, run_location
from spiders.base import PortalSpider, _without_page_number

logger = logging.getLogger(__name__)

CDX_FIELDS = "urlkey,timestamp,original,mimetype,statuscode,digest,length"
TIMESTAMP = re.compile(r"\d{14}")  # YYYYMMDDhhmmss, as both archives write capture times
# Outcomes in backfill_captures besides the refusal kinds: kept (its row may still be uncommitted:
# articles.last_seen says what is), and a fetch that failed (tried again by the next run).
STORED, FAILED = "stored", "error"
# Outcomes of a capture read for discovery: a listing whose links were read, or a page that is none.
LISTING, NOT_A_LISTING = "listing", "not_a_listing"


@dataclass(frozen=True)
class Candidate:
    """One capture an index lists: the original URL, when (UTC), and how to fetch it."""

    url: str
    timestamp: str  # YYYYMMDDhhmmss, UTC
    status: int
    digest: str
    fetch_url: str                 # the id_ URL, or the WARC file on the data host
    archive_url: str               # what a reader opens: the Wayback page, or the WARC file and byte range
    byte_range: tuple[int, int] | None = None  # Common Crawl: offset, length

    @property
    def captured_at(self) -> str:
        """The archive's capture time in Vietnam time, the archive's `captured_at`."""
        moment = datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        return moment.astimezone(VIETNAM_TZ).isoformat(timespec="seconds")


@dataclass
class ArchivedRecord(ArticleRecord):
    """An article read from a web archive's capture: the record, with where the capture came from."""

    capture_source: str = "live"
    archive_url: str = ""
    archive_digest: str = ""


# --- the resume table ------------------------------------------------------------------------


def _record_candidates(archive: Archive, source: str, portal: str, key_of, candidates: Iterable[Candidate]) -> None:
    rows = [{"source": source, "archive_url": c.archive_url, "portal": portal, "url_key": key_of(c.url), "url": c.url,
             "captured_at": c.captured_at, "status": c.status, "archive_digest": c.digest} for c in candidates]
    if rows:
        with archive.db.conn:
            archive.db["backfill_captures"].insert_all(rows, pk=("source", "archive_url"), ignore=True)


def _record_listing_evidence(archive: Archive, portal: str, shown: dict[str, tuple[str, str]]) -> None:
    """The date and listing each article was shown with, on its rows: a later run does not read a
    listing twice, and a run of the other archive dates the article the same way."""
    with archive.db.conn:
        for key, (date_text, listing_url) in shown.items():
            archive.db.execute("UPDATE backfill_captures SET listing_date = ?, listing_url = ? WHERE portal = ? "
                               "AND url_key = ? AND length(coalesce(listing_date, '')) < ?",
                               [date_text, listing_url, portal, key, len(date_text)])


def _record_outcome(archive: Archive, source: str, candidate: Candidate, outcome: str, run_id: int | None) -> None:
    with archive.db.conn:
        archive.db.execute("UPDATE backfill_captures SET outcome = ?, checked_at = ?, run_id = ? "
                           "WHERE source = ? AND archive_url = ?",
                           [outcome, clock.now_iso(), run_id, source, candidate.archive_url])


# --- the spider ------------------------------------------------------------------------------


class BackfillSpider(scrapy.Spider):
    """One portal from one archive (BACKFILL_PORTAL, BACKFILL_SOURCE)."""

    name = "backfill"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # The archives ask for a polite, steady rate: one request at a time per host, BACKFILL_DELAY apart.
        settings.set("DOWNLOAD_DELAY", settings.getfloat("BACKFILL_DELAY"), priority="cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 1, priority="cmdline")
        middlewares = {**settings.getdict("DOWNLOADER_MIDDLEWARES"), "crawler.backfill_spider.RetryAfterMiddleware": 560}
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
        pipelines = {**settings.getdict("ITEM_PIPELINES"), "crawler.backfill_spider.ProvenancePipeline": 500}
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.portal = load_registry().get(settings.get("BACKFILL_PORTAL"))
        spider.source = settings.get("BACKFILL_SOURCE")
        spider.mode = spider.source  # portal_runs.mode
        spider.selectors = CompiledSelectors.of(spider.portal.selectors)
        spider.since = settings.get("BACKFILL_SINCE") or ""
        spider.until = settings.get("BACKFILL_UNTIL") or ""
        spider.latest_first = settings.get("BACKFILL_CAPTURE") != "earliest"
        spider.index_limit = settings.getint("BACKFILL_INDEX_LIMIT")
        # What an archive's answers may make the run ask and hold (crawler/settings.py says why each value).
        spider.max_index_pages = settings.getint("BACKFILL_MAX_INDEX_PAGES")
        spider.max_index_rows = settings.getint("BACKFILL_MAX_INDEX_ROWS")
        spider.max_collections = settings.getint("BACKFILL_MAX_COLLECTIONS")
        spider.max_captures = settings.getint("BACKFILL_MAX_CAPTURES")
        spider.max_lookups = settings.getint("BACKFILL_MAX_LOOKUPS")
        spider.max_listing_links = settings.getint("MAX_LINKS_PER_PAGE")
        spider.held = 0            # captures held in candidates and listing_captures
        spider.index_full = False  # held reached max_captures: the index is read no further
        spider.bases = {name: settings.get(name).rstrip("/") for name in ARCHIVE_SETTINGS}
        spider.run_id = settings.getint("VNARCHIVE_RUN_ID") or None
        spider.archive = Archive(settings.get("ARCHIVE_PATH"))
        spider.warc_location = run_location(settings)
        spider.writer = None
        spider.candidates = {}     # url_key → {timestamp: Candidate}
        # Index requests still to send, one at a time; a generator stands for a run of them (the pages
        # of an index, a lookup in every collection), each made when its turn comes.
        spider.index_queue = deque()
        spider.fallbacks = {}      # url_key → the candidates to try after the one in flight
        # (url_key, captured_at) → the Candidate whose capture is being extracted: an article's older
        # captures may be in the pipelines at the same time as its latest one.
        spider.provenance = {}
        spider.max_listings = settings.getint("BACKFILL_MAX_LISTINGS")
        spider.listing_captures = {}  # archive_url → a capture of a page of the portal that may be a listing
        spider.listings_queued = False
        spider.looked_up = set()   # url_keys asked of the index by their exact URL in this run
        spider.shown = {}          # url_key → (date text, listing URL) an archived listing showed the link with
        spider.collections = []    # Common Crawl collections in the date range (exact lookups ask each)
        spider.reader = listing_reader(spider.portal)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.closed_archive, signal=signals.spider_closed)
        return spider

    # --- what RunRecorder (crawler/runs.py) asks of a portal's spider ---------------------------

    def settled_validators(self, archived_now: set[str]) -> list[dict]:
        return []  # archives are not asked conditionally

    def closed_archive(self, spider, reason):
        if self.writer is not None:
            release_writer(self.writer)
            self.writer = None
        self.archive.close()

    # --- indexes ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.source == "wayback":
            for domain in self.domains():
                self.index_queue.append(self.cdx_request(domain))
        else:
            self.index_queue.append(scrapy.Request(f"{self.bases['COMMONCRAWL_INDEX_URL']}/collinfo.json",
                                                   callback=self.parse_collinfo, errback=self.index_failed))
        for request in self.next_index():
            yield request

    def domains(self) -> list[str]:
        """The portal's hosts without `www.`: the archives' `host/*` query covers www. too."""
        return list(dict.fromkeys(domain.removeprefix("www.") for domain in self.portal.domains))

    def next_index(self) -> Iterable[scrapy.Request]:
        """The next index page; when none is left, the listing captures and the lookups of the
        articles they link; then the captures to fetch."""
        request = self.next_queued()
        if request is None and not self.listings_queued:
            self.listings_queued = True
            self.index_queue.extend(self.listing_requests())
            self.look_up_earlier_discoveries()
            request = self.next_queued()
        if request is not None:
            yield request
        else:
            self.keep_listing_evidence()
            yield from self.capture_requests()

    def next_queued(self) -> scrapy.Request | None:
        """The request at the head of the queue; a generator there makes its next one and keeps its place."""
        while self.index_queue:
            head = self.index_queue.popleft()
            if isinstance(head, scrapy.Request):
                return head
            request = next(head, None)
            if request is not None:
                self.index_queue.appendleft(head)
                return request
        return None

    def index_answer(self, response: Response) -> Any:
        """An index page's JSON, or None (counted and logged) when it is none."""
        try:
            return json.loads(response.text or "null")
        except (ValueError, AttributeError) as error:  # AttributeError: a body Scrapy could not read as text
            self._count("errors/index")
            logger.error("%s: %s is not a JSON index page (%s)", self.portal.id, response.url, error)
            return None

    def capped_rows(self, rows: list, source: str) -> list:
        """The first BACKFILL_MAX_INDEX_ROWS rows of an index page; the rest refused."""
        if len(rows) > self.max_index_rows:
            count_refusal(self.crawler, "links_capped", f"{source}: {len(rows)} rows on one index page, the first "
                          f"{self.max_index_rows} read (BACKFILL_MAX_INDEX_ROWS)", len(rows) - self.max_index_rows)
            return rows[:self.max_index_rows]
        return rows

    def index_failed(self, failure) -> Iterable[scrapy.Request]:
        self._count("errors/index")
        logger.error("%s: an index page failed: %s", self.portal.id, failure.getErrorMessage())
        yield from self.next_index()

    def cdx_request(self, domain: str, resume_key: str = "", exact: bool = False, page: int = 0) -> scrapy.Request:
        """An index page of every capture of `domain` (the `page`th, counted from 0, asked with
        `resume_key`); `exact`: of the one URL `domain` is."""
        # collapse=digest, not urlkey: urlkey keeps only the first capture of each URL, and the
        # latest one is wanted; digest folds runs of identical captures into their first.
        query = {"url": domain if exact else f"{domain}/*", "output": "json", "fl": CDX_FIELDS, "filter": "statuscode:200",
                 "collapse": "digest", "limit": str(self.index_limit), "showResumeKey": "true"}
        query |= {name: value for name, value in (("from", _stamp(self.since)), ("to", _stamp(self.until, end=True))) if value}
        if resume_key:
            query["resumeKey"] = resume_key
        url = f"{self.bases['WAYBACK_URL']}/cdx/search/cdx?{urlencode(query)}"
        return scrapy.Request(url, callback=self.parse_cdx, errback=self.index_failed,
                              cb_kwargs={"domain": domain, "exact": exact, "page": page, "resume_key": resume_key})

    def parse_cdx(self, response: Response, domain: str, exact: bool = False, page: int = 0,
                  resume_key: str = "") -> Iterable[scrapy.Request]:
        self._count("listing_pages")
        table = self.index_answer(response)
        table = table if isinstance(table, list) else []
        next_key = ""
        if len(table) >= 2 and table[-2] == [] and isinstance(table[-1], list) and table[-1]:  # [..., [], [resumeKey]]
            next_key, table = str(table[-1][0]), table[:-2]
        fields = table[0] if table and isinstance(table[0], list) else []
        wayback = self.bases["WAYBACK_URL"]
        listed = []
        for values in self.capped_rows(table[1:], response.url):
            row = dict(zip(fields, values)) if isinstance(values, list) else {}
            url, timestamp = row.get("original"), row.get("timestamp")
            if _readable(url, timestamp):
                listed.append((Candidate(
                    url=url, timestamp=timestamp, status=_status(row.get("statuscode")),
                    digest=str(row.get("digest") or ""), fetch_url=f"{wayback}/web/{timestamp}id_/{url}",
                    archive_url=f"{wayback}/web/{timestamp}/{url}"), str(row.get("mimetype") or "")))
            else:
                self._count("index_rows_unreadable")
        self.remember(listed, exact)
        if next_key:
            self.follow_resume_key(domain, exact, page, resume_key, next_key)
        yield from self.next_index()

    def follow_resume_key(self, domain: str, exact: bool, page: int, asked_with: str, next_key: str) -> None:
        """The CDX server's next page, unless it loops or the domain has had BACKFILL_MAX_INDEX_PAGES."""
        if next_key == asked_with:
            count_refusal(self.crawler, "listing_limit", f"{domain}: the CDX server answered page {page + 1} with "
                          "the resume key it was asked with; paging stopped")
        elif page + 1 >= self.max_index_pages:
            count_refusal(self.crawler, "listing_limit", f"{domain}: {page + 1} CDX pages read and the server offers "
                          f"more; paging stopped (BACKFILL_MAX_INDEX_PAGES)")
        elif not self.index_full:
            self.index_queue.appendleft(self.cdx_request(domain, next_key, exact, page + 1))

    def parse_collinfo(self, response: Response) -> Iterable[scrapy.Request]:
        self._count("listing_pages")
        listed = self.index_answer(response)
        collections = [str(collection["id"]) for collection in (listed if isinstance(listed, list) else [])
                       if isinstance(collection, dict) and collection.get("id")
                       and self.overlaps(str(collection.get("from", "")), str(collection.get("to", "")))]
        if len(collections) > self.max_collections:  # collinfo.json lists the newest first
            count_refusal(self.crawler, "listing_limit", f"{len(collections)} Common Crawl collections in the range, "
                          f"the newest {self.max_collections} read (BACKFILL_MAX_COLLECTIONS)",
                          len(collections) - self.max_collections)
        self.collections = collections[:self.max_collections]
        self.index_queue.append(self.cc_index_request(collection, domain)
                                for collection in self.collections for domain in self.domains())
        yield from self.next_index()

    def overlaps(self, start: str, end: str) -> bool:
        """Whether a collection crawled from `start` to `end` (ISO) may hold captures in --since/--until."""
        return (not self.since or end[:10] >= self.since) and (not self.until or start[:10] <= self.until)

    def cc_index_request(self, collection: str, domain: str, page: int | None = None, exact: bool = False) -> scrapy.Request:
        """The number of index pages of `domain` (page None), or one page; `exact`: of the one URL `domain` is."""
        query = {"url": domain if exact else f"{domain}/*", "output": "json"}
        query |= {name: value for name, value in (("from", _stamp(self.since)), ("to", _stamp(self.until, end=True))) if value}
        query |= {"showNumPages": "true"} if page is None else {"page": str(page)}
        url = f"{self.bases['COMMONCRAWL_INDEX_URL']}/{collection}-index?{urlencode(query)}"
        return scrapy.Request(url, callback=self.parse_cc_index, errback=self.index_failed,
                              cb_kwargs={"collection": collection, "domain": domain, "page": page, "exact": exact},
                              meta={"handle_httpstatus_list": [404]})  # 404: no captures in this collection

    def parse_cc_index(self, response: Response, collection: str, domain: str, page: int | None,
                       exact: bool = False) -> Iterable[scrapy.Request]:
        self._count("listing_pages")
        if response.status == 404:  # the collection holds nothing of the portal: an answer, not a failure
            self._count(f"{NOT_ERRORS_STAT}/http_404")
        elif page is None:
            self.queue_cc_pages(collection, domain, self.index_answer(response))
        elif response.status == 200:
            self.remember(self.cc_rows(response), exact)
        yield from self.next_index()

    def queue_cc_pages(self, collection: str, domain: str, answer: Any) -> None:
        """The index pages of `domain` in `collection`, up to BACKFILL_MAX_INDEX_PAGES, made one at a
        time as their turn comes (an index may claim any number of pages)."""
        pages = answer.get("pages") if isinstance(answer, dict) else None
        pages = pages if isinstance(pages, int) and pages > 0 else 0
        if pages > self.max_index_pages:
            count_refusal(self.crawler, "listing_limit", f"{collection}: the index claims {pages} pages of {domain}, "
                          f"the first {self.max_index_pages} read (BACKFILL_MAX_INDEX_PAGES)", pages - self.max_index_pages)
            pages = self.max_index_pages
        if not self.index_full:
            self.index_queue.appendleft(self.cc_index_request(collection, domain, number) for number in range(pages))

    def cc_rows(self, response: Response) -> list[tuple[Candidate, str]]:
        """The captures of one Common Crawl index page (JSON lines), at most BACKFILL_MAX_INDEX_ROWS."""
        data = self.bases["COMMONCRAWL_DATA_URL"]
        listed = []
        lines = [line for line in io.StringIO(response.text) if line.strip()]
        for line in self.capped_rows(lines, response.url):
            try:
                row = json.loads(line)
                url, timestamp, filename = row["url"], row["timestamp"], str(row["filename"])
                offset, length = int(row["offset"]), int(row["length"])
            except (ValueError, KeyError, TypeError):
                row = None
            if row is None or not _readable(url, timestamp) or offset < 0 or length <= 0:
                self._count("index_rows_unreadable")
                continue
            listed.append((Candidate(
                url=url, timestamp=timestamp, status=_status(row.get("status")),
                digest=str(row.get("digest") or ""), fetch_url=f"{data}/{filename}",
                archive_url=f"{data}/{filename}#bytes={offset}-{offset + length - 1}",
                byte_range=(offset, length)), str(row.get("mime") or "")))
        return listed

    def in_scope(self, url: str, mime: str, timestamp: str) -> bool:
        """A capture of one of the portal's pages, as HTML, in the date range."""
        host = (urlsplit(url).hostname or "").lower()
        day = f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
        return (host in self.portal.domains and "html" in (mime or "text/html")
                and (not self.since or day >= self.since) and (not self.until or day <= self.until))

    def remember(self, listed: list[tuple[Candidate, str]], exact: bool = False) -> None:
        """Captures of URLs shaped like the platform's articles are candidates; the portal's other
        pages may be listings. A URL looked up because a listing linked it (`exact`) is an article
        whatever its shape: the listing's selectors said so. The run holds at most
        BACKFILL_MAX_CAPTURES of them: past that, the rest are refused and the index read no further."""
        found, refused = [], 0
        for candidate, mime in listed:
            if not self.in_scope(candidate.url, mime, candidate.timestamp):
                continue
            article = exact or self.selectors.is_article_url(candidate.url)
            if not article and candidate.status != 200:
                continue
            key = self.key(candidate.url) if article else ""
            held = self.candidates.get(key, {}) if article else self.listing_captures
            slot = candidate.timestamp if article else candidate.archive_url
            if slot not in held:
                if self.held >= self.max_captures:
                    refused += 1
                    continue
                self.held += 1
                held[slot] = candidate
                if article:
                    self.candidates[key] = held
            if article:
                found.append(candidate)
        self._count("links_found", len(found))
        _record_candidates(self.archive, self.source, self.portal.id, self.key, found)
        if refused:
            self.stop_reading_the_index(refused)

    def stop_reading_the_index(self, refused: int) -> None:
        """The run holds BACKFILL_MAX_CAPTURES captures: index pages and lookups still queued are
        dropped (the listing captures already held are still read)."""
        count_refusal(self.crawler, "links_capped", f"the run holds {self.max_captures} captures; {refused} more "
                      "refused and the index read no further (BACKFILL_MAX_CAPTURES)", refused)
        self.index_full = True
        self.index_queue = deque(item for item in self.index_queue
                                 if isinstance(item, scrapy.Request) and item.callback == self.parse_listing_capture)

    # --- listings: discovery, and the date shown beside each link --------------------------------

    def listing_requests(self) -> list[scrapy.Request]:
        """Captures of the portal's pages that may be listings, those no earlier run read: the
        sections of the registry first, at most BACKFILL_MAX_LISTINGS."""
        read = self.settled_captures()
        todo = sorted((c for c in self.listing_captures.values() if c.archive_url not in read),
                      key=lambda c: (not self.is_section_page(c.url), c.url, c.timestamp))
        if len(todo) > self.max_listings:
            count_refusal(self.crawler, "listing_limit", f"{len(todo)} captures of pages that may be listings, "
                          f"the first {self.max_listings} read (BACKFILL_MAX_LISTINGS)", len(todo) - self.max_listings)
            todo = todo[:self.max_listings]
        _record_candidates(self.archive, self.source, self.portal.id, self.key, todo)
        return [self.request(c, self.parse_listing_capture, self.listing_failed) for c in todo]

    def is_section_page(self, url: str) -> bool:
        """A page of one of the portal's sections (crawler/portals.yml), whatever its page number."""
        sections = {self.key(_without_page_number(section.url)) for section in self.portal.sections}
        return self.key(_without_page_number(canonical_url(url))) in sections

    def parse_listing_capture(self, response: Response, candidate: Candidate) -> Iterable[scrapy.Request]:
        self._count("listing_pages")
        page = self.page_of(response, candidate)
        refusal = page if isinstance(page, tuple) else judge(page)
        if refusal:
            self.refused(candidate, *refusal)
        elif self.is_section_page(candidate.url) or self.selectors.select(page, "listing_item"):
            self.read_listing(page, candidate)
            _record_outcome(self.archive, self.source, candidate, LISTING, self.run_id)
        else:
            _record_outcome(self.archive, self.source, candidate, NOT_A_LISTING, self.run_id)
        yield from self.next_index()

    def read_listing(self, page: HtmlResponse, candidate: Candidate) -> None:
        """The links of an archived listing, read by the platform's own spider code (at most
        MAX_LINKS_PER_PAGE, as a live crawl reads): each one's date is evidence for its article, and
        one no index page listed as an article is looked up."""
        listing_url = self.cited(candidate.url)
        entries = [entry for entry in self.reader.listing_entries(page) if self.reader.is_own(entry.url)]
        self._count("listing_links", len(entries))
        if len(entries) > self.max_listing_links:
            count_refusal(self.crawler, "links_capped", f"{candidate.archive_url}: {len(entries)} links, the first "
                          f"{self.max_listing_links} read (MAX_LINKS_PER_PAGE)", len(entries) - self.max_listing_links)
            entries = entries[:self.max_listing_links]
        for entry in entries:
            key = self.key(entry.url)
            if len(entry.date_text) > len(self.shown.get(key, ("", ""))[0]):
                self.shown[key] = (entry.date_text, listing_url)
        self.look_up_all(entry.url for entry in entries)

    def look_up_all(self, urls: Iterable[str]) -> None:
        """Each URL looked up (look_up); those past BACKFILL_MAX_LOOKUPS refused in one count."""
        refused = sum(not self.look_up(url) for url in urls)
        if refused:
            count_refusal(self.crawler, "links_capped", f"{refused} articles linked by listings not looked up: the run "
                          f"looked up {len(self.looked_up)} (BACKFILL_MAX_LOOKUPS) or holds BACKFILL_MAX_CAPTURES", refused)

    def look_up(self, url: str) -> bool:
        """Ask the index for the captures of one URL (Wayback: `url=<url>`; Common Crawl: the same in
        each collection of the range), unless an index page listed it or it was asked for already.
        False when it is refused: the run has looked up BACKFILL_MAX_LOOKUPS or holds all it may."""
        key = self.key(url)
        if key in self.candidates or key in self.looked_up:
            return True
        if self.index_full or len(self.looked_up) >= self.max_lookups:
            return False
        self.looked_up.add(key)
        self._count("lookups")
        if self.source == "wayback":
            self.index_queue.append(self.cdx_request(url, exact=True))
        else:
            self.index_queue.append(self.cc_index_request(collection, url, 0, exact=True) for collection in self.collections)
        return True

    def look_up_earlier_discoveries(self) -> None:
        """Articles an earlier run found only through a listing (which is not read again), some of
        whose captures are not settled yet: a run killed halfway."""
        self.look_up_all(url for (url,) in self.archive.db.execute(
            "SELECT min(url) FROM backfill_captures WHERE source = ? AND portal = ? AND listing_url != '' "
            "GROUP BY url_key HAVING sum(outcome IS NULL OR outcome = ?) > 0", [self.source, self.portal.id, FAILED]))

    def keep_listing_evidence(self) -> None:
        """What this run's listings showed goes on the captures' rows; what earlier runs' (of either
        archive) showed comes back from them."""
        _record_listing_evidence(self.archive, self.portal.id, self.shown)
        for key, date_text, listing_url in self.archive.db.execute(
                "SELECT url_key, listing_date, listing_url FROM backfill_captures WHERE portal = ? AND listing_url != ''",
                [self.portal.id]):
            if len(date_text or "") > len(self.shown.get(key, ("", ""))[0]):
                self.shown[key] = (date_text, listing_url)

    def listing_failed(self, failure) -> Iterable[scrapy.Request]:
        candidate = failure.request.cb_kwargs["candidate"]
        self._count("errors/listing")
        logger.error("%s: a listing capture failed: %s", self.portal.id, failure.getErrorMessage())
        _record_outcome(self.archive, self.source, candidate, FAILED, self.run_id)
        yield from self.next_index()

    # --- captures -----------------------------------------------------------------------------

    def capture_requests(self) -> Iterable[scrapy.Request]:
        """Per article, the first capture worth trying; the others wait as fallbacks, and once one
        is kept, the older ones are fetched as possible earlier versions."""
        # A failed fetch is tried again, a stored one if not archived, and one read as a possible listing
        # when a listing showed it is an article.
        refused = self.settled_captures(STORED, LISTING, NOT_A_LISTING)
        versions = self.stored_versions()
        for key, by_time in sorted(self.candidates.items()):
            ordered = sorted(by_time.values(), key=lambda c: c.timestamp, reverse=self.latest_first)
            todo = [c for c in ordered if c.archive_url not in refused and self.not_archived_yet(c, versions.get(key))]
            for candidate in ordered:
                if candidate.status != 200 and candidate.archive_url not in refused:
                    kind = "redirect" if 300 <= candidate.status < 400 else "http_error"
                    self.refused(candidate, kind, f"the index lists {candidate.url} at {candidate.timestamp} as {candidate.status}")
            todo = [c for c in todo if c.status == 200]
            if todo:
                self.fallbacks[key] = todo[1:]
                yield self.fetch(todo[0])

    def settled_captures(self, *unsettled: str) -> set[str]:
        """archive_url of the captures an earlier run settled: any outcome but an error (and `unsettled`)."""
        outcomes = (FAILED, *unsettled)
        return {row[0] for row in self.archive.db.execute(
            f"SELECT archive_url FROM backfill_captures WHERE source = ? AND portal = ? "
            f"AND outcome NOT IN ({', '.join('?' * len(outcomes))})", [self.source, self.portal.id, *outcomes])}

    def stored_versions(self) -> dict[str, list[tuple[str, str]]]:
        """url_key → when each stored version (the current one, the revisions) was seen, from and until."""
        versions: dict[str, list[tuple[str, str]]] = {}
        for key, start, end in self.archive.db.execute(
                "SELECT url_key, first_seen, coalesce(last_seen, first_seen) FROM articles WHERE portal = ? UNION ALL "
                "SELECT r.url_key, coalesce(r.seen_from, r.seen_until), coalesce(r.seen_until, r.seen_from) FROM revisions r "
                "JOIN articles a ON a.url_key = r.url_key WHERE a.portal = ?", [self.portal.id, self.portal.id]):
            versions.setdefault(key, []).append((start, end))
        return versions

    def not_archived_yet(self, candidate: Candidate, versions: list[tuple[str, str]] | None) -> bool:
        """Latest first: a capture from outside the times the stored versions were seen (a newer one
        updates the article, an older one may be a version behind it). Earliest first: only
        articles not archived yet."""
        if not versions:
            return True
        moment = _moment(candidate.captured_at)
        return self.latest_first and not any(_moment(start) <= moment <= _moment(end) for start, end in versions)

    def fetch(self, candidate: Candidate) -> scrapy.Request:
        self._count("articles_fetched")
        return self.request(candidate, self.parse_capture, self.capture_failed)

    def request(self, candidate: Candidate, callback, errback) -> scrapy.Request:
        """The capture's bytes: the id_ URL, or its record's byte range of a WARC file."""
        meta = {"handle_httpstatus_all": True, "dont_redirect": True}
        headers = {}
        if candidate.byte_range:
            offset, length = candidate.byte_range
            headers["Range"] = f"bytes={offset}-{offset + length - 1}"
        return scrapy.Request(candidate.fetch_url, headers=headers, meta=meta, dont_filter=True,
                              callback=callback, errback=errback, cb_kwargs={"candidate": candidate})

    def parse_capture(self, response: Response, candidate: Candidate) -> Iterable[Any]:
        page = self.page_of(response, candidate)
        if isinstance(page, tuple):  # (kind, detail): refused
            yield from self.try_next(candidate, *page)
            return
        if refusal := judge(page):
            yield from self.try_next(candidate, *refusal)
            return
        yield self.captured(candidate, page)
        yield from self.older_captures(candidate)

    def older_captures(self, kept: Candidate) -> Iterable[scrapy.Request]:
        """Latest first: the article's older captures, each a possible earlier version, which the
        archive keeps as a revision behind the current one (Archive.insert_older_revision)."""
        waiting = self.fallbacks.pop(self.key(kept.url), [])
        if self.latest_first:
            yield from (self.fetch(candidate) for candidate in waiting)

    def page_of(self, response: Response, candidate: Candidate) -> HtmlResponse | tuple[str, str]:
        """The portal's answer as the archive kept it, under its original URL."""
        if candidate.byte_range is None:  # Wayback id_: the original status and body
            if response.status in (404, 410) and b"html" not in response.headers.get("Content-Type", b""):
                return "http_error", f"{response.url}: not in the archive"
            headers = {"Content-Type": response.headers.get("Content-Type", b"text/html").decode("latin-1")}
            return HtmlResponse(candidate.url, status=response.status, headers=headers, body=response.body)
        if response.status not in (200, 206):
            return "http_error", f"{response.url} answered {response.status}"
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(response.body))))
            body = record.content_stream().read()
        except (ArchiveLoadFailed, StopIteration, EOFError, zlib.error, ValueError) as error:
            return "truncated", f"{candidate.archive_url}: unreadable WARC record ({error})"
        if record.rec_headers.get_header("WARC-Truncated"):
            return "truncated", f"{candidate.archive_url}: WARC-Truncated: {record.rec_headers.get_header('WARC-Truncated')}"
        status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
        headers = {"Content-Type": (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""}
        return HtmlResponse(candidate.url, status=status, headers=headers, body=body)

    def captured(self, candidate: Candidate, page: HtmlResponse) -> PageCapture:
        """The capture as a WARC response record of its own (original URL, the archive's time) and a PageCapture."""
        if self.writer is None:
            self.writer = acquire_writer(*self.warc_location)
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, values in page.headers.items() for value in values]
        pointer = self.writer.write_response(
            url=candidate.url, status=page.status, headers=headers, body=page.body,
            fetched_at=datetime.fromisoformat(candidate.captured_at),
            request_headers=[("X-Vnarchive-Archive-Url", candidate.archive_url)])
        self.provenance[(self.key(candidate.url), candidate.captured_at)] = candidate
        listing_date, listing_url = self.shown.get(self.key(candidate.url), ("", ""))
        return PageCapture(
            portal=self.portal.id, url=self.cited(candidate.url), status=page.status, body=page.body,
            headers={"Content-Type": page.headers.get("Content-Type", b"").decode("latin-1")},
            fetched_at=candidate.captured_at, fetched_url=candidate.fetch_url, record=pointer,
            listing_date=listing_date, listing_url=listing_url)

    def capture_failed(self, failure) -> Iterable[scrapy.Request]:
        candidate = failure.request.cb_kwargs["candidate"]
        kind = getattr(failure.value, "kind", None) or FAILED
        if kind == FAILED:
            self._count("errors/capture")
        yield from self.try_next(candidate, kind, failure.getErrorMessage())

    def try_next(self, candidate: Candidate, kind: str, detail: str) -> Iterable[scrapy.Request]:
        self.refused(candidate, kind, detail)
        waiting = self.fallbacks.get(self.key(candidate.url)) or []
        if waiting:
            yield self.fetch(waiting.pop(0))

    def refused(self, candidate: Candidate, kind: str, detail: str) -> None:
        """A capture that is not the article: counted by kind (a failed fetch is an error, counted
        where it failed), logged, and not tried again unless it failed."""
        if kind in REFUSAL_KINDS:
            count_refusal(self.crawler, kind, detail)
        else:
            logger.info("%s: capture not kept (%s): %s", self.portal.id, kind, detail)
        _record_outcome(self.archive, self.source, candidate, kind, self.run_id)

    def item_dropped(self, item, response, exception, spider=None):
        if isinstance(item, PageCapture) and (candidate := self.provenance.pop((self.key(item.url), item.fetched_at), None)):
            _record_outcome(self.archive, self.source, candidate, "not_an_article", self.run_id)

    # --- helpers ------------------------------------------------------------------------------

    def key(self, url: str) -> str:
        return url_key(url, self.portal.platform)

    def cited(self, url: str) -> str:
        """The article URL as a live crawl cites it (PortalSpider.on_canonical_host)."""
        return self.reader.on_canonical_host(canonical_url(url))

    def _count(self, stat: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"vnarchive/{self.portal.id}/{stat}", count)


def listing_reader(portal: Portal) -> PortalSpider:
    """The portal's own spider, only to read archived listing pages with its platform's
    `listing_entries` (the live crawl's code): it is given no crawler and fetches nothing."""
    from spiders.portals import PORTAL_SPIDERS

    reader = PORTAL_SPIDERS[portal.id]()
    reader.portal, reader.selectors = portal, CompiledSelectors.of(portal.selectors)
    return reader


def judge(page: HtmlResponse) -> tuple[str, str] | None:
    """(refusal kind, detail) when a capture is not an article to archive."""
    if 300 <= page.status < 400:
        return "redirect", f"{page.url}: the capture is a {page.status} redirect"
    if page.status != 200:
        return "http_error", f"{page.url}: the capture is a {page.status}"
    if refusal := not_an_article(page, []):
        return refusal
    if ends_before_html_close(page.body):
        return "truncated", f"{page.url}: the capture ends after {len(page.body)} bytes, before </html>"
    return None


class ProvenancePipeline:
    """Between extraction and storage: the record of an archived capture carries its source, the
    archive's URL and digest (the columns a live crawl leaves `live` and empty)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        spider = self.crawler.spider
        if not isinstance(item, ArticleRecord) or not isinstance(spider, BackfillSpider):
            return item
        candidate = spider.provenance.pop((item.url_key, item.captured_at), None)
        if candidate is None:
            return item
        _record_outcome(spider.archive, spider.source, candidate, STORED, spider.run_id)
        return ArchivedRecord(**asdict(item), capture_source=spider.source, archive_url=candidate.archive_url,
                              archive_digest=candidate.digest)


class RetryAfterMiddleware:
    """429 and 503 ("slow down"): wait as long as Retry-After asks (RETRY_AFTER_DEFAULT seconds
    when it says nothing; at most RETRY_AFTER_MAX), then ask again, up to RETRY_AFTER_TIMES; before
    Scrapy's own retries, which would ask again at once."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX")
        self.times = crawler.settings.getint("RETRY_AFTER_TIMES")
        self.default_wait = crawler.settings.getfloat("RETRY_AFTER_DEFAULT")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response, spider=None):
        header = response.headers.get("Retry-After")
        tries = request.meta.get("retry_after_times", 0)
        if response.status not in (429, 503) or tries >= self.times:
            return response
        wait = min(retry_after_seconds(header.decode("latin-1")) if header else self.default_wait, self.max_wait)
        logger.warning("%s answered %d; waiting %.0f s as Retry-After asks", response.url, response.status, wait)
        # An answer waited out is the archive pacing us, not a failure (crawler/runs.py errors_by_kind).
        portal = getattr(getattr(self.crawler, "spider", None), "portal", None)
        self.crawler.stats.inc_value(f"vnarchive/{portal.id if portal else 'unknown'}/{NOT_ERRORS_STAT}/http_{response.status}")
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        return retry


def retry_after_seconds(value: str) -> float:
    """Retry-After as seconds or as an HTTP date (RFC 9110); garbage means a minute."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return 60.0


def _status(value: Any) -> int:
    return int(value) if str(value or "").isdigit() else 0


def _readable(url: Any, timestamp: Any) -> bool:
    """An index row's URL and capture time are what a capture needs (an archive may send anything)."""
    return (isinstance(url, str) and url.startswith(("http://", "https://"))
            and isinstance(timestamp, str) and TIMESTAMP.fullmatch(timestamp) is not None)


def _stamp(day: str, end: bool = False) -> str:
    """YYYY-MM-DD → the archives' timestamp form; the end of the day for `to`."""
    return (day.replace("-", "") + ("235959" if end else "000000")) if day else ""


def _moment(iso: str) -> datetime:
    value = datetime.fromisoformat(iso)
    return value if value.tzinfo else value.replace(tzinfo=VIETNAM_TZ)
