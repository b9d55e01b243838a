"""The rules behind the hostile-portal defences, one by one (the crawls are in test_faults.py)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from scrapy.utils.test import get_crawler
from w3lib.url import safe_url_string

from crawler.extract import extract_capture
from crawler.guard import AddressPolicy, forbidden_reason
from crawler.items import PageCapture
from crawler.middlewares import HeadMetaRefreshMiddleware
from crawler.pagechecks import NotAnArticle, login_wall, not_html, refused_unread, soft_404
from crawler.robots import ROBOTS_PARSE_LIMIT, RobotsPolicyMiddleware
from crawler.urls import url_key


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("::1", "loopback"),
    ("10.0.0.5", "private"), ("172.16.3.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"), ("fd12:3456::1", "unique-local"),
    ("::ffff:127.0.0.1", "IPv4-mapped (loopback)"), ("::ffff:10.0.0.1", "IPv4-mapped (private)"),
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("198.18.0.1", "reserved"),
])
def test_non_public_addresses_are_named(address, reason):
    assert forbidden_reason(address) == reason


@pytest.mark.parametrize("address", ["203.113.131.1", "14.225.0.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(address):
    assert forbidden_reason(address) is None


def test_the_host_map_opens_exactly_the_address_and_port_it_names():
    policy = AddressPolicy.from_hostmap(["http://127.0.0.1:8001", "https://localhost:8443"])
    assert policy.refusal("127.0.0.1", 8001) is None
    assert policy.refusal("127.0.0.1", 8443) is None  # localhost is 127.0.0.1
    assert policy.refusal("127.0.0.1", 6379) == "127.0.0.1:6379 is loopback"
    assert policy.refusal("127.0.0.2", 8001) == "127.0.0.2:8001 is loopback"
    assert policy.refusal("203.113.131.1", 80) is None


class _Settings(dict):
    def getbool(self, name):
        return bool(self.get(name))

    def getfloat(self, name):
        return float(self[name])


class _Crawler:
    settings = _Settings(ROBOTSTXT_OBEY=True, USER_AGENT="vnarchive/1", ROBOTSTXT_USER_AGENT="",
                         ROBOTSTXT_TIMEOUT=10, MAX_CRAWL_DELAY=30)


@pytest.fixture
def robots():
    return RobotsPolicyMiddleware(_Crawler())


@pytest.mark.parametrize(("status", "unreachable", "allowed"), [
    (500, True, False), (503, True, False), (429, True, False),
    (404, False, True), (403, False, True), (410, False, True),
])
def test_robots_answers_are_read_as_rfc_9309_says(robots, status, unreachable, allowed):
    rules = robots.read_answer(status, b"User-agent: *\nDisallow: /\n")
    assert rules.unreachable is unreachable
    assert rules.allows("https://hanam.gov.vn/tin-tuc/a.html", "vnarchive/1") is allowed


def test_robots_rules_are_read_from_the_first_500_kib_only(robots):
    head = b"User-agent: *\nDisallow: /private\n"
    padding = b"# " + b"x" * 98 + b"\n"
    late = b"Disallow: /late\n"
    body = head + padding * (ROBOTS_PARSE_LIMIT // len(padding) + 10) + late
    rules = robots.read_answer(200, body)
    assert not rules.allows("https://x.gov.vn/private/a.html", "vnarchive/1")
    assert rules.allows("https://x.gov.vn/late/a.html", "vnarchive/1")


def test_crawl_delay_is_honoured_up_to_the_cap(robots):
    assert robots.read_answer(200, b"User-agent: *\nCrawl-delay: 2\n").crawl_delay == 2
    assert robots.read_answer(200, b"User-agent: *\nCrawl-delay: 86400\n").crawl_delay == 30
    assert robots.read_answer(200, b"User-agent: *\nDisallow:\n").crawl_delay == 0


def _page(url, html, redirected_from=None, content_type=b"text/html; charset=utf-8"):
    request = Request(url, meta={"redirect_urls": [redirected_from]} if redirected_from else {})
    cls = HtmlResponse if b"html" in content_type else TextResponse
    return cls(url, body=html.encode(), encoding="utf-8", request=request, headers={"Content-Type": content_type})


ARTICLE = "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>Nội dung.</p></body></html>"


@pytest.mark.parametrize("title", ["Không tìm thấy trang", "Trang bạn yêu cầu không tồn tại", "404 - Not Found",
                                   "Lỗi 404", "Bài viết đã bị xóa", "Page not found"])
def test_error_pages_answering_200_are_soft_404s(title):
    page = _page("https://x.gov.vn/tin-tuc/a-1.html", ARTICLE.format(title=title))
    assert soft_404(page, [])


@pytest.mark.parametrize("title", ["Xử lý 404 trường hợp vi phạm trật tự xây dựng",
                                   "Không tìm thấy dấu hiệu vi phạm trong vụ việc",
                                   "Hàng trăm bài đăng sai sự thật đã bị gỡ bỏ"])
def test_headlines_that_mention_errors_are_articles(title):
    assert soft_404(_page("https://x.gov.vn/tin-tuc/a-1.html", ARTICLE.format(title=title)), []) is None


def test_an_article_redirected_to_the_home_page_is_a_soft_404():
    home = _page("https://x.gov.vn/", ARTICLE.format(title="Cổng thông tin"), "https://x.gov.vn/tin-tuc/a-1.html")
    assert "redirects to https://x.gov.vn/" in soft_404(home, ["https://x.gov.vn/tin-tuc/a-1.html"])


def test_login_pages_are_walls_not_articles():
    form = ("<html><head><title>Đăng nhập hệ thống</title></head><body><h1>Đăng nhập</h1>"
            "<form><input name=u><input type=password name=p></form></body></html>")
    assert login_wall(_page("https://x.gov.vn/tin-tuc/a-1.html", form), [])
    login = _page("https://x.gov.vn/dang-nhap?ReturnUrl=%2Ftin-tuc%2Fa-1.html", "<html><body>x</body></html>")
    assert login_wall(login, ["https://x.gov.vn/tin-tuc/a-1.html"])
    # A portal's sidebar login box does not make an article a login page.
    article = ("<html><head><title>Hội nghị dân vận khéo</title></head><body><h1>Hội nghị dân vận khéo</h1>"
               "<aside><h2>Thư điện tử</h2><input type=password></aside><p>Nội dung.</p></body></html>")
    assert login_wall(_page("https://x.gov.vn/tin-tuc/a-1.html", article), []) is None


def test_an_upper_case_password_field_is_still_read_as_a_login_form():
    form = ("<HTML><HEAD><TITLE>Login</TITLE></HEAD><BODY><H1>Login</H1>"
            "<FORM><INPUT NAME=u><INPUT TYPE=PASSWORD NAME=p></FORM></BODY></HTML>")
    assert login_wall(_page("https://x.gov.vn/tin-tuc/a-1.html", form), [])


def test_an_error_page_is_refused_by_extraction_when_the_crawl_left_it_unread():
    page = _page("https://x.gov.vn/tin-tuc/a-1.html", ARTICLE.format(title="Không tìm thấy trang"))
    assert refused_unread(page, []) is None  # the reactor does not parse it
    capture = PageCapture(portal="", url=page.url, status=200, body=page.body,
                          headers={"Content-Type": "text/html; charset=utf-8"}, fetched_at="2026-11-23T10:00:00+07:00")
    with pytest.raises(NotAnArticle) as refusal:
        extract_capture(capture, refuse_error_pages=True)
    assert refusal.value.kind == "soft_404" and "Không tìm thấy trang" in refusal.value.detail
    assert extract_capture(capture).title  # re-extraction of a stored capture does not refuse


def _meta_refresh_middleware():
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_ENABLED": True}))


@pytest.mark.parametrize(("charset", "target"), [("utf-8", "/tin-tuc/bài-mới.html"), ("windows-1258", "/tin-tuc/moi.html")])
def test_a_meta_refresh_redirects_without_decoding_the_whole_page(charset, target):
    head = f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head><body>'
    body = (head + "<p>Nội dung bài viết.</p>" * 2000 + "</body></html>").encode(charset, errors="replace")
    page = HtmlResponse("https://x.gov.vn/tin-tuc/cu.html", body=body, request=Request("https://x.gov.vn/tin-tuc/cu.html"),
                        headers={"Content-Type": f"text/html; charset={charset}"})
    redirected = _meta_refresh_middleware().process_response(page.request, page)
    assert isinstance(redirected, Request)
    assert redirected.url == safe_url_string(f"https://x.gov.vn{target}", encoding=charset)
    assert page._cached_ubody is None  # the page's text was never decoded onto the response


@pytest.mark.parametrize(("charset", "tag"), [("utf-16", '<meta http-equiv="refresh" content="0; url=/moi.html">'),
                                              ("utf-32", '<meta http-equiv="refresh" content="0; url=/moi.html">'),
                                              ("utf-8", '<META HTTP-EQUIV="REFRESH" CONTENT="0; URL=/moi.html">')])
def test_a_meta_refresh_in_any_case_or_a_wide_encoding_redirects(charset, tag):
    body = f"<html><head>{tag}</head><body><p>Nội dung.</p></body></html>".encode(charset)
    page = HtmlResponse("https://x.gov.vn/cu.html", body=body, request=Request("https://x.gov.vn/cu.html"),
                        headers={"Content-Type": f"text/html; charset={charset}"})
    redirected = _meta_refresh_middleware().process_response(page.request, page)
    assert isinstance(redirected, Request) and redirected.url == "https://x.gov.vn/moi.html"


def test_a_wide_encoding_pages_meta_refresh_writes_its_query_in_utf8():
    tag = '<meta http-equiv="refresh" content="0; url=/tim-kiem?q=dân vận">'
    body = f"<html><head>{tag}</head><body><p>Nội dung.</p></body></html>".encode("utf-16")
    page = HtmlResponse("https://x.gov.vn/cu.html", body=body, request=Request("https://x.gov.vn/cu.html"),
                        headers={"Content-Type": "text/html; charset=utf-16"})
    redirected = _meta_refresh_middleware().process_response(page.request, page)
    assert redirected.url == "https://x.gov.vn/tim-kiem?q=d%C3%A2n%20v%E1%BA%ADn"


def test_a_page_without_meta_refresh_passes_through():
    page = _page("https://x.gov.vn/tin-tuc/a-1.html", ARTICLE.format(title="Hội nghị"))
    assert _meta_refresh_middleware().process_response(page.request, page) is page


def test_an_article_link_answering_a_pdf_is_not_html():
    pdf = _page("https://x.gov.vn/tin-tuc/a-1.html", "%PDF-1.4", content_type=b"application/pdf")
    assert "application/pdf" in not_html(pdf, [])


@pytest.mark.parametrize("variant", [
    "https://x.gov.vn/tin-tuc/a-1.html;jsessionid=ABC123",
    "https://x.gov.vn/(S(lit3py55t21z5v55vlm25s55))/tin-tuc/a-1.html",
    "https://x.gov.vn/tin-tuc/a-1.html?PHPSESSID=9f8e7d",
    "https://www.x.gov.vn/tin-tuc/a-1.html?sid=42&utm_source=zalo",
])
def test_session_id_variants_have_one_key(variant):
    assert url_key(variant) == url_key("https://x.gov.vn/tin-tuc/a-1.html")
