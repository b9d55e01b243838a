"""`vnarchive reextract`: rebuild article rows from their raw WARC records, without the network.

Each row's record is read at its pointer and checked against its payload digest, handed to
the current extractor as the crawl handed it (same URL, capture time and listing date), and
the row's extracted columns are compared with what is stored. Bookkeeping (first_seen,
last_seen, the record pointer) is left alone: the capture is the same, only the reading changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from crawler.extract import extract_capture
from crawler.items import PageCapture
from crawler.registry import load_registry
from crawler.store import Archive, article_row
from crawler.warc import RecordPointer, WarcError, read_record

# The columns the extractor decides; the rest of a row is the crawl's bookkeeping.
EXTRACTED_COLUMNS = (
    "title", "lead", "body", "author", "source", "source_date", "category", "published_at", "year",
    "date_source", "images", "attachments", "word_count", "language", "search_text", "content_hash",
    "extractor_version", "warnings", "topics",
)
BATCH = 500
EXAMPLES = 5


@dataclass
class Report:
    articles: int = 0
    unchanged: int = 0
    changed: int = 0
    changed_columns: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)   # why a row could not be re-read
    examples: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        columns = ", ".join(f"{column} {count}" for column, count in self.changed_columns.most_common())
        failed = ", ".join(f"{why} {count}" for why, count in sorted(self.failed.items()))
        lines = [f"{self.articles} articles: {self.unchanged} unchanged, {self.changed} changed, "
                 f"{sum(self.failed.values())} not re-read"]
        if columns:
            lines.append(f"changed columns: {columns}")
        if failed:
            lines.append(f"not re-read: {failed}")
        return lines + [f"  {example}" for example in self.examples]


def reextract(archive: Archive, warc_directory: Path, portal_ids: list[str], *, dry_run: bool) -> Report:
    """Re-read every article (of `portal_ids`, or all); update changed rows unless `dry_run`."""
    portals = {portal.id: portal for portal in load_registry().portals}
    report = Report()
    updates: list[dict[str, Any]] = []
    for row in _rows(archive, portal_ids):
        report.articles += 1
        new = _reread(row, warc_directory, portals, report)
        if new is None:
            continue
        changed = [column for column in EXTRACTED_COLUMNS if new[column] != row[column]]
        if not changed:
            report.unchanged += 1
            continue
        report.changed += 1
        report.changed_columns.update(changed)
        if len(report.examples) < EXAMPLES:
            report.examples.append(f"{row['url']}: {', '.join(changed)}")
        updates.append({"url_key": row["url_key"], **{column: new[column] for column in EXTRACTED_COLUMNS}})
        if len(updates) >= BATCH and not dry_run:
            _save(archive, updates)
    if not dry_run:
        _save(archive, updates)
    return report


def _rows(archive: Archive, portal_ids: list[str]) -> Iterator[dict[str, Any]]:
    where = f"portal IN ({', '.join('?' for _ in portal_ids)})" if portal_ids else None
    # Read all keys first: the updates below must not disturb the cursor.
    keys = [row["url_key"] for row in archive.db["articles"].rows_where(where, portal_ids or None, select="url_key")]
    for key in keys:
        yield next(archive.db["articles"].rows_where("url_key = ?", [key]))


def _reread(row: dict[str, Any], warc_directory: Path, portals: dict, report: Report) -> dict[str, Any] | None:
    if not row["warc_file"]:
        report.failed["no raw record"] += 1
        return None
    pointer = RecordPointer(row["warc_file"], row["warc_offset"], row["warc_length"], row["raw_digest"])
    try:
        stored = read_record(warc_directory, pointer)
    except WarcError as error:  # missing, unreadable, or a pointer it refuses to follow (outside warc/, past the end)
        report.failed[error.reason] += 1
        report.examples.append(f"{row['url']}: {error}")
        return None
    capture = PageCapture(
        portal=row["portal"], url=row["url"], status=stored.status, body=stored.body, headers=stored.headers,
        fetched_at=row["captured_at"], kind="json" if "json" in stored.headers.get("Content-Type", "") else "html",
        fetched_url=row["fetched_url"] or "", listing_date=row["listing_date"] or "",
        listing_url=row["listing_url"] or "", record=pointer,
    )
    try:
        record = extract_capture(capture, portals.get(row["portal"]))
    except Exception as error:  # one bad page must not stop the rebuild
        report.failed["extraction error"] += 1
        report.examples.append(f"{row['url']}: {error}")
        return None
    if not record.title or not record.body:
        report.failed["no longer read as an article"] += 1
        return None
    return article_row(record, portals.get(row["portal"]))


def _save(archive: Archive, updates: list[dict[str, Any]]) -> None:
    with archive.db.conn:
        for update in updates:
            archive.update_extraction(update["url_key"], update)
    updates.clear()

