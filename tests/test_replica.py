"""The offline replica: real HTTP on 127.0.0.1 answering for the portals' real hostnames."""

from __future__ import annotations

import dataclasses
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
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from parsel import Selector

from crawler.registry import load_registry
from crawler.replica import (
    HOSTS, ReplicaServer, article_url, expected_published_at, listing_urls, load_corpus, replica_articles,
)
from crawler.replica.generic import FEED_SIZE, KNOWN_LAYOUTS, POSTDATE, UNKNOWN_LAYOUTS, GenericCms, PostdateCms, layout_for
from crawler.replica.liferay import Liferay
from crawler.replica.portals import PORTALS_BY_ID
from crawler.replica.server import PageCache, Replica, resolve_today
from crawler.replica.sharepoint_tandan import PAGER_BLOCK, POSTBACK_ONLY_PORTALS, SharePointTanDan
from crawler.replica.sites import PLATFORMS
from crawler.replica.web import Request, Response

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
            # Only platforms that answer conditional GETs send validators on their pages.
            platform = PLATFORMS[PORTALS_BY_ID[HOSTS[urlsplit(url).hostname]].platform]
            assert (first[1]["ETag"] is not None) == platform.conditional_get, url


def test_a_page_asked_again_comes_from_the_cache_and_a_conditional_get_still_gets_304(monkeypatch):
    replica = Replica(today=TODAY)
    url = urlsplit(article_url(load_corpus()[0]))
    renders = []
    site = replica.sites[HOSTS[url.hostname]]
    monkeypatch.setattr(site, "dynamic_page", lambda request, path, render=site.dynamic_page: renders.append(path) or render(request, path))
    plain = Request("GET", url.hostname, url.path, url.query)
    first = replica.respond(plain)
    assert replica.respond(plain) is first and replica.respond(dataclasses.replace(plain, method="HEAD")) is first
    assert len(renders) == 1
    conditional = dataclasses.replace(plain, if_none_match=first.etag)
    assert replica.respond(conditional).status == 304 and len(renders) == 2  # never answered from the cache
    assert replica.respond(dataclasses.replace(plain, method="POST", body=b"x=1")) is not first


def test_the_page_cache_drops_the_least_recently_used_page_beyond_its_size():
    cache = PageCache(max_bytes=10)
    pages = {key: Response(200, b"x" * 4) for key in ("a", "b", "c")}
    cache.put(("h", "a", ""), pages["a"])
    cache.put(("h", "b", ""), pages["b"])
    assert cache.get(("h", "a", "")) is pages["a"]  # a is now the most recently used
    cache.put(("h", "c", ""), pages["c"])
    assert cache.get(("h", "b", "")) is None and cache.get(("h", "a", "")) is pages["a"] and cache.size == 8
    assert cache.put(("h", "big", ""), Response(200, b"x" * 11)) and cache.get(("h", "big", "")) is None


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
        served = len(load_registry().crawlable())  # every registry portal but the defunct ones
        match = re.fullmatch(rf"replica serving {served} portals on http://127\.0\.0\.1:(\d+)\n", line)
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


# --- sites built in-process: platforms whose portals the registry may not serve yet ---------------


def built_site(site_class, portal_id: str, *, like: str = "danvan"):
    """A `site_class` site for `portal_id` at <portal_id>.gov.vn, over every corpus article re-keyed to it."""
    host = f"{portal_id}.gov.vn"
    portal = dataclasses.replace(PORTALS_BY_ID[like], id=portal_id, platform=site_class.platform, hosts=(host, f"www.{host}"))
    articles = [dataclasses.replace(a, portal=portal_id, key=f"{portal_id}-{a.key}") for a in load_corpus()]
    return site_class(portal, articles, today=TODAY)


def respond(site, url: str, form: dict[str, str] | None = None):
    """The site's response to a GET (or a form POST) of a real URL, without HTTP."""
    parts = urlsplit(url)
    body = urlencode(form).encode() if form is not None else b""
    return site.respond(Request("POST" if form is not None else "GET", parts.hostname, unquote(parts.path), parts.query, body))


def html_of(site, url: str, form: dict[str, str] | None = None) -> str:
    response = respond(site, url, form)
    assert response.status == 200, url
    return response.body.decode("utf-8")


def text_of(selection) -> str:
    return " ".join("".join(selection.css("::text").getall()).split())


