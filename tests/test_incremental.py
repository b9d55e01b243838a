"""Incremental runs over replica editions: a crawl of edition 1, then of edition 2 a day later.

Edition 2 has new articles, edited ones and removed ones, and two listings shifted by a page.
The daily run must find all of it with a fraction of the first run's requests. The replica
serves 1,000 articles here (about 15 a portal, several listing pages each), closer to a real
portal's depth than the default 3 a portal.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.incremental import DEEP, INCREMENTAL, PortalState, RecheckPolicy, choose_mode
from crawler.registry import load_registry
from crawler.replica import ReplicaServer, article_url, edition_changes, replica_articles
from crawler.text import clean_line
from tests.conftest import FROZEN_NOW, TODAY, rows, run_vnarchive

ARTICLES = 1000
NEXT_DAY = "2026-11-24T10:00:00+07:00"
CRAWLED = {p.id for p in load_registry().crawlable()}


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """One archive: edition 1 crawled on the 23rd, edition 2 on the 24th."""
    db = tmp_path_factory.mktemp("editions") / "archive.db"
    results = []
    for edition, now in ((1, FROZEN_NOW), (2, NEXT_DAY)):
        with ReplicaServer(0, today=TODAY, edition=edition, total_articles=ARTICLES) as server:
            result = run_vnarchive("crawl", "--db", str(db), "--replica", server.base_url, env={"VNARCHIVE_NOW": now})
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        results.append(result)
    return db, results


@pytest.fixture(scope="module")
def changes():
    return edition_changes(TODAY, total_articles=ARTICLES)


def runs(db):
    return rows(db, "SELECT * FROM crawl_runs ORDER BY id")


def by_url(db):
    return {row["url"]: row for row in rows(db)}


def test_the_first_run_archives_edition_1(editions):
    db, _ = editions
    first = [a for a in replica_articles(TODAY, total_articles=ARTICLES) if a.portal in CRAWLED]
    assert runs(db)[0]["new"] == len(first)


def test_new_articles_are_added(editions, changes):
    db, _ = editions
    archived = by_url(db)
    new = [a for a in changes.new if a.portal in CRAWLED]
    assert new and all(article_url(a) in archived for a in new)
    assert runs(db)[1]["new"] == len(new)


def test_the_shifted_listings_are_followed_to_their_second_page(editions, changes):
    db, _ = editions
    archived = by_url(db)
    for portal in changes.shifted_portals:
        shifted = [a for a in changes.new if a.portal == portal]
        assert shifted and all(article_url(a) in archived for a in shifted)
        [run] = rows(db, "SELECT listing_pages FROM portal_runs WHERE run_id = 2 AND portal = ?", [portal])
        # Generic portals are read from their home page, which lists more than a page and has no pager.
        if load_registry().get(portal).platform != "generic":
            assert run["listing_pages"] == 2  # page 1 all new, page 2 all known: stop


def test_edited_articles_keep_their_old_version_as_a_revision(editions, changes):
    db, _ = editions
    archived = by_url(db)
    for before, after in changes.edited:
        row = archived[article_url(after)]
        assert row["title"] == clean_line(after.title)
        [revision] = rows(db, "SELECT * FROM revisions WHERE url_key = ?", [row["url_key"]])
        assert revision["title"] == clean_line(before.title)
        assert revision["body"] != row["body"]
        assert revision["seen_from"].startswith("2026-11-23") and revision["replaced_at"].startswith("2026-11-24")
        assert revision["raw_digest"] != row["raw_digest"] and revision["warc_file"] != row["warc_file"]
    assert runs(db)[1]["changed"] == len(changes.edited)
    assert len(rows(db, "SELECT id FROM revisions")) == len(changes.edited)


def test_removed_articles_are_marked_gone_and_kept(editions, changes):
    db, _ = editions
    archived = by_url(db)
    for article in changes.removed:
        row = archived[article_url(article)]
        assert row["gone_status"] == 404 and row["gone_at"].startswith("2026-11-24")
        assert row["body"]
    assert len(rows(db, "SELECT url FROM articles WHERE gone_at IS NOT NULL")) == len(changes.removed)
    assert runs(db)[1]["gone"] == len(changes.removed)


def test_the_daily_run_makes_at_most_a_fifth_of_the_first_runs_requests(editions):
    db, _ = editions
    first, second = runs(db)
    print(f"requests: first run {first['requests']}, daily run {second['requests']}")
    assert second["requests"] * 5 <= first["requests"]
    assert {r["mode"] for r in rows(db, "SELECT mode FROM portal_runs WHERE run_id = 2")} == {INCREMENTAL}
    assert {r["mode"] for r in rows(db, "SELECT mode FROM portal_runs WHERE run_id = 1")} == {DEEP}


def test_rechecks_are_conditional_where_the_portal_allows(editions):
    db, _ = editions
    [totals] = rows(db, "SELECT sum(rechecked) AS rechecked, sum(not_modified) AS not_modified FROM portal_runs WHERE run_id = 2")
    assert 0 < totals["not_modified"] < totals["rechecked"]
    assert json.loads(runs(db)[1]["errors_by_kind"]) == {}


def test_reextract_on_a_fresh_copy_reproduces_the_same_rows(editions, tmp_path):
    db, _ = editions
    copy = tmp_path / "archive.db"
    shutil.copy(db, copy)
    (tmp_path / "warc").symlink_to(db.parent / "warc")
    result = run_vnarchive("reextract", "--db", str(copy))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rows(db))} articles: {len(rows(db))} unchanged, 0 changed, 0 not re-read" in result.stdout
    assert rows(copy, "SELECT * FROM articles ORDER BY url_key") == rows(db, "SELECT * FROM articles ORDER BY url_key")


def test_reextract_rebuilds_rows_without_the_network(editions, tmp_path):
    """A row spoiled on purpose is rebuilt from its raw record alone (no replica is running)."""
    db, _ = editions
    copy = tmp_path / "archive.db"
    shutil.copy(db, copy)
    (tmp_path / "warc").symlink_to(db.parent / "warc")
    import sqlite3

    connection = sqlite3.connect(copy)
    with connection:
        connection.execute("UPDATE articles SET body = 'x', title = 'y', extractor_version = 'old' WHERE portal = 'hue'")
    connection.close()
    spoiled = len(rows(copy, "SELECT url FROM articles WHERE portal = 'hue'"))
    result = run_vnarchive("reextract", "--db", str(copy), "--portal", "hue")
    assert f"{spoiled} articles: 0 unchanged, {spoiled} changed" in result.stdout
    assert "changed columns: title " in result.stdout or "title" in result.stdout
    assert rows(copy, "SELECT * FROM articles ORDER BY url_key") == rows(db, "SELECT * FROM articles ORDER BY url_key")


def test_every_warc_file_of_both_runs_passes_warcio_check(editions):
    db, _ = editions
    files = sorted((db.parent / "warc").glob("*.warc.gz"))
    assert len(files) == 2
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


# --- the policy, alone ---------------------------------------------------------------------

def test_recent_articles_are_rechecked_daily_older_ones_less_often_and_old_ones_never():
    from datetime import datetime

    from crawler.dates import VIETNAM_TZ

    now = datetime(2026, 11, 24, 10, tzinfo=VIETNAM_TZ)
    policy = RecheckPolicy(window_days=30, min_hours=20, age_fraction=0.2)
    checked_yesterday = now - timedelta(days=1)
    assert policy.is_due(now - timedelta(days=2), checked_yesterday, now)
    assert not policy.is_due(now - timedelta(days=20), checked_yesterday, now)  # every 4 days at 20 days old
    assert policy.is_due(now - timedelta(days=20), now - timedelta(days=4), now)
    assert not policy.is_due(now - timedelta(days=31), now - timedelta(days=30), now)
    assert not policy.is_due(now - timedelta(hours=5), now - timedelta(hours=2), now)


@pytest.mark.parametrize(("state", "expected"), [
    (PortalState(), (DEEP, "first run")),
    (PortalState({"k"}, last_run={"finish_reason": "killed"}, last_deep_at="2026-11-23T10:00:00+07:00"),
     (DEEP, "the previous run did not finish")),
    (PortalState({"k"}, last_run={"finish_reason": "finished"}, last_deep_at="2026-11-10T10:00:00+07:00"),
     (DEEP, "no deep run in 7 days")),
    (PortalState({"k"}, last_run={"finish_reason": "finished"}, last_deep_at="2026-11-23T10:00:00+07:00"),
     (INCREMENTAL, "daily")),
])
def test_how_deep_a_run_goes(state, expected):
    from datetime import datetime

    from crawler.dates import VIETNAM_TZ

    now = datetime(2026, 11, 24, 10, tzinfo=VIETNAM_TZ)
    assert choose_mode(state, now, since="", force_deep=False, deep_every_days=7) == expected
    assert choose_mode(state, now, since="2020-01-01", force_deep=False, deep_every_days=7)[0] == "since"
