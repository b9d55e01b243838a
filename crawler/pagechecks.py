"""Pages that answer 200 but are not the article that was asked for.

Old portals rarely answer 404: a removed article shows "Không tìm thấy trang" with status
200, or redirects to the home page; a section behind a login redirects to a login form.
Archiving those as articles would put error pages in a researcher's results, and a re-check
would record the error page as a new version. Each check returns why a page is not an
article (a refusal kind of crawler/refusals.py and a detail), or None; `redirects` are the
URLs that redirected to the response (Scrapy's `redirect_urls`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from lxml import etree
from parsel import Selector

if TYPE_CHECKING:  # extraction workers import this module without loading Scrapy
    from scrapy.http import Response

# A login page's URL, on the CMSs the portals run (ASP.NET ReturnUrl, SharePoint's
# authenticate page, DNN's ctl=login, WordPress, Liferay, Vietnamese slugs).
LOGIN_URL = re.compile(
    r"(dang-?nhap|login|log-in|logon|signin|sign-in|/account/|/auth/|authenticate\.aspx|[?&]ctl=login|"
    r"returnurl=|return_url=|redirect_to=|/xac-thuc)",
    re.IGNORECASE,
)
LOGIN_HEADING = re.compile(r"^\s*(đăng nhập|dang nhap|login|log in|sign in)\b", re.IGNORECASE)
# A password field in the raw bytes: only a page with one is parsed for the login-form check.
# A plain substring test first: a case-insensitive pattern scans a 60 KB page twenty times slower.
PASSWORD_WORDS = (b"assword", b"ASSWORD")
PASSWORD_INPUT = "//input[translate(@type, 'PASSWORD', 'password') = 'password']"  # TYPE=PASSWORD on old pages
PASSWORD_FIELD = re.compile(rb"""type\s*=\s*["']?password""", re.IGNORECASE)
# What error pages say in their title or heading. Matched on short texts only: an article's
# headline may well contain "không tồn tại" in a sentence.
NOT_FOUND_TEXT = re.compile(
    r"(^\W*(lỗi|error|http)?\s*404\b|\b404\s*[-:–]?\s*(not found|error|lỗi)|lỗi 404|"
    r"không tìm thấy (trang|bài|tin|nội dung|dữ liệu|đường dẫn)|"
    r"(trang|bài viết|tin bài|nội dung|đường dẫn|liên kết)[^.]{0,40}không (tồn tại|có thật|khả dụng)|"
    r"(bài viết|nội dung|trang|tin)( này)? đã bị (xóa|xoá|gỡ)|page not found|^\W*not found|"
    r"file or directory not found|an error occurred)",
    re.IGNORECASE,
)
MAX_ERROR_TITLE_CHARS = 90
# request.meta key: the middleware found no login wall in this response (a scan of the whole body).
LOGIN_WALL_CHECKED = "login_wall_checked"
# A whole page ends with </html> within its last bytes (after it: scripts, comments, whitespace).
PAGE_END_BYTES = 4096
PAGE_END = re.compile(rb"</html\s*>", re.IGNORECASE)
# Where portals send a removed article: the home page, or an error page.
HOME_PATHS = frozenset({"", "/", "/index.html", "/index.php", "/default.aspx", "/pages/default.aspx",
                        "/portal/pages/default.aspx", "/trang-chu", "/home", "/web/guest", "/web/guest/home"})
ERROR_PATH = re.compile(r"(404|not-?found|notfound|error|loi|khong-tim-thay)", re.IGNORECASE)


