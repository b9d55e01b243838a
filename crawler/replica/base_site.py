"""What every replica site shares: listing arithmetic, related lists, chrome, robots.txt, 404.

A platform subclass says where things live (URL patterns, image paths), how dates look
(`header_today`, `article_date`, `list_date`) and which requests it answers (`route`).
Templates live in templates/<platform>/ and receive the site itself as `site`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from math import ceil
from typing import Any, ClassVar, Literal, Sequence
from urllib.parse import urlsplit

from . import datefmt
from .chrome import ARTICLE_WEIGHT, FILLER_MARK, LISTING_WEIGHT, SIDEBAR_COUNT, chrome, initials, weigh
from .corpus import Attachment, CorpusArticle, Image
from .naming import base64_junk, key_hash
from .portals import PORTALS, Portal
from .render import render
from .web import (
    JPEG,
    PLACEHOLDER_JPEG,
    RSS,
    Request,
    Response,
    answer_conditionally,
    html_response,
    method_not_allowed,
    redirect,
    text_response,
    without_validators,
)

# Two articles a page gives every portal several listing pages from a small corpus.
DEFAULT_PAGE_SIZE = 2
RELATED_COUNT = 3
MOST_VIEWED_COUNT = 5
LATEST_COUNT = 5  # on the front page
# Tags are phrases of the title that the portals' editors typically tag with.
# How heavy each kind of page is (chrome.weigh); other pages get the chrome without the ad zones.
PAGE_WEIGHTS = {"article.html": ARTICLE_WEIGHT, "listing.html": LISTING_WEIGHT}
TAG_PHRASES = (
    "dân vận", "chính quyền", "cải cách hành chính", "chuyển đổi số", "tiếp công dân",
    "dân chủ", "hội nghị", "nông thôn mới", "khắc phục hậu quả", "đối thoại",
)

Precision = Literal["second", "minute", "date"]


@dataclass(frozen=True)
class Block:
    """One piece of an article body as a template prints it: a paragraph or a picture."""

    kind: Literal["paragraph", "image"]
    text: str = ""
    src: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Link:
    """A link a template prints: text and href (empty href: plain text, e.g. the last breadcrumb)."""

    text: str
    href: str = ""


def source_line(article: CorpusArticle) -> str:
    """`Nguồn: hanam.gov.vn, 1/8/2018`, or `Nguồn: Báo Vĩnh Long` when the source has no date."""
    if not article.source:
        return ""
    day = article.source_day
    return f"Nguồn: {article.source}, {datefmt.dmy_unpadded(day)}" if day else f"Nguồn: {article.source}"


class Site:
    """One portal served by the replica."""

    platform: ClassVar[str]
    # What the article page's date line shows; decides expected_published_at.
    date_precision: ClassVar[Precision]
    # Whether its pages carry ETag and Last-Modified and answer conditional GETs with 304. Many
    # dynamic ASP.NET sites send neither and always answer 200 (static files are validated everywhere).
    conditional_get: ClassVar[bool]
    default_page_size: ClassVar[int] = DEFAULT_PAGE_SIZE
    case_insensitive_paths: ClassVar[bool] = False  # IIS matches paths and parameter names in any case
    admin_path: ClassVar[str] = "/admin/"  # the one path robots.txt disallows
    home_path: ClassVar[str] = "/"
    response_headers: ClassVar[tuple[tuple[str, str], ...]] = (("Server", "nginx"),)
    # Where the mega menu's sections and their pages live, in the platform's URL style (never an
    # article's or a listing page's shape): {section} and {page} are slugs, {number} a running number.
    menu_section_path: ClassVar[str] = "/{section}"
    menu_page_path: ClassVar[str] = "/{section}/{page}"

    def __init__(self, portal: Portal, articles: Sequence[CorpusArticle], *, today: date, page_size: int | None = None):
        self.portal = portal
        self.today = today
        self.page_size = page_size or self.default_page_size
        self.articles = [article for article in articles if article.portal == portal.id]
        self._position = {article.key: index for index, article in enumerate(self.articles)}
        self._by_lookup_key = self._index_articles()
        self.image_paths = frozenset(self._own_path(self.image_src(a, image.file)) for a in self.articles for image in a.images) - {""}

    @property
    def template_dir(self) -> str:
        """The folder under templates/ of this site's pages: its platform's, unless a subclass borrows another's."""
        return self.platform

    @classmethod
    def precision_for(cls, article: CorpusArticle) -> Precision:
        """How precisely the article's page shows its time; one format per platform unless a subclass says otherwise."""
        return cls.date_precision

    # --- URLs (subclasses) -------------------------------------------------------------------

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        """The root-relative URL of an article's page (path and query), as the site links it."""
        raise NotImplementedError

    def listing_path(self, page: int) -> str:
        """The root-relative URL of listing page `page` (1-based)."""
        raise NotImplementedError

    def image_src(self, article: CorpusArticle, file: str) -> str:
        """Where the site keeps an article's picture."""
        raise NotImplementedError

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        """Where the site keeps an article's attached document."""
        raise NotImplementedError

    def lookup_key(self, article: CorpusArticle) -> str:
        """What `route` finds an article by: its path unless the platform uses an id parameter."""
        return self.article_path(article).lower() if self.case_insensitive_paths else self.article_path(article)

    def find(self, lookup_key: str) -> CorpusArticle | None:
        """The article with that lookup key, if the site has it."""
        return self._by_lookup_key.get(lookup_key)

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        """The "Gửi cho bạn bè" link (a page the replica does not serve)."""
        raise NotImplementedError

    # --- dates (subclasses) ------------------------------------------------------------------

    def header_today(self) -> str:
        """Today's date as the page header prints it: the date that is not the article's."""
        raise NotImplementedError

    def article_date(self, article: CorpusArticle) -> str:
        """The article page's date line (only printed when article.date_line)."""
        raise NotImplementedError

    def list_date(self, article: CorpusArticle) -> str:
        """The date next to an article in listings."""
        return datefmt.dmy(article.published)

    def related_date(self, article: CorpusArticle) -> str:
        """The date next to an article in related lists."""
        return f"({self.list_date(article)})"

    # --- requests ----------------------------------------------------------------------------

    def route(self, request: Request, path: str) -> Response | None:
        """The response to a GET (or HEAD) for `path`, or None when the site has no such page."""
        raise NotImplementedError

    def route_post(self, request: Request, path: str) -> Response | None:
        """The response to a POST, or None: the site takes no POST there."""
        return None

    def respond(self, request: Request) -> Response:
        """Any request for this site, including the paths every site has; conditional GETs as the platform answers them."""
        path = request.path.lower() if self.case_insensitive_paths else request.path
        static = self.static_file(path)
        if static:  # the web server's own file handler: it validates whatever the CMS does
            return answer_conditionally(request, static)
        response = self.dynamic_page(request, path)
        return answer_conditionally(request, response) if self.conditional_get else without_validators(response)

    def static_file(self, path: str) -> Response | None:
        """robots.txt or a picture, or None."""
        if path == "/robots.txt":
            return self.robots()
        if path in self.image_paths:
            return Response(200, PLACEHOLDER_JPEG, JPEG)
        return None

    def dynamic_page(self, request: Request, path: str) -> Response:
        """What the CMS answers: pages, feeds, APIs, postbacks, and its 404 page."""
        if request.method == "POST":
            response = self.route_post(request, path)
            return response or method_not_allowed("GET, HEAD")
        if path == "/" and self.home_path != "/":
            return redirect(self.home_path)
        return self.route(request, path) or self.not_found()

    def robots(self) -> Response:
        """Listings and articles allowed; only the admin area is not. Sitemaps announced when the site has any."""
        lines = ["User-agent: *", f"Disallow: {self.admin_path}", *(f"Sitemap: {url}" for url in self.sitemap_urls())]
        return text_response("\n".join(lines) + "\n")

    def sitemap_urls(self) -> list[str]:
        """The sitemaps robots.txt lists; most portals have none."""
        return []

    def not_found(self) -> Response:
        """The site's own "page does not exist" page, with a real 404 status."""
        return self.render_page(
            "not_found.html", status=404, title=self.document_title("Trang không tồn tại"), crumbs=self.crumbs(), path=self.home_path
        )

    def home(self) -> Response:
        """The front page: the newest articles and a link to the news section."""
        latest = self.articles[:LATEST_COUNT]
        return self.render_page(
            "home.html", title=self.portal.site_name, crumbs=[Link("Trang chủ")], latest=latest, path=self.home_path
        )

    # --- pages -------------------------------------------------------------------------------

    def render_page(
        self, template: str, *, status: int = 200, last_modified: datetime | None = None,
        weight: tuple[int, int] | None = None, **context: Any,
    ) -> Response:
        """Render templates/<platform>/<template>, or the shared templates/<template> when the platform has none,
        weighed (chrome.weigh) as its kind of page is: `weight` or the template's PAGE_WEIGHTS."""
        text = render([f"{self.template_dir}/{template}", template], site=self, portal=self.portal,
                      filler_mark=FILLER_MARK, **context)
        seed = f"{self.portal.id}\x1f{context.get('path') or context.get('title', '')}"
        text = weigh(text, seed, weight or PAGE_WEIGHTS.get(template))
        return html_response(text, status=status, last_modified=last_modified)

    def listing_page(self, page: int) -> Response:
        """Listing page `page`: an empty list (still 200) beyond the last page."""
        return self.render_page(
            "listing.html",
            title=self.document_title(self.portal.section_name),
            crumbs=self.crumbs(),
            page=page,
            items=self.page_items(page),
            path=self.listing_path(page),
        )

    def article_page(self, article: CorpusArticle) -> Response:
        """An article's page, Last-Modified at its publication or last edit."""
        return self.render_page(
            "article.html",
            last_modified=article.last_modified,
            title=self.document_title(article.title),
            crumbs=self.crumbs(article),
            article=article,
            path=self.article_path(article),
        )

    def rss_feed(self, articles: Sequence[CorpusArticle], *, title: str) -> Response:
        """An RSS 2.0 feed of `articles` in the given order (templates/rss.xml), Last-Modified at its newest change."""
        text = render("rss.xml", site=self, portal=self.portal, title=title, items=articles)
        return Response(200, text.encode("utf-8"), RSS, newest_change(articles))

    def feed_link(self, article: CorpusArticle) -> str:
        """An article's <link> in the site's feed."""
        return self.url(self.article_path(article))

    def feed_date(self, article: CorpusArticle) -> str:
        """RSS pubDate: `Thu, 29 Dec 2016 15:13:27 +0700`."""
        return datefmt.rfc822(article.published)

    def document_title(self, name: str) -> str:
        """The <title> text."""
        return f"{name} - {self.portal.site_name}"

    def crumbs(self, article: CorpusArticle | None = None) -> list[Link]:
        """Trang chủ » section (» category): the breadcrumb."""
        trail = [Link("Trang chủ", self.home_path), Link(self.portal.section_name, self.listing_path(1))]
        if article and article.category != self.portal.section_name:
            trail.append(Link(article.category))
        return trail

    # --- what templates print ----------------------------------------------------------------

    def page_count(self) -> int:
        """How many listing pages the section has (at least one, even when empty)."""
        return max(1, ceil(len(self.articles) / self.page_size))

    def page_items(self, page: int) -> list[CorpusArticle]:
        """The articles of listing page `page`, newest first."""
        start = (page - 1) * self.page_size
        return self.articles[start:start + self.page_size] if page >= 1 else []

    def listing_urls(self) -> list[str]:
        """The real URLs of every listing page, page 1 first."""
        return [self.url(self.listing_path(page)) for page in range(1, self.page_count() + 1)]

    def url(self, path: str) -> str:
        """The real https URL of a root-relative path."""
        return f"https://{self.portal.host}{path}"

    def body_blocks(self, article: CorpusArticle) -> list[Block]:
        """The body with picture paths resolved for this site."""
        return [
            Block("image", src=self.image_src(article, block.file), caption=block.caption)
            if isinstance(block, Image) else Block("paragraph", text=block)
            for block in article.body
        ]

    def attachment_links(self, article: CorpusArticle) -> list[Link]:
        """The article's documents as links."""
        return [Link(attachment.name, self.attachment_href(article, attachment)) for attachment in article.attachments]

    def source_line(self, article: CorpusArticle) -> str:
        """`Nguồn: …` (empty when the article names no source)."""
        return source_line(article)

    def tags(self, article: CorpusArticle) -> list[str]:
        """Keywords: the tag phrases found in the title, else the category."""
        title = article.title.lower()
        return [phrase for phrase in TAG_PHRASES if phrase in title] or [article.category]

    def older(self, article: CorpusArticle, count: int = RELATED_COUNT) -> list[CorpusArticle]:
        """The next articles after this one in listing order, wrapping round to the newest."""
        index = self._position[article.key]
        return (self.articles[index + 1:] + self.articles[:index])[:count]

    def newer(self, article: CorpusArticle, count: int = RELATED_COUNT) -> list[CorpusArticle]:
        """The articles just before this one in listing order, nearest first, wrapping round."""
        index = self._position[article.key]
        return (self.articles[:index][::-1] + self.articles[index + 1:][::-1])[:count]

    def most_viewed(self, count: int = MOST_VIEWED_COUNT) -> list[CorpusArticle]:
        """A stable "most read" ranking (the real counts are unknowable)."""
        return sorted(self.articles, key=lambda a: key_hash("views", a.key))[:count]

    # --- chrome (chrome.py) --------------------------------------------------------------------

    @cached_property
    def mega_menu(self) -> list[tuple[Link, list[Link]]]:
        """The header's mega menu: each section and its pages."""
        menu, number = [], 100
        for section in chrome().sections:
            number += 1
            head = Link(section.label, self.menu_section_path.format(section=section.slug, page="", number=number))
            pages = []
            for page in section.pages:
                number += 1
                pages.append(Link(page.label, self.menu_page_path.format(section=section.slug, page=page.slug, number=number)))
            menu.append((head, pages))
        return menu

    @cached_property
    def agency_links(self) -> list[Link]:
        """The footer's agencies, each at its own subdomain's front page."""
        domain = self.portal.host.removeprefix("www.")
        return [Link(name, f"https://{initials(name)}.{domain}/") for name in chrome().agencies]

    @cached_property
    def organization_links(self) -> list[Link]:
        """The footer's mass organizations."""
        domain = self.portal.host.removeprefix("www.")
        return [Link(name, f"https://{initials(name)}.{domain}/") for name in chrome().organizations]

    @cached_property
    def web_links(self) -> list[Link]:
        """"Liên kết website": the other portals' front pages."""
        return [Link(portal.site_name, f"https://{portal.host}/") for portal in PORTALS if portal.id != self.portal.id]

    def newest_others(self, article: CorpusArticle, count: int = SIDEBAR_COUNT) -> list[CorpusArticle]:
        """The sidebar's "Tin mới nhất": the newest articles but this one."""
        return [other for other in self.articles[:count + 1] if other.key != article.key][:count]

    def sidebar_most_viewed(self, article: CorpusArticle, count: int = SIDEBAR_COUNT) -> list[CorpusArticle]:
        """The sidebar's "Đọc nhiều": the most viewed but this one."""
        return [other for other in self.most_viewed(count + 1) if other.key != article.key][:count]

    def hidden_field(self, name: str, path: str) -> str:
        """A deterministic stand-in for ASP.NET's __VIEWSTATE or __EVENTVALIDATION on the page at `path`."""
        return base64_junk(self.portal.id, name, path, size=96 if name == "__EVENTVALIDATION" else 240)

    def rating(self, article: CorpusArticle) -> tuple[int, int]:
        """(points, votes) shown by the rating widget, derived from the key."""
        votes = key_hash("votes", article.key) % 40
        return votes * 4 + key_hash("points", article.key) % (votes + 1), votes

    # --- helpers -----------------------------------------------------------------------------

    def _own_path(self, src: str) -> str:
        """The path of a URL on this site, lowercased on IIS; other hosts' URLs give ''."""
        parts = urlsplit(src)
        if parts.netloc and parts.netloc not in self.portal.hosts:
            return ""
        return parts.path.lower() if self.case_insensitive_paths else parts.path

    def _index_articles(self) -> dict[str, CorpusArticle]:
        """Articles by lookup key; two articles on one URL is a corpus error, not a silent overwrite."""
        index: dict[str, CorpusArticle] = {}
        for article in self.articles:
            key = self.lookup_key(article)
            if key in index:
                raise ValueError(f"{self.portal.id}: articles {index[key].key} and {article.key} get the same URL")
            index[key] = article
        return index


def newest_change(articles: Sequence[CorpusArticle]) -> datetime | None:
    """When the newest change among `articles` happened (None for none): a feed's or sitemap's Last-Modified."""
    return max((article.last_modified for article in articles), default=None)


def positive_int(values: list[str] | None, default: int = 1) -> int:
    """A page number or size as the CMSs read it: missing, zero or garbage means the default."""
    text = (values or [""])[0].strip()
    return int(text) if text.isdigit() and int(text) >= 1 else default
