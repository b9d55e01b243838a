"""Datasette over a crawled archive, through its own test client, with the project's metadata.yml."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

METADATA = yaml.safe_load((Path(__file__).resolve().parent.parent / "metadata.yml").read_text(encoding="utf-8"))
SEED_TITLE = "Tọa đàm nâng cao chất lượng công tác dân vận của chính quyền"


@pytest.fixture(scope="module")
def get(crawled_archive):
    db, _ = crawled_archive
    datasette = Datasette([str(db)], metadata=METADATA)

    def fetch(path: str):
        async def run():
            await datasette.invoke_startup()
            return await datasette.client.get(path)
        response = asyncio.run(run())
        assert response.status_code == 200, response.text[:500]
        return response
    return fetch


def titles(get, query: str) -> list[str]:
    rows = get(f"/archive/articles.json?_shape=array&_size=max&_search={query}").json()
    return [row["title"] for row in rows]


@pytest.mark.parametrize("query", ["dan van", "dân vận", "dan+van+chinh+quyen"])
def test_search_with_and_without_tone_marks_finds_the_seed_article(get, query):
    assert SEED_TITLE in titles(get, query)


def test_a_diacritic_free_query_finds_everything_the_accented_one_finds(get):
    accented = titles(get, "dân vận")
    assert accented and set(accented) <= set(titles(get, "dan van"))


def test_abbreviation_without_dd_finds_hdnd(get):
    found = get("/archive/articles.json?_shape=array&_size=max&_search=hdnd").json()
    assert found and all("HĐND" in f"{row['title']} {row['lead']} {row['body']}" for row in found)


def test_decomposed_query_behaves_like_nfc(get):
    import unicodedata
    assert SEED_TITLE in titles(get, unicodedata.normalize("NFD", "dân vận"))


def test_facets_and_newest_first(get):
    data = get("/archive/articles.json?_facet=portal&_facet=year&_facet=province").json()
    assert {"portal", "year", "province"} <= set(data["facet_results"])
    dates = [row[data["columns"].index("published_at")] for row in data["rows"]]
    assert dates == sorted(dates, reverse=True)


def test_csv_export_carries_url_and_capture(get):
    csv = get("/archive/articles.csv?_size=max&_search=dan+van").text
    header = csv.splitlines()[0].split(",")
    assert {"url", "published_at", "first_seen", "portal"} <= set(header)
    assert "https://danvan.vn/" in csv


def test_topics_facet_and_filter(get):
    data = get("/archive/articles.json").json()  # the facets metadata.yml configures
    topics = {value["value"]: value["count"] for value in data["facet_results"]["topics"]["results"]}
    assert topics.get("dan-van", 0) > 0
    rows = get("/archive/articles.json?_shape=array&_size=max&topics__arraycontains=dan-van").json()
    assert len(rows) == topics["dan-van"] and all("dan-van" in row["topics"] for row in rows)


def words_of(row: dict) -> set[str]:
    import re

    return set(re.findall(r"\w+", f"{row['title']} {row['lead']} {row['body']}".lower()))


def rows_for(get, query: str) -> list[dict]:
    return get(f"/archive/articles.json?_shape=array&_size=max&_search={query}").json()


def test_a_quoted_phrase_finds_the_seed_article(get):
    assert SEED_TITLE in titles(get, '"dân vận"')
    assert SEED_TITLE in titles(get, '"dan van"')


def test_a_query_with_tone_marks_searches_exactly(get):
    found = rows_for(get, "đảng")
    assert found and all("đảng" in words_of(row) for row in found)


def test_a_query_without_tone_marks_searches_folded(get):
    folded = rows_for(get, "dang")
    forms = set().union(*(words_of(row) for row in folded)) & {"đảng", "đang", "đăng"}
    assert forms == {"đảng", "đang", "đăng"}
    assert len(folded) > len(rows_for(get, "đảng"))
    assert {row["url"] for row in rows_for(get, "đảng")} <= {row["url"] for row in folded}


def test_old_tone_placement_in_a_query_behaves_like_the_stored_form(get):
    assert titles(get, "hoà") == titles(get, "hòa") != []


def test_fts_operators_typed_by_a_user_are_words_not_syntax(get):
    assert get("/archive/articles.json?_search=dân+OR+NEAR(").json()["rows"] == []
