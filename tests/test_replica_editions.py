"""Replica editions: the same portals a day later (new, edited and removed articles), and conditional GET."""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from crawler.registry import get_topic
from crawler.replica import (
    ReplicaServer,
    article_url,
    edition_changes,
    listing_urls,
    replica_articles,
)
from crawler.replica.editions import SHIFTED_PORTALS, edition_today
from crawler.replica.portals import PORTALS, PORTALS_BY_ID
from crawler.replica.server import Replica
from crawler.replica.sites import PLATFORMS
from crawler.replica.synthetic import topic_of
from crawler.replica.web import Request

TODAY = date(2026, 11, 23)  # edition 1's D; edition 2 shows the 24th
ROOT = Path(__file__).resolve().parent.parent
TGDV_CATEGORY = "65f1c0a2b3d4e5f60718293a"
PAGINATED = ("sharepoint_tandan", "liferay", "sharepoint_ministry", "dnn", "hue_portal")
CONDITIONAL = {"generic", "postdate_cms", "liferay", "hue_portal", "react_api"}
LARGE = 1000


@pytest.fixture(scope="module")
def first():
    with ReplicaServer(0, today=TODAY) as replica:
        yield replica


@pytest.fixture(scope="module")
def second():
    with ReplicaServer(0, today=TODAY, edition=2) as replica:
        yield replica


@pytest.fixture(scope="module")
def changes():
    return edition_changes(TODAY)


def fetch(server: ReplicaServer, url: str, headers: dict[str, str] | None = None):
    """(status, headers, body) of a real URL, sent to the replica with the real Host header."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = urllib.request.Request(server.base_url + path, headers={"Host": parts.netloc, **(headers or {})})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page(server: ReplicaServer, url: str) -> str:
    status, _, body = fetch(server, url)
    assert status == 200, url
    return body.decode("utf-8")


def html_escape(text: str) -> str:
    """Text as Jinja escapes it."""
    return html_lib.escape(text).replace("&quot;", "&#34;").replace("&#x27;", "&#39;")


def href(article) -> str:
    """How a page links the article (root-relative, & escaped)."""
    parts = urlsplit(article_url(article))
    return 'href="' + (parts.path + (f"?{parts.query}" if parts.query else "")).replace("&", "&amp;") + '"'


def platform(article) -> str:
    return PORTALS_BY_ID[article.portal].platform


def of_portal(portal_id: str, articles) -> list:
    return [article for article in articles if article.portal == portal_id]


def paragraphs(article) -> list[str]:
    return [block for block in article.body if isinstance(block, str)]


def api_blog(server: ReplicaServer, article) -> tuple[int, dict]:
    blog_id = article_url(article).rsplit("-", 1)[1]
    status, _, body = fetch(server, f"https://tuyengiaodanvan.vn/api/blogs/{blog_id}")
    return status, json.loads(body)


def api_titles(server: ReplicaServer, size: int = 50) -> list[str]:
    """Every title the react_api portal's list API names."""
    titles, number = [], 1
    while True:
        url = f"https://tuyengiaodanvan.vn/api/blogs?categoryId={TGDV_CATEGORY}&page={number}&size={size}"
        data = json.loads(fetch(server, url)[2])
        titles += [item["title"] for item in data["content"]]
        if number >= data["totalPages"]:
            return titles
        number += 1


def listed(server: ReplicaServer, portal_id: str, edition: int, **kwargs) -> str:
    """Every listing page of the portal's section, concatenated (hanoi: the section page; react_api: the list API)."""
    if PORTALS_BY_ID[portal_id].platform == "react_api":
        return json.dumps(api_titles(server), ensure_ascii=False)
    return "\n".join(page(server, url) for url in listing_urls(portal_id, today=TODAY, edition=edition, **kwargs))


