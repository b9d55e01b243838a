"""hue.gov.vn: the Thừa Thiên Huế in-house framework (`/?gd=1&cn=129&tc=…`).

Dates on article pages use the Vietnamese 12-hour clock (`4:38:52 CH`), and the toolbar
offers text size and a text-to-speech player (`Xem cỡ chữ:`, `Đọc bài viết:`).
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import id_in_range
from .web import Request, Response


class HuePortal(Site):
    """Thừa Thiên Huế framework portal."""

    platform = "hue_portal"
    date_precision = "second"
    conditional_get = True
    case_insensitive_paths = True
    response_headers = (("Server", "Microsoft-IIS/8.5"), ("X-Powered-By", "ASP.NET"))
    section_gd: ClassVar[str] = "1"
    section_cn: ClassVar[str] = "129"
    menu_section_path: ClassVar[str] = "/?gd=2&cn={number}"
    menu_page_path: ClassVar[str] = "/?gd=2&cn={number}"

    @staticmethod
    def article_id(article: CorpusArticle) -> int:
        """The framework's `tc` (news item) number."""
        return id_in_range("hue-article", article.key, low=22000, high=100000)

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return f"/?gd={cls.section_gd}&cn={cls.section_cn}&tc={cls.article_id(article)}"

    def lookup_key(self, article: CorpusArticle) -> str:
        return str(self.article_id(article))

    def listing_path(self, page: int) -> str:
        first = f"/?gd={self.section_gd}&cn={self.section_cn}"
        return first if page == 1 else f"{first}&pg={page}"

    def _upload_dir(self, kind: str, article: CorpusArticle) -> str:
        day = article.published
        return f"/UploadFiles/{kind}/{day.year}/{day.month}/{day.day}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"{self._upload_dir('TinTuc', article)}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"{self._upload_dir('VanBan', article)}/{quote(attachment.file)}"

    def audio_src(self, article: CorpusArticle) -> str:
        """The text-to-speech recording the "Đọc bài viết" player loads."""
        return f"{self._upload_dir('TTS', article)}/{self.article_id(article)}.mp3"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/SendToFriend.aspx?tc={self.article_id(article)}"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today, capitalized=False)}, {datefmt.dmy(self.today)}"

    def article_date(self, article: CorpusArticle) -> str:
        return f"{datefmt.dmy(article.published)} {datefmt.clock_12h(article.published)}"

    def route(self, request: Request, path: str) -> Response | None:
        if path != "/":
            return None
        query = request.query(lower_keys=True)
        if not query:
            return self.home()
        if query.get("gd") != [self.section_gd] or query.get("cn") != [self.section_cn]:
            return None
        if "tc" in query:
            article = self.find(query["tc"][0])
            return self.article_page(article) if article else None
        return self.listing_page(positive_int(query.get("pg")))
