"""End to end: `vnarchive crawl` over HTTP against the replica into a temporary archive."""

from __future__ import annotations

import fcntl
import json
import sqlite3

import pytest

from crawler.boilerplate import PORTALS_MD_STRINGS
from crawler.registry import load_registry
from crawler.replica import (
    article_url,
    expected_published_at,
    load_corpus,
    replica_articles,
)
from crawler.text import clean_line
from tests.conftest import TODAY, rows, run_vnarchive

CRAWLED_PORTALS = {p.id for p in load_registry().crawlable()}
# House style of the DNN portal: a lead prefixed "(Vinhlong.gov.vn) –" names the portal as source.
HOUSE_SOURCE = {"vinhlong": "Vinhlong.gov.vn"}


@pytest.fixture(scope="module")
def archived(crawled_archive):
    db, _ = crawled_archive
    return {row["url"]: row for row in rows(db)}


def corpus_articles():
    """The hand-written articles (articles.yml)."""
    return [a for a in load_corpus() if a.portal in CRAWLED_PORTALS]


def served_articles():
    """Everything the replica serves: the hand-written articles and those generated for the other portals."""
    return [a for a in replica_articles(TODAY) if a.portal in CRAWLED_PORTALS]


def test_every_replica_article_of_every_portal_is_archived(archived):
    expected = {article_url(a) for a in served_articles()}
    assert set(archived) == expected
    assert {row["portal"] for row in archived.values()} == CRAWLED_PORTALS


@pytest.mark.parametrize("article", corpus_articles(), ids=lambda a: a.key)
def test_each_article_field_matches_the_page(archived, article):
    row = archived[article_url(article)]
    assert row["title"] == clean_line(article.title)
    assert row["portal"] == article.portal
    assert row["published_at"] == expected_published_at(article)
    assert row["author"] == clean_line(article.author)
    assert row["source"] == (article.source or HOUSE_SOURCE.get(article.portal, ""))
    paragraphs = [clean_line(block if isinstance(block, str) else block.caption) for block in article.body]
    assert row["body"].split("\n\n") == paragraphs


@pytest.mark.parametrize("article", [a for a in served_articles() if a.key.startswith("gen-")], ids=lambda a: a.key)
def test_generated_articles_of_every_platform_and_layout_get_title_and_date(archived, article):
    row = archived[article_url(article)]
    assert row["title"] == clean_line(article.title)
    expected = expected_published_at(article)
    # A page without a date line is dated by what the listing or feed showed, which may add a time.
    assert (row["published_at"] if article.date_line else row["published_at"][:10]) == expected


def test_every_platform_family_is_in_the_archive(archived):
    platforms = {load_registry().get(row["portal"]).platform for row in archived.values()}
    assert platforms == {p.platform for p in load_registry().crawlable()}
    assert {"sharepoint_tandan", "sharepoint_ministry", "dnn", "liferay", "hue_portal", "hanoi_cms", "react_api",
            "generic"} <= platforms


def test_one_article_reached_by_listing_feed_and_sitemap_is_fetched_and_stored_once(crawled_archive, archived):
    db, _ = crawled_archive
    [danvan] = rows(db, "SELECT * FROM portal_runs WHERE portal = 'danvan'")
    served = len([a for a in served_articles() if a.portal == "danvan"])
    # Each article is linked by the listing, the feed (http://…?utm_source=rss) and a sitemap (https://www.…).
    assert danvan["links_found"] >= 3 * served
    assert danvan["articles_fetched"] == danvan["new"] == served
    urls = [row["url"] for row in archived.values() if row["portal"] == "danvan"]
    assert all(url.startswith("https://danvan.vn/") and "utm_" not in url for url in urls)


def test_a_listing_paged_only_by_postback_is_read_to_the_end(crawled_archive, archived):
    db, _ = crawled_archive
    served = [a for a in served_articles() if a.portal == "dienbien"]
    assert len(served) > 2  # more than one listing page of two
    assert {article_url(a) for a in served} <= set(archived)
    [dienbien] = rows(db, "SELECT listing_pages FROM portal_runs WHERE portal = 'dienbien'")
    assert dienbien["listing_pages"] >= 2


def test_articles_carry_their_topics(archived):
    topics = {url: json.loads(row["topics"]) for url, row in archived.items()}
    about = [url for url, found in topics.items() if "dan-van" in found]
    assert about and len(about) < len(topics)
    assert all("dan-van" in topics[url] for url in archived if "dan-van" in url)  # slugs of dân vận titles


