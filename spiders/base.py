"""The base of every portal spider: sections, feeds and sitemaps → article pages.

Discovery, the same on every portal:
- the registry's sections: listing pages, followed page by page (links with a page number,
  `rel=next`/"Tiếp" links, or an ASP.NET postback replayed as a form POST) until a page brings
  nothing new;
- feeds: the registry's, and those the pages announce in their <head>;
- sitemaps: the registry's, and robots.txt's `Sitemap:` lines, through sitemap indexes.
Every article URL goes through one gate (`article_request`): dedup key, skip what is archived
or already queued. So the same article reached through a listing, a feed and a sitemap under
three URL variants is fetched once, and cited on the portal's canonical host and scheme.

How deep a run goes (deep, incremental, since) and which archived articles it re-checks is
decided from the archive before it starts (crawler/incremental.py). Listings, feeds and
sitemaps that sent validators are asked for conditionally; a 304 means nothing new there.

A platform spider (sharepoint.py, dnn.py, …) subclasses `PortalSpider` and sets `platform`;
it overrides a hook only where its platform differs:

- `listing_entries(response)`: the article links (with the date shown beside each) on a listing page
- `next_listing_request(response, page, entries)`: the request for the following listing page
- `fetch_article(url, listing_date, listing_url)`: how an article is fetched
- `capture(response, **meta)`: the PageCapture handed to the pipelines

A portal spider is made from the registry (spiders/portals.py) and only adds `name` and
`portal_id`. Everything a portal needs to say (sections, feeds, selectors) lives in portals.yml.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from form2request import form2request
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import clock, discovery, pagechecks
from crawler.dates import parse_date
from crawler.incremental import INCREMENTAL, SINCE, Recheck, RecheckPolicy, choose_mode, due_rechecks, read_state
from crawler.items import ArticleCheck, PageCapture
from crawler.middlewares import WARC_RECORD
from crawler.pagechecks import soft_404
from crawler.refusals import count_refusal
from crawler.runs import NOT_ERRORS_STAT
from crawler.registry import Portal, load_registry
from crawler.selectors import CompiledSelectors
from crawler.urls import canonical_url, url_key

logger = logging.getLogger(__name__)

# Query parameters and path segments that number listing pages on the known platforms.
PAGE_PARAMETER = re.compile(r"^(page|pageindex|pg|p|trang|_\d+_cur|cur|pagenum|pageno)$", re.IGNORECASE)
NEXT_LINK_TEXT = re.compile(r"^(»|›|>|>>|tiếp|tiếp theo|sau|trang sau|next)$", re.IGNORECASE)
# A link text this long is a headline, not a menu entry ("Giới thiệu", "Tin tức - Sự kiện").
MIN_HEADLINE_CHARS = 25
# The form an ASP.NET page posts back: the one holding the page state.
POSTBACK_FORM = "//form[.//input[@name='__VIEWSTATE' or @name='__EVENTTARGET']]"
# Sitemap indexes nest; real ones are one level deep.
MAX_SITEMAP_DEPTH = 3
# Answers a re-check handles itself: unchanged, and gone.
RECHECK_STATUSES = [304, 404, 410]
# A sitemap lists at most 50,000 URLs (sitemaps.org).
MAX_SITEMAP_LINKS = 50_000


@dataclass(frozen=True)
class ListingEntry:
    url: str
    date_text: str


class PortalSpider(scrapy.Spider):
    """Crawl one portal's sections. Subclasses set `platform`; portal spiders set `name` and `portal_id`."""

    platform: ClassVar[str] = ""
    portal_id: ClassVar[str] = ""

    portal: Portal
    selectors: CompiledSelectors
    archived_keys: set[str]  # in the archive before this run
    queued_keys: set[str]    # requested in this run, by any route
    dates_shown: dict[str, str]  # key → the most precise date a listing, feed or sitemap showed
    mode: str                # deep | incremental | since (crawler/incremental.py)
    rechecks: list[Recheck]  # archived articles due for a re-check
    validators: dict[str, tuple[str, str]]  # page URL → (ETag, Last-Modified) stored by an earlier run
    page_links: dict[str, set[str]]         # listing, feed or sitemap URL → article keys it showed
    pager_keys: dict[str, set[str]]         # a listing URL without its page number → keys its pages showed
    fresh_validators: dict[str, tuple[str, str]]  # page URL → validators it sent in this run

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "name", None) and not cls.portal_id:
            raise TypeError(f"{cls.__name__}: a portal spider needs portal_id")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.portal = load_registry().get(cls.portal_id)
        spider.allowed_domains = list(spider.portal.domains)
        spider.selectors = CompiledSelectors.of(spider.portal.selectors)
        spider.queued_keys = set()
        spider.dates_shown = {}
        spider.probing = crawler.settings.getbool("PROBE")
        spider.max_links_per_page = crawler.settings.getint("MAX_LINKS_PER_PAGE")
        spider.pager_keys = {}
        spider._plan_run(crawler.settings)
        return spider

    def _plan_run(self, settings) -> None:
        """Read what the archive holds for this portal and decide how deep this run goes."""
        now = clock.now()
        policy = RecheckPolicy.from_settings(settings)
        if settings.getbool("RECHECK_KNOWN"):
            policy = RecheckPolicy(window_days=365 * 100, min_hours=0, age_fraction=0)
        state = read_state(settings.get("ARCHIVE_PATH"), self.portal.id, now, policy.window_days)
        self.archived_keys = state.archived_keys
        self.validators = state.validators
        self.since = settings.get("SINCE") or ""
        self.mode, why = choose_mode(state, now, since=self.since, force_deep=settings.getbool("DEEP"),
                                     deep_every_days=settings.getfloat("DEEP_EVERY_DAYS"))
        self.rechecks = [] if self.probing else due_rechecks(state, now, policy)
        self.max_listing_pages = settings.getint("MAX_LISTING_PAGES_SINCE" if self.since else "MAX_LISTING_PAGES")
        self.stop_after_known_pages = settings.getint("STOP_AFTER_KNOWN_PAGES")
        self.page_links, self.fresh_validators = {}, {}
        if not self.probing:
            logger.info("%s: %s run (%s), %d archived articles, %d re-checks due",
                        self.portal.id, self.mode, why, len(self.archived_keys), len(self.rechecks))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.probing:  # `vnarchive probe`: one listing page, one article
            if self.portal.sections:
                request = self.listing_request(self.portal.sections[0].url)
                request.meta["probe_listing"] = True
                yield request
            return
        for section in self.portal.sections:
            yield self.listing_request(section.url)
        for recheck in self.rechecks:
            if (request := self.recheck_request(recheck)) is not None:
                yield request
        # A daily run trusts the listings; the other routes are for deep runs, or for portals
        # that have nothing else.
        thorough = self.mode != INCREMENTAL
        if thorough or not self.portal.sections:
            for feed in self.portal.feeds:
                yield self.feed_request(feed)
        if thorough or not (self.portal.sections or self.portal.feeds):
            for sitemap in self.portal.sitemaps:
                yield self.sitemap_request(sitemap)
            yield self.robots_request()

    # --- listings ---------------------------------------------------------------------------

    def listing_request(self, url: str, page: int = 1, known_pages: int = 0) -> scrapy.Request:
        return self.conditional(scrapy.Request(url, callback=self.parse_listing, dont_filter=page == 1,
                                               cb_kwargs={"page": page, "known_pages": known_pages}))

    def parse_listing(self, response: Response, page: int = 1, known_pages: int = 0,
                      **state: Any) -> Iterable[scrapy.Request]:
        try:
            yield from self.read_listing(response, page, known_pages, **state)
        finally:
            release_selector(response)

    def read_listing(self, response: Response, page: int, known_pages: int, **state: Any) -> Iterable[scrapy.Request]:
        if self.not_modified(response):
            return
        entries = self.capped(self.listing_entries(response), self.max_links_per_page, response.url)
        self._count("listing_pages")
        self._count("links_found", len(entries))
        self.remember_page(response, entries)
        if self.repeats_earlier_pages(response.url, page, entries):
            count_refusal(self.crawler, "listing_repeats", f"{response.url}: page {page} shows only links earlier pages showed")
            return
        requests = [r for entry in entries if (r := self.article_request(entry.url, entry.date_text, response.url))]
        if self.probing:
            yield from requests[:1]
            return
        yield from requests
        if page == 1 and self.mode != INCREMENTAL:
            yield from self.announced_feed_requests(response)
        known_pages = self.known_pages(entries, known_pages)
        if self.keep_paging(page, entries, known_pages):
            next_request = self.next_listing_request(response, page, entries, known_pages=known_pages, **state)
            if next_request is not None:
                yield next_request

    def known_pages(self, entries: list[ListingEntry], before: int) -> int:
        """Consecutive listing pages so far whose every article the archive held before this run
        (not merely queued by a feed of this same run)."""
        if any(self.key(entry.url) not in self.archived_keys for entry in entries):
            return 0
        return before + 1

    def keep_paging(self, page: int, entries: list[ListingEntry], known_pages: int) -> bool:
        """Whether to ask for the next listing page, by the run's mode."""
        if not entries:
            logger.info("%s: listing page %d has no articles", self.name, page)
            return False
        if page >= self.max_listing_pages:
            count_refusal(self.crawler, "listing_limit", f"stopped at listing page {page} (the limit of a {self.mode} run)")
            return False
        if self.mode == SINCE:
            return not self.all_older_than_since(entries)
        if self.mode == INCREMENTAL and known_pages >= self.stop_after_known_pages:
            logger.info("%s: listing page %d brought nothing new; stop paging", self.name, page)
            return False
        return True

    def repeats_earlier_pages(self, url: str, page: int, entries: list[ListingEntry]) -> bool:
        """True when a page after the first shows only links that earlier pages of the same pager
        showed: a pager that never ends, or a calendar that shows the same articles every day."""
        keys = {self.key(entry.url) for entry in entries}
        shown = self.pager_keys.setdefault(_without_page_number(url), set())
        repeated = page > 1 and bool(keys) and keys <= shown
        shown |= keys
        return repeated

    def capped(self, entries: list[ListingEntry], limit: int, url: str) -> list[ListingEntry]:
        """At most `limit` links of one page: a link flood is cut, and the cut is counted."""
        if len(entries) <= limit:
            return entries
        count_refusal(self.crawler, "links_capped", f"{url}: {len(entries)} links, the first {limit} read",
                      len(entries) - limit)
        return entries[:limit]

    def all_older_than_since(self, entries: list[ListingEntry]) -> bool:
        """True when the page shows dates and all of them are before --since: the walk is done."""
        days = [self.listing_day(entry.date_text) for entry in entries]
        shown = [day for day in days if day]
        return bool(shown) and max(shown) < self.since

    def listing_entries(self, response: Response) -> list[ListingEntry]:
        """Article links in listing items; links that look like articles when no item matches."""
        entries = []
        for item in self.selectors.select(response, "listing_item"):
            link = self.selectors.first(item, "listing_link")
            href = link.attrib.get("href") if link is not None else None
            if href and not href.startswith(("javascript:", "#")):
                date = self.selectors.first(item, "listing_date")
                date_text = " ".join(date.css("::text").getall()).strip() if date is not None else ""
                entries.append(ListingEntry(canonical_url(response.urljoin(href)), date_text))
        return _unique(entries) or self.article_links_by_shape(response)

    def article_links_by_shape(self, response: Response) -> list[ListingEntry]:
        """For unknown layouts: links to this portal with a headline-like text and an article-like URL."""
        entries = []
        for link in response.css("a[href]"):
            href = link.attrib.get("href", "")
            if not href or href.startswith(("javascript:", "#", "mailto:")):
                continue
            url = canonical_url(response.urljoin(href))
            text = " ".join(link.css("::text").getall()).strip()
            if self.is_own(url) and len(text) >= MIN_HEADLINE_CHARS and self.selectors.is_article_url(url):
                entries.append(ListingEntry(url, ""))
        return _unique(entries)

    def next_listing_request(self, response: Response, page: int, entries: list[ListingEntry], **state: Any):
        """Page+1 by a link with its number, else by an ASP.NET postback, else by a "next" link."""
        url = self.next_listing_url(response, page)
        if url:
            return self.listing_request(url, page + 1, state.get("known_pages", 0))
        return self.postback_request(response, page, state.get("known_pages", 0))

    def next_listing_url(self, response: Response, page: int) -> str | None:
        """The link to page+1: by its page number in the URL, else by its text (», Tiếp, rel=next)."""
        candidates = self.selectors.select(response, "next_page")
        for link in candidates:
            url = response.urljoin(link.attrib.get("href", ""))
            if _page_number(url) == page + 1:
                return url
        for link in candidates:
            text = " ".join(link.css("::text").getall()).strip()
            href = link.attrib.get("href", "")
            if href and not href.startswith("javascript:") and (link.attrib.get("rel") == "next" or NEXT_LINK_TEXT.match(text)):
                return response.urljoin(href)
        return None

    def postback_request(self, response: Response, page: int, known_pages: int = 0) -> scrapy.Request | None:
        """ASP.NET pagers post the page's form back with the pager as __EVENTTARGET and `Page$N`
        as __EVENTARGUMENT; replaying that form (with its __VIEWSTATE and __EVENTVALIDATION)
        is what a browser does, without running the page's script."""
        links = discovery.postback_links(response)
        chosen = next((link for link in links if link.page == page + 1), None)
        chosen = chosen or next((link for link in links if NEXT_LINK_TEXT.match(link.text)), None)
        if chosen is None:
            return None
        form = response.xpath(POSTBACK_FORM)
        if not form:
            return None
        self._count("postbacks")
        data = {"__EVENTTARGET": chosen.target, "__EVENTARGUMENT": chosen.argument}
        return form2request(form[0], data, click=False).to_scrapy(
            callback=self.parse_listing, cb_kwargs={"page": page + 1, "known_pages": known_pages})

    # --- feeds, robots.txt, sitemaps ----------------------------------------------------------

    def feed_request(self, url: str) -> scrapy.Request:
        return self.conditional(scrapy.Request(url, callback=self.parse_feed, errback=self.discovery_failed))

    def announced_feed_requests(self, response: Response) -> Iterable[scrapy.Request]:
        for href in discovery.announced_feeds(response):
            url = response.urljoin(href)
            if self.is_own(url):
                yield self.feed_request(url)

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        if self.not_modified(response):
            return
        if not discovery.is_feed(response.headers.get("Content-Type", b"").decode("latin-1"), response.body):
            logger.warning("%s: %s is not a feed", self.name, response.url)
            return
        links = discovery.feed_links(response.body)
        self._count("feed_links", len(links))
        self._count("links_found", len(links))
        entries = [ListingEntry(canonical_url(response.urljoin(link.url)), link.date_text) for link in links]
        entries = self.capped([entry for entry in entries if self.is_own(entry.url)], self.max_links_per_page, response.url)
        self.remember_page(response, entries)
        for entry in entries:
            if request := self.article_request(entry.url, entry.date_text, response.url):
                yield request

    def robots_request(self) -> scrapy.Request:
        url = self._site_root() + "/robots.txt"
        # As long as the robots middleware waits for the same file: a host that does not answer it
        # has allowed nothing for this run anyway (crawler/robots.py).
        return scrapy.Request(url, callback=self.parse_robots, errback=self.discovery_failed,
                              meta={"dont_obey_robotstxt": True,
                                    "download_timeout": self.settings.getfloat("ROBOTSTXT_TIMEOUT")})

    def parse_robots(self, response: Response) -> Iterable[scrapy.Request]:
        for url in discovery.robots_sitemaps(response.body, response.url):
            if self.is_own(url):
                yield self.sitemap_request(url)

    def sitemap_request(self, url: str, depth: int = 0) -> scrapy.Request:
        return self.conditional(scrapy.Request(url, callback=self.parse_sitemap, errback=self.discovery_failed,
                                               cb_kwargs={"depth": depth}))

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterable[scrapy.Request]:
        if self.not_modified(response):
            return
        kind, links = discovery.read_sitemap(response.body)
        if kind == "sitemapindex" and depth < MAX_SITEMAP_DEPTH:
            for link in links:
                if self.is_own(link.url):
                    yield self.sitemap_request(link.url, depth + 1)
        elif kind == "urlset":
            articles = [link for link in links if self.is_own(link.url) and self.selectors.is_article_url(link.url)]
            self._count("sitemap_links", len(articles))
            self._count("links_found", len(articles))
            entries = self.capped([ListingEntry(canonical_url(link.url), link.date_text) for link in articles],
                                  MAX_SITEMAP_LINKS, response.url)
            self.remember_page(response, entries)
            for entry in entries:
                if request := self.article_request(entry.url, entry.date_text, response.url):
                    yield request
        else:
            logger.warning("%s: %s is not a sitemap", self.name, response.url)

    def discovery_failed(self, failure) -> None:
        """A missing feed or sitemap is worth a line in the log, not an error of the run."""
        if failure.check(HttpError):
            self._count(f"{NOT_ERRORS_STAT}/http_{failure.value.response.status}")
        logger.info("%s: %s", self.name, failure.getErrorMessage())

    # --- conditional requests -------------------------------------------------------------

    def conditional(self, request: scrapy.Request) -> scrapy.Request:
        """Ask only for a change, when an earlier run stored the page's validators."""
        etag, modified = self.validators.get(request.url, ("", ""))
        return _with_validators(request, etag, modified, [304]) if (etag or modified) else request

    def not_modified(self, response: Response) -> bool:
        """A 304: the page is as it was when all its articles were archived; nothing new there."""
        if response.status != 304:
            return False
        self._count("listing_unchanged")
        logger.debug("%s: not modified: %s", self.name, response.url)
        return True

    def remember_page(self, response: Response, entries: list[ListingEntry]) -> None:
        """The articles a discovery page showed, and its validators, for the next run."""
        self.page_links[response.url] = {self.key(entry.url) for entry in entries}
        etag = response.headers.get("ETag", b"").decode("latin-1")
        modified = response.headers.get("Last-Modified", b"").decode("latin-1")
        if (etag or modified) and response.request.method == "GET":
            self.fresh_validators[response.url] = (etag, modified)

    def settled_validators(self, archived_now: set[str]) -> list[dict[str, str]]:
        return settled_validators(self.portal.id, self.fresh_validators, self.page_links, archived_now)

    # --- articles ---------------------------------------------------------------------------

    def article_request(self, url: str, listing_date: str, listing_url: str) -> scrapy.Request | None:
        """The one gate of every discovered article: None when it is archived or already queued."""
        key = self.key(url)
        self.remember_date_shown(key, listing_date)
        if key in self.archived_keys or key in self.queued_keys:
            return None
        if self.since and (day := self.listing_day(listing_date)) and day < self.since:
            self._count("older_than_since")
            return None
        if not self.claim(key):
            return None
        return self.fetch_article(url, listing_date, listing_url)

    def remember_date_shown(self, key: str, date_text: str) -> bool:
        """Kept (True) when more precise than what was shown before: a feed may have found the
        article first, and the listing shows its date (the article page itself may show none)."""
        if len(date_text) <= len(self.dates_shown.get(key, "")):
            return False
        self.dates_shown[key] = date_text
        return True

    def date_shown(self, key: str, listing_date: str) -> str:
        """The most precise date any listing, feed or sitemap of this run showed for the article."""
        return self.dates_shown.get(key, listing_date)

    def claim(self, key: str) -> bool:
        """Mark an article queued in this run; False when it already was. A distributed worker
        (crawler/distributed.py) asks the shared frontier too, so that workers fetch it once."""
        self.queued_keys.add(key)
        return True

    def fetch_article(self, url: str, listing_date: str, listing_url: str) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_article,
            cb_kwargs={"listing_date": listing_date, "listing_url": listing_url},
        )

    def listing_day(self, date_text: str) -> str:
        """The day (YYYY-MM-DD) a listing, feed or sitemap showed, or ''."""
        found = parse_date(date_text, now=clock.now()) if date_text else None
        return found.value.date().isoformat() if found else ""

    def recheck_request(self, recheck: Recheck) -> scrapy.Request | None:
        """An archived article asked for again: its own callback reads a new version, a 304 or a
        404/410 becomes an ArticleCheck."""
        request = self.fetch_article(recheck.url, recheck.listing_date, "")
        if request is None:
            return None
        self.queued_keys.add(recheck.url_key)
        request = _with_validators(request, recheck.etag, recheck.last_modified, RECHECK_STATUSES)
        # The callback travels by name, with plain data: a request must survive serialization
        # (the shared frontier of `crawl --workers-redis` pickles Request.to_dict()).
        return request.replace(callback=self.parse_recheck, dont_filter=True, cb_kwargs={
            "then": request.callback.__name__, "then_kwargs": request.cb_kwargs, "recheck": recheck})

    def parse_recheck(self, response: Response, then: str, then_kwargs: dict, recheck: Recheck):
        self._count("rechecked")
        if response.status in RECHECK_STATUSES:
            if response.status != 304:
                self._count(f"gone_{response.status}")
            yield ArticleCheck(self.portal.id, recheck.url_key, recheck.url, response.status, clock.now_iso())
            return
        if reason := soft_404(response, response.meta.get("redirect_urls") or []):  # removed, but the portal answers 200 with an error page
            logger.info("%s: gone: %s", self.name, reason)
            self._count("gone_soft_404")
            yield ArticleCheck(self.portal.id, recheck.url_key, recheck.url, response.status, clock.now_iso(),
                               soft_404=True)
            return
        yield from getattr(self, then)(response, **then_kwargs)

    def parse_article(self, response: Response, listing_date: str = "", listing_url: str = ""):
        self._count("articles_fetched")
        if refusal := self.not_an_article(response):
            count_refusal(self.crawler, *refusal)
            return
        shown = self.date_shown(self.key(response.request.url), listing_date)
        yield self.capture(response, listing_date=shown, listing_url=listing_url)

    def not_an_article(self, response: Response) -> tuple[str, str] | None:
        """(refusal kind, detail) when the page that answered is not an article to archive. Whether
        its text says it is an error page is read by the extraction worker (pagechecks.NotAnArticle)."""
        if refusal := pagechecks.refused_unread(response, response.meta.get("redirect_urls") or []):
            return refusal
        if "partial" in response.flags and pagechecks.ends_before_html_close(response.body):
            return "truncated", f"{response.url}: the connection closed after {len(response.body)} bytes, before </html>"
        return None

    def capture(self, response: Response, **meta: Any) -> PageCapture:
        cited = self.on_canonical_host(canonical_url(response.url))
        return PageCapture(
            portal=self.portal.id, url=cited, status=response.status, body=response.body,
            headers=_headers(response), fetched_at=clock.now_iso(),
            fetched_url=response.url if response.url != cited else "", record=response.meta.get(WARC_RECORD), **meta,
        )

    def key(self, url: str) -> str:
        return url_key(url, self.portal.platform)

    def is_own(self, url: str) -> bool:
        return (urlsplit(url).hostname or "") in self.portal.domains

    def on_canonical_host(self, url: str) -> str:
        """The URL on the portal's first domain and its sections' scheme, so that the archive cites
        one form (`http://www.x.gov.vn/a` → `https://x.gov.vn/a`). Only for citing: the page is
        fetched where it was found, since some portals answer on one host form only."""
        parts = urlsplit(url)
        if parts.hostname not in self.portal.domains:
            return url
        return urlunsplit((self._scheme(), self.portal.domain, parts.path, parts.query, ""))

    def _scheme(self) -> str:
        first = self.portal.sections[0].url if self.portal.sections else ""
        return urlsplit(first).scheme or "https"

    def _site_root(self) -> str:
        return f"{self._scheme()}://{self.portal.domain}"

    def _count(self, stat: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"vnarchive/{self.portal.id}/{stat}", count)


