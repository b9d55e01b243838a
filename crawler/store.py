"""archive.db: the tables, and every write to them.

One SQLite file in WAL mode, so Datasette can read while a crawl writes. Articles are keyed
on the canonical URL key; each batch is written in one transaction, so a killed run leaves
whole batches or nothing. Search runs on an FTS5 index (unicode61, remove_diacritics 0)
over title, lead and body as written and a folded copy (no diacritics, đ→d), kept current by
triggers; crawler/search.py queries it exactly or folded.

Articles get rowids in publication order (chronological_rowid), so that the FTS index, which
keeps its rows by rowid, lists the newest matches first by itself: a search stops after the
page it shows instead of sorting every match (a common word matches a third of a
million-article archive).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import sqlite_utils

from crawler.items import ArticleCheck, ArticleRecord
from crawler.registry import Portal
from crawler.search import FTS_COLUMNS, FTS_TOKENIZER
from crawler.text import without_control_characters
from crawler.threads import OwnThread

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000

ARTICLE_COLUMNS: dict[str, type] = {
    "url_key": str, "url": str, "portal": str, "province": str, "province_2025": str,
    "title": str, "lead": str, "body": str, "author": str, "source": str, "source_date": str,
    "category": str, "published_at": str, "year": int, "date_source": str,
    "images": str, "attachments": str, "word_count": int, "language": str,
    "content_hash": str, "first_seen": str, "last_seen": str, "last_checked": str, "captured_at": str,
    "http_status": int, "duplicate_of": str, "extractor_version": str, "warnings": str,
    "search_text": str, "topics": str,
    "fetched_url": str, "listing_date": str, "listing_url": str,
    "warc_file": str, "warc_offset": int, "warc_length": int, "raw_digest": str,
    "etag": str, "last_modified": str, "gone_at": str, "gone_status": int,
    # Where the version came from: live (a crawl of the portal), wayback or commoncrawl (`vnarchive
    # backfill`: captured_at is then the archive's capture time), the archive's URL and digest of it.
    "capture_source": str, "archive_url": str, "archive_digest": str,
}
# Columns whose change makes a new version of an article (the rest is bookkeeping).
VERSIONED_COLUMNS = ("title", "lead", "body", "author", "source", "source_date", "category",
                     "published_at", "date_source", "images", "attachments", "content_hash")
# What a revision keeps besides the versioned columns: where its raw page is, and what read it.
REVISION_PROVENANCE = ("captured_at", "word_count", "warc_file", "warc_offset", "warc_length", "raw_digest",
                       "extractor_version", "capture_source", "archive_url", "archive_digest")
REVISION_COLUMNS: dict[str, type] = {
    "id": int, "url_key": str, "seen_from": str, "seen_until": str, "replaced_at": str,
    **{column: ARTICLE_COLUMNS[column] for column in VERSIONED_COLUMNS + REVISION_PROVENANCE},
}
PORTAL_COLUMNS: dict[str, type] = {
    "id": str, "name": str, "province": str, "province_2025": str, "domain": str,
    "domains": str, "platform": str, "status": str, "successor": str, "verified": int,
}
CRAWL_RUN_COLUMNS: dict[str, type] = {
    "id": int, "started_at": str, "finished_at": str, "outcome": str, "portals": str,
    "command": str, "pid": int, "version": str, "requests": int, "responses": int,
    "new": int, "changed": int, "unchanged": int, "gone": int, "errors": int, "errors_by_kind": str,
    "warc_file": str, "refused": int, "refused_by_kind": str,
}
# One portal in one run; `mode` is deep (every listing page, sitemaps, feeds), incremental
# (listings until nothing new) or since (--since DATE).
PORTAL_RUN_COLUMNS: dict[str, type] = {
    "run_id": int, "portal": str, "started_at": str, "finished_at": str, "outcome": str,
    "mode": str, "requests": int, "listing_pages": int, "listing_unchanged": int, "links_found": int,
    "articles_fetched": int, "rechecked": int, "not_modified": int, "new": int, "changed": int,
    "unchanged": int, "gone": int, "extracted": int, "dated": int, "errors": int, "errors_by_kind": str,
    "finish_reason": str, "refused": int, "refused_by_kind": str, "tls_issues": str,
}
# Every article-shaped capture a web archive's index listed for a portal (`vnarchive backfill`), and
# what became of it once fetched: stored, a refusal kind, not_an_article, error (tried again); and
# the captures of pages read as possible listings (listing, not_a_listing). listing_date and
# listing_url: what an archived listing showed beside the article's link, kept for later runs.
BACKFILL_CAPTURE_COLUMNS: dict[str, type] = {
    "source": str, "archive_url": str, "portal": str, "url_key": str, "url": str, "captured_at": str,
    "status": int, "archive_digest": str, "outcome": str, "checked_at": str, "run_id": int,
    "listing_date": str, "listing_url": str,
}
# Pages other than articles whose validators (ETag, Last-Modified) make the next run's request conditional.
VALIDATOR_COLUMNS: dict[str, type] = {"url": str, "portal": str, "etag": str, "last_modified": str, "checked_at": str}


class Archive:
    """A connection to one archive file, with the schema in place."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.enable_wal()
        self._ensure_schema()

    def close(self) -> None:
        self.db.close()

    # --- schema -------------------------------------------------------------

    def _ensure_schema(self) -> None:
        with self.db.conn:
            self._create_tables()
            self._add_new_columns()
            self._create_indexes()  # after the columns: an older archive gets them first
        fts = self.db["articles_fts"]
        if fts.exists() and FTS_TOKENIZER not in (fts.schema or ""):
            self.db["articles"].disable_fts()  # an older index that folded diacritics itself: rebuild
        if not fts.exists():
            self.db["articles"].enable_fts(FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZER)
        self._renumber_articles()

    def _renumber_articles(self) -> None:
        """Rows of an archive made before rowids were chronological get theirs (once; the FTS
        triggers move their index entries along)."""
        oldest = self.db.execute("SELECT min(rowid) FROM articles").fetchone()[0]
        if oldest is None or oldest >= CHRONOLOGICAL_ROWID_FLOOR:
            return
        with self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            rows = self.db.execute("SELECT rowid, published_at, coalesce(captured_at, first_seen) FROM articles "
                                   f"WHERE rowid < {CHRONOLOGICAL_ROWID_FLOOR}").fetchall()
            for rowid, published_at, captured_at in rows:
                self.db.execute("UPDATE articles SET rowid = ? WHERE rowid = ?",
                                [self._free_rowid(published_at, captured_at), rowid])

    def _create_tables(self) -> None:
        self.db["portals"].create(PORTAL_COLUMNS, pk="id", if_not_exists=True)
        self.db["articles"].create(
            ARTICLE_COLUMNS, pk="url_key", not_null={"url", "title"}, if_not_exists=True,
            foreign_keys=[("portal", "portals", "id")],
        )
        self.db["revisions"].create(REVISION_COLUMNS, pk="id", if_not_exists=True,
                                    foreign_keys=[("url_key", "articles", "url_key")])
        self.db["page_validators"].create(VALIDATOR_COLUMNS, pk="url", if_not_exists=True)
        self.db["backfill_captures"].create(BACKFILL_CAPTURE_COLUMNS, pk=("source", "archive_url"), if_not_exists=True)
        self.db["crawl_runs"].create(CRAWL_RUN_COLUMNS, pk="id", if_not_exists=True)
        self.db["portal_runs"].create(PORTAL_RUN_COLUMNS, pk=("run_id", "portal"), if_not_exists=True,
                                      foreign_keys=[("run_id", "crawl_runs", "id"), ("portal", "portals", "id")])

    def _create_indexes(self) -> None:
        for table, columns in (
            ("articles", ["portal", "published_at"]), ("articles", ["published_at"]),
            ("articles", ["province", "published_at"]), ("revisions", ["url_key"]),
            ("portal_runs", ["portal", "run_id"]), ("articles", ["title", "portal"]),
            ("backfill_captures", ["portal", "captured_at"]),
        ):
            self.db[table].create_index(columns, if_not_exists=True)
        # Republications: few rows have duplicate_of, so only they are indexed (near_duplicates query).
        self.db.execute("CREATE INDEX IF NOT EXISTS idx_articles_duplicate_of ON articles(duplicate_of) "
                        "WHERE duplicate_of IS NOT NULL")

    def _add_new_columns(self) -> None:
        """Archives made by an older version get the columns added since, empty."""
        for table, columns in (("articles", ARTICLE_COLUMNS), ("revisions", REVISION_COLUMNS),
                               ("crawl_runs", CRAWL_RUN_COLUMNS), ("portal_runs", PORTAL_RUN_COLUMNS)):
            existing = self.db[table].columns_dict
            for column, kind in columns.items():
                if column not in existing:
                    self.db[table].add_column(column, kind)

    def snapshot(self, out: str | Path) -> None:
        """A consistent copy in one file (VACUUM INTO reads one snapshot, while a crawl may write),
        in rollback-journal mode so that it can be served read-only or immutable."""
        self.db.execute("VACUUM INTO ?", [str(out)])
        copy = sqlite3.connect(out)
        try:
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()

    def checkpoint(self) -> None:
        """Fold the WAL back into the database file and empty it (end of a run)."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- portals and runs ----------------------------------------------------

    def sync_portals(self, portals: Iterable[Portal]) -> None:
        rows = [{**p.row(), "domains": json.dumps(p.domains)} for p in portals]
        with self.db.conn:
            self.db["portals"].upsert_all(rows, pk="id")

    def start_run(self, *, started_at: str, portals: list[str], command: str, version: str, pid: int) -> int:
        with self.db.conn:
            table = self.db["crawl_runs"].insert({
                "started_at": started_at, "outcome": "running", "portals": json.dumps(portals),
                "command": command, "version": version, "pid": pid,
            })
        return table.last_pk

    def update_run(self, run_id: int, **values: Any) -> None:
        with self.db.conn:
            self.db["crawl_runs"].update(run_id, values)

    def save_portal_run(self, row: dict[str, Any]) -> None:
        with self.db.conn:
            self.db["portal_runs"].upsert(row, pk=("run_id", "portal"))

    def mark_dead_runs(self, finished_at: str) -> list[int]:
        """Runs still 'running' when a new run holds the lock were killed: say so."""
        dead = [row["id"] for row in self.db["crawl_runs"].rows_where("outcome = 'running'")]
        with self.db.conn:
            for run_id in dead:
                self.db["crawl_runs"].update(run_id, {"outcome": "killed", "finished_at": finished_at})
            self.db.execute("UPDATE portal_runs SET outcome = 'killed', finish_reason = 'killed' WHERE outcome = 'running'")
        return dead

    def save_validators(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self.db.conn:
                self.db["page_validators"].upsert_all(rows, pk="url")

    # --- articles -------------------------------------------------------------

    def save_articles(self, records: list[ArticleRecord | ArticleCheck], portals: dict[str, Portal]) -> Counter:
        """One transaction for the batch: insert new articles, update changed ones (the old version
        goes to revisions), move `last_seen` of unchanged ones, mark gone ones; a web archive's capture
        older than the stored version goes behind it (insert_older_revision). Returns counts of new,
        changed, unchanged, not_modified, gone and older_revision."""
        counts: Counter = Counter()
        with self.db.conn:
            # The write lock up front (waiting its turn): a transaction that read first could not
            # write once another connection had committed in between.
            self.db.execute("BEGIN IMMEDIATE")
            for record in records:
                if isinstance(record, ArticleCheck):
                    counts[self._save_check(record)] += 1
                elif (current := self._stored_after(record)) is not None:
                    counts[self.insert_older_revision(record, current, portals.get(record.portal or ""))] += 1
                else:
                    counts[self._save_article(record, portals.get(record.portal or ""))] += 1
        return counts

    def _save_article(self, record: ArticleRecord, portal: Portal | None) -> str:
        row = article_row(record, portal)
        seen = {"last_seen": row["captured_at"], "last_checked": row["captured_at"], "gone_at": None, "gone_status": None}
        previous = self._stored(record.url_key)
        if previous is None:
            rowid = self._free_rowid(row["published_at"], row["captured_at"])
            self._insert("articles", {"rowid": rowid, **row, **seen, "first_seen": row["captured_at"]})
            return "new"
        if previous["content_hash"] == row["content_hash"]:
            # The stored version keeps its capture; only the validators follow the portal.
            self._update_article(record.url_key, {**seen, "etag": row["etag"], "last_modified": row["last_modified"]})
            return "unchanged"
        self._insert("revisions", {
            "url_key": record.url_key, "seen_from": previous["captured_at"] or previous["first_seen"],
            "seen_until": previous["last_seen"], "replaced_at": row["captured_at"],
            **{column: previous[column] for column in VERSIONED_COLUMNS + REVISION_PROVENANCE},
        })
        self._update_with_date(record.url_key, {**row, **seen}, previous)
        return "changed"

    def update_extraction(self, key: str, values: dict[str, Any]) -> None:
        """New extracted columns of a stored article (`vnarchive reextract`)."""
        self._update_with_date(key, values, self._stored(key))

    def _update_with_date(self, key: str, values: dict[str, Any], current: dict[str, Any] | None) -> None:
        """New columns of the stored article `current`; its rowid follows a changed date (chronological_rowid)."""
        values = {column: value for column, value in values.items() if column != "url_key"}
        if current is not None and "published_at" in values and values["published_at"] != current["published_at"]:
            values["rowid"] = self._free_rowid(values["published_at"], current["first_seen"])
        self._update_article(key, values)

    def _free_rowid(self, published_at: str | None, captured_at: str | None) -> int:
        """The next unused rowid of the article's second of publication (of capture when undated)."""
        base = chronological_rowid(published_at or captured_at)
        top = self.db.execute("SELECT max(rowid) FROM articles WHERE rowid >= ? AND rowid < ?",
                              [base, base + ROWIDS_PER_SECOND]).fetchone()[0]
        return base if top is None else top + 1

    # Rows of the crawl's hot path are written in plain SQL: the columns are the schema's own
    # (created above), and sqlite-utils' insert and update read the table's schema again for every row.
    def _insert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(f"[{column}]" for column in row)
        self.db.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))

    def _update_article(self, key: str, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"[{column}] = ?" for column in values)
        self.db.execute(f"UPDATE articles SET {assignments} WHERE url_key = ?", [*values.values(), key])

    def _save_check(self, check: ArticleCheck) -> str:
        if check.gone:
            self.db.execute(
                "UPDATE articles SET gone_at = coalesce(gone_at, ?), gone_status = ?, last_checked = ? WHERE url_key = ?",
                [check.checked_at, check.status, check.checked_at, check.url_key])
            return "gone"
        self._update_article(check.url_key, {
            "last_seen": check.checked_at, "last_checked": check.checked_at, "gone_at": None, "gone_status": None})
        return "not_modified"

    def _stored(self, key: str) -> dict[str, Any] | None:
        cursor = self.db.execute("SELECT * FROM articles WHERE url_key = ?", [key])
        found = cursor.fetchall()
        return dict(zip((column for column, *_ in cursor.description), found[0])) if found else None

    # --- versions older than the stored one (web archives' captures) ----------------------------

    def _stored_after(self, record: ArticleRecord) -> dict[str, Any] | None:
        """The stored article, when the record is a web archive's capture from before it was last
        seen. Live fetches are always the newest: they are not asked (no extra read per row)."""
        if getattr(record, "capture_source", "live") == "live":
            return None
        current = self._stored(record.url_key)
        if current is None or _moment(record.captured_at) >= _moment(current["last_seen"] or current["captured_at"]):
            return None
        return current

    def insert_older_revision(self, record: ArticleRecord, current: dict[str, Any], portal: Portal | None) -> str:
        """An older capture of a stored article: its text, when new, becomes a revision placed behind
        the version that followed it; the current row stays as it is. The same text as a stored
        version only widens when that version was seen. Returns older_revision or unchanged."""
        row = article_row(record, portal)
        at, key = row["captured_at"], record.url_key
        # Versions seen before this capture were replaced by its version by then at the latest.
        self.db.execute("UPDATE revisions SET replaced_at = ? WHERE url_key = ? AND seen_until < ? AND replaced_at > ?",
                        [at, key, at, at])
        if current["content_hash"] == row["content_hash"]:
            self.db.execute("UPDATE articles SET first_seen = ? WHERE url_key = ? AND first_seen > ?", [at, key, at])
            return "unchanged"
        same = self.db.execute("SELECT id FROM revisions WHERE url_key = ? AND content_hash = ?",
                               [key, row["content_hash"]]).fetchone()
        if same:  # a second run, or another archive's copy of a version already kept
            self.db.execute("UPDATE revisions SET seen_from = min(seen_from, ?), seen_until = max(seen_until, ?) "
                            "WHERE id = ?", [at, at, same[0]])
            return "unchanged"
        self._insert("revisions", {
            "url_key": key, "seen_from": at, "seen_until": at, "replaced_at": self._next_version_start(key, at, current),
            **{column: row[column] for column in VERSIONED_COLUMNS + REVISION_PROVENANCE},
        })
        return "older_revision"

    def _next_version_start(self, key: str, at: str, current: dict[str, Any]) -> str:
        """When the version after the moment `at` was first seen: a revision's seen_from, else the
        current version's first sighting."""
        starts = [start for (start,) in self.db.execute("SELECT seen_from FROM revisions WHERE url_key = ?", [key])]
        starts.append(current["first_seen"] or current["captured_at"])
        later = [start for start in starts if start and _moment(start) > _moment(at)]
        return min(later, key=_moment) if later else current["captured_at"]