def body_text(server: ReplicaServer, article) -> str:
    """The article's body as the page prints it: from its first paragraph to the end of its last (the API's content on react_api)."""
    if platform(article) == "react_api":
        return api_blog(server, article)[1]["content"]
    html = page(server, article_url(article))
    start = html.index(html_escape(paragraphs(article)[0]))
    last = html_escape(paragraphs(article)[-1])
    return html[start:html.rindex(last) + len(last)]


def linked_on_page(html: str, articles) -> list[str]:
    """Keys of `articles` linked on the page, in link order."""
    found = [(html.find(href(article)), article.key) for article in articles]
    return [key for index, key in sorted(found) if index >= 0]


# --- what changes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("total", [None, LARGE], ids=["default", "large"])
def test_an_edition_changes_a_modest_number_of_recent_articles(total):
    changes = edition_changes(TODAY, total_articles=total)
    before = replica_articles(TODAY, total_articles=total)
    assert 15 <= len(changes.new) <= 40
    assert 6 <= len(changes.edited) <= 8 and 4 <= len(changes.removed) <= 5
    recent = lambda article: TODAY - timedelta(days=3) <= article.published.date() <= TODAY - timedelta(days=1)
    assert all(recent(old) for old, _ in changes.edited) and all(recent(article) for article in changes.removed)
    assert len({platform(old) for old, _ in changes.edited}) >= 3
    edited_portals = {old.portal for old, _ in changes.edited}
    assert not edited_portals & {article.portal for article in changes.removed}
    assert not (edited_portals | {a.portal for a in changes.removed}) & set(changes.shifted_portals)
    assert {old.key for old, _ in changes.edited} | {a.key for a in changes.removed} <= {a.key for a in before}


def test_the_default_edition_adds_between_15_and_25_articles(changes):
    assert 15 <= len(changes.new) <= 25


@pytest.mark.parametrize("total", [None, LARGE], ids=["default", "large"])
def test_new_articles_are_published_the_day_before_on_every_family_that_still_publishes(total):
    changes = edition_changes(TODAY, total_articles=total)
    before = replica_articles(TODAY, total_articles=total)
    for article in changes.new:
        assert article.published.date() == TODAY and 7 <= article.published.hour <= 17, article.key
        assert PORTALS_BY_ID[article.portal].status == "live", article.key
    assert not {a.key for a in changes.new} & {a.key for a in before}
    live_families = {portal.platform for portal in PORTALS if portal.status == "live"}
    assert {platform(article) for article in changes.new} == live_families
    after = replica_articles(TODAY, total_articles=total, edition=2)
    for portal_id in PORTALS_BY_ID:  # every article of a portal on a URL of its own
        urls = [article_url(article) for article in of_portal(portal_id, after)]
        assert len(urls) == len(set(urls)), portal_id


def test_new_articles_are_well_formed_like_generated_ones(changes):
    dan_van = get_topic("dan-van")
    for article in changes.new:
        assert article.key.startswith(f"gen-{article.portal.replace('_', '-')}-{TODAY:%Y%m%d}-")
        assert article.title and article.lead and 5 <= len(paragraphs(article)) <= 11
        assert article.published.utcoffset() == timedelta(hours=7)
        assert article.published_has_seconds == (PLATFORMS[platform(article)].precision_for(article) == "second")
        if topic_of(article) == "dan-van":
            assert dan_van.matches(f"{article.title}\n{article.lead}"), article.key
    titles = [(a.portal, a.title) for a in replica_articles(TODAY, edition=2)]
    assert len(titles) == len(set(titles))


def test_edits_keep_url_and_date_and_change_the_body(changes):
    retitled = 0
    for old, new in changes.edited:
        assert (new.key, new.portal, new.published, article_url(new)) == (old.key, old.portal, old.published, article_url(old))
        assert new.body != old.body and len(new.body) >= len(old.body)
        assert new.edited.date() == TODAY and new.last_modified == new.edited
        retitled += new.title != old.title
        assert new.first_title == (old.title if new.title != old.title else "")
        if topic_of(old) != "dan-van":  # an edit does not change the topic
            assert not get_topic("dan-van").matches("\n".join([new.title, new.lead, *paragraphs(new)]))
    assert retitled == 2