# --- Liferay ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def liferay():
    return built_site(Liferay, "thainguyen")


def test_liferay_is_registered_with_minute_precision(liferay):
    assert PLATFORMS["liferay"] is Liferay
    assert Liferay.precision_for(liferay.articles[0]) == "minute"


def test_liferay_listing_items_follow_the_asset_publisher_markup(liferay):
    html = Selector(html_of(liferay, liferay.url("/tin-tuc-su-kien")))
    items = html.css("div.asset-bounddary > div.asset-abstract > div.asset-content")
    assert len(items) == 2
    for item, article in zip(items, liferay.articles):
        assert item.css("h3.asset-title a::attr(href)").get() == Liferay.article_path(article)
        assert re.fullmatch(r"/tin-tuc-su-kien/-/view_content/\d{7}-[a-z0-9-]+\.html", Liferay.article_path(article))
        timer = item.css("div.assetPublishDate.block_timer::text").get()
        assert timer == f" {article.published:%d/%m/%Y} | {article.published:%I:%M %p} "
    summaries = [text_of(item.css("div.asset-summary")) for item in items]
    assert all(s.endswith("...") for s in summaries if len(s) > 150)
    assert any(s.endswith("...") for s in summaries)
    assert html.css("div#header div.egov_date::text").get() == "Thứ hai, 23/11/2026"
    assert html.css("nav#navigation ul.navi li a")
    assert text_of(html.css("div.taglib-page-iterator .search-results")) == f"Hiển thị 1 - 2 of {len(liferay.articles)} kết quả."


def test_liferay_pager_walks_every_article_by_the_portlet_query(liferay):
    url, seen = liferay.url("/tin-tuc-su-kien"), []
    for _ in range(100):
        html = Selector(html_of(liferay, url))
        seen += html.css("h3.asset-title a::attr(href)").getall()
        buttons = {text_of(li): li.css("a::attr(href)").get() for li in html.css("ul.pager.lfr-pagination-buttons li")}
        assert set(buttons) == {"← Đầu tiên", "Trước", "Tiếp", "Cuối cùng →"}
        if buttons["Tiếp"] == "javascript:;":
            break
        url = buttons["Tiếp"]
        assert urlsplit(url).query == (
            "p_p_id=101&p_p_lifecycle=0&p_p_state=normal&p_p_mode=view&p_p_col_id=column-1"
            f"&p_p_col_pos=1&p_p_col_count=2&_101_delta=2&_101_cur={len(seen) // 2 + 1}"
        )
    assert seen == [Liferay.article_path(a) for a in liferay.articles]
    assert buttons["← Đầu tiên"].endswith("_101_cur=1")  # page 1 under a second URL


def test_liferay_article_page(liferay):
    article = next(a for a in liferay.articles if a.author and a.lead and a.date_line and 13 <= a.published.hour < 22)
    html = Selector(html_of(liferay, liferay.url(Liferay.article_path(article))))
    assert html.css("title::text").get() == f"{article.title} - {liferay.portal.section_name} - {liferay.portal.site_name}"
    assert html.css("div.asset-full-content-title::text").get() == article.title and not html.css("h1")
    date_line = html.css("div.asset-full-content div.assetPublishDate.block_timer::text").get()
    clock = f"{article.published.hour - 12}:{article.published:%M} PM"
    assert re.fullmatch(rf"Ngày đăng {article.published:%d/%m/%Y} \| {clock} \| View count: \d+", date_line)
    assert html.css("div.sapo-wrapper p.sapo::text").get() == article.lead
    paragraphs = html.css("div.journal-content-article > p")
    assert paragraphs[-1].attrib["class"] == "view-content-author" and text_of(paragraphs[-1]) == article.author
    related = html.css("div.related_asset")
    assert text_of(related.css(".title")) == "Các tin khác"
    assert [text_of(li.css("a")) for li in related.css("li")] == [a.title for a in liferay.older(article)]
    assert [li.css("span.date::text").get() for li in related.css("li")] == [f"({a.published:%d/%m/%Y})" for a in liferay.older(article)]
    assert Liferay.precision_for(article) == "minute"


