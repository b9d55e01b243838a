"""The replica's articles: `articles.yml`, validated and typed.

Each entry is one article as a portal published it; the schema is written once, at the top
of `articles.yml`. Times in the file are Vietnam local time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .portals import PORTALS_BY_ID

CORPUS_PATH = Path(__file__).with_name("articles.yml")
VIETNAM_TZ = timezone(timedelta(hours=7))
PUBLISHED_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
REQUIRED_FIELDS = ("key", "portal", "category", "title", "published", "body")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class CorpusError(ValueError):
    """An entry of articles.yml that breaks the schema."""


@dataclass(frozen=True)
class Image:
    """A picture inside an article body: the file name and its caption."""

    file: str
    caption: str


@dataclass(frozen=True)
class Attachment:
    """A document linked under an article: its display name and file name."""

    name: str
    file: str


@dataclass(frozen=True)
class CorpusArticle:
    """One article of one portal, as its page shows it."""

    key: str
    portal: str
    category: str
    title: str
    lead: str
    published: datetime  # Vietnam time, tz +07:00
    published_has_seconds: bool
    author: str
    source: str
    source_date: str  # "YYYY-MM-DD" or "": when the source published it
    date_line: bool  # False: the article page prints no date at all
    body: tuple[str | Image, ...]
    attachments: tuple[Attachment, ...]
    # Set only when an editor changed the article after publishing it (the replica's later editions):
    first_title: str = ""  # the title it was published under, when corrected since
    edited: datetime | None = None  # when it was last changed, Vietnam time

    @property
    def slug_title(self) -> str:
        """The title the article's URL is made from: the first one, since CMSs keep a URL when the title is corrected."""
        return self.first_title or self.title

    @property
    def last_modified(self) -> datetime:
        """When the article last changed: its last edit, else its publication."""
        return self.edited or self.published

    @property
    def images(self) -> tuple[Image, ...]:
        """The pictures of the body, in order."""
        return tuple(block for block in self.body if isinstance(block, Image))

    @property
    def source_day(self) -> date | None:
        """source_date as a date, None when the article names no source date."""
        return date.fromisoformat(self.source_date) if self.source_date else None


@lru_cache(maxsize=None)
def load_corpus(path: Path = CORPUS_PATH) -> list[CorpusArticle]:
    """Every article of the corpus, newest first (ties by key). Cached: do not mutate the list."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise CorpusError(f"{path}: expected a YAML list of articles")
    articles = [parse_article(entry) for entry in entries]
    _check_unique_keys(articles)
    return sorted(articles, key=newest_first)


def newest_first(article: CorpusArticle) -> tuple[float, str]:
    """Sort key: newest first, then by key so that equal times keep one order."""
    return (-article.published.timestamp(), article.key)


def parse_article(entry: dict[str, Any]) -> CorpusArticle:
    """One YAML entry -> CorpusArticle, or CorpusError naming the entry and the field."""
    name = entry.get("key", "?") if isinstance(entry, dict) else "?"
    if not isinstance(entry, dict):
        raise CorpusError(f"entry {entry!r} is not a mapping")
    missing = [field for field in REQUIRED_FIELDS if field not in entry]
    if missing:
        raise CorpusError(f"article {name}: missing {', '.join(missing)}")
    if not KEY_PATTERN.match(str(entry["key"])):
        raise CorpusError(f"article {name}: key must be lowercase ascii words joined by '-'")
    if entry["portal"] not in PORTALS_BY_ID:
        raise CorpusError(f"article {name}: portal {entry['portal']!r} is not one the replica serves")
    published, has_seconds = _parse_published(name, str(entry["published"]))
    return CorpusArticle(
        key=entry["key"],
        portal=entry["portal"],
        category=str(entry["category"]),
        title=str(entry["title"]),
        lead=str(entry.get("lead") or ""),
        published=published,
        published_has_seconds=has_seconds,
        author=str(entry.get("author") or ""),
        source=str(entry.get("source") or ""),
        source_date=_parse_source_date(name, entry.get("source_date")),
        date_line=bool(entry.get("date_line", True)),
        body=tuple(_parse_block(name, block) for block in entry["body"]),
        attachments=tuple(Attachment(name=str(a["name"]), file=str(a["file"])) for a in entry.get("attachments") or ()),
    )


def _parse_published(name: str, text: str) -> tuple[datetime, bool]:
    match = PUBLISHED_PATTERN.match(text)
    if not match:
        raise CorpusError(f"article {name}: published {text!r} is not 'YYYY-MM-DD HH:MM[:SS]'")
    layout = "%Y-%m-%d %H:%M:%S" if match.group(1) else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, layout).replace(tzinfo=VIETNAM_TZ), bool(match.group(1))


def _parse_source_date(name: str, value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, date):  # YAML reads an unquoted 2018-08-01 as a date
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        raise CorpusError(f"article {name}: source_date {value!r} is not YYYY-MM-DD") from error


def _parse_block(name: str, block: Any) -> str | Image:
    if isinstance(block, str):
        return block
    if isinstance(block, dict) and "image" in block:
        return Image(file=str(block["image"]), caption=str(block.get("caption") or ""))
    raise CorpusError(f"article {name}: body block {block!r} is neither a paragraph nor an image")


def _check_unique_keys(articles: list[CorpusArticle]) -> None:
    seen: set[str] = set()
    for article in articles:
        if article.key in seen:
            raise CorpusError(f"article key {article.key} appears twice")
        seen.add(article.key)
