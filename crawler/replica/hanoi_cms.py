"""hanoi.gov.vn: the city's own CMS; listings grow by POSTs to /api/NewsZone/NewsZone.

The section page server-renders only its first `PageSize` items; the "Xem thêm" button posts
the ids already shown (`DataIds[]`) and receives an HTML fragment with the next ones.
Article ids are `4` + the publication time `yymmddHHMMSS` + one check digit.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import key_hash, lower_slug
from .render import render
from .web import Request, Response, html_response, method_not_allowed, text_response

MAX_PAGE_SIZE = 50


class HanoiCms(Site):
    """hanoi.gov.vn custom CMS."""

    platform = "hanoi_cms"
    date_precision = "minute"
    conditional_get = False  # the city's CMS renders every page anew, without validators
    catname: ClassVar[str] = "tin-tuc-su-kien-noi-bat"
    api_path: ClassVar[str] = "/api/NewsZone/NewsZone"
    static_host: ClassVar[str] = "https://static.hanoi.gov.vn"
    language_id: ClassVar[str] = "1"
    site_code: ClassVar[str] = "hanoi"

    @staticmethod
    def article_id(article: CorpusArticle) -> str:
        """`4` + yymmddHHMMSS of publication + a check digit: 14 digits."""
        return f"4{article.published:%y%m%d%H%M%S}{key_hash('hanoi-check', article.key) % 10}"

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return f"/{cls.catname}/{lower_slug(article.slug_title)}-{cls.article_id(article)}.htm"

    def listing_path(self, page: int) -> str:
        """Only page 1 has a URL; later pages are POSTs to the API (see `more_items`)."""
        return f"/{self.catname}"

    def listing_urls(self) -> list[str]:
        return [self.url(self.listing_path(1))]

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"{self.static_host}/{article.published:%Y/%m/%d}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"{self.static_host}/files/{article.published:%Y/%m/%d}/{quote(attachment.file)}"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/gui-cho-ban-be?newsid={self.article_id(article)}"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today)}, ngày {datefmt.dmy(self.today)}"

    def article_date(self, article: CorpusArticle) -> str:
        day = article.published
        return f"{datefmt.weekday(day, capitalized=False)}, {datefmt.dmy_unpadded(day)}, {datefmt.hm(day)} (GMT+7)"

    def list_date(self, article: CorpusArticle) -> str:
        """`(29/06/2026, 14:49)`, parentheses included; the date alone when the article shows none."""
        if not article.date_line:
            return f"({datefmt.dmy(article.published)})"
        return f"({datefmt.dmy(article.published)}, {datefmt.hm(article.published)})"

    def related_date(self, article: CorpusArticle) -> str:
        return self.list_date(article)

    def route(self, request: Request, path: str) -> Response | None:
        if path == "/":
            return self.home()
        if path == self.listing_path(1):
            return self.listing_page(1)  # the CMS ignores ?page=: later items come from the API
        if path == self.api_path:
            return method_not_allowed("POST")
        article = self.find(path)
        return self.article_page(article) if article else None

    def route_post(self, request: Request, path: str) -> Response | None:
        return self.more_items(request) if path == self.api_path else None

    def more_items(self, request: Request) -> Response:
        """The "Xem thêm" API: the next PageSize items not among DataIds[], as an HTML fragment."""
        form = request.form()
        catname, page_index = (form.get(name, [""])[0].strip() for name in ("Catname", "PageIndex"))
        if not catname or not page_index:
            return text_response("Catname and PageIndex are required", status=400)
        if catname != self.catname:
            return html_response("")
        page_size = min(positive_int(form.get("PageSize"), self.page_size), MAX_PAGE_SIZE)
        shown = set(form.get("DataIds[]", []) + form.get("DataIds", []))
        fresh = [article for article in self.articles if self.article_id(article) not in shown][:page_size]
        return html_response(render("hanoi_cms/items.html", site=self, items=fresh) if fresh else "")
