"""What flows from the spiders to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.warc import RecordPointer


@dataclass
class PageCapture:
    """One fetched article response, as raw as it came: extraction happens in the pipeline,
    so the spider stays fast and the same capture can be re-read later."""

    portal: str
    url: str                      # the real (canonical) article URL, also for API-fed sites
    status: int
    body: bytes
    headers: dict[str, str]
    fetched_at: str               # ISO 8601, +07:00
    kind: str = "html"            # "html" page, or "json" from a site's own API
    fetched_url: str = ""         # what was actually requested when it differs (an API URL)
    listing_date: str = ""        # the date text the listing showed beside the link
    listing_url: str = ""
    record: RecordPointer | None = None  # the response's WARC record


@dataclass
class ArticleRecord:
    """One article, cleaned: a row of the `articles` table."""

    url: str
    url_key: str
    portal: str | None
    title: str
    lead: str = ""
    body: str = ""
    author: str = ""
    source: str = ""
    source_date: str = ""
    category: str = ""
    published_at: str | None = None
    date_source: str = ""
    images: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    word_count: int = 0
    language: str = ""
    search_text: str = ""
    content_hash: str = ""
    captured_at: str = ""
    http_status: int = 200
    extractor_version: str = ""
    warnings: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # ids from topics.yml matched by the text
    # Provenance: how the page was reached and where its raw response is kept.
    fetched_url: str = ""
    listing_date: str = ""
    listing_url: str = ""
    warc_file: str = ""
    warc_offset: int | None = None
    warc_length: int | None = None
    raw_digest: str = ""
    etag: str = ""
    last_modified: str = ""


@dataclass
class ArticleCheck:
    """A re-check of an archived article that brought no page: 304 (unchanged), or gone: 404/410,
    or a page answering 200 that says the article does not exist (a soft 404)."""

    portal: str
    url_key: str
    url: str
    status: int
    checked_at: str
    soft_404: bool = False

    @property
    def gone(self) -> bool:
        return self.status in (404, 410) or self.soft_404
