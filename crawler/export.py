"""`vnarchive export`: a researcher's dataset out of the archive, as CSV, JSON, JSONL or Parquet.

The filters are the web's: `--search` is the FTS5 expression `crawler.search.fts_query` makes,
matched against `articles_fts` by rowid exactly as Datasette's `?_search=` does, so an export
holds the rows Datasette counts for the same query. Portals and provinces are looked up before
the query runs, so a typo is an error (exit 2) rather than an empty file, and the SQL written to
the manifest runs unchanged in plain sqlite3.

Exports stream: one read transaction on a read-only connection (a cron crawl can write beside
it, WAL), rows fetched in batches and written as they come, Parquet in row groups; memory does
not grow with the archive. The file is written under a temporary name beside the target and
renamed at the end, so a killed export never leaves a half file under the final name. Beside
it, FILE.manifest.json says what was asked, what SQL ran, what the archive was at that moment,
and the file's own SHA-256, for a methods section or a later re-run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shlex
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

import click

from crawler import __version__, clock
from crawler.dates import VIETNAM_TZ
from crawler.search import MATCHES_NOTHING, fts_query
from crawler.store import ARTICLE_COLUMNS
from crawler.text import fold

FORMATS = ("csv", "json", "jsonl", "parquet")
# What a citation needs: where the article was, when it was published and by which rule that date
# was read, when the archive fetched it, the raw record's digest, and what extracted it.
PROVENANCE_COLUMNS = ("url", "portal", "published_at", "date_source", "captured_at", "raw_digest",
                      "extractor_version")
DEFAULT_COLUMNS = ("url", "portal", "province", "province_2025", "title", "lead", "body", "author", "source",
                   "category", "published_at", "date_source", "word_count", "topics", "first_seen", "captured_at",
                   "warc_file", "raw_digest", "extractor_version")
# Re-exports of a grown archive diff cleanly: the date, then the canonical URL key.
ORDER_BY = "published_at, url_key"
FETCH_BATCH = 1000
# A Parquet row group is built in memory before it is written. Measured with bench/export.py
# (3 KB articles): a peak of ~160 MB with groups of 4M characters, of which pyarrow itself is ~60 MB.
PARQUET_GROUP_ROWS = 50_000
PARQUET_GROUP_CHARS = 4_000_000
PARQUET_COMPRESSION = "zstd"
MANIFEST_SUFFIX = ".manifest.json"
# OWASP "CSV Injection": a spreadsheet runs a cell starting with one of these as a formula (a title
# `=HYPERLINK("http://…?"&A2, "…")` sends the row to whoever wrote it). CSV with a BOM is the file made
# for spreadsheets, so there such a text cell is written with a leading apostrophe, which they show as
# text and do not print; plain CSV, JSON, JSONL and Parquet keep every cell as stored.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_RULE = ("OWASP CSV Injection: a text cell starting with = + - @ TAB or CR is written with a leading "
                "apostrophe (')")
STORED_RULE = "none: every cell as stored"
# Words an official name puts before a province's own name; `--province "ho chi minh"` matches
# "Thành phố Hồ Chí Minh".
PROVINCE_PREFIXES = ("thanh pho ", "tp. ", "tp ", "tinh ")


class ExportError(ValueError):
    """A request the archive cannot answer as asked (unknown portal, column or province)."""


# --- the query ------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportQuery:
    """What to export: the filters as asked, the archive values they resolved to, and the columns."""

    columns: tuple[str, ...]
    portals: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()          # as typed
    province_values: tuple[str, ...] = ()    # the archive's spellings they matched
    since: date | None = None
    until: date | None = None
    search: str | None = None

    @property
    def fts_match(self) -> str | None:
        """The FTS5 expression Datasette's `?_search=` uses for the same words."""
        return fts_query(self.search) if self.search is not None else None

    def where(self) -> tuple[str, dict]:
        """The WHERE clause and its named parameters (plain SQL: no project functions needed)."""
        clauses, params = [], {}
        if self.portals:
            clauses.append(f"portal IN ({_placeholders('portal', self.portals, params)})")
        if self.province_values:
            names = _placeholders("province", self.province_values, params)
            clauses.append(f"(province IN ({names}) OR province_2025 IN ({names}))")
        if self.since or self.until:
            # ISO text compares as dates: a bare date sorts before the same day with a time.
            clauses.append("published_at IS NOT NULL AND published_at != ''")
        if self.since:
            clauses.append("published_at >= :since")
            params["since"] = self.since.isoformat()
        if self.until:
            clauses.append("published_at < :before")
            params["before"] = (self.until + timedelta(days=1)).isoformat()
        if self.search is not None:
            clauses.append("rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :fts_match)")
            params["fts_match"] = self.fts_match
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def select_sql(self) -> tuple[str, dict]:
        where, params = self.where()
        columns = ", ".join(f'"{column}"' for column in self.columns)
        return f"SELECT {columns} FROM articles{where} ORDER BY {ORDER_BY}", params

    def count_by_portal_sql(self) -> tuple[str, dict]:
        where, params = self.where()
        return f"SELECT portal, count(*) FROM articles{where} GROUP BY portal ORDER BY portal", params


