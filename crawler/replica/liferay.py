"""Liferay 6 portals (sotttt.hanoi.gov.vn as mirrored in 2022; thainguyen, bacgiang, quangngai, danang).

An article has two URLs: the friendly `/tin-tuc-su-kien/-/view_content/3615536-<slug>.html` that
listings link, and the asset publisher's `/tin-tuc-su-kien/-/asset_publisher/<instance>/content/<slug>`
that related lists link (with Liferay's `?redirect=` back to the section). Both serve the same
page, whose <link rel="canonical"> names the view_content URL. Listing pages beyond the first
append the portlet's long query (`p_p_id=101&…&_101_cur=N`); the header shows today's date
(`div.egov_date`) and the article date a 12-hour English clock (`Ngày đăng 18/03/2019 | 3:06 PM`).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import base36_token, hex_token, id_in_range, lower_slug
from .web import Request, Response

# The asset publisher portlet's render parameters, in the order Liferay writes them; `_101_cur` ends it.
PORTLET_QUERY = (
    "p_p_id=101&p_p_lifecycle=0&p_p_state=normal&p_p_mode=view&p_p_col_id=column-1"
    "&p_p_col_pos=1&p_p_col_count=2&_101_delta={delta}&_101_cur={page}"
)
SUMMARY_CHARS = 150  # the abstract template cuts summaries at about this length, with "..."
LIFERAY_HEADERS = (
    ("Server", "Apache-Coyote/1.1"),
    ("Liferay-Portal", "Liferay Portal Community Edition 6.2 CE GA6 (Newton / Build 6205 / January 6, 2016)"),
)


class Liferay(Site):
    """Liferay 6.2 portal with the asset publisher (portlet 101) as its news section."""

    platform = "liferay"
    date_precision = "minute"
    conditional_get = True  # Liferay's ETag filter
    admin_path = "/c/portal/login"
    response_headers = LIFERAY_HEADERS
    section_path: ClassVar[str] = "/tin-tuc-su-kien"
    view_content_pattern: ClassVar[re.Pattern[str]] = re.compile(r"^/tin-tuc-su-kien/-/view_content/(\d+)-[^/]*\.html$")
    alias_pattern: ClassVar[re.Pattern[str]] = re.compile(r"^/tin-tuc-su-kien/-/asset_publisher/([A-Za-z0-9]+)/content/([^/]+)$")

    @staticmethod
    def content_id(article: CorpusArticle) -> int:
        """The journal article's id, the number in its view_content URL."""
        return id_in_range("liferay-article", article.key, low=3000000, high=4000000)

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return f"{cls.section_path}/-/view_content/{cls.content_id(article)}-{lower_slug(article.slug_title)}.html"

    def lookup_key(self, article: CorpusArticle) -> str:
        return str(self.content_id(article))

    @cached_property
    def instance_id(self) -> str:
        """The asset publisher's portlet instance id (`Y5aGbHsVhqFn`-like), fixed per portal."""
        token = base36_token(self.portal.id, "asset-publisher", length=12)
        return "".join(letter.upper() if index % 3 == 0 else letter for index, letter in enumerate(token))

    def alias_path(self, article: CorpusArticle) -> str:
        """The asset publisher's URL of the article, as related lists link it (with Liferay's `redirect`)."""
        redirect = quote(self.section_path, safe="")
        return f"{self.section_path}/-/asset_publisher/{self.instance_id}/content/{self._url_titles[article.key]}?redirect={redirect}"

    @cached_property
    def _url_titles(self) -> dict[str, str]:
        """Each article's urlTitle: the title's slug, `-1`, `-2`… added when an older article took it (as Liferay does)."""
        titles: dict[str, str] = {}
        taken: set[str] = set()
        for article in reversed(self.articles):  # oldest first: the first to publish keeps the bare slug
            slug = base = lower_slug(article.slug_title)
            suffix = 0
            while slug in taken:
                suffix += 1
                slug = f"{base}-{suffix}"
            taken.add(slug)
            titles[article.key] = slug
        return titles

    @cached_property
    def _by_url_title(self) -> dict[str, CorpusArticle]:
        by_key = {article.key: article for article in self.articles}
        return {slug: by_key[key] for key, slug in self._url_titles.items()}

    def listing_path(self, page: int) -> str:
        if page == 1:
            return self.section_path
        return f"{self.section_path}?{PORTLET_QUERY.format(delta=self.page_size, page=page)}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/documents/20182/0/{quote(file)}/{self._document_uuid(article, file)}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"/documents/20182/0/{quote(attachment.file)}/{self._document_uuid(article, attachment.file)}"

    @staticmethod
    def _document_uuid(article: CorpusArticle, file: str) -> str:
        """The document library's uuid of a file (8-4-4-4-12 hex)."""
        digits = hex_token("liferay-document", article.key, file, length=32)
        return "-".join(digits[start:end] for start, end in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/gui-cho-ban-be?url={quote(self.article_path(article), safe='')}"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today, capitalized=False)}, {datefmt.dmy(self.today)}"

    def article_date(self, article: CorpusArticle) -> str:
        clock = datefmt.clock_12h_english(article.published, padded=False)
        return f"Ngày đăng {datefmt.dmy(article.published)} | {clock} | View count: {self.view_count(article)}"

    def list_date(self, article: CorpusArticle) -> str:
        """` 21/07/2022 | 10:00 AM ` as the abstract template prints it, spaces included."""
        return f" {datefmt.dmy(article.published)} | {datefmt.clock_12h_english(article.published, padded=True)} "

    def related_date(self, article: CorpusArticle) -> str:
        return f"({datefmt.dmy(article.published)})"

    def view_count(self, article: CorpusArticle) -> int:
        """The hit counter under the title; a stable stand-in."""
        return id_in_range("liferay-views", article.key, low=40, high=5000)

    def summary(self, article: CorpusArticle) -> str:
        """The abstract: the lead (or first paragraph) cut at a word before SUMMARY_CHARS, with "..."."""
        text = article.lead or next((block for block in article.body if isinstance(block, str)), "")
        if len(text) <= SUMMARY_CHARS:
            return text
        return text[:SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "..."

    def first_image(self, article: CorpusArticle) -> str:
        """The abstract's thumbnail: the first picture of the body, or '' for none."""
        return self.image_src(article, article.images[0].file) if article.images else ""

    def page_url(self, page: int) -> str:
        """A pager link: absolute, as Liferay renders portlet URLs, and with the query even for page 1."""
        return self.url(f"{self.section_path}?{PORTLET_QUERY.format(delta=self.page_size, page=page)}")

    def shown_range(self, page: int) -> tuple[int, int]:
        """(first, last) item numbers of `page` for `Hiển thị 1 - 10 of 243 kết quả.`"""
        first = (page - 1) * self.page_size + 1
        return first, min(page * self.page_size, len(self.articles))

    def article_page(self, article: CorpusArticle) -> Response:
        """The same page under either URL; <title> is `{title} - {section} - {site}`."""
        return self.render_page(
            "article.html",
            last_modified=article.last_modified,
            title=f"{article.title} - {self.portal.section_name} - {self.portal.site_name}",
            crumbs=self.crumbs(article),
            article=article,
            path=self.article_path(article),
        )

    def route(self, request: Request, path: str) -> Response | None:
        if path == "/":
            return self.home()
        if path == self.section_path:
            return self.listing_page(positive_int(request.query().get("_101_cur")))
        match = self.view_content_pattern.match(path)
        if match:
            article = self.find(match[1])
            return self.article_page(article) if article else None
        match = self.alias_pattern.match(path)
        if match and match[1] == self.instance_id:
            article = self._by_url_title.get(match[2])
            return self.article_page(article) if article else None
        return None
