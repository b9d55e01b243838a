"""The search query language: exact with tone marks, folded without, phrases, no FTS syntax."""

from __future__ import annotations

import unicodedata

import pytest
import sqlite_utils

from crawler.items import ArticleRecord
from crawler.search import fts_query
from crawler.store import Archive, chronological_rowid, first_rowid_from, rowid_after
from crawler.text import fold


@pytest.mark.parametrize(("typed", "expected"), [
    ("dân vận", '{title lead body} : ("dân" "vận")'),
    ("dan van", '{search_text} : ("dan" "van")'),
    ('"dân vận" chính quyền', '{title lead body} : ("dân vận" "chính" "quyền")'),
    ("HĐND", '{title lead body} : ("hđnd")'),
    ("hoà", '{title lead body} : ("hòa")'),  # old tone placement → the stored form
    (unicodedata.normalize("NFD", "dân vận"), '{title lead body} : ("dân" "vận")'),
    ('dân" OR NEAR(*', '{title lead body} : ("dân" "or" "near")'),  # an unclosed quote is no phrase
    ("   ", '""'),
])
def test_fts_query(typed, expected):
    assert fts_query(typed) == expected


def test_an_archive_with_the_old_folding_index_is_rebuilt_and_keeps_its_rows(tmp_path):
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    db["articles"].insert({"url_key": "k", "url": "u", "title": "Đảng bộ", "lead": "", "body": "x", "search_text": "dang bo x"},
                          pk="url_key")
    db["articles"].enable_fts(["title", "lead", "body", "search_text"], create_triggers=True,
                              tokenize="unicode61 remove_diacritics 2")
    db.close()
    archive = Archive(path)
    assert "remove_diacritics 0" in archive.db["articles_fts"].schema
    match = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    assert archive.db.execute(match, [fts_query("đảng")]).fetchone()[0] == 1
    assert archive.db.execute(match, [fts_query("đang")]).fetchone()[0] == 0
    assert archive.db.execute(match, [fts_query("dang")]).fetchone()[0] == 1


def _record(key: str, published_at: str | None, captured_at: str = "2026-11-23T10:00:00+07:00", title: str = "Dân vận khéo"):
    return ArticleRecord(url=f"https://x.gov.vn/{key}", url_key=key, portal=None, title=title, body="Nội dung dân vận.",
                         published_at=published_at, captured_at=captured_at, search_text=fold(f"{title} Nội dung dân vận."),
                         content_hash=key + (published_at or ""))


def test_article_rowids_follow_publication_dates_so_the_index_lists_newest_first(tmp_path):
    archive = Archive(tmp_path / "archive.db")
    dates = {"b": "2024-05-01T08:00:00+07:00", "a": "2019-03-02", "c": "2024-05-01T08:00:00+07:00", "d": None,
             "e": "2026-01-15T09:30:00+07:00"}
    archive.save_articles([_record(key, day) for key, day in dates.items()], {})
    newest_first = [key for (key,) in archive.db.execute(
        "SELECT articles.url_key FROM articles_fts JOIN articles ON articles.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY articles_fts.rowid DESC", [fts_query("dan van")])]
    # d is undated: placed by its capture time (2026-11-23), after every dated one.
    assert newest_first == ["d", "e", "c", "b", "a"]
    # A new version with another date moves the article.
    archive.save_articles([_record("a", "2026-11-01", title="Dân vận khéo (sửa)")], {})
    assert [key for (key,) in archive.db.execute("SELECT url_key FROM articles ORDER BY rowid DESC LIMIT 2")] == ["d", "a"]
    archive.close()


def test_an_archive_with_rowids_in_insertion_order_is_renumbered_and_stays_searchable(tmp_path):
    path = tmp_path / "archive.db"
    Archive(path).close()
    db = sqlite_utils.Database(path)
    for rowid, (key, day) in enumerate([("new", "2025-01-01"), ("old", "2015-01-01")], start=1):
        db.execute("INSERT INTO articles (rowid, url_key, url, title, body, published_at, search_text) "
                   "VALUES (?, ?, ?, 'Dân vận', 'x', ?, 'dan van x')", [rowid, key, f"https://x.gov.vn/{key}", day])
    db.conn.commit()
    db.close()
    archive = Archive(path)
    assert [key for (key,) in archive.db.execute("SELECT url_key FROM articles ORDER BY rowid")] == ["old", "new"]
    assert min(rowid for (rowid,) in archive.db.execute("SELECT rowid FROM articles")) >= chronological_rowid("2015-01-01")
    found = archive.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [fts_query("dân vận")])
    assert found.fetchone()[0] == 2
    archive.close()


def test_date_bounds_of_a_search_are_rowid_bounds():
    assert first_rowid_from("2024-05-01") == chronological_rowid("2024-05-01")
    assert rowid_after("2024-05-01") == chronological_rowid("2024-05-02")
    assert first_rowid_from("") == 0 and rowid_after("") == 2**63 - 1
    assert first_rowid_from("not a date") == 0  # the published_at comparison still applies