def test_edition_two_is_edition_one_with_the_changes(changes):
    before, after = replica_articles(TODAY), replica_articles(TODAY, edition=2)
    removed = {a.key for a in changes.removed}
    edited = {new.key: new for _, new in changes.edited}
    assert after == sorted([edited.get(a.key, a) for a in before if a.key not in removed] + changes.new,
                           key=lambda a: (-a.published.timestamp(), a.key))
    assert len(after) == len(before) + len(changes.new) - len(changes.removed)


def test_editions_are_deterministic():
    fresh = edition_changes.__wrapped__(TODAY)
    assert fresh == edition_changes(TODAY) == edition_changes.__wrapped__(TODAY)
    script = (
        "import hashlib, datetime; from crawler.replica import replica_articles;"
        "print(hashlib.sha256(repr(replica_articles(datetime.date(2026, 11, 23), edition=2)).encode()).hexdigest())"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={"PYTHONHASHSEED": "4321", "PATH": ""})
    assert result.stdout.strip() == hashlib.sha256(repr(replica_articles(TODAY, edition=2)).encode()).hexdigest()


def test_only_editions_one_and_two_exist():
    with pytest.raises(ValueError, match="editions 1, 2"):
        replica_articles(TODAY, edition=3)
    assert edition_today(TODAY, 2) == date(2026, 11, 24)


# --- edition 2 over HTTP -----------------------------------------------------------------------------------


def test_edition_two_shows_the_next_day(second):
    assert '<div class="tandan-header-date">Thứ Ba, 24/11/2026</div>' in page(second, listing_urls("hanam")[0])
    assert "Thứ Ba, ngày 24/11/2026" in page(second, listing_urls("hanoi")[0])


def test_new_articles_answer_and_lead_their_listings_and_feeds(second, changes):
    for article in changes.new:
        status, _, body = fetch(second, article_url(article))
        assert status == 200 and html_escape(article.title) in body.decode(), article.key
        if platform(article) == "react_api":
            assert api_blog(second, article)[1]["title"] == article.title
            assert article.title in api_titles(second)[:5]
            continue
        first_page = page(second, listing_urls(article.portal, today=TODAY, edition=2)[0])
        assert href(article) in first_page, article.key
        if platform(article) in ("generic", "postdate_cms"):
            host = PORTALS_BY_ID[article.portal].host
            assert article_url(article).split("://")[1] in page(second, f"https://{host}/rss.xml")
            assert article_url(article).split(host)[1] in page(second, f"https://{host}/sitemap-{TODAY.year}.xml")
    vinhlong = [a for a in changes.new if a.portal == "vinhlong"]
    assert vinhlong and article_url(vinhlong[0]).replace("&", "&amp;") in page(second, "https://vinhlong.gov.vn/rssfeed.rss")


def test_edited_articles_answer_their_new_text_on_the_same_url(first, second, changes):
    for old, new in changes.edited:
        old_text, new_text = body_text(first, old), body_text(second, new)
        assert old_text != new_text, new.key
        assert all(html_escape(paragraph) in new_text for paragraph in paragraphs(new)), new.key
        status, headers, body = fetch(second, article_url(old))
        assert status == 200 and html_escape(new.title) in body.decode()
        if new.title != old.title:
            assert html_escape(old.title) not in body.decode()
        if platform(new) in CONDITIONAL:
            assert parsedate_to_datetime(headers["Last-Modified"]) == new.edited
        else:
            assert headers["Last-Modified"] is None


