"""The researcher's Datasette, through its own test client: stored queries, highlighted snippets,
the article page, the Atom feed, the chart plugin, and what `vnarchive serve --public` allows.

The demo archive is `crawled_archive` (one crawl of the replica); revisions need a second crawl of
the replica's edition 2 a day later, made here once on a copy.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import yaml
from datasette.app import Datasette
from datasette.utils import tilde_encode

from crawler.datasette_plugin import PUBLIC_SETTINGS, citation, highlighted, prepare_connection, snippet
from crawler.replica import ReplicaServer, edition_changes
from tests.conftest import ROOT, TODAY, rows, run_vnarchive

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
QUERIES = METADATA["databases"]["archive"]["queries"]
SEED_TITLE = "Tọa đàm nâng cao chất lượng công tác dân vận của chính quyền"
SEED_URL = "https://hanam.gov.vn/Pages/2018-8-1/Toa-dam-nang-cao-chat-luong-cong-tac-dan-van-mefkya.aspx"
NEXT_DAY = "2026-11-24T10:00:00+07:00"
ATOM = "{http://www.w3.org/2005/Atom}"
# Parameters each stored query is tried with on the demo archive (every query must have an entry).
EXAMPLES = {
    "search": {"q": "dân vận", "province": "Hà Nam", "since": "2018-08-01", "until": "2018-08-01"},
    "search_feed": {"q": "dân vận", "province": ""},
    "articles_per_month": {"portal": "hanam", "province": "", "since": "", "until": ""},
    "portal_health": {"status": "live"},
    "near_duplicates": {"portal": "danvan", "since": "", "until": ""},
    "article_revisions": {"article": SEED_URL},
}


class Client:
    """Datasette over one archive file, with the project's metadata.yml and plugins."""

    def __init__(self, db: Path, settings: dict | None = None):
        self.datasette = Datasette([str(db)], metadata=METADATA, settings=settings)

    def get(self, path: str, status: int = 200):
        async def run():
            await self.datasette.invoke_startup()
            return await self.datasette.client.get(path)
        response = asyncio.run(run())
        assert response.status_code == status, f"{path}: {response.status_code} {response.text[:500]}"
        return response

    def query(self, name: str, **params) -> list[dict]:
        return self.get(f"/archive/{name}.json?_shape=array&{urlencode(params)}").json()


@pytest.fixture(scope="module")
def demo(crawled_archive):
    return Client(crawled_archive[0])


@pytest.fixture(scope="module")
def revised_archive(crawled_archive, tmp_path_factory):
    """The demo archive copied, then crawled again from the replica's edition 2 a day later."""
    db = tmp_path_factory.mktemp("revised") / "archive.db"
    with sqlite3.connect(crawled_archive[0]) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    with ReplicaServer(0, today=TODAY, edition=2) as server:
        result = run_vnarchive("crawl", "--db", str(db), "--replica", server.base_url, env={"VNARCHIVE_NOW": NEXT_DAY})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return db


@pytest.fixture(scope="module")
def revised(revised_archive):
    return Client(revised_archive)


@pytest.fixture(scope="module")
def public(crawled_archive):
    return Client(crawled_archive[0], settings=PUBLIC_SETTINGS)


def words_of(row: dict) -> set[str]:
    return set(re.findall(r"\w+", f"{row['title']} {row['lead']} {row['body']}".lower()))


def article_path(url_key: str) -> str:
    return f"/archive/articles/{tilde_encode(url_key)}"


# --- metadata ----------------------------------------------------------------------------------

def test_metadata_describes_every_table_and_column_of_the_archive(crawled_archive):
    described = METADATA["databases"]["archive"]["tables"]
    tables = [row["name"] for row in rows(crawled_archive[0], "SELECT name FROM sqlite_master WHERE type = 'table'"
                                          " AND name NOT LIKE 'articles_fts_%' AND name NOT LIKE 'sqlite_%'")]
    assert set(described) == set(tables)
    for table in tables:
        columns = [row["name"] for row in rows(crawled_archive[0], f"SELECT name FROM pragma_table_info('{table}')")]
        assert set(described[table]["columns"]) == set(columns), table
        assert described[table]["description"] and all(described[table]["columns"].values()), table


