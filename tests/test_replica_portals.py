"""The replica serves every portal of the registry, with generated articles where none were written."""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.registry import get_topic, load_registry
from crawler.replica import (
    HOSTS,
    ReplicaServer,
    article_url,
    expected_published_at,
    listing_urls,
    load_corpus,
    replica_articles,
    synthetic,
)
from crawler.replica import __main__ as entry_point
from crawler.replica.corpus import CorpusError, Image, parse_article
from crawler.replica.portals import HAND_WRITTEN_CHROME, PORTALS_BY_ID
from crawler.replica.served import bare_site, generated_counts
from crawler.text import to_nfc

TODAY = date(2026, 11, 23)
LARGE = 6000  # articles in the large replica (about 92 a portal)
ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry()
SERVED = [portal for portal in REGISTRY.portals if portal.status != "defunct"]
DEFUNCT = [portal for portal in REGISTRY.portals if portal.status == "defunct"]
DAN_VAN = get_topic("dan-van")


@pytest.fixture(scope="module")
def server():
    with ReplicaServer(0, today=TODAY) as replica:
        yield replica


def fetch(server: ReplicaServer, url: str) -> tuple[int, bytes]:
    """(status, body) of a real URL, sent to the replica with the real Host header."""
    parts = urlsplit(url)
    request = urllib.request.Request(server.base_url + root_relative(url), headers={"Host": parts.netloc})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def html_escape(text: str) -> str:
    """Text as Jinja escapes it."""
    return html_lib.escape(text).replace("&quot;", "&#34;").replace("&#x27;", "&#39;")


def root_relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def href(article) -> str:
    """How a page links the article (root-relative, & escaped)."""
    return f'href="{root_relative(article_url(article)).replace("&", "&amp;")}"'


def generated(articles) -> list:
    return [article for article in articles if article.key.startswith("gen-")]


def served_of(portal_id: str, articles=None) -> list:
    return [a for a in (articles or replica_articles(TODAY)) if a.portal == portal_id]


def article_text(article) -> str:
    """Title, lead, body and captions: where the topic keywords are looked for."""
    blocks = [block.caption if isinstance(block, Image) else block for block in article.body]
    return "\n".join([article.title, article.lead, *blocks])


# --- which portals ---------------------------------------------------------------------------------


def test_the_replica_serves_every_registry_portal_that_still_answers():
    assert list(PORTALS_BY_ID) == [portal.id for portal in SERVED]
    assert len(PORTALS_BY_ID) == 65
    for entry in SERVED:
        portal = PORTALS_BY_ID[entry.id]
        assert (portal.platform, portal.hosts, portal.status) == (entry.platform, entry.domains, entry.status)
        assert all(HOSTS[host] == entry.id for host in entry.domains)


@pytest.mark.parametrize("portal", DEFUNCT, ids=lambda p: p.id)
def test_defunct_hosts_get_unknown_host(server, portal):
    assert portal.id not in PORTALS_BY_ID
    for host in portal.domains:
        assert fetch(server, f"https://{host}/") == (404, b"unknown host")


@pytest.mark.parametrize("portal", SERVED, ids=lambda p: p.id)
def test_each_portal_answers_its_registry_section_with_article_links(server, portal):
    section = portal.sections[0].url
    status, body = fetch(server, section)
    assert status == 200, section
    articles = served_of(portal.id)
    assert articles, portal.id
    if portal.platform == "react_api":  # the page is a JavaScript shell: its links come from the JSON API
        category = parse_qs(urlsplit(section).query)["categoryId"][0]
        status, body = fetch(server, f"https://{portal.domain}/api/blogs?categoryId={category}&page=1&size=10")
        items = json.loads(body)["content"]
        assert status == 200 and items
        assert article_url(articles[0]).endswith(f"/blogs/{items[0]['slug']}-{items[0]['id']}")
        return
    html = body.decode("utf-8")
    assert href(articles[0]) in html, f"{section} does not link the newest article"


