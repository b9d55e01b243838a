"""archive.db: the tables, and every write to them.

One SQLite file in WAL mode, so Datasette can read while a crawl writes. Articles are keyed
on the canonical URL key; each batch is written in one transaction, so a killed run leaves
whole batches or nothing. Search runs on an FTS5 index (unicode61, remove_diacritics 2)
over title, lead, body and a folded copy (no diacritics, đ→d) kept current by triggers.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from crawler.items import ArticleRecord
from crawler.registry import Portal

FTS_COLUMNS = ["title", "lead", "body", "search_text"]
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
BUSY_TIMEOUT_MS = 30_000

ARTICLE_COLUMNS: dict[str, type] = {
    "url_key": str, "url": str, "portal": str, "province": str, "province_2025": str,
    "title": str, "lead": str, "body": str, "author": str, "source": str, "source_date": str,
    "category": str, "published_at": str, "year": int, "date_source": str,
    "images": str, "attachments": str, "word_count": int, "language": str,
    "content_hash": str, "first_seen": str, "last_seen": str, "captured_at": str,
    "http_status": int, "duplicate_of": str, "extractor_version": str, "warnings": str,
    "search_text": str, "topics": str,
}
# Columns whose change makes a new version of an article (the rest is bookkeeping).
VERSIONED_COLUMNS = ("title", "lead", "body", "author", "source", "source_date", "category",
                     "published_at", "date_source", "images", "attachments", "content_hash")


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
        if not self.db["articles_fts"].exists():
            self.db["articles"].enable_fts(FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZER)

    def _create_tables(self) -> None:
        self.db["portals"].create({
            "id": str, "name": str, "province": str, "province_2025": str, "domain": str,
            "domains": str, "platform": str, "status": str, "successor": str, "verified": int,
        }, pk="id", if_not_exists=True)
        self.db["articles"].create(
            ARTICLE_COLUMNS, pk="url_key", not_null={"url", "title"}, if_not_exists=True,
            foreign_keys=[("portal", "portals", "id")],
        )
        self.db["revisions"].create({
            "id": int, "url_key": str, "seen_from": str, "seen_until": str,
            **{column: ARTICLE_COLUMNS[column] for column in VERSIONED_COLUMNS},
        }, pk="id", if_not_exists=True, foreign_keys=[("url_key", "articles", "url_key")])
        self.db["crawl_runs"].create({
            "id": int, "started_at": str, "finished_at": str, "outcome": str, "portals": str,
            "command": str, "pid": int, "version": str, "requests": int, "responses": int,
            "new": int, "changed": int, "unchanged": int, "errors": int, "errors_by_kind": str,
        }, pk="id", if_not_exists=True)
        self.db["portal_runs"].create({
            "run_id": int, "portal": str, "started_at": str, "finished_at": str, "outcome": str,
            "listing_pages": int, "links_found": int, "articles_fetched": int, "new": int,
            "changed": int, "unchanged": int, "errors": int, "errors_by_kind": str, "finish_reason": str,
        }, pk=("run_id", "portal"), if_not_exists=True,
            foreign_keys=[("run_id", "crawl_runs", "id"), ("portal", "portals", "id")])
        for table, columns in (
            ("articles", ["portal", "published_at"]), ("articles", ["published_at"]),
            ("articles", ["province", "published_at"]), ("revisions", ["url_key"]),
        ):
            self.db[table].create_index(columns, if_not_exists=True)

    def _add_new_columns(self) -> None:
        """Archives made by an older version get the columns added since, empty."""
        existing = self.db["articles"].columns_dict
        for column, kind in ARTICLE_COLUMNS.items():
            if column not in existing:
                self.db["articles"].add_column(column, kind)

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

    def finish_run(self, run_id: int, **values: Any) -> None:
        with self.db.conn:
            self.db["crawl_runs"].update(run_id, values)

    def save_portal_run(self, row: dict[str, Any]) -> None:
        with self.db.conn:
            self.db["portal_runs"].upsert(row, pk=("run_id", "portal"))

    # --- articles -------------------------------------------------------------

    @staticmethod
    def known_url_keys(path: str | Path, portal_id: str) -> set[str]:
        """Keys already archived for a portal; empty when the archive doesn't exist yet."""
        if not Path(path).exists():
            return set()
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT url_key FROM articles WHERE portal = ?", (portal_id,))
            return {key for (key,) in rows}
        except sqlite3.OperationalError:  # an archive created before any article was stored
            return set()
        finally:
            connection.close()

    def save_articles(self, records: list[ArticleRecord], portals: dict[str, Portal]) -> Counter:
        """Insert new articles, update changed ones (keeping the old version), touch unchanged ones.
        One transaction for the batch. Returns counts of new, changed and unchanged."""
        counts: Counter = Counter()
        with self.db.conn:
            for record in records:
                counts[self._save_article(record, portals.get(record.portal or ""))] += 1
        return counts

    def _save_article(self, record: ArticleRecord, portal: Portal | None) -> str:
        row = _article_row(record, portal)
        previous = self._stored(record.url_key)
        if previous is None:
            self.db["articles"].insert({**row, "first_seen": row["captured_at"], "last_seen": row["captured_at"]})
            return "new"
        if previous["content_hash"] == row["content_hash"]:
            self.db["articles"].update(record.url_key, {"last_seen": row["captured_at"]})
            return "unchanged"
        self.db["revisions"].insert({
            "url_key": record.url_key, "seen_from": previous["first_seen"], "seen_until": previous["last_seen"],
            **{column: previous[column] for column in VERSIONED_COLUMNS},
        })
        self.db["articles"].update(record.url_key, {**row, "last_seen": row["captured_at"]})
        return "changed"

    def _stored(self, key: str) -> dict[str, Any] | None:
        rows = list(self.db["articles"].rows_where("url_key = ?", [key], limit=1))
        return rows[0] if rows else None


def _article_row(record: ArticleRecord, portal: Portal | None) -> dict[str, Any]:
    row = asdict(record)
    for column in ("images", "attachments", "warnings", "topics"):
        row[column] = json.dumps(row[column], ensure_ascii=False)
    row["province"] = portal.province if portal else ""
    row["province_2025"] = portal.province_2025 if portal else ""
    row["year"] = int(record.published_at[:4]) if record.published_at else None
    return row