class NotAnArticle(Exception):
    """A page that is not the article asked for, found while extracting it: (refusal kind, detail)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(kind, detail)
        self.kind, self.detail = kind, detail


def not_an_article(response: Response, redirects: list[str]) -> tuple[str, str] | None:
    """(refusal kind, detail) when the page that answered is not an article to archive: every
    check below, the error-page text included."""
    if refusal := refused_unread(response, redirects):
        return refusal
    page = parsed(response)
    if page is not None and (said := error_page_says(response.url, page)):
        return "soft_404", said
    return None


def refused_unread(response: Response, redirects: list[str]) -> tuple[str, str] | None:
    """The checks that need no parse of the page (the login-form check parses only a page with a
    password field). A live crawl runs these in the reactor and leaves the error-page text to
    the extraction worker, which parses the page anyway (NotAnArticle). The login check is not
    run again on a response FaultAccountingMiddleware passed (LOGIN_WALL_CHECKED)."""
    checks = (("not_html", not_html), ("login_wall", _login_wall_unless_checked), ("soft_404", redirected_away))
    for kind, check in checks:
        if reason := check(response, redirects):
            return kind, reason
    return None


def ends_before_html_close(body: bytes) -> bool:
    """No </html> near the end: the page was cut short (when the transfer did not say so itself)."""
    return not PAGE_END.search(body[-PAGE_END_BYTES:])


def parsed(response: Response) -> Selector | None:
    """The page's tree for the checks, or None when it is not HTML. Not `response.css`: that
    keeps the tree on the response for as long as Scrapy holds it (with thousands of responses
    waiting for extraction, gigabytes), where this one is freed once the checks are done."""
    if not _is_html(response):
        return None
    return Selector(body=response.body or b"<html/>", encoding=response.encoding, type="html")


def login_wall(response: Response, redirects: list[str], page: Selector | None = None) -> str | None:
    """A redirect to a login page, or a login form standing where an article should be."""
    if redirects and LOGIN_URL.search(unquote(response.url)):
        return f"{redirects[0]} redirects to the login page {response.url}"
    if page is None and not _has_password_field(response.body or b""):
        return None
    page = page if page is not None else parsed(response)
    if page is not None and page.xpath(PASSWORD_INPUT):
        # The page's own title or main heading, not a sidebar's login box.
        headings = page.css("title::text, h1 ::text").getall()
        if LOGIN_URL.search(response.url) or any(LOGIN_HEADING.match(text) for text in headings):
            return f"{response.url} is a login form"
    return None


def _login_wall_unless_checked(response: Response, redirects: list[str]) -> str | None:
    if response.request is not None and response.request.meta.get(LOGIN_WALL_CHECKED):
        return None
    return login_wall(response, redirects)


def soft_404(response: Response, redirects: list[str], page: Selector | None = None) -> str | None:
    """An answer 200 that is an error page, or a redirect of the article to the home or an error page."""
    if reason := redirected_away(response, redirects):
        return reason
    page = page if page is not None else parsed(response)
    return error_page_says(response.url, page) if page is not None else None


def redirected_away(response: Response, redirects: list[str]) -> str | None:
    """The article was redirected to the home page or an error page."""
    if redirects:
        path = urlsplit(response.url).path.rstrip("/").lower() or "/"
        if path in HOME_PATHS or ERROR_PATH.search(path):
            return f"{redirects[0]} redirects to {response.url}"
    return None


def error_page_says(url: str, page: Selector) -> str | None:
    """What the page at `url` says in its title or first heading when it is an error page
    (`… says 'Không tìm thấy trang'`), or None."""
    for text in _error_texts(page):
        if len(text) <= MAX_ERROR_TITLE_CHARS and NOT_FOUND_TEXT.search(text):
            return f"{url} says {text!r}"
    return None


def not_html(response: Response, redirects: list[str], page: Selector | None = None) -> str | None:
    """An article link that answered a PDF, an image or JSON where a web page was expected."""
    if _is_html(response):
        return None
    kind = response.headers.get("Content-Type", b"").decode("latin-1") or "no content type"
    return f"{response.url} answered {kind}"


# `title ::text` and `h1 ::text`, compiled once: every article page is read for them.
TITLE_TEXTS = etree.XPath("descendant-or-self::title/descendant-or-self::text()", smart_strings=False)
HEADING_TEXTS = etree.XPath("descendant-or-self::h1/descendant-or-self::text()", smart_strings=False)


def _error_texts(page: Selector) -> list[str]:
    """The page's title and first heading, where error pages say what went wrong."""
    title = " ".join(" ".join(TITLE_TEXTS(page.root)).split())
    heading = " ".join(" ".join(HEADING_TEXTS(page.root)[:3]).split())
    return [text for text in (title, heading) if text]


def _has_password_field(body: bytes) -> bool:
    return any(word in body for word in PASSWORD_WORDS) and bool(PASSWORD_FIELD.search(body))


def _is_html(response: Response) -> bool:
    return hasattr(response, "css") and b"html" in response.headers.get("Content-Type", b"text/html").lower()