def test_internal_tables_are_hidden(demo):
    tables = {table["name"]: table["hidden"] for table in demo.get("/archive.json").json()["tables"]}
    assert sorted(name for name, hidden in tables.items() if not hidden) == ["articles", "crawl_runs", "portal_runs", "portals", "revisions"]


# --- stored queries ---------------------------------------------------------------------------

def test_every_stored_query_has_an_example_here():
    assert set(EXAMPLES) == set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_stored_query_returns_rows_on_the_demo_archive(demo, name):
    assert demo.query(name, **EXAMPLES[name])


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_stored_query_runs_with_its_parameters_left_empty(demo, name):
    found = demo.query(name)
    if name != "article_revisions":  # the demo archive has no revisions
        assert found


@pytest.mark.parametrize("typed", ["dan van", "dân vận", '"dân vận"', '"dan van"'])
def test_search_finds_the_seed_article_typed_any_way(demo, typed):
    assert SEED_TITLE in {row["title"] for row in demo.query("search", q=typed)}


def test_search_with_tone_marks_is_exact_and_without_them_folded(demo, crawled_archive):
    by_key = {row["url_key"]: row for row in rows(crawled_archive[0])}
    exact = [by_key[row["url_key"]] for row in demo.query("search", q="đảng")]
    folded = [by_key[row["url_key"]] for row in demo.query("search", q="dang")]
    assert exact and all("đảng" in words_of(row) for row in exact)
    assert set().union(*map(words_of, folded)) >= {"đảng", "đang", "đăng"}
    assert {row["url"] for row in exact} < {row["url"] for row in folded}


def test_search_filters_by_province_before_or_after_the_merger_and_by_whole_days(demo):
    one_day = {"since": "2018-08-01", "until": "2018-08-01"}
    assert [row["title"] for row in demo.query("search", q="dân vận", province="Hà Nam", **one_day)] == [SEED_TITLE]
    assert SEED_TITLE in {row["title"] for row in demo.query("search", q="dân vận", province="Ninh Bình")}
    assert demo.query("search", q="dân vận", province="Hà Nam", since="2018-08-02", until="2018-12-31") == []


def test_search_without_a_query_lists_the_newest_articles(demo, crawled_archive):
    newest = demo.query("search")
    dates = [row["published_at"] for row in newest]
    assert len(newest) == len(rows(crawled_archive[0])) and dates[0] == max(filter(None, dates))


def test_articles_per_month_counts_every_dated_article(demo, crawled_archive):
    counts = demo.query("articles_per_month")
    [dated] = rows(crawled_archive[0], "SELECT count(*) AS n FROM articles WHERE published_at != ''")
    assert sum(row["articles"] for row in counts) == dated["n"]
    assert {row["month"] for row in demo.query("articles_per_month", portal="hanam")} >= {"2018-08"}
    assert all(re.fullmatch(r"\d{4}-\d\d", row["month"]) for row in counts)


def test_portal_health_has_a_row_per_portal_with_its_last_run(demo, crawled_archive):
    health = {row["portal"]: row for row in demo.query("portal_health")}
    assert set(health) == {row["id"] for row in rows(crawled_archive[0], "SELECT id FROM portals")}
    hanam = health["hanam"]
    assert hanam["last_run"] == 1 and hanam["last_run_outcome"] == "ok" and hanam["broken"] == 0
    assert hanam["articles"] > 0 and hanam["last_article"]


def test_near_duplicates_find_the_hanam_article_republished_by_danvan(demo):
    [pair] = [row for row in demo.query("near_duplicates") if row["title"] == SEED_TITLE]
    assert (pair["original_portal"], pair["copy_portal"]) == ("hanam", "danvan")
    assert pair["same_text"] == 1 and pair["credits_original"] == 1 and pair["copy_source"] == "hanam.gov.vn"


