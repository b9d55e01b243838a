"""JavaScript single-page sites (tuyengiaodanvan.vn, successor of danvan.vn): the pages are an
empty shell, so listings and articles come from the site's own JSON API, while the archive
records each article's public page URL.

API (PORTALS.md calls it a guess; the replica serves this form):
  GET /api/blogs?categoryId=<id>&page=N&size=K  → {"content": [...], "totalPages": T}
  GET /api/blogs/<id>                           → one article with its HTML body
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import scrapy
from scrapy.http import Response

from crawler.urls import canonical_url
from spiders.base import ListingEntry, PortalSpider

logger = logging.getLogger(__name__)

LIST_PATH = "/api/blogs"
ARTICLE_PATH = "/api/blogs/{id}"
PUBLIC_ARTICLE_PATH = "/blogs/{slug}-{id}"
# The id at the end of a public article URL (from a feed or sitemap).
PUBLIC_ARTICLE_ID = re.compile(r"/blogs/[^/?#]+-(?P<id>[0-9a-zA-Z]+)$")
DEFAULT_PAGE_SIZE = 10


class ReactApiSpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "react_api"

    def listing_request(self, url: str, page: int = 1, known_pages: int = 0) -> scrapy.Request:
        query = parse_qs(urlsplit(url).query)
        params = {
            "categoryId": query.get("categoryId", [""])[0], "page": page,
            "size": query.get("size", [DEFAULT_PAGE_SIZE])[0],
        }
        api_url = self._site(url) + LIST_PATH + "?" + urlencode(params)
        return self.conditional(scrapy.Request(api_url, callback=self.parse_api_listing,
                                               cb_kwargs={"section": url, "page": page, "known_pages": known_pages}))

    def parse_api_listing(self, response: Response, section: str, page: int, known_pages: int = 0):
        if self.not_modified(response):
            return
        data = json.loads(response.text)
        self._count("listing_pages")
        items = data.get("content") or []
        self._count("links_found", len(items))
        entries = [ListingEntry(canonical_url(self._site(section) + PUBLIC_ARTICLE_PATH.format(slug=item["slug"], id=item["id"])),
                                item.get("publishedDate", "")) for item in items]
        self.remember_page(response, entries)
        for entry in entries:
            if request := self.article_request(entry.url, entry.date_text, section):
                yield request
        known_pages = self.known_pages(entries, known_pages)
        if page < int(data.get("totalPages") or 0) and self.keep_paging(page, entries, known_pages):
            yield self.listing_request(section, page + 1, known_pages)

    def fetch_article(self, url: str, listing_date: str, listing_url: str) -> scrapy.Request | None:
        """The public page is an empty shell: fetch the article's JSON from the site's API instead."""
        match = PUBLIC_ARTICLE_ID.search(urlsplit(url).path)
        if match is None:
            logger.info("%s: %s is not an article URL", self.name, url)
            return None
        return scrapy.Request(
            self._site(url) + ARTICLE_PATH.format(id=match.group("id")), callback=self.parse_api_article,
            cb_kwargs={"public_url": url, "listing_date": listing_date, "listing_url": listing_url},
        )

    def parse_api_article(self, response: Response, public_url: str, listing_date: str, listing_url: str):
        self._count("articles_fetched")
        shown = self.date_shown(self.key(public_url), listing_date)
        capture = self.capture(response, listing_date=shown, listing_url=listing_url)
        capture.url, capture.fetched_url, capture.kind = self.on_canonical_host(public_url), response.url, "json"
        yield capture

    @staticmethod
    def _site(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def parse_listing(self, response: Response, page: int = 1, **state: Any):
        raise NotImplementedError("react_api portals are listed through their API")
