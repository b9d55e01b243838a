"""hanam.gov.vn: SharePoint with the "Tân Dân" publishing template.

Articles live under the publication date, `/Pages/2018-8-1/Title-words-k3x9qa.aspx`; the
listing pages by `?PageIndex=N` and, like the real site, also by an ASP.NET postback
(`__doPostBack` with `Page$N`), which a crawler that only reads hrefs may miss.

PORTALS.md: `?PageIndex=N` "does not work everywhere". The portals in POSTBACK_ONLY_PORTALS
ignore it (every GET is page 1) and page only by postback, with event validation on: a POST
must carry the __EVENTVALIDATION of the page it came from, and may only ask for a page that
page's pager links (its block of ten numbers, the "..." links and "Trang sau"); anything
else gets ASP.NET's 500 "Invalid postback or callback argument".
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar
from urllib.parse import quote

from . import datefmt
from .base_site import Site, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import base36_token, id_in_range, slug_words
from .render import render
from .web import Request, Response, html_response

# Portals whose SharePoint never reads ?PageIndex=N: their listing pages exist only as postbacks.
POSTBACK_ONLY_PORTALS = frozenset({"dienbien", "namdinh"})
# Page numbers a postback-only pager shows at once, as ASP.NET's PageButtonCount.
PAGER_BLOCK = 10

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
    conditional_get = False  # SharePoint publishing pages: neither ETag nor Last-Modified
    case_insensitive_paths = True
    admin_path = "/_layouts/"
    home_path = "/Pages/default.aspx"
    response_headers = SHAREPOINT_HEADERS
    section_path: ClassVar[str] = "/Pages/Tin-tuc-su-kien.aspx"
    menu_section_path: ClassVar[str] = "/Pages/{section}.aspx"
    menu_page_path: ClassVar[str] = "/Pages/{page}.aspx"
    slug_word_count: ClassVar[int] = 10
    # The pager's server control, named as SharePoint names web part children.
    pager_target: ClassVar[str] = "ctl00$ctl40$g_2c1d7a8e_5b3f_4e0a_9c6d_1f2e3a4b5c6d$ctl00$pagerNews"

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        day = article.published
        words = slug_words(article.slug_title, max_words=cls.slug_word_count)
        slug = "-".join([words[0][:1].upper() + words[0][1:], *words[1:]]) if words else "Bai-viet"
        return f"/Pages/{day.year}-{day.month}-{day.day}/{slug}-{base36_token(article.key, length=6)}.aspx"

    @property
    def postback_only(self) -> bool:
        """True when ?PageIndex=N is ignored and only postbacks page the listing."""
        return self.portal.id in POSTBACK_ONLY_PORTALS

    def listing_path(self, page: int) -> str:
        """Page N's URL; on a postback-only portal every page posts back to the section's one URL."""
        if page == 1 or self.postback_only:
            return self.section_path
        return f"{self.section_path}?PageIndex={page}"

    def listing_urls(self) -> list[str]:
        """Every page's URL; a postback-only portal has only the first (the rest are POSTs)."""
        return [self.url(self.section_path)] if self.postback_only else super().listing_urls()

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

    def pager_block(self, page: int) -> range:
        """The page numbers a postback-only pager shows on page `page`: its block of ten."""
        first = (page - 1) // PAGER_BLOCK * PAGER_BLOCK + 1
        return range(first, min(first + PAGER_BLOCK, self.page_count() + 1))

    def postback_pages(self, page: int) -> set[int]:
        """The pages page `page`'s pager links to: its block, the "..." on each side, "Trang sau"."""
        block = self.pager_block(page)
        linked = {*block, block.start - 1, block.stop, page + 1}
        return {number for number in linked if 1 <= number <= self.page_count()}

    def view_state_key(self, path: str, page: int | None) -> str:
        """What a page's __VIEWSTATE and __EVENTVALIDATION encode: the path, and the page on a postback-only listing."""
        return f"{path}|Page${page}" if self.postback_only and page is not None else path

    def route(self, request: Request, path: str) -> Response | None:
        if path == self.home_path.lower():
            return self.home()
        if path == self.section_path.lower():
            requested = None if self.postback_only else request.query(lower_keys=True).get("pageindex")
            return self.listing_page(positive_int(requested))
        article = self.find(path)
        return self.article_page(article) if article else None

    def route_post(self, request: Request, path: str) -> Response | None:
        """Postbacks: the pager's `Page$N` on the section; any other postback re-renders the page."""
        if path != self.section_path.lower():
            return self.route(request, path)
        if self.postback_only:
            return self.validated_postback(request)
        argument = (request.form().get("__EVENTARGUMENT") or [""])[0]
        if argument.startswith("Page$"):
            return self.listing_page(positive_int([argument.removeprefix("Page$")]))
        return self.route(request, path)

    def validated_postback(self, request: Request) -> Response:
        """A postback-only listing's POST: the page it came from (by __EVENTVALIDATION) decides what it may ask for."""
        form = request.form()
        posted_from = self._page_by_event_validation.get((form.get("__EVENTVALIDATION") or [""])[0])
        if posted_from is None:
            return self.invalid_postback()
        target = (form.get("__EVENTTARGET") or [""])[0]
        argument = (form.get("__EVENTARGUMENT") or [""])[0]
        if target != self.pager_target:
            return self.listing_page(posted_from)  # not the pager's event: the same page again
        requested = positive_int([argument.removeprefix("Page$")], default=0) if argument.startswith("Page$") else 0
        if requested not in self.postback_pages(posted_from):
            return self.invalid_postback()
        return self.listing_page(requested)

    @cached_property
    def _page_by_event_validation(self) -> dict[str, int]:
        """Each listing page's __EVENTVALIDATION value -> that page's number."""
        return {
            self.hidden_field("__EVENTVALIDATION", self.view_state_key(self.section_path, page)): page
            for page in range(1, self.page_count() + 1)
        }

    def invalid_postback(self) -> Response:
        """ASP.NET's error page for a postback its event validation refuses (500, as the real server sends)."""
        return html_response(render("sharepoint_tandan/invalid_postback.html"), status=500)