def test_article_revisions_show_each_edited_article_beside_its_current_version(revised, revised_archive):
    edited = {row["url_key"] for row in rows(revised_archive, "SELECT url_key FROM revisions")}
    versions = revised.query("article_revisions")
    assert len(edited) == len(edition_changes(TODAY).edited) > 0
    assert {row["url_key"] for row in versions} == edited
    assert all({row["version"] for row in versions if row["url_key"] == key} == {"current", "earlier"} for key in edited)


def test_article_revisions_accept_the_url_in_any_form(revised, revised_archive):
    [edited] = rows(revised_archive, "SELECT a.url, a.url_key FROM articles a JOIN revisions r USING (url_key) LIMIT 1")
    other_form = edited["url"].replace("https://", "http://www.", 1)
    for article in (edited["url"], other_form, edited["url_key"]):
        found = revised.query("article_revisions", article=article)
        assert [row["version"] for row in found] == ["current", "earlier"], article


# Aliases of articles in the stored queries; a plan line that scans one without an index reads every article.
ARTICLE_TABLES = ("articles", "a", "original", "copy")


def full_scans(db: Path, sql: str) -> list[str]:
    connection = sqlite3.connect(db)
    prepare_connection(connection)
    try:
        params = {name: "x" for name in re.findall(r":(\w+)", sql)}
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        connection.close()
    return [line for line in plan if line.split(" ")[:1] == ["SCAN"] and line.split(" ")[1] in ARTICLE_TABLES
            and "INDEX" not in line]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_no_stored_query_reads_every_article(crawled_archive, name):
    assert full_scans(crawled_archive[0], QUERIES[name]["sql"]) == []


# --- highlighted snippets ------------------------------------------------------------------

def test_the_search_page_marks_matches_and_links_titles_to_the_article_page(demo):
    html = demo.get(f"/archive/search?q={quote('dan van')}").text
    assert "<mark>dân</mark> <mark>vận</mark>" in html.replace("<mark>Dân</mark>", "<mark>dân</mark>")
    assert f'href="{article_path("hanam.gov.vn/pages/2018-8-1/toa-dam-nang-cao-chat-luong-cong-tac-dan-van-mefkya.aspx")}"' in html


def test_snippets_in_json_are_plain_text_around_the_match(demo):
    [row] = demo.query("search", q="dân vận", province="Hà Nam", since="2018-08-01", until="2018-08-01")
    assert "<mark>" not in row["snippet"] and "dân vận" in row["snippet"].lower()
    assert len(row["snippet"]) <= 250


def test_the_articles_table_marks_matches_of_its_search(demo):
    html = demo.get(f"/archive/articles?_search={quote('đảng')}").text
    assert "<mark>đảng</mark>" in html.lower() and "<mark>đang</mark>" not in html.lower()
    assert "<mark>" not in demo.get("/archive/articles").text


def test_highlighting_escapes_the_text_and_marks_only_matches():
    marked = highlighted("<script>alert('Đảng')</script> đảng đang", "đảng")
    assert str(marked) == "&lt;script&gt;alert(&#39;<mark>Đảng</mark>&#39;)&lt;/script&gt; <mark>đảng</mark> đang"
    assert str(highlighted("hội đồng nhân dân HĐND", "hdnd")) == "hội đồng nhân dân <mark>HĐND</mark>"


def test_a_snippet_starts_near_the_first_match_at_a_word():
    text = " ".join(["một"] * 100 + ["dân", "vận"] + ["hai"] * 100)
    cut = snippet(text, "dan van")
    assert cut.startswith("…một") and "dân vận" in cut and cut.endswith("hai…")
    assert snippet("ngắn gọn", "không có") == "ngắn gọn"


# --- the article page ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def illustrated(crawled_archive):
    """An article with an author, a source and images, with its portal's name and domain."""
    [row] = rows(crawled_archive[0], "SELECT a.*, p.name AS portal_name, p.domain AS portal_domain FROM articles a"
                 " JOIN portals p ON p.id = a.portal WHERE images != '[]' AND author != '' AND source != ''"
                 " ORDER BY url_key LIMIT 1")
    return row