def test_liferay_alias_urls_serve_the_same_page_with_a_canonical(liferay):
    article = liferay.articles[0]
    view_content = liferay.url(Liferay.article_path(article))
    page_bytes = respond(liferay, view_content).body
    aliases = Selector(page_bytes.decode()).css("div.related_asset li a::attr(href)").getall()
    assert len(aliases) == 3
    for alias, other in zip(aliases, liferay.older(article)):
        assert re.fullmatch(r"/tin-tuc-su-kien/-/asset_publisher/[A-Za-z0-9]{12}/content/[a-z0-9-]+\?redirect=%2Ftin-tuc-su-kien", alias)
        served = html_of(liferay, "https://www.thainguyen.gov.vn" + alias)
        assert served == html_of(liferay, liferay.url(Liferay.article_path(other)))
        assert Selector(served).css("link[rel=canonical]::attr(href)").get() == liferay.url(Liferay.article_path(other))
    assert respond(liferay, "https://thainguyen.gov.vn" + aliases[0].replace(liferay.instance_id, "AbCdEfGhIjKl")).status == 404
    assert respond(liferay, "https://thainguyen.gov.vn/tin-tuc-su-kien/-/view_content/1-khong-co.html").status == 404


def test_liferay_alias_of_a_repeated_title_gets_a_suffix(liferay):
    twins = [a for a in liferay.articles if sum(b.title == a.title for b in liferay.articles) > 1]
    assert len(twins) >= 2  # danvan republishes hanam's article under the same title
    pages = {html_of(liferay, "https://thainguyen.gov.vn" + liferay.alias_path(a)) for a in twins}
    assert len(pages) == len(twins)
    assert [liferay.alias_path(a).endswith("-1?redirect=%2Ftin-tuc-su-kien") for a in twins].count(True) == 1


# --- SharePoint ministry RSS -----------------------------------------------------------------------


def test_backan_rss_lists_every_article_newest_first(server):
    listing = page(server, listing_urls("backan")[0])
    href = Selector(listing).css('link[rel=alternate][type="application/rss+xml"]::attr(href)').get()
    assert href == "/Pages/TinTuc/rss.aspx?chuyenmucid=91"
    status, headers, body = fetch(server, "https://backan.gov.vn" + href)
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    feed = Selector(body.decode("utf-8"), type="xml")
    articles = articles_of("backan")
    assert feed.xpath("//item/link/text()").getall() == [article_url(a) for a in articles]
    assert "/Pages/chi-tiet-tin.aspx?ItemID=" in feed.xpath("//item/link/text()").get()
    pub_dates = [parsedate_to_datetime(text) for text in feed.xpath("//item/pubDate/text()").getall()]
    assert pub_dates == [a.published for a in articles]
    assert all(text.endswith(" +0700") for text in feed.xpath("//item/pubDate/text()").getall())
    assert fetch(server, "https://backan.gov.vn/Pages/TinTuc/rss.aspx?chuyenmucid=92")[0] == 404


# --- SharePoint Tân Dân, postback only ------------------------------------------------------------


@pytest.fixture(scope="module")
def dienbien():
    return built_site(SharePointTanDan, "dienbien", like="hanam")


def postback_form(html: str) -> dict[str, str]:
    """The hidden ASP.NET fields of the page's aspnetForm, as a browser would post them."""
    form = Selector(html).css("form#aspnetForm")
    assert form.attrib["method"] == "post"
    return {field.attrib["name"]: field.attrib.get("value", "") for field in form.css("input[type=hidden]")}


def postback_call(href: str) -> tuple[str, str]:
    """`javascript:__doPostBack('target','Page$2')` -> (target, argument)."""
    match = re.fullmatch(r"javascript:__doPostBack\('([^']+)','([^']*)'\)", href)
    assert match, href
    return match[1], match[2]


def test_postback_only_portals_ignore_page_index(dienbien):
    assert POSTBACK_ONLY_PORTALS == frozenset({"dienbien", "namdinh"})
    first = html_of(dienbien, dienbien.url("/Pages/Tin-tuc-su-kien.aspx"))
    assert html_of(dienbien, dienbien.url("/Pages/Tin-tuc-su-kien.aspx?PageIndex=2")) == first
    hrefs = Selector(first).css(".tandan-pager a::attr(href)").getall()
    assert hrefs and all(href.startswith("javascript:__doPostBack(") for href in hrefs)
    assert "PageIndex" not in first
    assert dienbien.listing_urls() == ["https://dienbien.gov.vn/Pages/Tin-tuc-su-kien.aspx"]
    assert set(postback_form(first)) >= {"__VIEWSTATE", "__EVENTVALIDATION", "__EVENTTARGET", "__EVENTARGUMENT"}