def test_removed_articles_are_gone_everywhere(first, second, changes):
    for article in changes.removed:
        assert fetch(first, article_url(article))[0] == 200
        status, _, body = fetch(second, article_url(article))
        assert status == 404 and "Trang không tồn tại" in body.decode(), article.key
        assert href(article) in listed(first, article.portal, 1)
        assert href(article) not in listed(second, article.portal, 2), article.key
        if platform(article) in ("generic", "postdate_cms"):
            host = PORTALS_BY_ID[article.portal].host
            path = urlsplit(article_url(article)).path
            for feed in (f"https://{host}/rss.xml", f"https://{host}/sitemap-{article.published.year}.xml", f"https://{host}/"):
                assert path not in page(second, feed), feed


@pytest.mark.parametrize("portal_id", SHIFTED_PORTALS)
def test_shifted_portals_move_by_exactly_one_listing_page(first, second, changes, portal_id):
    assert changes.shifted_portals == list(SHIFTED_PORTALS)
    families = {PORTALS_BY_ID[p].platform for p in SHIFTED_PORTALS}
    assert "generic" in families and families & set(PAGINATED)
    before, after = of_portal(portal_id, replica_articles(TODAY)), of_portal(portal_id, replica_articles(TODAY, edition=2))
    old_pages, new_pages = listing_urls(portal_id, today=TODAY), listing_urls(portal_id, today=TODAY, edition=2)
    assert len(old_pages) >= 2 and len(new_pages) == len(old_pages) + 1
    for number, url in enumerate(old_pages):
        assert linked_on_page(page(second, new_pages[number + 1]), after) == linked_on_page(page(first, url), before)
    fresh = of_portal(portal_id, changes.new)
    assert linked_on_page(page(second, new_pages[0]), after) == [a.key for a in fresh] and len(fresh) == 2


def test_shifted_portals_move_by_one_page_of_the_page_size_given():
    changes = edition_changes(TODAY, page_size=3)
    assert [len(of_portal(portal_id, changes.new)) for portal_id in SHIFTED_PORTALS] == [3, 3]


@pytest.mark.parametrize("portal_id", SHIFTED_PORTALS)
def test_shifted_portals_move_by_one_page_with_a_thousand_articles(portal_id):
    before = Replica(today=TODAY, total_articles=LARGE).sites[portal_id]
    after = Replica(today=TODAY, edition=2, total_articles=LARGE).sites[portal_id]
    assert before.page_count() >= 5 and after.page_count() == before.page_count() + 1
    for number in range(1, before.page_count() + 1):
        assert after.page_items(number + 1) == before.page_items(number)
        old = respond(before, before.url(before.listing_path(number))).body.decode()
        new = respond(after, after.url(after.listing_path(number + 1))).body.decode()
        assert linked_on_page(new, after.articles) == linked_on_page(old, before.articles) != []


def respond(site, url: str, **headers: str):
    parts = urlsplit(url)
    return site.respond(Request("GET", parts.hostname, unquote(parts.path), parts.query, **headers))


def test_unchanged_articles_keep_their_body_byte_for_byte(first, second, changes):
    touched = {a.key for a in changes.new} | {old.key for old, _ in changes.edited} | {a.key for a in changes.removed}
    unchanged = [a for a in replica_articles(TODAY) if a.key not in touched]
    assert len(unchanged) > 150
    for article in unchanged:
        assert body_text(second, article) == body_text(first, article), article.key


def test_related_and_most_viewed_lists_follow_edition_two(second, changes):
    for article in changes.removed:
        for other in of_portal(article.portal, replica_articles(TODAY, edition=2)):
            assert href(article) not in page(second, article_url(other)), other.key