def test_the_article_page_shows_the_article_as_published(demo, illustrated):
    html = demo.get(article_path(illustrated["url_key"])).text
    for shown in (illustrated["title"], illustrated["author"], illustrated["source"], illustrated["portal_name"],
                  illustrated["published_at"][:10]):
        assert str(highlighted(shown, "")) in html
    paragraphs = [p for p in illustrated["body"].split("\n\n") if p.strip()]
    assert all(f"<p>{highlighted(' '.join(p.split()), '')}</p>" in html for p in paragraphs)
    assert 'data-src="' in html and "<figcaption>" in html  # images, loaded only when the reader asks


def test_the_article_page_gives_provenance_and_a_citation_line(demo, illustrated):
    html = demo.get(article_path(illustrated["url_key"])).text
    line = citation(illustrated)
    assert f'<p class="vn-citation" id="citation">{highlighted(line, "")}</p>' in html
    assert line == (f"{illustrated['title'].rstrip('.')}. {illustrated['portal_name']} ({illustrated['portal_domain']}), "
                    f"published {illustrated['published_at'][:10]}. {illustrated['url']}. Captured 2026-11-23 10:00 +07:00, "
                    f"record {illustrated['raw_digest']}, vnarchive archive.")
    assert illustrated["raw_digest"].startswith("sha1:") and f'href="{illustrated["url"]}"' in html
    assert illustrated["warc_file"] in html


def test_the_page_of_an_edited_article_links_its_revisions(revised, revised_archive):
    [edited] = rows(revised_archive, "SELECT DISTINCT url_key FROM revisions LIMIT 1")
    html = revised.get(article_path(edited["url_key"])).text
    assert "/archive/article_revisions?article=" in html and "2 versions" in html


def test_other_tables_keep_datasettes_row_page(demo):
    assert "vn-citation" not in demo.get("/archive/portals/hanam").text


# --- feed and chart -----------------------------------------------------------------------------

def test_a_saved_search_is_an_atom_feed(demo):
    feed = ET.fromstring(demo.get(f"/archive/search_feed.atom?q={quote('dân vận')}").content)
    entries = feed.findall(f"{ATOM}entry")
    expected = demo.query("search", q="dân vận")[:50]
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [row["title"] for row in expected]
    assert entries[0].find(f"{ATOM}link").get("href") == expected[0]["url"]


def test_a_saved_search_with_no_match_yet_is_an_empty_feed(demo):
    feed = ET.fromstring(demo.get("/archive/search_feed.atom?q=zzzqqqxx").content)
    assert feed.findall(f"{ATOM}entry") == [] and feed.findtext(f"{ATOM}title") == QUERIES["search_feed"]["title"]


def test_the_chart_plugin_is_loaded_on_the_per_month_query(demo):
    plugins = {plugin["name"] for plugin in demo.get("/-/plugins.json").json()}
    assert {"datasette-vega", "datasette-atom", "datasette-block-robots"} <= plugins
    html = demo.get("/archive/articles_per_month").text
    assert "/-/static-plugins/datasette_vega/" in html and "g.x_column=month" in html


# --- public deployment -----------------------------------------------------------------------

def test_public_mode_refuses_arbitrary_sql_and_downloads(public):
    public.get("/archive.json?sql=select+1", status=403)
    public.get("/archive.db", status=403)
    public.get("/archive/articles.json?_where=1=1", status=403)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_public_mode_keeps_the_stored_queries(public, name):
    assert public.query(name, **EXAMPLES[name])


def test_public_mode_keeps_search_article_pages_and_limits(public):
    assert SEED_TITLE in {row["title"] for row in public.get("/archive/articles.json?_shape=array&_size=max&_search=dan+van").json()}
    public.get(article_path("hanam.gov.vn/pages/2018-8-1/toa-dam-nang-cao-chat-luong-cong-tac-dan-van-mefkya.aspx"))
    settings = public.get("/-/settings.json").json()
    assert {name: settings[name] for name in PUBLIC_SETTINGS} == PUBLIC_SETTINGS


def test_robots_are_turned_away(public):
    assert public.get("/robots.txt").text.splitlines() == ["User-agent: *", "Disallow: /"]