def _placeholders(name: str, values: tuple[str, ...], params: dict) -> str:
    for index, value in enumerate(values):
        params[f"{name}{index}"] = value
    return ", ".join(f":{name}{index}" for index in range(len(values)))


def build_query(connection: sqlite3.Connection, *, columns: str | None = None, provenance: bool = True,
                portals: tuple[str, ...] = (), provinces: tuple[str, ...] = (), since: date | None = None,
                until: date | None = None, search: str | None = None) -> ExportQuery:
    """Check the filters against the archive and the registry; raises ExportError with what is known."""
    if since and until and since > until:
        raise ExportError(f"--since {since} is after --until {until}")
    return ExportQuery(
        columns=chosen_columns(connection, columns, provenance),
        portals=_known_portals(connection, portals),
        provinces=tuple(provinces), province_values=_province_values(connection, provinces),
        since=since, until=until, search=search,
    )


def chosen_columns(connection: sqlite3.Connection, columns: str | None, provenance: bool) -> tuple[str, ...]:
    """`--columns a,b,c` in that order (provenance columns appended unless declined), or the default set."""
    present = [row[1] for row in connection.execute("PRAGMA table_info(articles)")]
    if not columns:
        return tuple(column for column in DEFAULT_COLUMNS if column in present)
    asked = tuple(dict.fromkeys(name.strip() for name in columns.split(",") if name.strip()))
    unknown = [name for name in asked if name not in present]
    if unknown or not asked:
        raise ExportError(f"unknown column(s) {', '.join(unknown) or '(none given)'}; "
                          f"the articles table has: {', '.join(present)}")
    extra = [column for column in PROVENANCE_COLUMNS if provenance and column not in asked and column in present]
    return asked + tuple(extra)