def _moment(iso: str) -> datetime:
    """An ISO time as a datetime to compare (times without a zone are Vietnam time)."""
    value = datetime.fromisoformat(iso)
    return value if value.tzinfo else value.replace(tzinfo=timezone(timedelta(hours=7)))


ROWIDS_PER_SECOND = 1_000_000
# Any rowid below this one was given in insertion order, by an older version.
CHRONOLOGICAL_ROWID_FLOOR = 10**12


def chronological_rowid(moment: str | None) -> int:
    """The first article rowid of a moment (ISO date or time; a date is its midnight in Vietnam):
    seconds since 1970 × ROWIDS_PER_SECOND. No moment at all sorts first."""
    try:
        seconds = int(_moment(moment).timestamp()) if moment else 0
    except ValueError:
        seconds = 0
    return max(CHRONOLOGICAL_ROWID_FLOOR, seconds * ROWIDS_PER_SECOND)


def first_rowid_from(day: str | None) -> int:
    """The smallest rowid of an article published on `day` (YYYY-MM-DD) or later; 0 without a day."""
    return chronological_rowid(day) if _is_day(day) else 0


def rowid_after(day: str | None) -> int:
    """The smallest rowid of an article published after `day`; beyond every rowid without a day."""
    if not _is_day(day):
        return 2**63 - 1
    return chronological_rowid((date.fromisoformat(day) + timedelta(days=1)).isoformat())


