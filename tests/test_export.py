"""`vnarchive export` of a crawled archive: the rows Datasette counts, in every format, with provenance."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import sqlite3
import unicodedata
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

from crawler import __version__
from crawler import export as export_module
from crawler.export import DEFAULT_COLUMNS, PROVENANCE_COLUMNS, export, manifest_path, province_key
from tests.conftest import FROZEN_NOW, rows

METADATA = yaml.safe_load((Path(__file__).resolve().parent.parent / "metadata.yml").read_text(encoding="utf-8"))
FORMATS = ("csv", "json", "jsonl", "parquet")
# Each filter as the command takes it and as Datasette's table view takes it.
FILTERS = {
    "search with tone marks": (["--search", "dân vận"], {"_search": "dân vận"}),
    "search without them": (["--search", "dan van"], {"_search": "dan van"}),
    "two portals": (["--portal", "hue", "--portal", "vinhlong"], {"portal__in": "hue,vinhlong"}),
    "a date range": (["--since", "2025-06-01", "--until", "2025-06-28"],
                     {"published_at__gte": "2025-06-01", "published_at__lt": "2025-06-29"}),
    "all together": (["--search", "dan van", "--since", "2025-01-01", "--until", "2026-12-31"],
                     {"_search": "dan van", "published_at__gte": "2025-01-01", "published_at__lt": "2027-01-01"}),
}


@pytest.fixture(scope="module")
def db(crawled_archive) -> Path:
    return crawled_archive[0]


@pytest.fixture(scope="module")
def datasette_count(db):
    """How many rows Datasette's /archive/articles shows for a query string."""
    datasette = Datasette([str(db)], metadata=METADATA)

    def count(params: dict) -> int:
        async def run():
            await datasette.invoke_startup()
            return await datasette.client.get(f"/archive/articles.json?{urlencode({**params, '_size': 1})}")
        response = asyncio.run(run())
        assert response.status_code == 200, response.text[:500]
        return response.json()["filtered_table_rows_count"]
    return count


