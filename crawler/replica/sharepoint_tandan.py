"""hanam.gov.vn: SharePoint with the "Tân Dân" publishing template.

Articles live under the publication date, `/Pages/2018-8-1/Title-words-k3x9qa.aspx`; the
listing pages by `?PageIndex=N` and, like the real site, also by an ASP.NET postback
(`__doPostBack` with `Page$N`), which a crawler that only reads hrefs may miss.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import base36_token, id_in_range, slug_words
from .web import Request, Response

SHAREPOINT_HEADERS = (
    ("Server", "Microsoft-IIS/10.0"),
    ("X-Powered-By", "ASP.NET"),
    ("X-AspNet-Version", "4.0.30319"),
    ("MicrosoftSharePointTeamServices", "16.0.0.5095"),
)


class SharePointTanDan(Site):
    """SharePoint "Tân Dân" portal."""

    platform = "sharepoint_tandan"
    date_precision = "minute"
    case_insensitive_paths = True
    admin_path = "/_layouts/"
    home_path = "/Pages/default.aspx"
    response_headers = SHAREPOINT_HEADERS
    section_path: ClassVar[str] = "/Pages/Tin-tuc-su-kien.aspx"
    slug_word_count: ClassVar[int] = 10
    # The pager's server control, named as SharePoint names web part children.
    pager_target: ClassVar[str] = "ctl00$ctl40$g_2c1d7a8e_5b3f_4e0a_9c6d_1f2e3a4b5c6d$ctl00$pagerNews"

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        day = article.published
        words = slug_words(article.title, max_words=cls.slug_word_count)
        slug = "-".join([words[0][:1].upper() + words[0][1:], *words[1:]]) if words else "Bai-viet"
        return f"/Pages/{day.year}-{day.month}-{day.day}/{slug}-{base36_token(article.key, length=6)}.aspx"

    def listing_path(self, page: int) -> str:
        return self.section_path if page == 1 else f"{self.section_path}?PageIndex={page}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/PublishingImages/{article.published.year}/{article.published.month}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        item = id_in_range("hanam-document", article.key, low=100, high=10000)
        return f"/Lists/VanBan/Attachments/{item}/{quote(attachment.file)}"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/_layouts/15/TanDan.Portal/SendToFriend.aspx?url={quote(self.article_path(article), safe='')}"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today)}, {datefmt.dmy(self.today)}"

    def article_date(self, article: CorpusArticle) -> str:
        return f"Đăng ngày {datefmt.dmy(article.published)} {datefmt.hm(article.published)}"

    def postback_href(self, page: int) -> str:
        """The pager link as SharePoint writes it: a script call, not a URL."""
        return f"javascript:__doPostBack('{self.pager_target}','Page${page}')"

    def route(self, request: Request, path: str) -> Response | None:
        if path == self.home_path.lower():
            return self.home()
        if path == self.section_path.lower():
            return self.listing_page(positive_int(request.query(lower_keys=True).get("pageindex")))
        article = self.find(path)
        return self.article_page(article) if article else None

    def route_post(self, request: Request, path: str) -> Response | None:
        """Postbacks: the pager's `Page$N` on the section; any other postback re-renders the page."""
        if path == self.section_path.lower():
            argument = (request.form().get("__EVENTARGUMENT") or [""])[0]
            if argument.startswith("Page$"):
                return self.listing_page(positive_int([argument.removeprefix("Page$")]))
        return self.route(request, path)
