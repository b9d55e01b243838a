"""danvan.vn: the central mass-mobilization news site, a classic server-rendered CMS.

The article page prints only a weekday and date (`Thứ Sáu, 26/4/2024`); republished
articles end with `Nguồn: hanam.gov.vn, 1/8/2018`, a second date that is not the publication's.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import id_in_range, lower_slug
from .web import Request, Response


class GenericCms(Site):
    """danvan.vn."""

    platform = "generic"
    date_precision = "date"
    section_path: ClassVar[str] = "/tin-tuc-su-kien/dan-van-chinh-quyen"

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        number = id_in_range("danvan-article", article.key, low=10000, high=1000000)
        return f"{cls.section_path}/{lower_slug(article.title)}-{number}.html"

    def listing_path(self, page: int) -> str:
        return self.section_path if page == 1 else f"{self.section_path}?page={page}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/Uploads/{article.published.year}/{article.published.month}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"/Uploads/files/{article.published.year}/{article.published.month}/{quote(attachment.file)}"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/gui-cho-ban-be?url={quote(self.article_path(article), safe='')}"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today)}, {datefmt.dmy(self.today)}"

    def article_date(self, article: CorpusArticle) -> str:
        return f"{datefmt.weekday(article.published)}, {datefmt.dmy_unpadded(article.published)}"

    def route(self, request: Request, path: str) -> Response | None:
        if path == "/":
            return self.home()
        if path == self.section_path:
            return self.listing_page(positive_int(request.query().get("page")))
        article = self.find(path)
        return self.article_page(article) if article else None
