"""The offline replica: real HTTP on 127.0.0.1 answering for the portals' real hostnames."""

from __future__ import annotations

import html as html_lib
import http.client
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from crawler.replica import HOSTS, ReplicaServer, article_url, expected_published_at, listing_urls, load_corpus
from crawler.replica.server import resolve_today

TODAY = date(2026, 11, 23)
ROOT = Path(__file__).resolve().parent.parent
HTML_LISTING_PORTALS = ("hanam", "backan", "vinhlong", "hue", "danvan")
ALL_PORTALS = (*HTML_LISTING_PORTALS, "hanoi", "tuyengiaodanvan")
HANOI_API = "https://hanoi.gov.vn/api/NewsZone/NewsZone"
TGDV_CATEGORY = "65f1c0a2b3d4e5f60718293a"


@pytest.fixture(scope="module")
def server():
    with ReplicaServer(0, today=TODAY) as replica:
        yield replica


def fetch(server: ReplicaServer, url: str, *, data: bytes | None = None, method: str | None = None):
    """(status, headers, body bytes) for a real URL, sent to the replica with the real Host header."""
    request = urllib.request.Request(
        server.base_url + root_relative(url), data=data, method=method, headers={"Host": urlsplit(url).netloc}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page(server: ReplicaServer, url: str, **kwargs) -> str:
    status, _, body = fetch(server, url, **kwargs)
    assert status == 200, url
    return body.decode("utf-8")


def html_escape(text: str) -> str:
    """Text as Jinja escapes it."""
    return html_lib.escape(text).replace("&quot;", "&#34;").replace("&#x27;", "&#39;")


def articles_of(portal: str):
    return [article for article in load_corpus() if article.portal == portal]


def article_by_key(key: str):
    return next(article for article in load_corpus() if article.key == key)


def root_relative(url: str) -> str:
    """`https://host/path?query` -> `/path?query`, as pages link within a site."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def linked_keys(html: str, articles) -> list[str]:
    """Keys of the `articles` linked on the page, in the order of their first link."""
    positions = []
    for article in articles:
        index = html.find(f'href="{root_relative(article_url(article)).replace("&", "&amp;")}"')
        if index >= 0:
            positions.append((index, article.key))
    return [key for _, key in sorted(positions)]


def hanoi_more(server: ReplicaServer, shown: list[str], page_index: int = 2, **overrides: str) -> tuple[int, str]:
    fields = {"PageIndex": str(page_index), "Catname": "tin-tuc-su-kien-noi-bat", "PageSize": "2", "LanguageId": "1", "Site": "hanoi"}
    fields.update(overrides)
    form = urlencode([*fields.items(), *(("DataIds[]", item) for item in shown)]).encode()
    status, _, body = fetch(server, HANOI_API, data=form)
    return status, body.decode("utf-8")


# --- listings ------------------------------------------------------------------------------


def test_the_corpus_gives_every_portal_five_or_more_articles_newest_first():
    corpus = load_corpus()
    assert [a.published for a in corpus] == sorted((a.published for a in corpus), reverse=True)
    for portal in ALL_PORTALS:
        assert len(articles_of(portal)) >= 5, portal


@pytest.mark.parametrize("portal", HTML_LISTING_PORTALS)
def test_listing_pages_link_every_article_newest_first(server, portal):
    urls = listing_urls(portal)
    assert len(urls) == 3
    keys = []
    for url in urls:
        on_page = linked_keys(page(server, url), articles_of(portal))
        assert 1 <= len(on_page) <= 2, url
        keys += on_page
    assert keys == [a.key for a in articles_of(portal)]


@pytest.mark.parametrize("portal", HTML_LISTING_PORTALS)
def test_a_page_beyond_the_last_is_an_empty_list(server, portal):
    url = listing_urls(portal)[-1].replace("=3", "=9")
    html = page(server, url)
    assert linked_keys(html, articles_of(portal)) == []
    assert "Bản quyền thuộc về" in html


def test_listing_urls_follow_each_platform():
    assert listing_urls("hanam") == [
        "https://hanam.gov.vn/Pages/Tin-tuc-su-kien.aspx",
        "https://hanam.gov.vn/Pages/Tin-tuc-su-kien.aspx?PageIndex=2",
        "https://hanam.gov.vn/Pages/Tin-tuc-su-kien.aspx?PageIndex=3",
    ]
    assert listing_urls("backan")[1] == "https://backan.gov.vn/Pages/news.aspx?CatId=104&page=2"
    assert listing_urls("vinhlong")[2] == "https://vinhlong.gov.vn/Default.aspx?tabid=63&Page=3"
    assert listing_urls("hue")[1] == "https://hue.gov.vn/?gd=1&cn=129&pg=2"
    assert listing_urls("danvan")[1] == "https://danvan.vn/tin-tuc-su-kien/dan-van-chinh-quyen?page=2"
    assert listing_urls("hanoi") == ["https://hanoi.gov.vn/tin-tuc-su-kien-noi-bat"]
    assert listing_urls("tuyengiaodanvan")[0] == (
        f"https://tuyengiaodanvan.vn/blogs/category/type/tin-tuc-su-kien?categoryId={TGDV_CATEGORY}&page=1&size=2"
    )


def test_hanam_pages_by_postback_too(server):
    form = urlencode({"__EVENTTARGET": "ctl00$pager", "__EVENTARGUMENT": "Page$2", "__VIEWSTATE": "x"}).encode()
    html = page(server, listing_urls("hanam")[0], data=form)
    assert linked_keys(html, articles_of("hanam"))[:2] == [a.key for a in articles_of("hanam")[2:4]]
    assert "javascript:__doPostBack(" in html and 'name="__VIEWSTATE"' in html and 'name="__EVENTVALIDATION"' in html


def test_hanam_article_urls_carry_the_date_and_a_suffix():
    url = article_url(article_by_key("hanam-toa-dam-dan-van-chinh-quyen-phu-ly"))
    assert re.fullmatch(r"https://hanam\.gov\.vn/Pages/2018-8-1/Toa-dam-nang-cao-chat-luong-cong-tac-dan-van-[a-z0-9]{6}\.aspx", url)


def test_iis_sites_ignore_case(server):
    url = listing_urls("hanam")[1].lower().replace("https://hanam", "https://www.hanam")
    assert linked_keys(page(server, url), articles_of("hanam"))[:2] == [a.key for a in articles_of("hanam")[2:4]]


def test_vinhlong_rss_lists_every_article(server):
    status, headers, body = fetch(server, "https://vinhlong.gov.vn/rssfeed.rss")
    feed = body.decode("utf-8")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    assert feed.count("<item>") == len(articles_of("vinhlong"))
    assert "<pubDate>Thu, 29 Dec 2016 15:13:27 +0700</pubDate>" in feed


# --- hanoi: "Xem thêm" through the API ---------------------------------------------------------


def test_hanoi_section_server_renders_the_first_page(server):
    html = page(server, listing_urls("hanoi")[0])
    first = [a.key for a in articles_of("hanoi")[:2]]
    assert linked_keys(html, articles_of("hanoi"))[:2] == first
    assert 'data-catname="tin-tuc-su-kien-noi-bat" data-pagesize="2" data-languageid="1" data-site="hanoi"' in html
    assert '<a class="btn-viewmore" href="javascript:;">Xem thêm</a>' in html


def test_hanoi_api_pages_by_the_ids_already_shown(server):
    articles = articles_of("hanoi")
    ids = [re.search(r"-(\d{14})\.htm$", article_url(a))[1] for a in articles]
    assert all(i.startswith("4") and i[1:13] == f"{a.published:%y%m%d%H%M%S}" for i, a in zip(ids, articles))
    shown, keys = ids[:2], []
    for page_index in range(2, 5):
        status, fragment = hanoi_more(server, shown, page_index)
        assert status == 200
        found = re.findall(r'data-id="(\d{14})"', fragment)
        if not found:
            break
        assert "box-stream-link-title" in fragment and "<html" not in fragment
        shown += found
        keys += found
    assert keys == ids[2:]
    assert hanoi_more(server, ids) == (200, "")


def test_hanoi_api_rejects_bad_requests(server):
    assert hanoi_more(server, [], Catname="")[0] == 400
    status, _, _ = fetch(server, HANOI_API, data=b"Catname=tin-tuc-su-kien-noi-bat")
    assert status == 400
    status, headers, _ = fetch(server, HANOI_API)
    assert status == 405 and "POST" in headers["Allow"]


# --- tuyengiaodanvan: HTML shell + JSON API ------------------------------------------------------


def test_tuyengiaodanvan_public_pages_are_an_empty_shell(server):
    html = page(server, listing_urls("tuyengiaodanvan")[0])
    assert '<div id="root"></div>' in html and "You need to enable JavaScript to run this app." in html
    assert re.search(r'<script defer="defer" src="(/static/js/main\.[0-9a-f]{8}\.js)"', html)
    article = articles_of("tuyengiaodanvan")[0]
    shell = page(server, article_url(article))
    assert f"<title>{article.title}</title>" in shell
    assert f'<meta property="article:published_time" content="{expected_published_at(article)}">' in shell
    assert article.body[0][:40] not in shell
    script = re.search(r'src="(/static/js/[^"]+)"', shell)[1]
    status, headers, _ = fetch(server, "https://tuyengiaodanvan.vn" + script)
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")


def test_tuyengiaodanvan_api_lists_newest_first(server):
    articles, seen = articles_of("tuyengiaodanvan"), []
    for number in (1, 2, 3, 4):
        status, headers, body = fetch(server, f"https://tuyengiaodanvan.vn/api/blogs?categoryId={TGDV_CATEGORY}&page={number}&size=2")
        data = json.loads(body)
        assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
        assert (data["page"], data["size"], data["totalPages"], data["totalElements"]) == (number, 2, 3, len(articles))
        seen += [item["title"] for item in data["content"]]
        for item in data["content"]:
            assert set(item) == {"id", "slug", "title", "description", "publishedDate", "thumbnail", "category"}
            assert re.fullmatch(r"[0-9a-f]{24}", item["id"])
            assert article_url(next(a for a in articles if a.title == item["title"])).endswith(f"/blogs/{item['slug']}-{item['id']}")
    assert seen == [a.title for a in articles]


def test_tuyengiaodanvan_api_gives_one_article(server):
    article = articles_of("tuyengiaodanvan")[0]
    blog_id = article_url(article).rsplit("-", 1)[1]
    data = json.loads(fetch(server, f"https://tuyengiaodanvan.vn/api/blogs/{blog_id}")[2])
    assert data["title"] == article.title and data["description"] == article.lead
    assert data["publishedDate"] == expected_published_at(article)
    assert data["author"] == article.author
    assert data["content"].startswith("<") and article.body[0][:40] in data["content"]
    assert data["category"] == {"id": TGDV_CATEGORY, "name": "Tin tức - Sự kiện"}
    status, _, body = fetch(server, "https://tuyengiaodanvan.vn/api/blogs/000000000000000000000000")
    assert status == 404 and json.loads(body)["status"] == 404
    assert fetch(server, "https://tuyengiaodanvan.vn/api/blogs?page=1")[0] == 400


# --- article pages -------------------------------------------------------------------------------

# One article per platform: the date as its page prints it, and the header's "today".
ARTICLE_PAGES = [
    ("hanam-toa-dam-dan-van-chinh-quyen-phu-ly",
     '<span class="tandan-span-date-publish">Đăng ngày 01/08/2018 09:30</span>',
     '<div class="tandan-header-date">Thứ Hai, 23/11/2026</div>', "Các tin khác"),
    ("backan-khac-phuc-hau-qua-mua-lu-ba-be", '<div id="txtDateString">10/09/2024 20:15</div>',
     '<div class="header-date">Thứ Hai, ngày 23 tháng 11 năm 2026</div>', "Tin liên quan"),
    ("vinhlong-tong-ket-dan-van-chinh-quyen-2016", '<div class="ArticleDetailDate">Ngày 29/12/2016 15:13:27</div>',
     '<span class="dnn-today">Thứ Hai, 23/11/2026 8:00:00 SA</span>', "Các tin khác"),
    ("hue-khao-sat-dan-van-chinh-quyen-thanh-uy-hue", '<div class="news-detail-date">03/06/2022 4:38:52 CH</div>',
     '<div class="header-date">Thứ hai, 23/11/2026</div>', "Tin liên quan"),
    ("hanoi-dan-van-phong-chong-covid-2021", '<div class="detail-time">Thứ năm, 12/8/2021, 12:00 (GMT+7)</div>',
     '<div class="header-date">Thứ Hai, ngày 23/11/2026</div>', "Tin liên quan"),
    ("danvan-toa-dam-dan-van-chinh-quyen-phu-ly", '<div class="article-date">Thứ Sáu, 26/4/2024</div>',
     '<div class="today">Thứ Hai, 23/11/2026</div>', "Các tin khác"),
]
TOOLBAR = ("Xem cỡ chữ", "A-", "A+", "Đọc bài viết", "In bài viết", "Gửi cho bạn bè")


@pytest.mark.parametrize(("key", "date_line", "today_line", "related"), ARTICLE_PAGES)
def test_article_page_has_the_platform_markup(server, key, date_line, today_line, related):
    article = article_by_key(key)
    html = page(server, article_url(article))
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert html_escape(article.title) in html
    assert date_line in html and today_line in html
    for label in TOOLBAR:
        assert label in html, label
    assert related in html
    assert "Bản quyền thuộc về" in html and f'Ghi rõ nguồn tin "{urlsplit(article_url(article)).hostname}"' in html
    assert "Phản hồi" in html and "Thông tin người gửi phản hồi" in html and "Gửi bình luận" in html


def test_related_lists_hold_other_articles_with_their_dates(server):
    article = article_by_key("vinhlong-tong-ket-dan-van-chinh-quyen-2016")
    other_news = page(server, article_url(article)).split('<div class="OtherNews">', 1)[1].split("</div>", 1)[0]
    others = [a for a in articles_of("vinhlong") if a.key != article.key]
    assert sum(f"({a.published:%d/%m/%Y})" in other_news for a in others) == 3
    assert "(29/12/2016)" not in other_news


def test_backan_repeats_title_and_captions_and_may_show_no_date(server):
    html = page(server, article_url(article_by_key("backan-dan-van-chinh-quyen-6-thang-cuoi-nam-2018")))
    title = "Triển khai nhiệm vụ công tác dân vận chính quyền 6 tháng cuối năm"
    assert html.count(title) >= 4  # <title>, breadcrumb, print title, #txtTitle
    assert 'id="txtDateString"' not in html
    assert html.count("Quang cảnh hội nghị") >= 3  # alt, caption, repeated caption
    assert re.search(r'id="ctl00_ctl45_g_[0-9a-f_]+_pnNguontin"[^>]*>\s*<p class="author"><strong>Duy Khánh</strong>', html)


def test_danvan_keeps_author_and_dated_source_inside_the_content(server):
    html = page(server, article_url(article_by_key("danvan-toa-dam-dan-van-chinh-quyen-phu-ly")))
    content = html.split('<div class="article-content">', 1)[1].split("</div>", 1)[0]
    assert content.rstrip().endswith("<p><i>Nguồn: hanam.gov.vn, 1/8/2018</i></p>")
    assert "Xem nhiều nhất" in html


def test_vinhlong_lead_carries_the_house_prefix(server):
    html = page(server, article_url(article_by_key("vinhlong-tong-ket-dan-van-chinh-quyen-2016")))
    assert '<div class="ArticleDetailSummary"><b>(Vinhlong.gov.vn) –</b> Ngày 26/12/2016' in html
    assert '<p style="text-align:right"><strong>N.H</strong></p>' in html
    assert "/Portals/0/Medias/Nam2016/T12/le-quang-trung-tang-bang-khen.jpg" in html


def test_hanoi_keeps_the_author_outside_the_content(server):
    article = next(a for a in articles_of("hanoi") if a.author)
    html = page(server, article_url(article))
    content_end = html.index('<div class="detail-author">')
    assert html.index('data-role="content"') < content_end
    assert f'<p class="author">{article.author}</p>' in html[content_end:]


def test_expected_published_at_says_what_the_page_shows():
    assert expected_published_at(article_by_key("hue-khao-sat-dan-van-chinh-quyen-thanh-uy-hue")) == "2022-06-03T16:38:52+07:00"
    assert expected_published_at(article_by_key("hanam-toa-dam-dan-van-chinh-quyen-phu-ly")) == "2018-08-01T09:30:00+07:00"
    assert expected_published_at(article_by_key("danvan-toa-dam-dan-van-chinh-quyen-phu-ly")) == "2024-04-26"
    assert expected_published_at(article_by_key("backan-dan-van-chinh-quyen-6-thang-cuoi-nam-2018")) == "2018-07-20"
    assert expected_published_at(article_by_key("vinhlong-tong-ket-dan-van-chinh-quyen-2016")) == "2016-12-29T15:13:27+07:00"


# --- HTTP ------------------------------------------------------------------------------------------


def test_unknown_paths_are_real_404_pages(server):
    status, headers, body = fetch(server, "https://hanam.gov.vn/Pages/khong-co.aspx")
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Trang không tồn tại" in body.decode("utf-8")
    assert fetch(server, "https://backan.gov.vn/Pages/chi-tiet-tin.aspx?ItemID=1&l=TinTucSuKien")[0] == 404
    assert fetch(server, "https://hue.gov.vn/?gd=1&cn=129&tc=1")[0] == 404
    assert fetch(server, "https://danvan.vn/favicon.ico")[0] == 404


@pytest.mark.parametrize("host", ["example.com", "thuathienhue.gov.vn"])
def test_unknown_and_defunct_hosts_get_404(server, host):
    status, _, body = fetch(server, f"https://{host}/")
    assert (status, body) == (404, b"unknown host")
    assert "thuathienhue.gov.vn" not in HOSTS and HOSTS["www.hanam.gov.vn"] == "hanam"


def test_robots_allow_listings_and_articles(server):
    for portal in ALL_PORTALS:
        host = urlsplit(listing_urls(portal)[0]).netloc
        robots = page(server, f"https://{host}/robots.txt")
        assert robots.startswith("User-agent: *\nDisallow: /")
        disallowed = re.findall(r"Disallow: (\S+)", robots)
        assert all(not urlsplit(url).path.startswith(tuple(disallowed)) for url in listing_urls(portal))


def test_article_responses_carry_validators(server):
    article = article_by_key("hue-khao-sat-dan-van-chinh-quyen-thanh-uy-hue")
    status, headers, body = fetch(server, article_url(article))
    assert int(headers["Content-Length"]) == len(body)
    assert parsedate_to_datetime(headers["Last-Modified"]) == article.published.astimezone(timezone.utc)
    assert re.fullmatch(r'"[0-9a-f]{24}"', headers["ETag"])
    status, head_headers, head_body = fetch(server, article_url(article), method="HEAD")
    assert (status, head_body, head_headers["Content-Length"]) == (200, b"", headers["Content-Length"])


def test_one_kept_alive_connection_serves_many_requests(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        for path in ["/", "/nope", "/tin-tuc-su-kien/dan-van-chinh-quyen?page=2", "/robots.txt"]:
            connection.request("GET", path, headers={"Host": "danvan.vn"})
            response = connection.getresponse()
            assert len(response.read()) == int(response.getheader("Content-Length"))
    finally:
        connection.close()


def test_pictures_referenced_by_pages_answer(server):
    status, headers, body = fetch(server, "https://hue.gov.vn/UploadFiles/TinTuc/2022/6/3/tran-hung-nam-phat-bieu.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and body.startswith(b"\xff\xd8")


def test_two_replicas_serve_identical_bytes(server):
    urls = [url for portal in ALL_PORTALS for url in listing_urls(portal)[:1]] + [article_url(a) for a in load_corpus()]
    with ReplicaServer(0, today=TODAY) as other:
        for url in urls:
            first, second = fetch(server, url), fetch(other, url)
            assert first[2] == second[2], url
            assert first[1]["ETag"] == second[1]["ETag"]


def test_today_comes_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.setenv("VNARCHIVE_REPLICA_TODAY", "2025-01-02")
    assert resolve_today() == date(2025, 1, 2)
    assert resolve_today(TODAY) == TODAY


def test_module_entry_point_serves_in_the_foreground():
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.replica", "--port", "0", "--today", "2026-11-23"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"replica serving 7 portals on http://127\.0\.0\.1:(\d+)\n", line)
        assert match, line
        connection = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=5)
        connection.request("GET", "/tin-tuc-su-kien-noi-bat", headers={"Host": "hanoi.gov.vn"})
        assert "Thứ Hai, ngày 23/11/2026" in connection.getresponse().read().decode("utf-8")
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_page_size_is_an_argument():
    assert len(listing_urls("danvan", page_size=20)) == 1
    with ReplicaServer(0, today=TODAY, page_size=3) as wide:
        html = page(wide, listing_urls("hue")[0])
        assert linked_keys(html, articles_of("hue")) == [a.key for a in articles_of("hue")[:3]]
        assert 'data-pagesize="3"' in page(wide, listing_urls("hanoi")[0])