def test_hanoi_api_follows_edition_two(second, changes):
    fresh = of_portal("hanoi", changes.new)
    assert fresh
    ids = [re.search(r"-(\d{14})\.htm$", article_url(a))[1] for a in of_portal("hanoi", replica_articles(TODAY, edition=2))]
    form = "PageIndex=2&Catname=tin-tuc-su-kien-noi-bat&PageSize=50&" + "&".join(f"DataIds[]={i}" for i in ids[:1])
    request = urllib.request.Request(second.base_url + "/api/NewsZone/NewsZone", data=form.encode(), headers={"Host": "hanoi.gov.vn"})
    with urllib.request.urlopen(request) as response:
        assert re.findall(r'data-id="(\d{14})"', response.read().decode()) == ids[1:]


def test_two_second_editions_serve_identical_bytes(second, changes):
    urls = [article_url(a) for a in changes.new] + [article_url(new) for _, new in changes.edited]
    urls += [url for portal_id in SHIFTED_PORTALS for url in listing_urls(portal_id, today=TODAY, edition=2)]
    with ReplicaServer(0, today=TODAY, edition=2) as other:
        for url in urls:
            assert fetch(other, url)[2] == fetch(second, url)[2], url


def test_a_thousand_article_replica_serves_its_second_edition():
    changes = edition_changes(TODAY, total_articles=LARGE)
    replica = Replica(today=TODAY, edition=2, total_articles=LARGE)
    assert len(replica.articles) == LARGE + len(changes.new) - len(changes.removed)
    for article in changes.new:
        assert respond(replica.sites[article.portal], article_url(article)).status == 200
    for old, new in changes.edited:
        response = respond(replica.sites[new.portal], article_url(old))
        assert response.status == 200 and html_escape(new.title) in response.body.decode()
    for article in changes.removed:
        assert respond(replica.sites[article.portal], article_url(article)).status == 404


# --- conditional GET ------------------------------------------------------------------------------------


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


@pytest.mark.parametrize("portal_id", ["kontum", "laocai", "thainguyen", "hue", "danvan"])
def test_platforms_with_validators_answer_304(second, portal_id):
    article = of_portal(portal_id, replica_articles(TODAY, edition=2))[0]
    url = article_url(article)
    status, headers, full = fetch(second, url)
    etag = headers["ETag"]
    assert status == 200 and re.fullmatch(r'"[0-9a-f]{24}"', etag)
    assert parsedate_to_datetime(headers["Last-Modified"]) == article.last_modified
    for conditions in ({"If-None-Match": etag}, {"If-None-Match": f'W/"0000", W/{etag}'}, {"If-None-Match": "*"},
                       {"If-Modified-Since": headers["Last-Modified"]},
                       {"If-Modified-Since": http_date(article.last_modified + timedelta(days=1))}):
        status, not_modified, body = fetch(second, url, conditions)
        assert (status, body, not_modified["ETag"]) == (304, b"", etag), conditions
        assert not_modified["Content-Length"] is None
    for conditions in ({"If-None-Match": '"0000"'}, {"If-Modified-Since": http_date(article.last_modified - timedelta(seconds=1))},
                       {"If-None-Match": '"0000"', "If-Modified-Since": headers["Last-Modified"]},
                       {"If-Modified-Since": "not a date"}):
        assert fetch(second, url, conditions)[:3:2] == (200, full), conditions


def test_feeds_sitemaps_and_the_api_are_validated_too(second):
    articles = of_portal("khanhhoa", replica_articles(TODAY, edition=2))  # one of them edited in edition 2
    year = articles[-1].published.year
    newest = {
        "https://khanhhoa.gov.vn/rss.xml": max(a.last_modified for a in articles[:20]),
        "https://khanhhoa.gov.vn/sitemap.xml": max(a.last_modified for a in articles),
        f"https://khanhhoa.gov.vn/sitemap-{year}.xml": max(a.last_modified for a in articles if a.published.year == year),
    }
    assert any(a.edited for a in articles)
    for url, last_modified in newest.items():
        status, headers, _ = fetch(second, url)
        assert status == 200 and parsedate_to_datetime(headers["Last-Modified"]) == last_modified, url
        assert fetch(second, url, {"If-None-Match": headers["ETag"]})[0] == 304
    sitemap = page(second, f"https://khanhhoa.gov.vn/sitemap-{TODAY.year}.xml")
    edited = next(a for a in articles if a.edited)
    assert f"<lastmod>{edited.edited.isoformat(timespec='seconds')}</lastmod>" in sitemap
    listing = listing_urls("kontum", today=TODAY, edition=2)[0]
    status, headers, _ = fetch(second, listing)
    assert headers["Last-Modified"] is None and fetch(second, listing, {"If-None-Match": headers["ETag"]})[0] == 304
    api = f"https://tuyengiaodanvan.vn/api/blogs?categoryId={TGDV_CATEGORY}&page=1&size=2"
    assert fetch(second, api, {"If-None-Match": fetch(second, api)[1]["ETag"]})[0] == 304