def _known_portals(connection: sqlite3.Connection, portal_ids: tuple[str, ...]) -> tuple[str, ...]:
    if not portal_ids:
        return ()
    known = _archive_portal_ids(connection) | set(_registry_portal_field("id"))
    unknown = [portal_id for portal_id in portal_ids if portal_id not in known]
    if unknown:
        raise ExportError(f"unknown portal(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(dict.fromkeys(portal_ids))


def _province_values(connection: sqlite3.Connection, provinces: tuple[str, ...]) -> tuple[str, ...]:
    """The archive's spellings of each province asked for, compared without case, tone marks or
    prefixes such as "Tỉnh" and "Thành phố"; a name matching none is an error."""
    if not provinces:
        return ()
    known = _archive_province_names(connection) | set(_registry_portal_field("province")) \
        | set(_registry_portal_field("province_2025"))
    by_key: dict[str, set[str]] = {}
    for name in known:
        by_key.setdefault(province_key(name), set()).add(name)
    unknown = [typed for typed in provinces if province_key(typed) not in by_key]
    if unknown:
        raise ExportError(f"unknown province(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(sorted(set().union(*(by_key[province_key(typed)] for typed in provinces))))


def province_key(name: str) -> str:
    """A province's name reduced to what a researcher may type: "Bà Rịa - Vũng Tàu" → "ba ria vung tau"."""
    key = " ".join(fold(name).replace("-", " ").split())
    for prefix in PROVINCE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _archive_portal_ids(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT id FROM portals")}


def _archive_province_names(connection: sqlite3.Connection) -> set[str]:
    rows = connection.execute("SELECT province, province_2025 FROM portals")
    return {name for row in rows for name in row if name}


def _registry_portal_field(name: str) -> list[str]:
    """A field of every registry portal: an archive made before a portal was synced still knows it."""
    from crawler.registry import load_registry

    return [value for portal in load_registry().portals if (value := getattr(portal, name))]


# --- reading the archive ------------------------------------------------------------

def open_read_only(db_path: str | Path) -> sqlite3.Connection:
    """A read-only connection (a crawl may be writing: WAL readers never block it)."""
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
    if not connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles'").fetchone():
        connection.close()
        raise ExportError(f"{db_path} is not a vnarchive archive (no articles table)")
    return connection


@contextmanager
def one_snapshot(connection: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: the counts, the manifest and the rows all see the same archive state."""
    connection.execute("BEGIN")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")


def stream_rows(connection: sqlite3.Connection, query: ExportQuery) -> Iterator[tuple]:
    """The rows in order, fetched a batch at a time: memory does not grow with the result."""
    sql, params = query.select_sql()
    cursor = connection.execute(sql, params)
    while batch := cursor.fetchmany(FETCH_BATCH):
        yield from batch


def counts_by_portal(connection: sqlite3.Connection, query: ExportQuery) -> dict[str, int]:
    sql, params = query.count_by_portal_sql()
    return {portal or "": count for portal, count in connection.execute(sql, params)}


def archive_snapshot(connection: sqlite3.Connection, db_path: str | Path) -> dict:
    """What identifies the archive's state, read in the export's own transaction and without
    scanning the file (a SHA-256 of a multi-GB archive takes minutes; so does max() over an
    unindexed column): the last crawl run, the numbers of articles and revisions (index-only
    counts), and the file's size (with its WAL) and modification time. Crawls add a run;
    `vnarchive reextract`, which adds none, moves the modification time and the rows'
    extractor_version."""
    path = Path(db_path).resolve()
    wal = Path(f"{path}-wal")
    stat = path.stat()
    run = connection.execute(
        "SELECT id, started_at, finished_at, outcome FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return {
        "path": str(path),
        "bytes": stat.st_size + (wal.stat().st_size if wal.exists() else 0),
        "modified_at": datetime.fromtimestamp(stat.st_mtime, VIETNAM_TZ).isoformat(timespec="seconds"),
        "last_crawl_run": dict(zip(("id", "started_at", "finished_at", "outcome"), run)) if run else None,
        "articles": connection.execute("SELECT count(*) FROM articles").fetchone()[0],
        "revisions": connection.execute("SELECT count(*) FROM revisions").fetchone()[0],
    }


# --- writers: one per format, each given the rows and where to put them ------------

@dataclass
class FormulaGuard:
    """FORMULA_RULE applied to rows on their way into a spreadsheet's CSV, counting the cells it changed."""

    cells: int = 0

    def applied(self, rows: Iterator[tuple]) -> Iterator[tuple]:
        for row in rows:
            if any(isinstance(value, str) and value.startswith(FORMULA_STARTS) for value in row):
                row = tuple(self._as_text(value) for value in row)
            yield row

    def _as_text(self, value):
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            self.cells += 1
            return "'" + value
        return value

    def manifest(self) -> dict:
        return {"rule": FORMULA_RULE, "cells_prefixed": self.cells}


def write_csv(rows: Iterator[tuple], columns: tuple[str, ...], out: IO[bytes], *, bom: bool = False,
              guard: FormulaGuard | None = None) -> int:
    """RFC 4180 CSV (CRLF, multi-line bodies quoted); with a BOM spreadsheet programs read it as UTF-8,
    and its cells are written as FormulaGuard says (counted in `guard`)."""
    if bom:
        rows = (guard or FormulaGuard()).applied(rows)
    with _utf8_text(out, bom) as text:
        writer = csv.writer(text)
        writer.writerow(columns)
        count = 0
        for count, row in enumerate(rows, 1):
            writer.writerow(row)
    return count


def write_json(rows: Iterator[tuple], columns: tuple[str, ...], out: IO[bytes]) -> int:
    """A JSON array of objects, written one object at a time (never the whole list in memory)."""
    with _utf8_text(out) as text:
        text.write("[")
        count = 0
        for count, row in enumerate(rows, 1):
            text.write(("\n" if count == 1 else ",\n") + _json_object(columns, row))
        text.write("\n]\n")
    return count


def write_jsonl(rows: Iterator[tuple], columns: tuple[str, ...], out: IO[bytes]) -> int:
    """One JSON object per line."""
    with _utf8_text(out) as text:
        count = 0
        for count, row in enumerate(rows, 1):
            text.write(_json_object(columns, row) + "\n")
    return count


def write_parquet(rows: Iterator[tuple], columns: tuple[str, ...], out: IO[bytes]) -> int:
    """Parquet with an explicit schema (text as string, counts as int64), written a row group at
    a time. Arrow's system allocator, unlike its default (mimalloc), hands freed groups back."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pool = pa.system_memory_pool()
    schema = parquet_schema(columns)
    count = 0
    with pq.ParquetWriter(out, schema, compression=PARQUET_COMPRESSION, use_dictionary=False,
                          memory_pool=pool) as writer:
        for group in _row_groups(rows, schema, pool):
            writer.write_table(group)
            count += group.num_rows
    return count


def parquet_schema(columns: tuple[str, ...]):
    import pyarrow as pa

    kinds = {int: pa.int64(), str: pa.string()}
    return pa.schema([(column, kinds[ARTICLE_COLUMNS.get(column, str)]) for column in columns])


def _row_groups(rows: Iterator[tuple], schema, pool) -> Iterator:
    """Arrow tables of PARQUET_GROUP_ROWS rows or PARQUET_GROUP_CHARS characters of text, whichever
    comes first, so memory holds one modest group whatever the bodies' length; built from record
    batches of FETCH_BATCH rows (compact UTF-8), so Python holds one batch of rows at most."""
    import pyarrow as pa

    batches, pending, chars = [], [], 0
    for row in rows:
        pending.append(row)
        chars += sum(len(value) for value in row if isinstance(value, str))
        if len(pending) == FETCH_BATCH:
            batches.append(_record_batch(pending, schema, pool))
            pending = []
        if len(batches) * FETCH_BATCH + len(pending) == PARQUET_GROUP_ROWS or chars >= PARQUET_GROUP_CHARS:
            yield pa.Table.from_batches([*batches, _record_batch(pending, schema, pool)], schema)
            batches, pending, chars = [], [], 0
    if batches or pending:
        yield pa.Table.from_batches([*batches, _record_batch(pending, schema, pool)], schema)


def _record_batch(rows: list[tuple], schema, pool):
    import pyarrow as pa

    arrays = [pa.array([row[index] for row in rows], type=column.type, memory_pool=pool)
              for index, column in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


WRITERS = {"csv": write_csv, "json": write_json, "jsonl": write_jsonl, "parquet": write_parquet}


@contextmanager
def _utf8_text(out: IO[bytes], bom: bool = False) -> Iterator[io.TextIOWrapper]:
    """UTF-8 whatever the locale, no newline translation (the csv module writes its own CRLF),
    and `out` left open afterwards (it may be stdout)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig" if bom else "utf-8", newline="")
    try:
        yield text
        text.flush()
    finally:
        with suppress(OSError, ValueError):
            text.detach()


def _json_object(columns: tuple[str, ...], row: tuple) -> str:
    return json.dumps(dict(zip(columns, row)), ensure_ascii=False)


# --- one export, end to end ------------------------------------------------------------

@dataclass
class ExportResult:
    rows: int
    manifest: dict | None = None


def export_archive(db_path: str | Path, query: ExportQuery, fmt: str, output: str | None, *, bom: bool = False,
                   progress: bool = False, command: str = "") -> ExportResult:
    """Write the export (to `output`, or stdout when it is None) and, for a file, its manifest."""
    connection = open_read_only(db_path)
    try:
        with one_snapshot(connection):
            by_portal = counts_by_portal(connection, query)
            snapshot = archive_snapshot(connection, db_path)
            rows = _with_progress(stream_rows(connection, query), sum(by_portal.values()), progress)
            guard = FormulaGuard() if fmt == "csv" and bom else None
            count = write_export(rows, query.columns, fmt, output, bom=bom, guard=guard)
    finally:
        connection.close()
    if output is None:
        return ExportResult(count)
    manifest = build_manifest(query, fmt, Path(output), count, by_portal, snapshot, bom=bom, command=command,
                              guard=guard)
    _write_json_atomically(manifest_path(output), manifest)
    return ExportResult(count, manifest)


def write_export(rows: Iterator[tuple], columns: tuple[str, ...], fmt: str, output: str | None, *,
                 bom: bool = False, guard: FormulaGuard | None = None) -> int:
    """Rows to stdout, or to a temporary file renamed to `output` once complete; the row count."""
    writer = WRITERS[fmt]
    options = {"bom": bom, "guard": guard} if fmt == "csv" else {}
    if output is None:
        out = sys.stdout.buffer
        count = writer(rows, columns, out, **options)
        out.flush()
        return count
    with _replaced_atomically(Path(output)) as partial, open(partial, "wb") as out:
        return writer(rows, columns, out, **options)


def _with_progress(rows: Iterator[tuple], total: int, shown: bool) -> Iterator[tuple]:
    if not shown:
        yield from rows
        return
    with click.progressbar(length=total, label="exporting", file=sys.stderr, show_pos=True) as bar:
        index = 0
        for index, row in enumerate(rows, 1):
            yield row
            if index % FETCH_BATCH == 0:
                bar.update(FETCH_BATCH)
        bar.update(index % FETCH_BATCH)


@contextmanager
def _replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary file beside `target`, renamed to it only when the block finishes."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        os.chmod(partial, 0o666 & ~_umask())  # mkstemp makes it private; a dataset is for sharing
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_json_atomically(target: Path, data: dict) -> None:
    with _replaced_atomically(target) as partial:
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def manifest_path(output: str | Path) -> Path:
    return Path(f"{output}{MANIFEST_SUFFIX}")


def build_manifest(query: ExportQuery, fmt: str, path: Path, rows: int, by_portal: dict[str, int],
                   snapshot: dict, *, bom: bool, command: str, guard: FormulaGuard | None = None) -> dict:
    """What a methods section cites: the query, the SQL, the counts, the archive's state, the file's digest,
    and for CSV how cells a spreadsheet would run as formulas were written (`formula_cells`)."""
    sql, params = query.select_sql()
    csv_fields = {"utf8_bom": bom, "formula_cells": guard.manifest() if guard else {"rule": STORED_RULE}}
    return {
        "exported_at": clock.now_iso(),
        "vnarchive_version": __version__,
        "command": command,
        "file": {"name": path.name, "format": fmt, "bytes": path.stat().st_size, "sha256": file_sha256(path),
                 "columns": list(query.columns), **(csv_fields if fmt == "csv" else {})},
        "query": {
            "portals": list(query.portals), "provinces": list(query.provinces),
            "province_values": list(query.province_values),
            "since": query.since.isoformat() if query.since else None,
            "until": query.until.isoformat() if query.until else None,
            "search": query.search, "fts_match": query.fts_match,
            "dated_only": bool(query.since or query.until), "order_by": ORDER_BY, "sql": sql, "params": params,
        },
        "rows": rows,
        "rows_by_portal": by_portal,
        "archive": snapshot,
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- the command ------------------------------------------------------------------------

def _format_for(fmt: str | None, output: str | None) -> str:
    """--format, else the output file's suffix, else csv."""
    if fmt:
        return fmt
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in FORMATS else "csv"


def _check_output(fmt: str, output: str | None, bom: bool, db_path: str) -> None:
    if output is not None and Path(output).resolve() in {Path(f"{db_path}{end}").resolve() for end in ("", "-wal", "-shm")}:
        raise click.BadParameter(f"{output} is the archive itself", param_hint="-o")
    if fmt == "parquet" and output is None:
        raise click.UsageError("parquet is written to a file: give -o FILE.parquet")
    if bom and fmt != "csv":
        raise click.UsageError("--bom is for CSV only (JSON and Parquet readers reject a BOM)")
    if output is not None and not Path(output).parent.resolve().is_dir():
        raise click.BadParameter(f"{Path(output).parent} is not a folder", param_hint="-o")


def _command_line(db_path, fmt, output, portal_ids, provinces, since, until, search, columns, provenance, bom) -> str:
    """The command that makes this export again, for the manifest."""
    args = ["vnarchive", "export", "--db", db_path, "--format", fmt, "-o", output or "-"]
    args += [arg for portal_id in portal_ids for arg in ("--portal", portal_id)]
    args += [arg for province in provinces for arg in ("--province", province)]
    args += ["--since", since.isoformat()] if since else []
    args += ["--until", until.isoformat()] if until else []
    args += ["--search", search] if search is not None else []
    args += ["--columns", columns] if columns else []
    args += [] if provenance else ["--no-provenance"]
    args += ["--bom"] if bom else []
    return shlex.join(args)


@click.command("export")
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive file.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Output format. Default: from -o's suffix, else csv.")
@click.option("-o", "--output", default="-", show_default=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Output file, '-' for stdout (csv, json, jsonl). A file gets FILE.manifest.json beside it.")
@click.option("--portal", "portal_ids", multiple=True, metavar="ID", help="Only this portal (registry id; repeatable).")
@click.option("--province", "provinces", multiple=True, metavar="NAME",
              help="Only this province, before or after the 2025 merger (repeatable). Case, tone marks and "
                   "'Tỉnh'/'Thành phố' are ignored: 'vinh long' matches 'Vĩnh Long'.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Published on or after this day (Vietnam time).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Published on or before this day (the whole day).")
@click.option("--search", metavar="WORDS",
              help="Full-text search as on the web: with tone marks exact, without them folded; \"a phrase\".")
@click.option("--columns", metavar="A,B,C",
              help=f"Columns of the articles table, in this order. Default: {', '.join(DEFAULT_COLUMNS)}.")
@click.option("--provenance/--no-provenance", default=True, show_default=True,
              help=f"Add the citation columns ({', '.join(PROVENANCE_COLUMNS)}) that --columns leaves out.")
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 BOM, so that Excel reads Vietnamese correctly; "
                                          "a cell starting with = + - @ (a formula to a spreadsheet) gets a leading '.")
def export(db_path, fmt, output, portal_ids, provinces, since, until, search, columns, provenance, bom) -> None:
    """Export articles as a dataset file with provenance: CSV, JSON (an array), JSONL or Parquet.

    Rows are ordered by published_at, then url_key, so re-exports diff cleanly. With --since or
    --until, articles without a publication date are left out. Filters combine with AND; repeated
    --portal or --province values with OR. A progress bar shows on a terminal.

    \b
    Examples:
      vnarchive export --search "dân vận" --since 2025-01-01 -o danvan.csv --bom
      vnarchive export --province "Vĩnh Long" --format jsonl > vinhlong.jsonl
      vnarchive export --portal hue --columns title,body -o hue.parquet
    """
    from crawler.cli import _existing_archive

    output = None if output == "-" else output
    fmt = _format_for(fmt, output)
    _check_output(fmt, output, bom, db_path)
    _existing_archive(db_path)
    since_day, until_day = (since.date() if since else None), (until.date() if until else None)
    command = _command_line(db_path, fmt, output, portal_ids, provinces, since_day, until_day, search, columns,
                            provenance, bom)
    if search is not None and fts_query(search) == MATCHES_NOTHING:
        click.echo(f"--search {search!r} has no words: nothing matches (as on the web)", err=True)
    try:
        query = _query_for(db_path, columns=columns, provenance=provenance, portals=portal_ids,
                           provinces=provinces, since=since_day, until=until_day, search=search)
        result = export_archive(db_path, query, fmt, output, bom=bom, progress=sys.stderr.isatty(), command=command)
    except ExportError as error:
        raise click.UsageError(str(error)) from None
    except BrokenPipeError:  # `vnarchive export | head`: the reader has what it wanted
        _quiet_stdout()
        return
    except (OSError, sqlite3.Error) as error:
        _fail(error)
    if output is not None:
        click.echo(f"{result.rows} rows → {output} ({result.manifest['file']['bytes'] / 1024:,.0f} KiB); "
                   f"manifest {manifest_path(output)}", err=True)


def _query_for(db_path: str, **filters) -> ExportQuery:
    connection = open_read_only(db_path)
    try:
        return build_query(connection, **filters)
    finally:
        connection.close()


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _fail(error: BaseException) -> None:
    from crawler.cli import EXIT_DISK_FULL, EXIT_FAILED
    from crawler.runs import is_disk_full

    click.echo(f"export failed: {error}", err=True)
    sys.exit(EXIT_DISK_FULL if is_disk_full(error) else EXIT_FAILED)
