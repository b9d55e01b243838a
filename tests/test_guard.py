"""The rules behind the hostile-portal defences, one by one (the crawls are in test_faults.py)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from crawler.guard import AddressPolicy, forbidden_reason
from crawler.pagechecks import login_wall, not_html, soft_404
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