@pytest.mark.parametrize("portal_id", ["hanam", "dienbien", "backan", "vinhlong", "hanoi"])
def test_platforms_without_validators_always_answer_200(second, portal_id):
    article = of_portal(portal_id, replica_articles(TODAY, edition=2))[0]
    for url in (article_url(article), listing_urls(portal_id, today=TODAY, edition=2)[0]):
        status, headers, body = fetch(second, url)
        assert status == 200 and headers["ETag"] is None and headers["Last-Modified"] is None
        for conditions in ({"If-None-Match": "*"}, {"If-Modified-Since": http_date(datetime(2030, 1, 1, tzinfo=timezone.utc))}):
            assert fetch(second, url, conditions)[:3:2] == (200, body)
    # Their web server still validates static files.
    host = PORTALS_BY_ID[portal_id].host
    status, headers, _ = fetch(second, f"https://{host}/robots.txt")
    assert fetch(second, f"https://{host}/robots.txt", {"If-None-Match": headers["ETag"]})[0] == 304


def test_conditional_get_is_decided_per_platform():
    assert {name for name, site in PLATFORMS.items() if site.conditional_get} == CONDITIONAL
    assert set(PLATFORMS) - CONDITIONAL == {"sharepoint_tandan", "sharepoint_ministry", "dnn", "hanoi_cms"}


def test_validators_across_editions(first, second, changes):
    # A page with the header's date changes daily; an API document of an unchanged article does not.
    kontum = of_portal("kontum", replica_articles(TODAY))[0]
    etag = fetch(first, article_url(kontum))[1]["ETag"]
    assert fetch(second, article_url(kontum), {"If-None-Match": etag})[0] == 200
    unchanged = of_portal("tuyengiaodanvan", replica_articles(TODAY))[0]
    blog = f"https://tuyengiaodanvan.vn/api/blogs/{article_url(unchanged).rsplit('-', 1)[1]}"
    assert fetch(second, blog, {"If-None-Match": fetch(first, blog)[1]["ETag"]})[0] == 304
    # An edited article is modified since edition 1's Last-Modified.
    old, new = next((old, new) for old, new in changes.edited if platform(old) in CONDITIONAL)
    since = fetch(first, article_url(old))[1]["Last-Modified"]
    status, headers, _ = fetch(second, article_url(old), {"If-Modified-Since": since})
    assert status == 200 and parsedate_to_datetime(headers["Last-Modified"]) == new.edited
    edit_day = datetime.combine(TODAY, time(18), tzinfo=new.edited.tzinfo)
    assert fetch(second, article_url(old), {"If-Modified-Since": http_date(edit_day)})[0] == 304


def test_post_requests_are_never_conditional(second):
    url = listing_urls("tayninh", today=TODAY, edition=2)[0]  # an ASP.NET layout: a postback draws the page again
    status, headers, body = fetch(second, url)
    request = urllib.request.Request(second.base_url + urlsplit(url).path, data=b"__EVENTTARGET=x",
                                     headers={"Host": "tayninh.gov.vn", "If-None-Match": headers["ETag"]})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200 and response.read() == body