def test_crawl_with_a_topic_keeps_only_its_articles(tmp_path, replica):
    db = tmp_path / "topic.db"
    result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url, "--topic", "dan-van",
                           "--portal", "vinhlong", "--portal", "camau", "--portal", "hanam")
    assert result.returncode == 0, result.stderr[-3000:]
    kept = rows(db)
    assert kept and all("dan-van" in json.loads(row["topics"]) for row in kept)
    served = [a for a in served_articles() if a.portal in ("vinhlong", "camau", "hanam")]
    assert len(kept) < len(served)


def test_an_unknown_topic_is_a_usage_error(tmp_path):
    result = run_vnarchive("crawl", "--db", str(tmp_path / "x.db"), "--topic", "weather")
    assert result.returncode == 2 and "no topic 'weather'" in result.stderr


def test_no_boilerplate_in_any_body(archived):
    leaks = {url: s for url, row in archived.items() for s in PORTALS_MD_STRINGS if s in row["body"]}
    assert leaks == {}


def test_the_run_is_recorded(crawled_archive):
    db, result = crawled_archive
    [run] = rows(db, "SELECT * FROM crawl_runs")
    assert (run["outcome"], run["new"], run["errors"]) == ("ok", len(served_articles()), 0)
    portal_runs = rows(db, "SELECT portal, outcome, listing_pages, new FROM portal_runs")
    assert {r["portal"]: r["outcome"] for r in portal_runs} == dict.fromkeys(CRAWLED_PORTALS, "ok")
    # Hand-written portals: 5-6 articles at 2 a page; the JavaScript site's API is read at its own page size of 10.
    written = {a.portal for a in corpus_articles()}
    assert {r["portal"] for r in portal_runs if r["portal"] in written and r["listing_pages"] < 3} == {"tuyengiaodanvan"}
    assert all(r["listing_pages"] >= 1 and r["new"] >= 3 for r in portal_runs)
    assert f"run 1: ok; new {len(served_articles())}" in result.stdout


def test_a_second_crawl_adds_nothing_and_changes_nothing(crawled_archive, replica, tmp_path):
    db, _ = crawled_archive
    copy = tmp_path / "archive.db"
    sqlite3.connect(db).execute(f"VACUUM INTO '{copy}'")
    before = rows(copy, "SELECT * FROM articles ORDER BY url_key")
    result = run_vnarchive("crawl", "--db", str(copy), "--replica", replica.base_url)
    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(copy, "SELECT * FROM articles ORDER BY url_key") == before
    last = rows(copy, "SELECT new, changed, outcome FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert last == {"new": 0, "changed": 0, "outcome": "ok"}


def test_search_index_follows_the_articles(crawled_archive):
    db, _ = crawled_archive
    hits = rows(db, "SELECT a.title FROM articles_fts f JOIN articles a ON a.rowid = f.rowid WHERE articles_fts MATCH 'hdnd'")
    assert hits and all(isinstance(h["title"], str) for h in hits)


def test_a_second_run_while_one_holds_the_lock_exits_0_and_writes_nothing(tmp_path, replica):
    db = tmp_path / "archive.db"
    with open(f"{db}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("12345")
        lock.flush()
        result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url)
    assert result.returncode == 0
    assert "another run holds" in result.stderr and "12345" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive.db.lock"]


def test_an_unknown_portal_is_a_usage_error(tmp_path):
    result = run_vnarchive("crawl", "--db", str(tmp_path / "a.db"), "--portal", "atlantis")
    assert result.returncode == 2
    assert "no portal 'atlantis' in the registry" in result.stderr


def test_an_unreachable_portal_is_reported_broken_and_the_others_go_on(tmp_path, replica):
    """thuathienhue is defunct: the replica does not answer for it (404 unknown host)."""
    db = tmp_path / "archive.db"
    result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url, "--portal", "thuathienhue", "--portal", "hue")
    assert result.returncode == 4, result.stdout + result.stderr[-2000:]
    outcomes = {r["portal"]: r["outcome"] for r in rows(db, "SELECT portal, outcome FROM portal_runs")}
    assert outcomes == {"thuathienhue": "broken", "hue": "ok"}
    assert json.loads(rows(db, "SELECT errors_by_kind FROM portal_runs WHERE portal='thuathienhue'")[0]["errors_by_kind"])