def test_home_pages_of_portals_of_unknown_make_link_the_newest_articles_newest_first(server):
    for entry in SERVED:
        if entry.sections[0].url != f"https://{entry.domain}/":
            continue
        html = fetch(server, f"https://{entry.domain}/")[1].decode("utf-8")
        newest = served_of(entry.id)[:3]
        positions = [html.find(href(article)) for article in newest]
        assert -1 not in positions and positions == sorted(positions), entry.id


# --- chrome ---------------------------------------------------------------------------------------------


def test_chrome_of_other_portals_comes_from_the_registry(server):
    kontum = PORTALS_BY_ID["kontum"]
    assert kontum.site_name == "CỔNG THÔNG TIN ĐIỆN TỬ TỈNH KON TUM"
    assert kontum.owner == "Ủy ban nhân dân tỉnh Kon Tum" and kontum.section_name == "Tin tức - Sự kiện"
    assert PORTALS_BY_ID["cantho"].owner == "Ủy ban nhân dân thành phố Cần Thơ"
    assert PORTALS_BY_ID["hochiminhcity"].owner == "Ủy ban nhân dân Thành phố Hồ Chí Minh"
    html = fetch(server, "https://kontum.gov.vn/")[1].decode("utf-8")
    assert "Bản quyền thuộc về Ủy ban nhân dân tỉnh Kon Tum" in html and f"Điện thoại: {kontum.phone}" in html
    assert kontum.phone.startswith("0260.")  # Kon Tum's area code
    for portal in PORTALS_BY_ID.values():
        if portal.id not in HAND_WRITTEN_CHROME:
            assert re.fullmatch(r"0\d{2,3}\.38\d{2}\.\d{3,4}", portal.phone), portal.id
            assert portal.address.startswith("Số ") and portal.address.endswith(portal.locality), portal.id


def test_hand_written_chrome_is_kept():
    hanam = PORTALS_BY_ID["hanam"]
    assert hanam.address == "Số 90 đường Trần Phú, phường Quang Trung, thành phố Phủ Lý, tỉnh Hà Nam"
    assert PORTALS_BY_ID["danvan"].site_name == "BAN DÂN VẬN TRUNG ƯƠNG"
    assert [link.path for link in PORTALS_BY_ID["danvan"].menu][2] == "/tin-tuc-su-kien/dan-van-chinh-quyen"
    assert PORTALS_BY_ID["tuyengiaodanvan"].menu == ()
    assert [link.path for link in PORTALS_BY_ID["dienbien"].menu][2] == "/Pages/Tin-tuc-su-kien.aspx"


def test_articles_must_name_a_served_portal():
    entry = {"key": "x", "portal": "thuathienhue", "category": "c", "title": "t", "published": "2020-01-01 08:00", "body": ["p"]}
    with pytest.raises(CorpusError, match="thuathienhue"):
        parse_article(entry)


# --- how many articles ------------------------------------------------------------------------------


def test_portals_without_hand_written_articles_get_three_generated_ones():
    written = {article.portal for article in load_corpus()}
    counts = Counter(article.portal for article in generated(replica_articles(TODAY)))
    assert counts == {portal.id: 3 for portal in SERVED if portal.id not in written}
    assert len(replica_articles(TODAY)) == len(load_corpus()) + 3 * (len(SERVED) - len(written))
    assert replica_articles(TODAY, synthetic_per_portal=0) == load_corpus()


def test_total_articles_deals_generated_articles_round_robin_on_unique_urls():
    articles = replica_articles(TODAY, total_articles=500)
    assert len(articles) == 500
    assert set(load_corpus()) <= set(articles)
    counts = Counter(article.portal for article in generated(articles))
    assert set(counts) == set(PORTALS_BY_ID) and max(counts.values()) - min(counts.values()) <= 1
    for portal_id in PORTALS_BY_ID:
        urls = [article_url(article) for article in served_of(portal_id, articles)]
        assert len(urls) == len(set(urls)), portal_id
    assert len(listing_urls("kontum", today=TODAY, total_articles=500)) > len(listing_urls("kontum", today=TODAY))
    with pytest.raises(ValueError, match="hand-written"):
        replica_articles(TODAY, total_articles=10)


