"""The search query language: exact with tone marks, folded without, phrases, no FTS syntax."""

from __future__ import annotations

import unicodedata

import pytest
import sqlite_utils

from crawler.search import fts_query
from crawler.store import Archive


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
