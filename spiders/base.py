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
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import scrapy
from form2request import form2request
from scrapy.http import Response

from crawler import clock, discovery
from crawler.items import PageCapture
from crawler.registry import Portal, load_registry
from crawler.selectors import CompiledSelectors
from crawler.store import Archive
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
        spider.archived_keys = spider._archived_keys(crawler.settings)
        spider.queued_keys = set()
        spider.dates_shown = {}
        spider.max_listing_pages = crawler.settings.getint("MAX_LISTING_PAGES")
        spider.probing = crawler.settings.getbool("PROBE")
        return spider

    def _archived_keys(self, settings) -> set[str]:
        """Articles already archived are not fetched again, unless RECHECK_KNOWN."""
        if settings.getbool("RECHECK_KNOWN"):
            return set()
        return Archive.known_url_keys(settings.get("ARCHIVE_PATH"), self.portal.id)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.probing:  # `vnarchive probe`: one listing page, one article
            if self.portal.sections:
                request = self.listing_request(self.portal.sections[0].url)
                request.meta["probe_listing"] = True
                yield request
            return
        for section in self.portal.sections:
            yield self.listing_request(section.url)
        for feed in self.portal.feeds:
            yield self.feed_request(feed)
        for sitemap in self.portal.sitemaps:
            yield self.sitemap_request(sitemap)
        yield self.robots_request()

    # --- listings ---------------------------------------------------------------------------

    def listing_request(self, url: str, page: int = 1) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, cb_kwargs={"page": page}, dont_filter=page == 1)

    def parse_listing(self, response: Response, page: int = 1, **state: Any) -> Iterable[scrapy.Request]:
        entries = self.listing_entries(response)
        self._count("listing_pages")
        self._count("links_found", len(entries))
        requests = [r for entry in entries if (r := self.article_request(entry.url, entry.date_text, response.url))]
        if self.probing:
            yield from requests[:1]
            return
        yield from requests
        # Paging stops where the archive already holds everything, not where a feed of this
        # same run got there first.
        unarchived = [entry for entry in entries if self.key(entry.url) not in self.archived_keys]
        if page == 1:
            yield from self.announced_feed_requests(response)
        if not entries:
            logger.info("%s: listing page %d has no articles: %s", self.name, page, response.url)
        elif not unarchived:
            logger.info("%s: listing page %d brought nothing new; stop paging", self.name, page)
        elif page >= self.max_listing_pages:
            logger.warning("%s: stopped at MAX_LISTING_PAGES=%d", self.name, page)
        else:
            next_request = self.next_listing_request(response, page, entries, **state)
            if next_request is not None:
                yield next_request

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
            return self.listing_request(url, page + 1)
        return self.postback_request(response, page)

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

    def postback_request(self, response: Response, page: int) -> scrapy.Request | None:
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
        return form2request(form[0], data, click=False).to_scrapy(callback=self.parse_listing, cb_kwargs={"page": page + 1})

    # --- feeds, robots.txt, sitemaps ----------------------------------------------------------

    def feed_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_feed, errback=self.discovery_failed)

    def announced_feed_requests(self, response: Response) -> Iterable[scrapy.Request]:
        for href in discovery.announced_feeds(response):
            url = response.urljoin(href)
            if self.is_own(url):
                yield self.feed_request(url)

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        if not discovery.is_feed(response.headers.get("Content-Type", b"").decode("latin-1"), response.body):
            logger.warning("%s: %s is not a feed", self.name, response.url)
            return
        links = discovery.feed_links(response.body)
        self._count("feed_links", len(links))
        self._count("links_found", len(links))
        for link in links:
            url = canonical_url(response.urljoin(link.url))
            if self.is_own(url) and (request := self.article_request(url, link.date_text, response.url)):
                yield request

    def robots_request(self) -> scrapy.Request:
        url = self._site_root() + "/robots.txt"
        return scrapy.Request(url, callback=self.parse_robots, errback=self.discovery_failed,
                              meta={"dont_obey_robotstxt": True})

    def parse_robots(self, response: Response) -> Iterable[scrapy.Request]:
        for url in discovery.robots_sitemaps(response.body, response.url):
            if self.is_own(url):
                yield self.sitemap_request(url)

    def sitemap_request(self, url: str, depth: int = 0) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.discovery_failed, cb_kwargs={"depth": depth})

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterable[scrapy.Request]:
        kind, links = discovery.read_sitemap(response.body)
        if kind == "sitemapindex" and depth < MAX_SITEMAP_DEPTH:
            for link in links:
                if self.is_own(link.url):
                    yield self.sitemap_request(link.url, depth + 1)
        elif kind == "urlset":
            articles = [link for link in links if self.is_own(link.url) and self.selectors.is_article_url(link.url)]
            self._count("sitemap_links", len(articles))
            self._count("links_found", len(articles))
            for link in articles:
                if request := self.article_request(canonical_url(link.url), link.date_text, response.url):
                    yield request
        else:
            logger.warning("%s: %s is not a sitemap", self.name, response.url)

    def discovery_failed(self, failure) -> None:
        """A missing feed or sitemap is worth a line in the log, not an error of the run."""
        logger.info("%s: %s", self.name, failure.getErrorMessage())

    # --- articles ---------------------------------------------------------------------------

    def article_request(self, url: str, listing_date: str, listing_url: str) -> scrapy.Request | None:
        """The one gate of every discovered article: None when it is archived or already queued."""
        key = self.key(url)
        if len(listing_date) > len(self.dates_shown.get(key, "")):
            self.dates_shown[key] = listing_date  # a feed found it first; the listing shows the date
        if key in self.archived_keys or key in self.queued_keys:
            return None
        self.queued_keys.add(key)
        return self.fetch_article(url, listing_date, listing_url)

    def fetch_article(self, url: str, listing_date: str, listing_url: str) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_article,
            cb_kwargs={"listing_date": listing_date, "listing_url": listing_url},
        )

    def parse_article(self, response: Response, listing_date: str = "", listing_url: str = ""):
        self._count("articles_fetched")
        shown = self.dates_shown.get(self.key(response.request.url), listing_date)
        yield self.capture(response, listing_date=shown, listing_url=listing_url)

    def capture(self, response: Response, **meta: Any) -> PageCapture:
        cited = self.on_canonical_host(canonical_url(response.url))
        return PageCapture(
            portal=self.portal.id, url=cited, status=response.status, body=response.body,
            headers=_headers(response), fetched_at=clock.now_iso(),
            fetched_url=response.url if response.url != cited else "", **meta,
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