def _is_day(text: str | None) -> bool:
    try:
        return bool(text) and date.fromisoformat(text) is not None
    except ValueError:
        return False


def archived_keys(connection, portal_id: str) -> set[str]:
    """The url keys of a portal's archived articles (a sqlite3 or sqlite-utils connection)."""
    return {key for (key,) in connection.execute("SELECT url_key FROM articles WHERE portal = ?", [portal_id])}


def article_row(record: ArticleRecord, portal: Portal | None) -> dict[str, Any]:
    """The record as a row of articles. Every record is written through here (crawl, backfill, ingest,
    reextract), so here its text loses the characters no stored text holds (crawler.text.NOT_TEXT),
    whatever produced it: extraction removes them, an ingested item may carry any."""
    # The fields as they are: dataclasses.asdict deep-copies every list and dict in them, for
    # columns written as JSON next (in the writer thread, 1.7% of a full crawl's GIL time).
    row = {field.name: _stored_text(getattr(record, field.name)) for field in fields(record)}
    for column in ("images", "attachments", "warnings", "topics"):
        row[column] = json.dumps(row[column], ensure_ascii=False)
    row["province"] = portal.province if portal else ""
    row["province_2025"] = portal.province_2025 if portal else ""
    row["year"] = int(record.published_at[:4]) if record.published_at else None
    row.setdefault("capture_source", "live")  # records of web archive captures say which archive
    return row


