"""vinhlong.gov.vn: DotNetNuke (`Default.aspx?tabid=…`), with an RSS feed.

House style: every lead opens with `(Vinhlong.gov.vn) –`, or the source's name in its place;
the header shows the day the page is viewed with a clock, which is not the article's date.
"""

from __future__ import annotations

import base64
from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import id_in_range, key_hash
from .render import render
from .web import RSS, Request, Response

HOUSE_SOURCE = "Vinhlong.gov.vn"
# DNN renders the header clock at request time; fixed here so that pages stay byte-identical.
HEADER_CLOCK = "8:00:00 SA"


class DotNetNuke(Site):
    """DotNetNuke portal."""

    platform = "dnn"
    date_precision = "second"
    conditional_get = False  # DotNetNuke renders every page anew, without validators
    case_insensitive_paths = True
    home_path = "/Default.aspx?tabid=36"
    response_headers = (("Server", "Microsoft-IIS/8.5"), ("X-Powered-By", "ASP.NET"))
    page_path: ClassVar[str] = "/Default.aspx"
    menu_section_path: ClassVar[str] = "/{section}.aspx"
    menu_page_path: ClassVar[str] = "/{section}/{page}.aspx"
    home_tab: ClassVar[str] = "36"
    section_tab: ClassVar[str] = "63"
    detail_tab: ClassVar[str] = "22641"
    feed_path: ClassVar[str] = "/rssfeed.rss"

    @staticmethod
    def article_id(article: CorpusArticle) -> int:
        """The DNN article module's item id."""
        return id_in_range("vinhlong-article", article.key, low=30000, high=100000)

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return f"{cls.page_path}?tabid={cls.detail_tab}&ID={cls.article_id(article)}"

    def lookup_key(self, article: CorpusArticle) -> str:
        return str(self.article_id(article))

    def listing_path(self, page: int) -> str:
        first = f"{self.page_path}?tabid={self.section_tab}"
        return first if page == 1 else f"{first}&Page={page}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/Portals/0/Medias/Nam{article.published.year}/T{article.published.month}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        # DNN tickets are 8 bytes of base64 whose one "=" of padding is written `%3d`.
        raw = key_hash("fileticket", article.key, attachment.file).to_bytes(32, "big")[:8]
        ticket = quote(base64.b64encode(raw).decode().rstrip("="), safe="")
        return f"/LinkClick.aspx?fileticket={ticket}%3d&tabid={self.section_tab}"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"{self.page_path}?tabid={self.detail_tab}&ID={self.article_id(article)}&ctl=SendToFriend"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today)}, {datefmt.dmy(self.today)} {HEADER_CLOCK}"

    def article_date(self, article: CorpusArticle) -> str:
        return f"Ngày {datefmt.dmy(article.published)} {datefmt.hms(article.published)}"

    def lead_prefix(self, article: CorpusArticle) -> str:
        """`(Vinhlong.gov.vn) –`, or `(Báo Vĩnh Long) –` for an article taken from elsewhere."""
        return f"({article.source or HOUSE_SOURCE}) –"

    def feed_date(self, article: CorpusArticle) -> str:
        """RSS pubDate."""
        return datefmt.rfc822(article.published)

    def route(self, request: Request, path: str) -> Response | None:
        if path == self.feed_path:
            return self.feed()
        if path != self.page_path.lower():
            return None
        query = request.query(lower_keys=True)
        tab = (query.get("tabid") or [""])[0]
        if tab == self.home_tab:
            return self.home()
        if tab == self.section_tab:
            return self.listing_page(positive_int(query.get("page")))
        if tab == self.detail_tab:
            article = self.find((query.get("id") or [""])[0])
            return self.article_page(article) if article else None
        return None

    def feed(self) -> Response:
        """RSS 2.0 with every article of the section, newest first."""
        text = render("dnn/rssfeed.xml", site=self, portal=self.portal)
        return Response(200, text.encode("utf-8"), RSS)
