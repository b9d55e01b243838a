"""Portals of unknown make: classic server-rendered CMSs, one markup *layout* per portal.

danvan.vn (the central mass-mobilization news site) is the first layout: its article page prints
only a weekday and date (`Thứ Sáu, 26/4/2024`); republished articles end with
`Nguồn: hanam.gov.vn, 1/8/2018`, a second date that is not the publication's. The other layouts
copy PORTALS.md's "Per-portal markup seen in public scrapers" (kontum, kiengiang, quangtri, …, the
CMS that caobang, laocai and binhthuan share); portals nobody has described get one of three
plausible unknown layouts, chosen by a hash of the portal id.

Every layout keeps the traps: the header's "today", related lists with their own dates, the
toolbar lines, the footer. Discovery is the same for all: robots.txt names a sitemap index
(`/sitemap.xml`) that points at one sitemap per year, and an RSS feed (`/rss.xml`) is announced
in every page's <head>. The three name each article differently on purpose, and the site
answers all of them:

    listings   /tin-tuc-su-kien/dan-van-chinh-quyen/toa-dam-…-123456.html
    feed       http://danvan.vn/tin-tuc-su-kien/dan-van-chinh-quyen/toa-dam-…-123456.html?utm_source=rss&utm_medium=feed
    sitemaps   https://www.danvan.vn/tin-tuc-su-kien/dan-van-chinh-quyen/toa-dam-…-123456.html
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import groupby
from urllib.parse import quote

from markupsafe import Markup, escape

from . import datefmt
from .base_site import Precision, Site, newest_change, positive_int
from .corpus import Attachment, CorpusArticle
from .naming import id_in_range, key_hash, lower_slug
from .render import render
from .web import XML, Request, Response

FEED_PATH = "/rss.xml"
FEED_SIZE = 20  # the feed carries the newest articles only; the sitemaps list every one
FEED_QUERY = "utm_source=rss&utm_medium=feed"
SITEMAP_INDEX_PATH = "/sitemap.xml"
YEAR_SITEMAP = re.compile(r"^/sitemap-(\d{4})\.xml$")
# One element of a selector-like spec: tag, then .classes, #id and [attribute=value] in any order.
SPEC_PART = re.compile(r'^(?P<tag>[a-z][a-z0-9]*)(?P<rest>(?:\.[\w-]+|#[\w-]+|\[[\w-]+="[^"\s]*"\])*)$')
SPEC_ATTRIBUTE = re.compile(r'\.([\w-]+)|#([\w-]+)|\[([\w-]+)="([^"\s]*)"\]')


@dataclass(frozen=True)
class Element:
    """Markup written as a CSS-like spec: `div.de-sumcontent span` draws `<div class="de-sumcontent"><span>`.

    Spaces nest (each part inside the previous one); a part is a tag with optional `.class`,
    `#id` and `[attribute="value"]` (no spaces in values). The same spec then selects what it drew, which is what
    the layout table promises and the tests check.
    """

    spec: str

    def __post_init__(self) -> None:
        if not all(SPEC_PART.match(part) for part in self.spec.split()):
            raise ValueError(f"not an element spec: {self.spec!r}")

    def open(self) -> Markup:
        """The start tags, outermost first."""
        return Markup("".join(_start_tag(part) for part in self.spec.split()))

    def close(self) -> Markup:
        """The end tags, innermost first."""
        return Markup("".join(f"</{SPEC_PART.match(part)['tag']}>" for part in reversed(self.spec.split())))

    def wrap(self, text: str) -> Markup:
        """`text` (escaped) inside the element."""
        return self.open() + text + self.close()  # Markup + str escapes the str, as Jinja would


def _start_tag(part: str) -> str:
    match = SPEC_PART.match(part)
    classes, attributes = [], []
    for class_name, element_id, name, value in SPEC_ATTRIBUTE.findall(match["rest"]):
        if class_name:
            classes.append(class_name)
        elif element_id:
            attributes.append(f'id="{element_id}"')
        else:
            attributes.append(f'{name}="{escape(value)}"')
    if classes:
        attributes.insert(0, f'class="{" ".join(classes)}"')
    return f"<{match['tag']}{''.join(' ' + attribute for attribute in attributes)}>"


# --- how the layouts print dates -----------------------------------------------------------------


def weekday_and_day(moment: datetime) -> str:
    """`Thứ Sáu, 26/4/2024` (danvan)."""
    return f"{datefmt.weekday(moment)}, {datefmt.dmy_unpadded(moment)}"


def posted_on(moment: datetime) -> str:
    """`Ngày đăng: 12/08/2022 08:30`."""
    return f"Ngày đăng: {datefmt.dmy(moment)} {datefmt.hm(moment)}"


def day_and_seconds(moment: datetime) -> str:
    """`12/08/2022 08:30:15`."""
    return f"{datefmt.dmy(moment)} {datefmt.hms(moment)}"


def weekday_day_and_time(moment: datetime) -> str:
    """`Thứ sáu, 12/08/2022 08:30`."""
    return f"{datefmt.weekday(moment, capitalized=False)}, {datefmt.dmy(moment)} {datefmt.hm(moment)}"


def day_and_12h_clock(moment: datetime) -> str:
    """`12/08/2022 8:30:15 SA` (ASP.NET's vi-VN general format)."""
    return f"{datefmt.dmy(moment)} {datefmt.clock_12h(moment)}"


def unpadded_day_and_12h_clock(moment: datetime) -> str:
    """`12/8/2022 8:30:15 SA`."""
    return f"{datefmt.dmy_unpadded(moment)} {datefmt.clock_12h(moment)}"


def day_and_time(moment: datetime) -> str:
    """`12/08/2022 08:30`."""
    return f"{datefmt.dmy(moment)} {datefmt.hm(moment)}"


def day_bar_time(moment: datetime) -> str:
    """`12/08/2022 | 08:30`."""
    return f"{datefmt.dmy(moment)} | {datefmt.hm(moment)}"


def day_dash_time(moment: datetime) -> str:
    """`12/08/2022 - 08:30` (haiphong's `%d/%m/%Y - %H:%M`)."""
    return f"{datefmt.dmy(moment)} - {datefmt.hm(moment)}"


def parenthesized_day_and_time(moment: datetime) -> str:
    """`(12/08/2022, 08:30)`."""
    return f"({datefmt.dmy(moment)}, {datefmt.hm(moment)})"


def day_in_words(moment: datetime) -> str:
    """`Thứ Sáu, ngày 12 tháng 8 năm 2022`."""
    return f"{datefmt.weekday(moment)}, ngày {moment.day} tháng {moment.month} năm {moment.year}"


def weekday_day_time_gmt(moment: datetime) -> str:
    """`Thứ sáu, 12/8/2022, 08:30 (GMT+7)`."""
    return f"{datefmt.weekday(moment, capitalized=False)}, {datefmt.dmy_unpadded(moment)}, {datefmt.hm(moment)} (GMT+7)"


def updated_time_first(moment: datetime) -> str:
    """`Cập nhật: 08:30 | 12/08/2022`: the time before the date."""
    return f"Cập nhật: {datefmt.hm(moment)} | {datefmt.dmy(moment)}"


# --- layouts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where one portal's pages put each field: element specs (see Element) and URL and date habits."""

    name: str
    section_path: str  # the news section's listing; page N adds ?page=N
    # Listing page: the list, one entry, and inside it title (wrapping the link), date and summary.
    listing: Element
    listing_item: Element
    listing_title: Element
    listing_date: Element
    listing_summary: Element
    # Article page.
    article: Element  # wraps title, date, lead and content
    title: Element
    date: Element
    date_text: Callable[[datetime], str]
    date_precision: Precision  # must match date_text: what expected_published_at may know
    lead: Element | None  # None: the lead is the content's first paragraph, in bold
    content: Element
    author: Element
    today: Element  # the header's "today" (the trap)
    related: str  # class of the "other news" block
    related_heading: str = "Các tin khác"
    date_before_title: bool = False
    author_in_content: bool = True  # the author's line is the content's last paragraph
    aspnet: bool = False  # the whole page is an ASP.NET form with __VIEWSTATE
    article_dir: str = ""  # where article URLs live when not under section_path


DANVAN = Layout(
    name="danvan",
    section_path="/tin-tuc-su-kien/dan-van-chinh-quyen",
    listing=Element("div.list-news"), listing_item=Element("div.item"), listing_title=Element("h3.title"),
    listing_date=Element("span.time"), listing_summary=Element("div.sapo"),
    article=Element("div.article-detail"), title=Element("h1.article-title"), date=Element("div.article-date"),
    date_text=weekday_and_day, date_precision="date", date_before_title=True,
    lead=Element("div.article-sapo"), content=Element("div.article-content"),
    author=Element('p[style="text-align:right"] b'), today=Element("div.today"), related="other-news",
)

# PORTALS.md, "Per-portal markup seen in public scrapers": date, lead and body as the table gives them;
# the rest (listing, title, header) in the same portal's naming style (guess).
KNOWN_LAYOUTS = (
    DANVAN,
    Layout(
        name="kontum",
        section_path="/tin-tuc/tin-tong-hop",
        listing=Element("div.list-tin"), listing_item=Element("div.tin-item"), listing_title=Element("h3.tieude-tin"),
        listing_date=Element("span.ngay-tin"), listing_summary=Element("div.mota-tin"),
        article=Element("div.chitiet-tin"), title=Element("h1.tieude-chitiet"), date=Element("div.thongke-ngay"),
        date_text=posted_on, date_precision="minute",
        # The lead and the body share the class `noidung`: `div.noidung` alone finds the lead first.
        lead=Element("div.noidung.sapo"), content=Element("div.noidung"),
        author=Element('p.tacgia[style="text-align:right"] strong'), today=Element("div.ngay-hom-nay"), related="tin-khac",
    ),
    Layout(
        name="kiengiang",
        section_path="/tin-tuc-su-kien",
        listing=Element("div.list_news"), listing_item=Element("div.news_item"), listing_title=Element("h3.title_news"),
        listing_date=Element("span.date_news"), listing_summary=Element("div.sum_news"),
        article=Element("div.block_tin"), title=Element("h1.title_tin"), date=Element("span.date_pst"),
        date_text=day_and_seconds, date_precision="second",
        lead=Element("p.mota"), content=Element("div.textbody"),
        author=Element('p[style="text-align:right"] strong'), today=Element("div.date_today"), related="tinkhac",
        related_heading="Tin khác",
    ),
    Layout(
        name="quangtri",
        section_path="/tin-tuc-su-kien",
        listing=Element("ul.list_news_cate"), listing_item=Element("li.item_news_cate"),
        listing_title=Element("h3.title_news_cate"), listing_date=Element("span.time_news_cate"),
        listing_summary=Element("div.sapo_news_cate"),
        article=Element("div.detail_news"), title=Element("h1.title_detail_news"), date=Element("span.time_detail_news"),
        date_text=weekday_day_and_time, date_precision="minute",
        lead=Element("p span.summary_detail_news"), content=Element("div.article_summary_detail"),
        author=Element("p.author_detail_news"), author_in_content=False, today=Element("span.date_now"),
        related="other_news_detail", related_heading="Tin cùng chuyên mục",
    ),
    Layout(
        name="tayninh",
        section_path="/tin-tuc-su-kien",
        listing=Element("div.de-listnews"), listing_item=Element("div.de-item"), listing_title=Element("h3.de-title"),
        listing_date=Element("span.de-date"), listing_summary=Element("div.de-sum"),
        # The header's clock is a DateTime span too, outside div.de-newsCent: only the one inside is the article's.
        article=Element("div.de-newsCent"), title=Element("h1.de-newsTitle"),
        date=Element("span#ctl00_ContentPlaceHolder1_ctl00_lblDateTime"),
        date_text=day_and_12h_clock, date_precision="second",
        lead=Element("div.de-sumcontent span"), content=Element("div.de-newscont span"),
        author=Element('p[style="text-align:right"] strong'), today=Element("span#ctl00_ucHeader_lblCurrentDateTime"),
        related="de-othernews", related_heading="Tin khác", aspnet=True,
    ),
    Layout(
        name="hoabinh",
        section_path="/tin-tuc-su-kien",
        listing=Element("div.list-news"), listing_item=Element("div.news-item"), listing_title=Element("h3.news-title"),
        listing_date=Element("span.news-date"), listing_summary=Element("div.news-summary"),
        article=Element("div.news-detail"), title=Element("h1.title"), date=Element("div.date_time"),
        date_text=day_and_time, date_precision="minute",
        lead=Element("div.summary"), content=Element("div.textdetail"),
        author=Element("div.author"), author_in_content=False, today=Element("div.today"), related="related-news",
        related_heading="Tin liên quan",
    ),
    Layout(
        name="khanhhoa",
        section_path="/tin-tuc",
        listing=Element("div.danhsach-tin"), listing_item=Element("div.tin"), listing_title=Element("h3.tieude"),
        listing_date=Element("span.ngaydang"), listing_summary=Element("div.tomtat"),
        article=Element("div.baiviet"), title=Element("h1.tieude-baiviet"), date=Element("span#datearticle"),
        date_text=day_and_seconds, date_precision="second",
        lead=None, content=Element("div.chitietbaiviet"),
        author=Element('p.tacgia[style="text-align:right"] strong'), today=Element("div.ngay-hien-tai"), related="tinkhac",
    ),
    Layout(
        name="quangnam",
        section_path="/tin-tuc-su-kien",
        listing=Element("div#ctl00_ContentPlaceHolder1_ctl00_pnlDanhSach"), listing_item=Element("div.item-news"),
        listing_title=Element("h3.item-title"), listing_date=Element("span.item-date"),
        listing_summary=Element("div.item-summary"),
        article=Element("div.news-detail"), title=Element("h1 span#ctl00_ContentPlaceHolder1_ctl00_lblTieuDe"),
        date=Element("span#ctl00_ContentPlaceHolder1_ctl00_lblNgayDang"),
        date_text=unpadded_day_and_12h_clock, date_precision="second",
        lead=Element("p span#ctl00_ContentPlaceHolder1_ctl00_lblTomTat"),
        content=Element("div.news-content span#ctl00_ContentPlaceHolder1_ctl00_lblNoiDung"),
        author=Element('p[style="text-align:right"] strong'), today=Element("span#ctl00_ucHeader_lblNgayHienTai"),
        related="tin-khac", aspnet=True,
    ),
    Layout(
        name="quangninh",
        section_path="/tin-tuc-su-kien",
        listing=Element("div.list-news"), listing_item=Element("div.item-news"), listing_title=Element("h3.title-news"),
        listing_date=Element("span.date-news"), listing_summary=Element("div.sapo-news"),
        article=Element("div.chi-tiet"), title=Element("h1.tieu-de-trang"), date=Element("div.publish-date"),
        date_text=day_bar_time, date_precision="minute",
        lead=None, content=Element("div.noi-dung-trang"),
        author=Element('p.tac-gia[style="text-align:right"] strong'), today=Element("div.top-date"),
        related="tin-lien-quan", related_heading="Tin liên quan",
    ),
    Layout(
        name="haiphong",
        section_path="/tin-tuc-su-kien/p-UBNDTP",
        article_dir="/tin-tuc-su-kien/p-UBNDTP/d",  # PORTALS.md: article links contain /p-UBNDTP/d
        listing=Element("div.divListNews"), listing_item=Element("div.divItem"), listing_title=Element("h3.divItem_Title"),
        listing_date=Element("span.divItem_Date"), listing_summary=Element("div.divItem_Summary"),
        article=Element("div.divDetail"), title=Element("h1.divDetail_Title"), date=Element("div.divDetail_DateCreate"),
        date_text=day_dash_time, date_precision="minute",
        lead=Element("div.divDetail_Summary"), content=Element("div.divDetail_Content"),
        author=Element("div.divDetail_Author"), author_in_content=False, today=Element("div.divHeader_Date"),
        related="divOtherNews", related_heading="Tin khác",
    ),
    Layout(
        name="binhdinh",
        section_path="/tin-tuc",
        listing=Element("div.list-content"), listing_item=Element("div.item-content"),
        listing_title=Element("h3.title-content"), listing_date=Element("span.date-content"),
        listing_summary=Element("div.sum-content"),
        # PORTALS.md says the real body needs JavaScript; the replica serves it (guess at the class).
        article=Element("div.content-detail"), title=Element("h1.content_title"), date=Element("span.dtContentDate"),
        date_text=parenthesized_day_and_time, date_precision="minute",
        lead=Element("div.content_summary"), content=Element("div.content_detail"),
        author=Element("p.content_author"), author_in_content=False, today=Element("div.header-today"),
        related="related-content", related_heading="Tin liên quan",
    ),
)

# The CMS caobang, laocai and binhthuan share: the date sits in the tools bar (`div.ArticleTools`).
POSTDATE = Layout(
    name="postdate",
    section_path="/tin-tuc-su-kien",
    listing=Element("div.ListNews"), listing_item=Element("div.NewsItem"), listing_title=Element("h3.NewsTitle"),
    listing_date=Element("span.NewsDate"), listing_summary=Element("div.NewsSummary"),
    article=Element("div.ArticleDetail"), title=Element("h1.ArticleTitle"), date=Element("div.ArticleTools div.PostDate"),
    date_text=weekday_day_and_time, date_precision="minute",
    lead=Element("div.ArticleSummary"), content=Element("div.ArticleContent"),
    author=Element('p.Author[style="text-align:right"] strong'), today=Element("div.CurrentDate"), related="OtherNews",
)

# Portals nobody has described: plausible Vietnamese and English class names.
UNKNOWN_LAYOUTS = (
    Layout(
        name="ngay-dang",
        section_path="/tin-tuc-su-kien",
        listing=Element("div.danh-sach-tin"), listing_item=Element("div.tin-tuc-item"), listing_title=Element("h3.tieu-de"),
        listing_date=Element("span.ngay"), listing_summary=Element("div.mo-ta"),
        article=Element("div.bai-viet"), title=Element("h1.tieu-de-bai-viet"), date=Element("div.ngay-dang"),
        date_text=day_in_words, date_precision="date",
        lead=Element("div.tom-tat"), content=Element("div.noi-dung-bai-viet"),
        author=Element('p.tac-gia[style="text-align:right"] strong'), today=Element("div.ngay-hom-nay"), related="tin-khac",
    ),
    Layout(
        name="post",
        section_path="/tin-tuc",
        listing=Element("div.post-list"), listing_item=Element("article.post-item"), listing_title=Element("h2.post-item-title"),
        listing_date=Element("span.post-item-date"), listing_summary=Element("div.post-item-excerpt"),
        article=Element("article.post"), title=Element("h1.post-title"), date=Element("span.post-date"),
        date_text=weekday_day_time_gmt, date_precision="minute",
        lead=Element("div.post-excerpt"), content=Element("div.post-body"),
        author=Element("span.post-author"), author_in_content=False, today=Element("div.topbar-date"),
        related="related-posts", related_heading="Bài viết liên quan",
    ),
    Layout(
        name="cap-nhat",
        section_path="/tin-tuc-su-kien",
        listing=Element("div.box-news"), listing_item=Element("div.box-news-item"), listing_title=Element("h3"),
        listing_date=Element("span"), listing_summary=Element("p"),
        # The date line has no class at all: `<div>Cập nhật: 08:30 | 12/08/2022</div>`.
        article=Element("div.box-detail"), title=Element("h1"), date=Element("div"),
        date_text=updated_time_first, date_precision="minute",
        lead=Element("div.box-detail-sapo"), content=Element("div.box-detail-content"),
        author=Element('p[style="text-align:right"] strong'), today=Element("div.box-top-date"), related="box-other",
    ),
)

LAYOUTS_BY_PORTAL: dict[str, Layout] = {
    **{layout.name: layout for layout in KNOWN_LAYOUTS},
    **{portal_id: POSTDATE for portal_id in ("caobang", "laocai", "binhthuan")},
}


def layout_for(portal_id: str) -> Layout:
    """The portal's layout: its own when PORTALS.md describes it, else one of the unknown ones by hash."""
    known = LAYOUTS_BY_PORTAL.get(portal_id)
    return known or UNKNOWN_LAYOUTS[key_hash("generic-layout", portal_id) % len(UNKNOWN_LAYOUTS)]


class GenericCms(Site):
    """A portal of unknown make, drawn in its layout (danvan.vn's unless the table says otherwise)."""

    platform = "generic"
    date_precision = "date"  # danvan's; other layouts say theirs (precision_for)
    conditional_get = True  # nginx/Apache in front of a classic CMS

    @classmethod
    def layout_of(cls, portal_id: str) -> Layout:
        """The layout that draws this portal."""
        return layout_for(portal_id)

    @cached_property
    def layout(self) -> Layout:
        """This portal's layout; the templates read every class name from it."""
        return self.layout_of(self.portal.id)

    @property
    def template_dir(self) -> str:
        """templates/generic/ draws every layout, whatever the platform key."""
        return "generic"

    @classmethod
    def precision_for(cls, article: CorpusArticle) -> Precision:
        return cls.layout_of(article.portal).date_precision

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        layout = cls.layout_of(article.portal)
        number = id_in_range(f"{article.portal}-article", article.key, low=10000, high=1000000)
        return f"{layout.article_dir or layout.section_path}/{lower_slug(article.slug_title)}-{number}.html"

    def listing_path(self, page: int) -> str:
        section = self.layout.section_path
        return section if page == 1 else f"{section}?page={page}"

    def image_src(self, article: CorpusArticle, file: str) -> str:
        return f"/Uploads/{article.published.year}/{article.published.month}/{file}"

    def attachment_href(self, article: CorpusArticle, attachment: Attachment) -> str:
        return f"/Uploads/files/{article.published.year}/{article.published.month}/{quote(attachment.file)}"

    def send_to_friend_href(self, article: CorpusArticle) -> str:
        return f"/gui-cho-ban-be?url={quote(self.article_path(article), safe='')}"

    def comment_action(self) -> str:
        """Where the comment form posts; '' inside an ASP.NET page, which is one big form already."""
        return "" if self.layout.aspnet else "/gui-phan-hoi"

    def header_today(self) -> str:
        return f"{datefmt.weekday(self.today)}, {datefmt.dmy(self.today)}"

    def article_date(self, article: CorpusArticle) -> str:
        return self.layout.date_text(article.published)

    # --- discovery: robots.txt -> sitemap index -> one sitemap a year; RSS ---------------------------

    def feed_path(self) -> str:
        return FEED_PATH

    def feed_link(self, article: CorpusArticle) -> str:
        """`http://host/…-123.html?utm_source=rss&utm_medium=feed`: plain http and tracking parameters."""
        return f"http://{self.portal.host}{self.article_path(article)}?{FEED_QUERY}"

    def sitemap_urls(self) -> list[str]:
        return [self.url(SITEMAP_INDEX_PATH)]

    def sitemap_loc(self, article: CorpusArticle) -> str:
        """`https://www.host/…-123.html`: the sitemaps name the www. alias."""
        return f"https://{self.www_host}{self.article_path(article)}"

    @property
    def www_host(self) -> str:
        """The www. alias of the host (the host itself when the portal has none)."""
        return next((host for host in self.portal.hosts if host.startswith("www.")), self.portal.host)

    def articles_by_year(self) -> dict[int, list[CorpusArticle]]:
        """The articles grouped by publication year, newest year first (articles are newest first)."""
        return {year: list(group) for year, group in groupby(self.articles, key=lambda article: article.published.year)}

    def sitemap_index(self) -> Response:
        """One sitemap a year, each with the time of its newest change."""
        years = [(year, newest_change(articles)) for year, articles in self.articles_by_year().items()]
        return self._xml("generic/sitemap_index.xml", newest_change(self.articles), years=years)

    def year_sitemap(self, year: int) -> Response | None:
        articles = self.articles_by_year().get(year)
        return self._xml("generic/sitemap.xml", newest_change(articles), items=articles) if articles else None

    def _xml(self, template: str, last_modified: datetime | None, **context: object) -> Response:
        text = render(template, site=self, portal=self.portal, **context)
        return Response(200, text.encode("utf-8"), XML, last_modified)

    # --- requests ------------------------------------------------------------------------------------

    def route(self, request: Request, path: str) -> Response | None:
        """Pages by path alone: query parameters the site does not know (utm_*) are ignored."""
        if path == "/":
            return self.home()
        if path == self.layout.section_path:
            return self.listing_page(positive_int(request.query().get("page")))
        if path == FEED_PATH:
            return self.rss_feed(self.articles[:FEED_SIZE], title=self.portal.site_name)
        if path == SITEMAP_INDEX_PATH:
            return self.sitemap_index()
        year = YEAR_SITEMAP.match(path)
        if year:
            return self.year_sitemap(int(year[1]))
        article = self.find(path)
        return self.article_page(article) if article else None

    def route_post(self, request: Request, path: str) -> Response | None:
        """An ASP.NET layout takes any postback and draws the page again; the others take no POST."""
        return self.route(request, path) if self.layout.aspnet else None


class PostdateCms(GenericCms):
    """The CMS caobang, laocai and binhthuan share (`div.PostDate`, `div.ArticleSummary`, `div.ArticleContent`)."""

    platform = "postdate_cms"
    date_precision = POSTDATE.date_precision
    conditional_get = True

    @classmethod
    def layout_of(cls, portal_id: str) -> Layout:
        return POSTDATE
