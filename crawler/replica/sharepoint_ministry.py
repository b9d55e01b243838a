"""backan.gov.vn: SharePoint with the ministry news template (`chi-tiet-tin.aspx?ItemID=`).

The section also has an RSS feed, `/Pages/TinTuc/rss.aspx?chuyenmucid=91`, announced in every
page's <head>. As on the real site (seed 003), the title appears twice (title block and print title, plus
the breadcrumb) and each picture's caption twice; some articles print no date line at all.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Link, Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import id_in_range
from .sharepoint_tandan import SHAREPOINT_HEADERS
from .web import Request, Response


class SharePointMinistry(Site):
    """SharePoint ministry-template portal."""

    platform = "sharepoint_ministry"
    date_precision = "minute"
    conditional_get = False  # SharePoint publishing pages: neither ETag nor Last-Modified
    case_insensitive_paths = True
    admin_path = "/_layouts/"
    home_path = "/Pages/default.aspx"
    response_headers = SHAREPOINT_HEADERS
    section_path: ClassVar[str] = "/Pages/news.aspx"
    menu_section_path: ClassVar[str] = "/Pages/{section}.aspx"
    menu_page_path: ClassVar[str] = "/Pages/{page}.aspx"
    category_id: ClassVar[str] = "104"
    detail_path: ClassVar[str] = "/Pages/chi-tiet-tin.aspx"
    list_name: ClassVar[str] = "TinTucSuKien"
    feed_page: ClassVar[str] = "/Pages/TinTuc/rss.aspx"
    feed_category: ClassVar[str] = "91"  # the feed's own number for the news section, not CatId
    # SharePoint names web part controls after a GUID; fixed here, different on every real site.
    webpart_id: ClassVar[str] = "ctl00_ctl45_g_5e6f7a8b_9c0d_4e1f_a2b3_c4d5e6f7a8b9"

    @staticmethod
    def item_id(article: CorpusArticle) -> int:
        """The SharePoint list item id of an article."""
        return id_in_range("backan-item", article.key, low=1800, high=100000)

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return f"{cls.detail_path}?ItemID={cls.item_id(article)}&l={cls.list_name}"

    def feed_path(self) -> str:
        """The section's RSS feed."""
        return f"{self.feed_page}?chuyenmucid={self.feed_category}"

    def lookup_key(self, article: CorpusArticle) -> str:
        return str(self.item_id(article))

    def listing_path(self, page: int) -> str:
        first = f"{self.section_path}?CatId={self.category_id}"
        return first if page == 1 else f"{first}&page={page}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/PictureLibrary/{article.published.year}/{article.published.month}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"/SiteCollectionDocuments/{article.published.year}/{quote(attachment.file)}"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/Pages/sendtofriend.aspx?ItemID={self.item_id(article)}"

    def header_today(self) -> str:
        day = self.today
        return f"{datefmt.weekday(day)}, ngày {day.day} tháng {day.month} năm {day.year}"

    def article_date(self, article: CorpusArticle) -> str:
        return f"{datefmt.dmy(article.published)} {datefmt.hm(article.published)}"

    def crumbs(self, article: CorpusArticle | None = None) -> list[Link]:
        """The ministry template ends the breadcrumb with the article title."""
        trail = super().crumbs()
        return trail + [Link(article.title)] if article else trail

    def route(self, request: Request, path: str) -> Response | None:
        query = request.query(lower_keys=True)
        if path == self.home_path.lower():
            return self.home()
        if path == self.section_path.lower() and query.get("catid") == [self.category_id]:
            return self.listing_page(positive_int(query.get("page")))
        if path == self.detail_path.lower():
            article = self.find((query.get("itemid") or [""])[0])
            return self.article_page(article) if article else None
        if path == self.feed_page.lower() and query.get("chuyenmucid") == [self.feed_category]:
            return self.rss_feed(self.articles, title=f"{self.portal.section_name} - {self.portal.site_name}")
        return None
