"""`vnarchive backfill`: defunct portals brought back from the replica's Wayback Machine and Common
Crawl (crawler/replica/archives.py), over real HTTP into a real archive.

Runs extract in the reactor thread (EXTRACT_WORKERS=0) and without the polite delay
(BACKFILL_DELAY=0): the same pipelines, minus the waiting.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from crawler.backfill_spider import retry_after_seconds
from crawler.registry import load_registry
from crawler.replica.archives import (COMMONCRAWL, EDIT_NOTE, LISTED_ONLY, UNDATED, WAYBACK, archived_articles,
                                      recovered_articles)
from crawler.text import clean_line
from crawler.urls import url_key
from tests.conftest import FROZEN_NOW, ROOT, rows, run_vnarchive

FAST = ("--set", "BACKFILL_DELAY=0", "--set", "EXTRACT_WORKERS=0")
# What two runs of the same archive must agree on (WARC offsets and run ids may differ).
COMPARED = ("url_key", "url", "title", "published_at", "content_hash", "captured_at", "first_seen", "last_seen",
            "capture_source", "archive_url", "archive_digest", "raw_digest")


def backfill(replica, db, portal: str, source: str, *extra: str):
    result = run_vnarchive("backfill", "--db", str(db), "--portal", portal, "--source", source,
                           "--replica", replica.base_url, *FAST, *extra, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def expected_articles(portal: str) -> dict[str, object]:
    """url_key → article, for every article some archive holds a good capture of."""
    platform = load_registry().get(portal).platform
    return {url_key(url, platform): article for url, article in recovered_articles(portal).items()}


@pytest.fixture(scope="module")
def both_archives(replica, tmp_path_factory):
    """thuathienhue backfilled from the Wayback Machine, then from Common Crawl, then both again."""
    db = tmp_path_factory.mktemp("backfill") / "archive.db"
    first = [backfill(replica, db, "thuathienhue", source, "--set", "BACKFILL_INDEX_LIMIT=3") for source in (WAYBACK, COMMONCRAWL)]
    counts = _counts(db)
    again = [backfill(replica, db, "thuathienhue", source) for source in (WAYBACK, COMMONCRAWL)]
    return db, first, counts, again


def _counts(db) -> dict[str, int]:
    return {table: rows(db, f"SELECT count(*) AS n FROM {table}")[0]["n"] for table in ("articles", "revisions")}


def test_every_article_either_archive_holds_is_recovered_once_with_title_and_date(both_archives):
    db, *_ = both_archives
    archived = {row["url_key"]: row for row in rows(db)}
    expected = expected_articles("thuathienhue")
    assert set(archived) == set(expected) and len(expected) == 9
    for key, article in expected.items():
        row = archived[key]
        assert row["title"] == clean_line(article.title)
        # A page without a date line is dated by the listing, which shows the day.
        shown = article.published.isoformat(timespec="seconds") if article.date_line else article.published.date().isoformat()
        assert row["published_at"] == shown
        assert row["url"].startswith("https://thuathienhue.gov.vn/")  # cited on the canonical host


def test_soft_404_redirect_and_truncated_captures_are_refused_not_archived(both_archives):
    db, *_ = both_archives
    outcomes = [row["outcome"] for row in rows(db, "SELECT * FROM backfill_captures")]
    refused = sorted(outcome for outcome in outcomes if outcome not in ("stored", "listing", "not_a_listing", None))
    assert refused == ["redirect", "soft_404", "soft_404", "soft_404", "truncated", "truncated"]
    assert not any("Trang không tồn tại" in row["title"] for row in rows(db))
    [runs_refused] = rows(db, "SELECT refused_by_kind FROM portal_runs WHERE mode = 'commoncrawl' AND run_id = 2")
    assert '"redirect": 1' in runs_refused["refused_by_kind"]


def test_an_article_whose_latest_capture_is_an_error_page_keeps_its_last_good_capture(both_archives):
    db, *_ = both_archives
    removed = [row for row in rows(db, "SELECT * FROM backfill_captures") if row["outcome"] == "soft_404"
               and row["url_key"] in {r["url_key"] for r in rows(db)}]
    [row] = [r for r in rows(db) if r["url_key"] == removed[0]["url_key"]]
    assert row["capture_source"] == "wayback" and row["captured_at"] < removed[0]["captured_at"]


def test_provenance_says_which_archive_when_and_where(both_archives):
    db, *_ = both_archives
    by_source = {}
    for row in rows(db):
        by_source.setdefault(row["capture_source"], []).append(row)
    assert set(by_source) == {"wayback", "commoncrawl"}
    for row in by_source["wayback"]:
        stamp = row["archive_url"].split("/web/")[1].split("/")[0]
        assert row["archive_url"].startswith("https://web.archive.org/web/") and len(stamp) == 14
        assert row["fetched_url"].startswith(f"https://web.archive.org/web/{stamp}id_/")
    for row in by_source["commoncrawl"]:
        assert row["archive_url"].startswith("https://data.commoncrawl.org/crawl-data/CC-MAIN-") and "#bytes=" in row["archive_url"]
    for row in rows(db):
        assert row["captured_at"].endswith("+07:00") and row["captured_at"] < "2025"  # the archive's time, not now
        assert row["archive_digest"] and row["warc_file"].startswith("vnarchive-run") and row["raw_digest"].startswith("sha1:")


def test_an_edited_capture_in_the_second_archive_becomes_a_revision(both_archives):
    db, *_ = both_archives
    [revision] = rows(db, "SELECT r.* FROM revisions r JOIN articles a USING (url_key) WHERE a.capture_source = 'commoncrawl'")
    [current] = rows(db, "SELECT * FROM articles WHERE url_key = ?", [revision["url_key"]])
    assert (revision["capture_source"], current["capture_source"]) == ("wayback", "commoncrawl")
    assert current["body"].endswith("sau khi đăng.") and revision["captured_at"] < current["captured_at"]


def _article_row(db, number: int) -> dict:
    article = archived_articles()["thuathienhue"][number]
    [url] = [url for url, a in recovered_articles("thuathienhue").items() if a.key == article.key]
    [row] = rows(db, "SELECT * FROM articles WHERE url_key = ?", [url_key(url, "hue_portal")])
    return row


def test_an_article_whose_page_shows_no_date_is_dated_by_the_archived_listing(both_archives):
    db, *_ = both_archives
    article = archived_articles()["thuathienhue"][UNDATED]
    assert not article.date_line
    row = _article_row(db, UNDATED)
    assert row["published_at"] == article.published.date().isoformat()
    assert row["date_source"].startswith("listing:") and row["listing_date"] == article.published.strftime("%d/%m/%Y")
    assert row["listing_url"] == "https://thuathienhue.gov.vn/?gd=1&cn=129"  # the section of crawler/portals.yml
    listings = rows(db, "SELECT source, outcome FROM backfill_captures WHERE url = 'https://thuathienhue.gov.vn/?gd=1&cn=129'")
    assert sorted(listings, key=str) == [{"source": "commoncrawl", "outcome": "listing"}, {"source": "wayback", "outcome": "listing"}]


def test_an_article_only_a_listing_links_is_looked_up_in_each_archive_and_recovered(both_archives):
    db, first, *_ = both_archives
    row = _article_row(db, LISTED_ONLY)
    assert row["url"] == "https://thuathienhue.gov.vn/tin-tuc/" + row["url"].rsplit("/", 1)[1]  # not an article_url shape
    assert row["title"] == clean_line(archived_articles()["thuathienhue"][LISTED_ONLY].title)
    captures = rows(db, "SELECT source, outcome FROM backfill_captures WHERE url_key = ? ORDER BY source", [row["url_key"]])
    assert captures == [{"source": "commoncrawl", "outcome": "stored"}, {"source": "wayback", "outcome": "stored"}]
    assert (row["capture_source"], row["first_seen"] < row["last_seen"]) == ("wayback", True)  # seen again in Common Crawl
    for result in first:
        assert "'vnarchive/thuathienhue/lookups'" in result.stderr  # asked by its exact URL


def test_an_older_capture_with_other_text_is_kept_behind_the_current_version_once(both_archives):
    db, first, _, again = both_archives
    row = _article_row(db, 6)  # captured by the Wayback Machine 12 and 150 days after publication, edited between
    assert row["body"].endswith(EDIT_NOTE) and row["first_seen"] == row["captured_at"] == row["last_seen"]
    [revision] = rows(db, "SELECT * FROM revisions WHERE url_key = ?", [row["url_key"]])
    assert not revision["body"].endswith(EDIT_NOTE) and revision["capture_source"] == "wayback"
    assert revision["seen_from"] == revision["seen_until"] == revision["captured_at"] < row["captured_at"]
    assert revision["replaced_at"] == row["captured_at"]
    assert "older versions 1" in first[0].stdout and all("older versions 0" in result.stdout for result in again)


def test_the_raw_capture_is_a_warc_record_the_row_points_at(both_archives):
    from crawler.warc import RecordPointer, read_record, warc_dir

    db, *_ = both_archives
    for row in rows(db):
        stored = read_record(warc_dir(db), RecordPointer(row["warc_file"], row["warc_offset"], row["warc_length"], row["raw_digest"]))
        assert stored.url.replace("www.", "").replace("http://", "https://") == row["url"]
        assert stored.date[:19] == _utc(row["captured_at"]) and b"</html>" in stored.body


def _utc(iso: str) -> str:
    from datetime import datetime, timezone

    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_second_run_of_either_archive_adds_nothing_and_fetches_no_capture(both_archives):
    db, _, counts, again = both_archives
    assert _counts(db) == counts
    for result in again:
        assert "new 0, changed 0, unchanged 0" in result.stdout
    fetched = rows(db, "SELECT run_id, articles_fetched, outcome FROM portal_runs WHERE run_id > 2")
    assert [(row["articles_fetched"], row["outcome"]) for row in fetched] == [(0, "ok"), (0, "ok")]


def test_runs_are_recorded_with_the_archive_as_mode_and_a_429_waited_out_is_no_error(both_archives):
    db, *_ = both_archives
    runs = rows(db, "SELECT * FROM portal_runs ORDER BY run_id")
    assert [row["mode"] for row in runs] == ["wayback", "commoncrawl", "wayback", "commoncrawl"]
    assert all(row["errors"] == 0 for row in runs) and runs[0]["listing_pages"] >= 3  # CDX pages of 3 rows


def test_portal_health_shows_the_dates_the_archives_cover_for_a_defunct_portal(both_archives):
    import yaml

    db, *_ = both_archives
    sql = yaml.safe_load((ROOT / "metadata.yml").read_text())["databases"]["archive"]["queries"]["portal_health"]["sql"]
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    health = {row["portal"]: dict(row) for row in connection.execute(sql, {"status": "defunct"})}
    connection.close()
    captured = [row["captured_at"] for row in rows(db, "SELECT captured_at FROM backfill_captures")]
    assert health["thuathienhue"]["archived_from"] == min(captured)[:10]
    assert health["thuathienhue"]["archived_until"] == max(captured)[:10]
    assert health["huecity"]["archived_from"] is None


def test_since_and_until_keep_only_captures_of_those_days(replica, tmp_path):
    db = tmp_path / "archive.db"
    backfill(replica, db, "huecity", WAYBACK, "--since", "2024-01-01", "--until", "2024-01-31")
    captured = [row["captured_at"][:10] for row in rows(db, "SELECT captured_at FROM backfill_captures")]
    assert captured and all("2024-01-01" <= day <= "2024-01-31" for day in captured)


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once
    assert retry_after_seconds("soon") == 60.0


def test_an_unknown_portal_is_a_usage_error(replica, tmp_path):
    result = run_vnarchive("backfill", "--db", str(tmp_path / "a.db"), "--portal", "nowhere", "--source", "wayback")
    assert result.returncode == 2 and "no portal 'nowhere'" in result.stderr


# --- killed halfway -------------------------------------------------------------------------------

def test_a_backfill_killed_halfway_and_run_again_ends_with_the_rows_of_an_uninterrupted_one(replica, tmp_path):
    whole, killed = tmp_path / "whole" / "archive.db", tmp_path / "killed" / "archive.db"
    for source in (WAYBACK, COMMONCRAWL):
        backfill(replica, whole, "huecity", source)
    # One article per transaction and a pause between requests, so that the kill lands between two.
    child = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "backfill", "--db", str(killed), "--portal", "huecity", "--source", WAYBACK,
         "--replica", replica.base_url, "--set", "BACKFILL_DELAY=0.4", "--set", "EXTRACT_WORKERS=0",
         "--set", "ARCHIVE_BATCH_SIZE=1"],
        cwd=ROOT, env={**os.environ, "VNARCHIVE_NOW": FROZEN_NOW}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stored = _wait_for_articles(killed, at_least=1, timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert 1 <= stored < len(rows(whole, "SELECT url_key FROM articles WHERE capture_source = 'wayback'"))
    for source in (WAYBACK, COMMONCRAWL):
        backfill(replica, killed, "huecity", source)
    assert _comparable(killed) == _comparable(whole)
    assert [row["outcome"] for row in rows(killed, "SELECT outcome FROM crawl_runs ORDER BY id")][0] == "killed"


def _wait_for_articles(db, *, at_least: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            count = rows(db, "SELECT count(*) AS n FROM articles")[0]["n"]
        except sqlite3.OperationalError:
            count = 0
        if count >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError(f"no article stored in {timeout} s")


def _comparable(db) -> dict:
    return {
        "articles": sorted(tuple(row[c] for c in COMPARED) for row in rows(db)),
        "revisions": sorted((row["url_key"], row["captured_at"], row["content_hash"]) for row in rows(db, "SELECT * FROM revisions")),
    }


# --- the store: older versions ------------------------------------------------------------------

def _capture(text: str, captured_at: str):
    from crawler.backfill_spider import ArchivedRecord

    url = "https://huecity.gov.vn/Default.aspx?tabid=22641&ID=1"
    return ArchivedRecord(url=url, url_key=url_key(url, "dnn"),
                          portal="huecity", title="Tin", body=text, content_hash=text, captured_at=captured_at,
                          capture_source="wayback", archive_url=f"https://web.archive.org/web/{captured_at[:10]}/x")


def test_older_captures_go_behind_the_current_version_in_time_order_and_only_once(tmp_path):
    from crawler.store import Archive

    archive = Archive(tmp_path / "archive.db")
    archive.sync_portals([load_registry().get("huecity")])
    save = lambda *records: dict(archive.save_articles(list(records), {}))
    assert save(_capture("C", "2024-03-01T10:00:00+07:00")) == {"new": 1}
    assert save(_capture("A", "2024-01-01T10:00:00+07:00")) == {"older_revision": 1}
    assert save(_capture("B", "2024-02-01T10:00:00+07:00")) == {"older_revision": 1}  # between A and C
    assert save(_capture("B", "2024-02-01T10:00:00+07:00"), _capture("C", "2024-02-20T10:00:00+07:00")) == {"unchanged": 2}
    versions = rows(tmp_path / "archive.db", "SELECT body, seen_from, seen_until, replaced_at FROM revisions ORDER BY seen_from")
    assert [(v["body"], v["seen_from"][:10], v["seen_until"][:10], v["replaced_at"][:10]) for v in versions] == [
        ("A", "2024-01-01", "2024-01-01", "2024-02-01"), ("B", "2024-02-01", "2024-02-01", "2024-02-20")]
    [current] = rows(tmp_path / "archive.db")
    assert (current["body"], current["captured_at"][:10], current["first_seen"][:10], current["last_seen"][:10]) == (
        "C", "2024-03-01", "2024-02-20", "2024-03-01")
    archive.close()
