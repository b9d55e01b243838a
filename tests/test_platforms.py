"""Each platform family's spider on a saved listing page (tests/pages/, made by make_pages.py):
listing → article links, pagination → the request for page 2. Article pages → records are
tested per platform and layout on the gold pages (tests/test_gold.py).
"""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.registry import load_registry
from spiders.portals import PORTAL_SPIDERS

PAGES = Path(__file__).parent / "pages"
SAVED = sorted(path.name.split("-listing")[0] for path in PAGES.glob("*-listing.expected.json"))


def spider_for(portal_id: str):
    spider_class = PORTAL_SPIDERS[portal_id]
    settings = {name: value for name, value in vars(project_settings).items() if name.isupper()}
    crawler = get_crawler(spider_class, {**settings, "ARCHIVE_PATH": str(PAGES / "no-archive.db")})
    return spider_class.from_crawler(crawler)


def saved(portal_id: str):
    expected = json.loads((PAGES / f"{portal_id}-listing.expected.json").read_text(encoding="utf-8"))
    body_path = _body_path(portal_id)
    kind = TextResponse if body_path.suffix == ".json" else HtmlResponse
    response = kind(expected["url"], body=body_path.read_bytes(), encoding="utf-8", request=Request(expected["url"]))
    return response, expected


def _body_path(portal_id: str) -> Path:
    html = PAGES / f"{portal_id}-listing.html"
    return html if html.exists() else PAGES / f"{portal_id}-listing.json"


def listing_output(spider, response) -> list:
    if spider.portal.platform == "react_api":
        section = spider.portal.sections[0].url
        return list(spider.parse_api_listing(response, section=section, page=1))
    return list(spider.parse_listing(response, page=1))


def test_every_platform_family_has_a_saved_listing():
    platforms = {load_registry().get(portal_id).platform for portal_id in SAVED}
    assert platforms == {p.platform for p in load_registry().crawlable()}


@pytest.mark.parametrize("portal_id", SAVED)
def test_listing_gives_the_article_links_in_order(portal_id):
    spider = spider_for(portal_id)
    response, expected = saved(portal_id)
    requests = listing_output(spider, response)
    articles = [r.cb_kwargs.get("public_url", r.url) for r in requests
                if r.callback in (spider.parse_article, getattr(spider, "parse_api_article", None))]
    assert articles == expected["links"]


@pytest.mark.parametrize("portal_id", SAVED)
def test_pagination_asks_for_page_2_the_platform_s_way(portal_id):
    spider = spider_for(portal_id)
    response, expected = saved(portal_id)
    following = [r for r in listing_output(spider, response)
                 if r.callback in (spider.parse_listing, getattr(spider, "parse_api_listing", None))]
    if not expected["has_page_2"]:
        assert following == []
        return
    [page_2] = following
    assert page_2.cb_kwargs["page"] == 2
    assert_page_2(portal_id, page_2)


@pytest.mark.parametrize("portal_id", [p for p in SAVED if _body_path(p).suffix == ".html"])
def test_a_read_listing_page_is_freed_at_once_not_by_the_garbage_collector(portal_id):
    spider = spider_for(portal_id)
    response, _ = saved(portal_id)
    requests = listing_output(spider, response)
    page = weakref.ref(response)
    gc.disable()  # a crawl's collector runs rarely (crawler/heap.py): only reference counts free the page
    try:
        del response
        assert page() is None
    finally:
        gc.enable()
    assert requests


def assert_page_2(portal_id: str, request) -> None:
    query = {k.lower(): v for k, v in parse_qs(urlsplit(request.url).query).items()}
    form = parse_qs(request.body.decode()) if request.method == "POST" else {}
    checks = {
        "hanam": lambda: query["pageindex"] == ["2"],
        "dienbien": lambda: (request.method, form["__EVENTARGUMENT"], bool(form["__EVENTVALIDATION"][0]),
                             form["__EVENTTARGET"][0].endswith("pagerNews")) == ("POST", ["Page$2"], True, True),
        "backan": lambda: query["page"] == ["2"],
        "vinhlong": lambda: query["page"] == ["2"] and query["tabid"] == ["63"],
        "thainguyen": lambda: query["_101_cur"] == ["2"] and query["p_p_id"] == ["101"],
        "hue": lambda: query["pg"] == ["2"] and query["cn"] == ["129"],
        "hanoi": lambda: (request.method, urlsplit(request.url).path, form["PageIndex"]) == ("POST", "/api/NewsZone/NewsZone", ["2"])
                         and len(form["DataIds[]"]) == 2,
        "tuyengiaodanvan": lambda: urlsplit(request.url).path == "/api/blogs" and query["page"] == ["2"],
        "danvan": lambda: query["page"] == ["2"],
    }
    assert checks[portal_id](), (request.method, request.url, request.body[:300])


def test_a_page_announcing_a_feed_leads_to_it():
    spider = spider_for("danvan")
    response, _ = saved("danvan")
    feeds = [r.url for r in listing_output(spider, response) if r.callback == spider.parse_feed]
    assert feeds == ["https://danvan.vn/rss.xml"]