def settled_validators(portal_id: str, fresh: dict[str, tuple[str, str]], page_links: dict[str, set[str]],
                       archived_now: set[str]) -> list[dict[str, str]]:
    """Validators worth keeping: of pages whose every article is now archived. A page with an
    article that failed must be read again next time, not answered by a 304."""
    checked_at = clock.now_iso()
    return [
        {"url": url, "portal": portal_id, "etag": etag, "last_modified": modified, "checked_at": checked_at}
        for url, (etag, modified) in fresh.items()
        if page_links.get(url, set()) <= archived_now
    ]


def _with_validators(request: scrapy.Request, etag: str, modified: str, statuses: list[int]) -> scrapy.Request:
    headers = dict(request.headers.to_unicode_dict())
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    return request.replace(headers=headers, meta={**request.meta, "handle_httpstatus_list": statuses})



def _without_page_number(url: str) -> str:
    """The pager a listing URL belongs to: the URL without its page-number parameter."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if not PAGE_PARAMETER.match(name)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _page_number(url: str) -> int | None:
    for name, value in parse_qsl(urlsplit(url).query):
        if PAGE_PARAMETER.match(name) and value.isdigit():
            return int(value)
    return None


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1"): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }


def _unique(entries: list[ListingEntry]) -> list[ListingEntry]:
    seen: dict[str, ListingEntry] = {}
    for entry in entries:
        seen.setdefault(entry.url, entry)
    return list(seen.values())


def release_selector(response: Response) -> None:
    """Drop the selector Scrapy caches on a response once the spider has read the page. It refers
    back to the response, and that cycle kept every listing page, its decoded text and its tree
    (half a megabyte) until the garbage collector's rare full collections (crawler/heap.py)."""
    if isinstance(response, TextResponse):
        response._cached_selector = None
