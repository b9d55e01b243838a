"""The base of every portal spider: listing pages → pagination → article pages.

A platform spider (sharepoint.py, dnn.py, …) subclasses `PortalSpider` and sets `platform`;
it overrides a hook only where its platform differs:

- `listing_entries(response)`: the article links (with the date shown beside each) on a listing page
- `next_listing_request(response, page, entries)`: the request for the following listing page
- `article_request(url, listing_date, listing_url)`: how an article is fetched
- `capture(response, **meta)`: the PageCapture handed to the pipelines

A portal spider is made from the registry (spiders/portals.py) and only adds `name` and
`portal_id`. Everything a portal needs to say (sections, selectors) lives in portals.yml.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import scrapy
from scrapy.http import Response

from crawler import clock
from crawler.items import PageCapture
from crawler.registry import Portal, load_registry
from crawler.selectors import CompiledSelectors
from crawler.store import Archive
from crawler.urls import canonical_url, url_key

logger = logging.getLogger(__name__)

# Query parameters and path segments that number listing pages on the known platforms.
PAGE_PARAMETER = re.compile(r"^(page|pageindex|pg|p|trang|_\d+_cur|cur|pagenum|pageno)$", re.IGNORECASE)
NEXT_LINK_TEXT = re.compile(r"^(»|›|>|>>|tiếp|tiếp theo|sau|trang sau|next)$", re.IGNORECASE)
# What an article link looks like on a portal of unknown make.
ARTICLE_PATH_HINT = re.compile(r"(\d{4,}|\.html?$|\.aspx$|[?&](id|itemid|newsid|tc)=)", re.IGNORECASE)


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
    known_keys: set[str]

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
        spider.known_keys = spider._known_keys(crawler.settings)
        spider.max_listing_pages = crawler.settings.getint("MAX_LISTING_PAGES")
        return spider

    def _known_keys(self, settings) -> set[str]:
        """Articles already archived are not fetched again, unless RECHECK_KNOWN."""
        if settings.getbool("RECHECK_KNOWN"):
            return set()
        return Archive.known_url_keys(settings.get("ARCHIVE_PATH"), self.portal.id)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for section in self.portal.sections:
            yield self.listing_request(section)

    def listing_request(self, url: str, page: int = 1) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, cb_kwargs={"page": page}, dont_filter=page == 1)

    def parse_listing(self, response: Response, page: int = 1, **state: Any) -> Iterable[scrapy.Request]:
        entries = self.listing_entries(response)
        new = [entry for entry in entries if self.key(entry.url) not in self.known_keys]
        self._count("listing_pages")
        self._count("links_found", len(entries))
        for entry in new:
            self.known_keys.add(self.key(entry.url))
            yield self.article_request(entry.url, entry.date_text, response.url)
        if not entries:
            logger.info("%s: listing page %d has no articles: %s", self.name, page, response.url)
        elif not new:
            logger.info("%s: listing page %d brought nothing new; stop paging", self.name, page)
        elif page >= self.max_listing_pages:
            logger.warning("%s: stopped at MAX_LISTING_PAGES=%d", self.name, page)
        else:
            next_request = self.next_listing_request(response, page, entries, **state)
            if next_request is not None:
                yield next_request

    def listing_entries(self, response: Response) -> list[ListingEntry]:
        """Article links in listing items; links that merely look like articles when no item matches."""
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
        """Fallback for unknown layouts: same-portal links with a title-like text and an article-like URL."""
        entries = []
        for link in response.css("a[href]"):
            url = canonical_url(response.urljoin(link.attrib["href"]))
            text = " ".join(link.css("::text").getall()).strip()
            host = urlsplit(url).hostname or ""
            if host in self.portal.domains and len(text) >= 25 and ARTICLE_PATH_HINT.search(url):
                entries.append(ListingEntry(url, ""))
        return _unique(entries)

    def next_listing_request(self, response: Response, page: int, entries: list[ListingEntry], **state: Any):
        url = self.next_listing_url(response, page)
        return self.listing_request(url, page + 1) if url else None

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

    def article_request(self, url: str, listing_date: str, listing_url: str) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_article,
            cb_kwargs={"listing_date": listing_date, "listing_url": listing_url},
        )

    def parse_article(self, response: Response, listing_date: str = "", listing_url: str = ""):
        self._count("articles_fetched")
        yield self.capture(response, listing_date=listing_date, listing_url=listing_url)

    def capture(self, response: Response, **meta: Any) -> PageCapture:
        return PageCapture(
            portal=self.portal.id, url=canonical_url(response.url), status=response.status,
            body=response.body, headers=_headers(response), fetched_at=clock.now_iso(), **meta,
        )

    def key(self, url: str) -> str:
        return url_key(url, self.portal.platform)

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