def _stored_text(value: Any) -> Any:
    """A field's value with every string in it (a list's, a dict's) as stored text can hold it."""
    if isinstance(value, str):
        return without_control_characters(value)
    if isinstance(value, list):
        return [_stored_text(item) for item in value]
    if isinstance(value, dict):
        return {_stored_text(key): _stored_text(item) for key, item in value.items()}
    return value


_ARCHIVE_WRITER = OwnThread("archive-writer")
# In the writer thread: one connection per archive file for all the run's crawlers (each
# connection has its own page cache and schema; sixty-five of them held 150 MB), with its users.
_shared_archives: dict[Path, tuple[Archive, int]] = {}


def acquire_archive(path: str | Path) -> Archive:
    """The writer thread's connection to the archive at `path`, opened by its first user."""
    key = Path(path).resolve()
    archive, users = _shared_archives.get(key) or (Archive(path), 0)
    _shared_archives[key] = (archive, users + 1)
    return archive


def release_archive(archive: Archive) -> None:
    """Closed when its last user is done."""
    key = archive.path.resolve()
    _, users = _shared_archives[key]
    if users > 1:
        _shared_archives[key] = (archive, users - 1)
    else:
        del _shared_archives[key]
        archive.close()


async def in_archive_writer(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in the process's one archive-writer thread, awaited from the reactor.

    A crawl's writes (item batches, run rows) all go there: SQLite keeps one writer at a time, and
    its work (the FTS index, commits, fsync) runs without the GIL beside the reactor, which never
    waits on the write lock itself. A connection belongs to the thread that made it, so connections
    that write are opened there too."""
    return await _ARCHIVE_WRITER.run(function, *args)