def test_colliding_url_ids_get_the_next_key():
    """vinhlong's ids are hashes of the key folded into 70,000 values: at ~90 articles two of them collide."""
    articles = served_of("vinhlong", replica_articles(TODAY, total_articles=LARGE))
    site = bare_site("vinhlong")
    ids = [site.lookup_key(article) for article in articles]
    assert len(ids) == len(set(ids))
    assert any(re.fullmatch(r"gen-vinhlong-\d+-r1", article.key) for article in articles)


def test_a_replica_serves_the_total_it_is_given():
    with ReplicaServer(0, today=TODAY, total_articles=300) as replica:
        assert len(replica.replica.articles) == 300
        article = served_of("kontum", replica.replica.articles)[-1]
        status, body = fetch(replica, article_url(article))
        assert status == 200 and html_escape(article.title) in body.decode("utf-8")


# --- generated articles --------------------------------------------------------------------------------


def test_generated_articles_are_identical_on_every_build():
    first = replica_articles.__wrapped__(TODAY, 3, 400)
    assert first == replica_articles.__wrapped__(TODAY, 3, 400)
    # A portal's articles do not depend on how many others are generated.
    assert served_of("kontum", replica_articles(TODAY)) == served_of("kontum", first)[:3]


def test_generated_articles_are_identical_in_another_process():
    script = (
        "import hashlib, datetime; from crawler.replica import replica_articles;"
        "print(hashlib.sha256(repr(replica_articles(datetime.date(2026, 11, 23))).encode()).hexdigest())"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert result.stdout.strip() == hashlib.sha256(repr(replica_articles(TODAY)).encode()).hexdigest()


def test_every_generated_article_renders_on_its_portal(server):
    for article in generated(replica_articles(TODAY)):
        status, body = fetch(server, article_url(article))
        html = body.decode("utf-8")
        assert status == 200, article.key
        assert html_escape(article.title) in html, article.key
        if PORTALS_BY_ID[article.portal].platform != "react_api":  # the JavaScript shell carries no text
            last_paragraph = [block for block in article.body if isinstance(block, str)][-1]
            assert html_escape(last_paragraph) in html, article.key


def test_published_seconds_are_kept_where_the_page_shows_them():
    articles = generated(replica_articles(TODAY, total_articles=LARGE))
    for article in articles:
        shows_seconds = bare_site(article.portal).precision_for(article) == "second"
        assert article.published_has_seconds == shows_seconds
        if not shows_seconds:
            assert article.published.second == 0
    vinhlong = [a for a in articles if a.portal == "vinhlong" and a.date_line]  # DNN prints 15:13:27
    assert any(expected_published_at(a) == a.published.isoformat() and a.published.second for a in vinhlong)


def test_titles_are_unique_across_a_large_generated_set():
    articles = generated(replica_articles(TODAY, total_articles=LARGE))
    titles = Counter(article.title for article in articles)
    assert [title for title, count in titles.items() if count > 1] == []


def publishing_days(portal) -> tuple[date, date]:
    """PORTALS.md, "The 2025 reform": merged-away provinces stop on 2025-06-30; hue.gov.vn starts with the
    city on 2025-01-01; tuyengiaodanvan.vn takes over from danvan.vn in February 2025."""
    special = {"hue": (date(2025, 1, 1), TODAY), "tuyengiaodanvan": (date(2025, 2, 1), TODAY),
               "danvan": (date(2016, 1, 1), date(2025, 2, 28))}
    return special.get(portal.id, (date(2016, 1, 1), date(2025, 6, 30) if portal.status == "moved" else TODAY))


def test_dates_follow_each_portals_history():
    articles = generated(replica_articles(TODAY, total_articles=LARGE))
    for article in articles:
        first, last = publishing_days(PORTALS_BY_ID[article.portal])
        assert first <= article.published.date() <= last, (article.key, article.published)
        assert article.published.utcoffset().total_seconds() == 7 * 3600
    for portal in SERVED:  # each portal's newest article is from its last weeks
        newest = max(a.published.date() for a in articles if a.portal == portal.id)
        assert 0 <= (publishing_days(portal)[1] - newest).days < 14, portal.id
    assert min(a.published.date() for a in articles) < date(2024, 1, 1)


def test_portals_that_had_not_started_by_today_publish_nothing():
    early = date(2024, 12, 1)
    counts = generated_counts(early, 3, None)
    assert "hue" not in counts and "tuyengiaodanvan" not in counts and counts["kontum"] == 3
    assert all(article.published.date() <= early for article in replica_articles(early) if article.key.startswith("gen-"))


def test_topics_mix_mass_mobilization_with_articles_free_of_its_keywords():
    articles = generated(replica_articles(TODAY, total_articles=2000))
    topics = Counter(synthetic.topic_of(article) for article in articles)
    assert topics["dan-van"] >= 300 and set(topics) == set(synthetic.phrases().topics)
    assert all(count >= 100 for count in topics.values())
    for article in articles:
        if synthetic.topic_of(article) == "dan-van":
            assert DAN_VAN.matches(f"{article.title}\n{article.lead}"), article.key
        else:
            assert not DAN_VAN.matches(article_text(article)), article.key
            assert not DAN_VAN.matches(article.author), article.key
    # Sites given to dân vận publish nothing else.
    assert {synthetic.topic_of(a) for a in articles if a.portal in ("danvan", "tuyengiaodanvan", "hue")} == {"dan-van"}


def test_generated_articles_carry_the_traps_of_real_ones():
    articles = generated(replica_articles(TODAY, total_articles=1000))
    leads_without_year = [a for a in articles if re.match(r"(Sáng|Chiều|Tối) \d{1,2}/\d{1,2}, ", a.lead)]
    assert len(leads_without_year) > 100
    for article in leads_without_year:  # the day in the lead is never after the publication
        day, month = map(int, re.match(r"\S+ (\d+)/(\d+)", article.lead).groups())
        year = article.published.year if (month, day) <= (article.published.month, article.published.day) else article.published.year - 1
        assert (article.published.date() - date(year, month, day)).days <= 2, article.key
    assert any(re.search(r"\b\d+/20\d\d/NĐ-CP\b", " ".join(b for b in a.body if isinstance(b, str))) for a in articles)
    assert any(a.images and a.images[0].caption for a in articles) and any(not a.images for a in articles)
    authors = [a.author for a in articles]
    assert any(re.fullmatch(r"\w\.\w", author) for author in authors) and "" in authors
    assert any(a.source.startswith("Báo ") for a in articles) and any(a.source.startswith("Đài PT-TH ") for a in articles)
    assert any(a.source.endswith(".gov.vn") and a.source_date for a in articles if a.portal == "danvan")
    assert 0 < sum(not a.date_line for a in articles) < len(articles) / 8
    assert all(5 <= len([b for b in a.body if isinstance(b, str)]) <= 10 for a in articles)
    assert all(to_nfc(article_text(a)) == article_text(a) for a in articles)  # stored form: NFC, canonical tones


def test_building_the_default_replica_is_fast():
    started = time.perf_counter()
    replica_articles.__wrapped__(TODAY)
    assert time.perf_counter() - started < 2


# --- command line ------------------------------------------------------------------------------------


def test_module_entry_point_takes_a_total_number_of_articles(monkeypatch):
    calls = []
    monkeypatch.setattr(entry_point, "serve_forever", lambda *args, **kwargs: calls.append((args, kwargs)))
    entry_point.main(["--port", "0", "--articles", "1000"])
    assert calls == [((0, None), {"page_size": None, "total_articles": 1000, "edition": 1})]
    entry_point.main(["--port", "0", "--edition", "2"])
    assert calls[-1] == ((0, None), {"page_size": None, "total_articles": None, "edition": 2})
    with pytest.raises(SystemExit):
        entry_point.main(["--articles", "10"])  # fewer than the hand-written articles