def test_postbacks_walk_every_listing_page(dienbien):
    url = dienbien.url("/Pages/Tin-tuc-su-kien.aspx")
    html, keys, pages = html_of(dienbien, url), [], 1
    while True:
        keys += [a.key for a in dienbien.articles if f'href="{dienbien.article_path(a)}"' in html]
        following = Selector(html).xpath("//div[contains(@class,'tandan-pager')]//a[text()='Trang sau']/@href").get()
        if following is None:
            break
        target, argument = postback_call(following)
        assert (target, argument) == (dienbien.pager_target, f"Page${pages + 1}")
        html = html_of(dienbien, url, {**postback_form(html), "__EVENTTARGET": target, "__EVENTARGUMENT": argument})
        pages += 1
        assert Selector(html).css(".tandan-pager span.current::text").get() == str(pages)
    assert pages == dienbien.page_count() > PAGER_BLOCK
    assert keys == [a.key for a in dienbien.articles]


def test_postbacks_need_the_event_validation_of_the_page_they_come_from(dienbien):
    url = dienbien.url("/Pages/Tin-tuc-su-kien.aspx")
    first = html_of(dienbien, url)
    fields = postback_form(first)
    page_two = {"__EVENTTARGET": dienbien.pager_target, "__EVENTARGUMENT": "Page$2"}
    assert Selector(html_of(dienbien, url, {**fields, **page_two})).css(".tandan-pager span.current::text").get() == "2"
    for bad in ({**fields, **page_two, "__EVENTVALIDATION": "bm90IHRoZSBwYWdlJ3M="},
                {name: value for name, value in {**fields, **page_two}.items() if name != "__EVENTVALIDATION"},
                {**fields, "__EVENTTARGET": dienbien.pager_target, "__EVENTARGUMENT": f"Page${PAGER_BLOCK + 2}"}):
        response = respond(dienbien, url, bad)
        assert response.status == 500
        assert "Invalid postback or callback argument" in response.body.decode()
    # Another control's postback is no page change: the posted page again.
    other = html_of(dienbien, url, {**fields, "__EVENTTARGET": "ctl00$txtSearch", "__EVENTARGUMENT": ""})
    assert Selector(other).css(".tandan-pager span.current::text").get() == "1"


def test_hanam_still_pages_by_page_index_and_by_unvalidated_postback(server):
    html = page(server, listing_urls("hanam")[0])
    assert "?PageIndex=2" in html and "javascript:__doPostBack(" in html
    form = urlencode({"__EVENTTARGET": "ctl00$pager", "__EVENTARGUMENT": "Page$3"}).encode()
    assert linked_keys(page(server, listing_urls("hanam")[0], data=form), articles_of("hanam")) == [a.key for a in articles_of("hanam")[4:6]]


# --- generic sites: discovery ----------------------------------------------------------------------