def run_export(db: Path, *args: str):
    result = CliRunner().invoke(export, ["--db", str(db), *args], env={"VNARCHIVE_NOW": FROZEN_NOW})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def read_back(path: Path, fmt: str) -> list[dict]:
    """The exported rows as dicts, read with each format's ordinary reader."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    if fmt == "json":
        return json.loads(path.read_text(encoding="utf-8"))
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    import pyarrow.parquet as pq
    return pq.read_table(path).to_pylist()


@pytest.fixture(scope="module")
def exports(db, tmp_path_factory):
    """Every format × every filter, exported once: {(fmt, filter name): (rows, manifest)}."""
    folder = tmp_path_factory.mktemp("exports")
    made = {}
    for fmt in FORMATS:
        for name, (args, _) in FILTERS.items():
            out = folder / f"{name.replace(' ', '-')}.{fmt}"
            result = run_export(db, *args, "--format", fmt, "-o", str(out))
            assert result.exit_code == 0, result.output
            made[fmt, name] = (read_back(out, fmt), json.loads(manifest_path(out).read_text(encoding="utf-8")))
    return made


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", FILTERS)
def test_row_count_equals_datasettes_count_for_the_same_query(exports, datasette_count, fmt, name):
    exported, manifest = exports[fmt, name]
    expected = datasette_count(FILTERS[name][1])
    assert expected > 0
    assert len(exported) == manifest["rows"] == sum(manifest["rows_by_portal"].values()) == expected


def test_the_folded_search_finds_everything_the_exact_one_finds(exports):
    urls = {name: {row["url"] for row in exports["jsonl", name][0]} for name in FILTERS}
    assert urls["search with tone marks"] < urls["search without them"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_provenance_columns_are_there_and_filled_in_every_row(exports, fmt):
    exported, manifest = exports[fmt, "search without them"]
    assert manifest["file"]["columns"] == list(DEFAULT_COLUMNS)
    for row in exported:
        assert list(row) == list(DEFAULT_COLUMNS)
        assert all(row[column] for column in PROVENANCE_COLUMNS), row["url"]
        assert row["raw_digest"].startswith("sha1:") and row["warc_file"].endswith(".warc.gz")


@pytest.mark.parametrize("fmt", FORMATS)
def test_vietnamese_text_round_trips_exactly(db, exports, fmt):
    stored = {row["url"]: row for row in rows(db, "SELECT url, title, body, province FROM articles")}
    exported = exports[fmt, "search with tone marks"][0]
    for row in exported:
        assert row["title"] == stored[row["url"]]["title"] == unicodedata.normalize("NFC", row["title"])
        assert row["body"] == stored[row["url"]]["body"]
    assert any("dân vận" in row["body"].lower() for row in exported)
    assert any("\n" in row["body"] for row in exported)  # multi-line bodies survive CSV quoting


def test_rows_come_in_a_stable_order(exports):
    exported = exports["json", "two portals"][0]
    keys = [row["published_at"] for row in exported]
    assert keys == sorted(keys)


def test_parquet_has_an_explicit_schema(exports, tmp_path, db):
    import pyarrow.parquet as pq

    out = tmp_path / "hue.parquet"
    assert run_export(db, "--portal", "hue", "-o", str(out)).exit_code == 0  # format from the suffix
    schema = pq.read_schema(out)
    assert str(schema.field("word_count").type) == "int64" and str(schema.field("title").type) == "string"


def test_csv_with_bom_opens_in_spreadsheets(db, tmp_path):
    out = tmp_path / "danvan.csv"
    result = run_export(db, "--search", "dân vận", "--bom", "-o", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfurl,portal,") and b"\r\n" in raw
    parsed = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(parsed) == json.loads(manifest_path(out).read_text())["rows"]
    assert not run_export(db, "--search", "dân vận", "-o", str(tmp_path / "plain.csv")).exit_code
    assert not (tmp_path / "plain.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_manifest_says_what_was_asked_and_what_the_archive_was(exports, db, tmp_path):
    out = tmp_path / "since.jsonl"
    assert run_export(db, "--search", "dan van", "--since", "2025-01-01", "-o", str(out)).exit_code == 0
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["exported_at"] == FROZEN_NOW and manifest["vnarchive_version"] == __version__
    assert manifest["file"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["file"] == {**manifest["file"], "name": "since.jsonl", "format": "jsonl",
                                "bytes": out.stat().st_size}
    query = manifest["query"]
    assert query["search"] == "dan van" and query["fts_match"] == '{search_text} : ("dan" "van")'
    assert query["since"] == "2025-01-01" and query["until"] is None and query["dated_only"]
    assert "--search 'dan van'" in manifest["command"]
    archive = manifest["archive"]
    assert archive["path"] == str(db.resolve())
    assert archive["articles"] == rows(db, "SELECT count(*) n FROM articles")[0]["n"]
    assert archive["last_crawl_run"]["id"] == 1 and archive["last_crawl_run"]["outcome"] == "ok"
    # The manifest's SQL runs as it is in plain sqlite3 and gives the same rows.
    connection = sqlite3.connect(db)
    assert len(connection.execute(query["sql"], query["params"]).fetchall()) == manifest["rows"]
    connection.close()


def test_until_includes_the_whole_day(db, tmp_path):
    day = rows(db, "SELECT substr(published_at, 1, 10) d FROM articles WHERE published_at LIKE '%T%' LIMIT 1")[0]["d"]
    out = tmp_path / "day.json"
    assert run_export(db, "--since", day, "--until", day, "-o", str(out)).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    on_day = rows(db, "SELECT count(*) n FROM articles WHERE substr(published_at, 1, 10) = ?", [day])[0]["n"]
    assert len(exported) == on_day and all(row["published_at"].startswith(day) for row in exported)


def test_province_matches_either_side_of_the_merger_without_tone_marks(db, tmp_path):
    out = tmp_path / "vinhlong.jsonl"
    assert run_export(db, "--province", "vinh long", "-o", str(out)).exit_code == 0
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = rows(db, "SELECT count(*) n FROM articles WHERE province = 'Vĩnh Long' OR province_2025 = 'Vĩnh Long'")
    assert len(exported) == expected[0]["n"] > 0
    assert {row["province"] for row in exported} > {"Vĩnh Long"}  # Bến Tre and Trà Vinh merged into it
    assert province_key("Thành phố Hồ Chí Minh") == province_key("ho chi minh")


def test_columns_picks_and_keeps_provenance_unless_declined(db):
    result = run_export(db, "--portal", "hue", "--columns", "title,body", "--format", "jsonl")
    first = json.loads(result.stdout.splitlines()[0])
    assert list(first) == ["title", "body", *[c for c in PROVENANCE_COLUMNS]]
    result = run_export(db, "--portal", "hue", "--columns", "title,url_key", "--no-provenance", "--format", "jsonl")
    assert list(json.loads(result.stdout.splitlines()[0])) == ["title", "url_key"]


def test_stdout_gets_the_rows_and_no_manifest(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_export(db, "--portal", "hue", "--format", "json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == len(rows(db, "SELECT 1 FROM articles WHERE portal = 'hue'"))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_no_file_under_the_final_name(db, tmp_path, monkeypatch):
    def breaks_halfway(rows, columns, out, **options):
        out.write(b"url\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(export_module.WRITERS, "csv", breaks_halfway)
    result = run_export(db, "-o", str(tmp_path / "all.csv"))
    assert result.exit_code == 5 and "export failed" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--columns", "title,nosuch"], "unknown column(s) nosuch; the articles table has: url_key, url,"),
    (["--since", "2025-13-01"], "'2025-13-01' does not match the format '%Y-%m-%d'"),
    (["--portal", "atlantis"], "unknown portal(s) atlantis; known:"),
    (["--province", "Atlantis"], "unknown province(s) Atlantis; known:"),
    (["--since", "2025-02-01", "--until", "2025-01-01"], "--since 2025-02-01 is after --until 2025-01-01"),
    (["--format", "parquet"], "parquet is written to a file"),
    (["--format", "json", "--bom"], "--bom is for CSV only"),
    (["-o", "{db}"], "is the archive itself"),
])
def test_bad_requests_exit_2_with_a_message(db, args, message):
    result = run_export(db, *[arg.format(db=db) for arg in args])
    assert result.exit_code == 2 and message in result.output


def test_a_missing_archive_exits_2(tmp_path):
    result = run_export(tmp_path / "nothing.db")
    assert result.exit_code == 2 and "does not exist yet" in result.output


def test_csv_for_spreadsheets_writes_formula_cells_as_text_and_plain_csv_keeps_them():
    row = ("=HYPERLINK(\"http://evil.test\")", "+84 1900", "-5%", "@admin", "\tTab", "\rCR", "a = b", "Tin - tức", 7, None)
    columns = tuple(f"c{n}" for n in range(len(row)))
    guard = export_module.FormulaGuard()
    spreadsheet, plain = io.BytesIO(), io.BytesIO()
    assert export_module.write_csv(iter([row]), columns, spreadsheet, bom=True, guard=guard) == 1
    export_module.write_csv(iter([row]), columns, plain)
    [written] = list(csv.reader(io.StringIO(spreadsheet.getvalue().decode("utf-8-sig"), newline="")))[1:]
    assert written == ["'" + value for value in row[:6]] + ["a = b", "Tin - tức", "7", ""]
    assert guard.cells == 6
    [kept] = list(csv.reader(io.StringIO(plain.getvalue().decode("utf-8"), newline="")))[1:]
    assert kept[:8] == list(row[:8])


def test_the_manifest_of_a_csv_says_how_formula_cells_were_written(db, tmp_path):
    for args, rule in ((["--bom"], export_module.FORMULA_RULE), ([], export_module.STORED_RULE)):
        out = tmp_path / "hue.csv"
        assert run_export(db, "--portal", "hue", *args, "-o", str(out)).exit_code == 0
        assert json.loads(manifest_path(out).read_text(encoding="utf-8"))["file"]["formula_cells"]["rule"] == rule