def test_generic_robots_lead_to_every_article_through_yearly_sitemaps(server):
    robots = page(server, "https://danvan.vn/robots.txt")
    assert re.findall(r"^Sitemap: (\S+)$", robots, re.MULTILINE) == ["https://danvan.vn/sitemap.xml"]
    status, headers, body = fetch(server, "https://danvan.vn/sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    index = Selector(body.decode(), type="xml")
    index.remove_namespaces()
    sitemaps = index.xpath("//sitemap/loc/text()").getall()
    articles = articles_of("danvan")
    years = sorted({a.published.year for a in articles}, reverse=True)
    assert sitemaps == [f"https://danvan.vn/sitemap-{year}.xml" for year in years]
    locs, lastmods = [], []
    for sitemap in sitemaps:
        urlset = Selector(page(server, sitemap), type="xml")
        urlset.remove_namespaces()
        locs += urlset.xpath("//url/loc/text()").getall()
        lastmods += urlset.xpath("//url/lastmod/text()").getall()
    assert lastmods == [a.published.isoformat(timespec="seconds") for a in articles]
    for loc, article in zip(locs, articles, strict=True):
        assert loc == article_url(article).replace("https://danvan.vn/", "https://www.danvan.vn/")
        assert fetch(server, loc)[2] == fetch(server, article_url(article))[2]
    assert fetch(server, "https://danvan.vn/sitemap-1999.xml")[0] == 404


def test_generic_feed_is_announced_and_its_links_answer(server):
    articles = articles_of("danvan")
    for url in (listing_urls("danvan")[0], article_url(articles[0]), "https://danvan.vn/"):
        assert Selector(page(server, url)).css('head link[rel=alternate][type="application/rss+xml"]::attr(href)').get() == "/rss.xml"
    status, headers, body = fetch(server, "https://danvan.vn/rss.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    links = Selector(body.decode(), type="xml").xpath("//item/link/text()").getall()
    assert len(links) == min(len(articles), FEED_SIZE)
    for link, article in zip(links, articles):
        https_url = article_url(article)
        assert link == "http://" + https_url.removeprefix("https://") + "?utm_source=rss&utm_medium=feed"
        assert fetch(server, link)[2] == fetch(server, https_url)[2]


def test_generic_home_lists_the_newest_and_links_the_section(server):
    html = page(server, "https://danvan.vn/")
    assert linked_keys(html, articles_of("danvan")) == [a.key for a in articles_of("danvan")[:5]]
    assert f'href="{root_relative(listing_urls("danvan")[0])}"' in html


# --- generic sites: layouts ------------------------------------------------------------------------

ALL_LAYOUTS = (*KNOWN_LAYOUTS, POSTDATE, *UNKNOWN_LAYOUTS)
# What each precision lets the date line show: seconds, minutes, or no clock at all.
CLOCKS = {"second": r"\d{1,2}:\d{2}:\d{2}", "minute": r"(?<!:)\d{1,2}:\d{2}(?!:)", "date": None}


def portal_with_layout(layout) -> str:
    """A portal id drawn by `layout`: the layout's own name, or a made-up id that hashes to it."""
    if layout is POSTDATE:
        return "laocai"
    if layout in KNOWN_LAYOUTS:
        return layout.name
    return next(pid for pid in (f"tinh-{n}" for n in range(1000)) if layout_for(pid) is layout)


@pytest.mark.parametrize("layout", ALL_LAYOUTS, ids=lambda layout: layout.name)
def test_each_layout_draws_its_own_markup(layout):
    portal_id = portal_with_layout(layout)
    site = built_site(GenericCms, portal_id)
    assert site.layout is layout
    listing = Selector(html_of(site, site.url(site.listing_path(1))))
    items = listing.css(f"{layout.listing.spec} {layout.listing_item.spec}")
    assert len(items) == 2
    for item, article in zip(items, site.articles):
        assert item.css(f"{layout.listing_title.spec} a::attr(href)").get() == site.article_path(article)
        assert text_of(item.css(layout.listing_date.spec)[:1]) == site.list_date(article)

    article = next(a for a in site.articles if a.lead and a.author and a.date_line and not a.source)
    html = Selector(html_of(site, site.url(site.article_path(article))))
    inside = lambda spec: html.css(f"{layout.article.spec} {spec}")  # the article's own elements
    assert len(html.css(layout.article.spec)) == 1
    assert text_of(inside(layout.title.spec)[:1]) == article.title
    date_line = text_of(inside(layout.date.spec)[:1])
    assert date_line == layout.date_text(article.published) and str(article.published.year) in date_line
    clock = CLOCKS[GenericCms.precision_for(article)]
    assert (re.search(clock, date_line) is not None) if clock else not re.search(r"\d:\d\d", date_line)
    content = inside(layout.content.spec)[-1]
    if layout.lead:
        assert text_of(inside(layout.lead.spec)[:1]) == article.lead
    else:
        assert text_of(content.css("p")[0]) == article.lead
    assert article.body[0][:60] in text_of(content)
    author_spec = f"{layout.content.spec} {layout.author.spec}" if layout.author_in_content else f"{layout.article.spec} {layout.author.spec}"
    assert text_of(html.css(author_spec)[-1:]) == article.author
    assert text_of(html.css(f"div.header {layout.today.spec}")) == "Thứ Hai, 23/11/2026"
    assert html.css(f"div.{layout.related} li span.date::text").get().startswith("(")
    assert "Xem cỡ chữ" in text_of(html.css(layout.article.spec)) and "Bản quyền thuộc về" in text_of(html.css("div.footer"))
    assert bool(html.css("form#aspnetForm input[name=__VIEWSTATE]")) == layout.aspnet


def test_layouts_are_chosen_by_portal_id():
    assert layout_for("danvan").name == "danvan" and layout_for("kontum").name == "kontum"
    assert {layout_for(pid) for pid in ("caobang", "laocai", "binhthuan")} == {POSTDATE}
    unknown = {layout_for(f"tinh-{n}").name for n in range(50)}
    assert unknown == {layout.name for layout in UNKNOWN_LAYOUTS}
    assert layout_for("tinh-7") is layout_for("tinh-7")
    assert PLATFORMS["generic"] is GenericCms and PLATFORMS["postdate_cms"] is PostdateCms
    assert built_site(PostdateCms, "somewhere").layout is POSTDATE


def test_haiphong_article_links_carry_its_path_marker():
    site = built_site(GenericCms, "haiphong")
    assert all("/p-UBNDTP/d/" in site.article_path(a) for a in site.articles)
    article = site.articles[0]
    html = html_of(site, f"https://www.haiphong.gov.vn{site.article_path(article)}?utm_source=rss&utm_medium=feed")
    assert re.search(r"<div class=\"divDetail_DateCreate\">\d\d/\d\d/\d{4} - \d\d:\d\d</div>", html)


def test_the_tayninh_header_clock_is_a_date_time_span_outside_the_article():
    site = built_site(GenericCms, "tayninh")
    html = Selector(html_of(site, site.url(site.article_path(site.articles[0]))))
    spans = html.css("span[id*=DateTime]")
    assert len(spans) == 2 and text_of(spans[0]) == "Thứ Hai, 23/11/2026"
    assert text_of(html.css("div.de-newsCent span[id*=DateTime]")) == site.article_date(site.articles[0])


# --- page weight (chrome.py): real portal pages weigh 40-80 KB, mostly chrome ----------------------

KB = 1000


def page_sizes(server: ReplicaServer, urls) -> dict[str, int]:
    sizes = {}
    for url in urls:
        status, _, body = fetch(server, url)
        assert status == 200, url
        sizes[url] = len(body)
    return sizes


def assert_article_weights(sizes: dict[str, int]) -> None:
    light = {url: size for url, size in sizes.items() if not 40 * KB <= size <= 80 * KB}
    assert not light, light
    assert max(sizes.values()) - min(sizes.values()) > 15 * KB  # varying from page to page
    assert len(set(sizes.values())) > len(sizes) // 2


def all_listing_urls(**kwargs) -> list[str]:
    return [url for portal_id in PORTALS_BY_ID for url in listing_urls(portal_id, today=TODAY, **kwargs)]


def test_every_article_page_weighs_40_to_80_kb_and_listings_at_least_25_kb(server):
    articles = replica_articles(TODAY)
    assert_article_weights(page_sizes(server, [article_url(article) for article in articles]))
    listings = page_sizes(server, all_listing_urls())
    assert listings and min(listings.values()) >= 25 * KB, min(listings.items(), key=lambda item: item[1])


def test_page_weights_hold_for_a_large_replica():
    articles = replica_articles(TODAY, total_articles=1000)
    with ReplicaServer(0, today=TODAY, total_articles=1000) as large:
        assert_article_weights(page_sizes(large, [article_url(article) for article in articles[::7]]))
        listings = page_sizes(large, all_listing_urls(total_articles=1000)[::5])
        assert min(listings.values()) >= 25 * KB


def test_page_weight_is_the_same_at_every_start(server):
    url = article_url(load_corpus()[0])
    _, _, first = fetch(server, url)
    with ReplicaServer(0, today=TODAY) as again:
        _, _, second = fetch(again, url)
    assert first == second


def test_the_chrome_shows_no_dates_and_no_article_links_on_listings(server):
    article = next(a for a in load_corpus() if PORTALS_BY_ID[a.portal].platform != "react_api")
    html = Selector(page(server, article_url(article)))
    chrome = html.css("nav.mega-menu, div.footer-links, aside.sidebar")
    assert len(chrome) >= 4
    assert not re.search(r"\d{1,2}/\d{1,2}", " ".join(text_of(part) for part in chrome))
    assert html.css("aside.sidebar-news .tin-moi li a") and html.css("aside.sidebar-news .xem-nhieu li a")
    listing = Selector(page(server, listing_urls(article.portal, today=TODAY)[0]))
    assert listing.css("nav.mega-menu") and listing.css("div.footer-links") and not listing.css("aside.sidebar-news")
