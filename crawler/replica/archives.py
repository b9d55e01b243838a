"""The web archives as the replica serves them: a Wayback-like CDX server with `id_` playback, and
a Common-Crawl-like index server (collinfo.json, per-collection CDX indexes) with WARC files
served by byte range. They hold captures of the portals that went dark (`defunct` in
crawler/portals.yml: thuathienhue.gov.vn and huecity.gov.vn), whose pages the replica no
longer serves live; each page is drawn by the portal's platform site (hue_portal, dnn) as it
looked on the day of its capture.

What the archives hold (CAPTURE_PLAN, the same for both portals): some articles only in one
archive, some in both with different capture dates (one edited in between), an article whose
latest capture is the error page the portal showed after removing it, a capture cut short in
each archive, an article-shaped URL that was only ever an error page, and a redirect; an article
captured twice by one archive, edited in between (its older capture is an earlier version). A
listing page is captured in each archive; it dates an article whose own page prints no date
(UNDATED), and links one whose URL the platform's article pattern does not match (LISTED_ONLY:
DNN's friendly URL, a rewritten one on the Huế framework), which only the listing reveals. Everything is a function of the generated
articles: the same bytes at every start. The Wayback CDX API answers its first request after
each start with 429 and `Retry-After: 1`, as the real one does under load.

    GET /cdx/search/cdx?url=thuathienhue.gov.vn/*&output=json&…   Host: web.archive.org
    GET /web/20190312041500id_/https://thuathienhue.gov.vn/?…     Host: web.archive.org
    GET /collinfo.json, /CC-MAIN-2019-11-index?url=…&output=json  Host: index.commoncrawl.org
    GET /crawl-data/CC-MAIN-2019-11/…warc.gz  Range: bytes=…       Host: data.commoncrawl.org
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from functools import cache
from math import ceil
from typing import Sequence
from urllib.parse import parse_qs, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.registry import load_registry

from .base_site import Site
from .corpus import CorpusArticle
from .dnn import DotNetNuke
from .hue_portal import HuePortal
from .portals import Portal, replica_portal
from .sites import PLATFORMS
from .synthetic import generate_articles
from .web import HTML, JSON, TEXT, Request, Response, text_response

WAYBACK_HOST = "web.archive.org"
CC_INDEX_HOST = "index.commoncrawl.org"
CC_DATA_HOST = "data.commoncrawl.org"
ARCHIVE_HOSTS = (WAYBACK_HOST, CC_INDEX_HOST, CC_DATA_HOST)

WAYBACK, COMMONCRAWL = "wayback", "commoncrawl"
# What a capture holds: the article as published, as edited later, cut short, or the error page
# the portal showed once the article was removed (status 200).
GOOD, EDITED, TRUNCATED, REMOVED = "good", "edited", "truncated", "removed"
# (article number, 0 = newest; archive; days after publication; what the capture holds)
CAPTURE_PLAN: tuple[tuple[int, str, int, str], ...] = (
    (0, WAYBACK, 40, GOOD), (0, WAYBACK, 400, REMOVED),
    (1, WAYBACK, 30, GOOD), (1, COMMONCRAWL, 200, TRUNCATED),
    (2, COMMONCRAWL, 20, GOOD),
    (3, WAYBACK, 10, GOOD), (3, COMMONCRAWL, 90, GOOD),
    (4, WAYBACK, 15, GOOD), (4, COMMONCRAWL, 120, EDITED),
    (5, WAYBACK, 25, TRUNCATED), (5, COMMONCRAWL, 60, GOOD),
    (6, WAYBACK, 12, GOOD), (6, WAYBACK, 150, EDITED),
    (7, WAYBACK, 20, GOOD),
    (8, WAYBACK, 30, GOOD), (8, COMMONCRAWL, 45, GOOD),
)
# The article whose page prints no date line (the listing's date is all there is), and the one
# whose URL does not look like an article (found only through the listing).
UNDATED, LISTED_ONLY = 7, 8
ARTICLES_PER_PORTAL = 1 + max(number for number, *_ in CAPTURE_PLAN)
# The portals' articles as of this day, so that every capture predates the 2025 merger.
ARTICLES_AS_OF = date(2024, 1, 1)
# Captures are taken at this time of day (UTC) after the planned day.
CAPTURE_TIME_UTC = timedelta(hours=3, minutes=17, seconds=5)
# The error page and the redirect: on URLs shaped like articles, a week after the newest article.
EXTRA_CAPTURE_DAYS = 7
EDIT_NOTE = "Bài viết được cập nhật, bổ sung thông tin sau khi đăng."
# A capture cut short keeps this share of its bytes (well before </html>).
TRUNCATED_SHARE = 0.6
CC_PAGE_SIZE = 3  # index lines per page of a collection's index (showNumPages / page)
# Articles per listing page of the archived portals: every article on the captured first page.
ARCHIVED_PAGE_SIZE = 10
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
CDX_DEFAULT_LIMIT = 10_000


@dataclass(frozen=True)
class Capture:
    """One capture as an archive holds it: the original URL, when (UTC), and the HTTP answer."""

    source: str
    url: str
    timestamp: str  # YYYYMMDDhhmmss, UTC
    status: int
    body: bytes
    content_type: str = HTML
    location: str = ""
    truncated: bool = False

    @property
    def digest(self) -> str:
        """sha1 of the payload, base32, as both archives write it."""
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode("ascii")

    @property
    def urlkey(self) -> str:
        return surt(self.url)

    @property
    def collection(self) -> str:
        """The Common Crawl collection of its week: CC-MAIN-2019-11."""
        year, week, _ = self.moment.isocalendar()
        return f"CC-MAIN-{year}-{week:02d}"

    @property
    def moment(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)

    def http_headers(self) -> list[tuple[str, str]]:
        headers = [("Content-Type", self.content_type), ("Server", "Microsoft-IIS/8.5")]
        return headers + ([("Location", self.location)] if self.location else [])


def surt(url: str) -> str:
    """The archives' sort key: host reversed without www, path and sorted query, lowercased."""
    parts = urlsplit(url.lower())
    host = (parts.hostname or "").removeprefix("www.")
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return ",".join(reversed(host.split("."))) + ")" + (parts.path or "/") + (f"?{query}" if query else "")


# --- what the archives hold ------------------------------------------------------------------


class ListedOnlyPath:
    """An archived site on which the LISTED_ONLY article has a URL of another form (`variant_path`)."""

    @classmethod
    def article_path(cls, article: CorpusArticle) -> str:
        return cls.variant_path(article) if article.key in listed_only_keys() else super().article_path(article)


class HueCityDnn(ListedOnlyPath, DotNetNuke):
    """huecity.gov.vn ran DotNetNuke with the city's name in its lead prefix."""

    def lead_prefix(self, article: CorpusArticle) -> str:
        return f"({article.source or 'Huecity.gov.vn'}) –"

    @classmethod
    def variant_path(cls, article: CorpusArticle) -> str:
        """DNN's friendly URL of the same page."""
        return f"/tabid/{cls.detail_tab}/ID/{cls.article_id(article)}/Default.aspx"


class ThuaThienHuePortal(ListedOnlyPath, HuePortal):
    """thuathienhue.gov.vn, the Huế framework."""

    @classmethod
    def variant_path(cls, article: CorpusArticle) -> str:
        """A rewritten URL of the same page."""
        return f"/tin-tuc/{cls.article_id(article)}.html"


ARCHIVED_SITES: dict[str, type[Site]] = {"dnn": HueCityDnn, "hue_portal": ThuaThienHuePortal}


def defunct_portals() -> list[Portal]:
    return [replica_portal(entry) for entry in load_registry().portals if entry.status == "defunct"]


@cache
def archived_articles() -> dict[str, list[CorpusArticle]]:
    """Each defunct portal's articles (newest first), as they were first published; the UNDATED
    one without a date line on its page."""
    archived = {}
    for portal in defunct_portals():
        articles = generate_articles(portal, ARTICLES_PER_PORTAL, today=ARTICLES_AS_OF)
        articles[UNDATED] = replace(articles[UNDATED], date_line=False)
        archived[portal.id] = articles
    return archived


@cache
def listed_only_keys() -> frozenset[str]:
    return frozenset(articles[LISTED_ONLY].key for articles in archived_articles().values())


def recovered_articles(portal_id: str) -> dict[str, CorpusArticle]:
    """The real URL of each article some archive holds a good capture of (all of them): what a
    backfill from both archives must bring back."""
    portal = next(portal for portal in defunct_portals() if portal.id == portal_id)
    site_class = ARCHIVED_SITES.get(portal.platform) or PLATFORMS[portal.platform]
    articles = archived_articles()[portal_id]
    kept = sorted({number for number, _, _, kind in CAPTURE_PLAN if kind in (GOOD, EDITED)})
    return {f"https://{portal.host}{site_class.article_path(articles[number])}": articles[number] for number in kept}


def _site(portal: Portal, articles: Sequence[CorpusArticle], day: date) -> Site:
    site_class = ARCHIVED_SITES.get(portal.platform) or PLATFORMS[portal.platform]
    return site_class(portal, articles, today=day, page_size=ARCHIVED_PAGE_SIZE)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def _original_url(portal: Portal, path: str, number: int) -> str:
    """Archives hold the URL as it was linked: https or http, with or without www."""
    host = portal.hosts[number % len(portal.hosts)]
    return f"{'https' if number % 2 == 0 else 'http'}://{host}{path}"


def _page_capture(source: str, url: str, when: datetime, response: Response, *, truncated: bool = False) -> Capture:
    body = response.body[:int(len(response.body) * TRUNCATED_SHARE)] if truncated else response.body
    return Capture(source, url, _timestamp(when), response.status, body, response.content_type, truncated=truncated)


def _article_captures(portal: Portal, articles: list[CorpusArticle]) -> list[Capture]:
    captures = []
    for plan_number, (number, source, days, kind) in enumerate(CAPTURE_PLAN):
        article = articles[number]
        when = datetime.combine(article.published.date() + timedelta(days=days), datetime.min.time(),
                                tzinfo=timezone.utc) + CAPTURE_TIME_UTC
        shown = [a for a in articles if a.published <= when]
        site = _site(portal, shown, when.date())
        url = _original_url(portal, site.article_path(article), plan_number)
        if kind == REMOVED:
            page = replace(site.not_found(), status=200)  # the portal's soft 404
        elif kind == EDITED:
            page = site.article_page(edited(article, when))
        else:
            page = site.article_page(article)
        captures.append(_page_capture(source, url, when, page, truncated=kind == TRUNCATED))
    return captures


def edited(article: CorpusArticle, when: datetime) -> CorpusArticle:
    """The article as an editor changed it before `when`: a closing note added."""
    return replace(article, body=article.body + (EDIT_NOTE,), edited=when - timedelta(days=1))


def _other_captures(portal: Portal, articles: list[CorpusArticle]) -> list[Capture]:
    """Pages that are not articles: the home and listing pages, an article-shaped URL that only ever
    showed the error page, and one that redirected to the home page; in both archives."""
    when = datetime.combine(articles[0].published.date() + timedelta(days=EXTRA_CAPTURE_DAYS), datetime.min.time(),
                            tzinfo=timezone.utc) + CAPTURE_TIME_UTC
    site = _site(portal, articles, when.date())
    missing = replace(articles[0], key=f"{articles[0].key}-missing")
    moved = replace(articles[0], key=f"{articles[0].key}-moved")
    captures = []
    for offset, source in enumerate((WAYBACK, COMMONCRAWL)):
        moment = when + timedelta(days=offset)
        home = f"https://{portal.host}/"
        captures += [
            _page_capture(source, f"https://{portal.host}{site.listing_path(1)}", moment, site.listing_page(1)),
            _page_capture(source, f"https://{portal.host}{site.article_path(missing)}", moment,
                          replace(site.not_found(), status=200)),
            Capture(source, f"https://{portal.host}{site.article_path(moved)}", _timestamp(moment), 301,
                    b'<html><body><a href="/">moved</a></body></html>', location=home),
        ]
    return captures


@cache
def all_captures() -> tuple[Capture, ...]:
    """Every capture of both archives, in CDX order (urlkey, then timestamp)."""
    captures = []
    for portal in defunct_portals():
        articles = archived_articles()[portal.id]
        captures += _article_captures(portal, articles) + _other_captures(portal, articles)
    return tuple(sorted(captures, key=lambda capture: (capture.urlkey, capture.timestamp)))


def captures_of(source: str) -> list[Capture]:
    return [capture for capture in all_captures() if capture.source == source]


# --- Wayback -----------------------------------------------------------------------------------


class Wayback:
    """The CDX server API and `id_` playback over the Wayback captures."""

    def __init__(self):
        self.captures = captures_of(WAYBACK)
        self._throttled = False
        self._lock = threading.Lock()

    def respond(self, request: Request) -> Response:
        if request.path == "/cdx/search/cdx":
            return self.cdx(request)
        if match := re.fullmatch(r"/web/(\d{14})id_/(.+)", request.path):
            original = match.group(2) + (f"?{request.query_string}" if request.query_string else "")
            return self.playback(match.group(1), original)
        return text_response("not found", status=404)

    def first_request(self) -> bool:
        with self._lock:
            first, self._throttled = not self._throttled, True
        return first

    def cdx(self, request: Request) -> Response:
        if self.first_request():
            return Response(429, b"Too Many Requests", TEXT, headers=(("Retry-After", "1"),))
        query = {name: values[-1] for name, values in parse_qs(request.query_string, keep_blank_values=True).items()}
        filters = parse_qs(request.query_string).get("filter", [])
        fields = (query.get("fl") or ",".join(CDX_FIELDS)).split(",")
        rows = [c for c in self.captures if _in_scope(c, query.get("url", "")) and _in_dates(c, query)]
        rows = [c for c in rows if all(_passes(_cdx_row(c), f) for f in filters)]
        if collapse := query.get("collapse"):
            rows = _collapsed(rows, collapse)
        if resume := query.get("resumeKey"):
            rows = [c for c in rows if f"{c.urlkey} {c.timestamp}" > resume]
        limit = int(query.get("limit") or CDX_DEFAULT_LIMIT)
        page, rest = rows[:limit], rows[limit:]
        table: list[list[str]] = [fields] + [[_cdx_row(c)[field] for field in fields] for c in page]
        if query.get("showResumeKey") == "true" and rest:
            table += [[], [f"{page[-1].urlkey} {page[-1].timestamp}"]]
        return Response(200, json.dumps(table).encode("utf-8"), JSON)

    def playback(self, timestamp: str, original: str) -> Response:
        """The capture's own bytes and status (id_: no banner, no rewriting); the nearest capture
        of the URL by redirect when there is none at that second, as the Wayback Machine does."""
        key = surt(original)
        of_url = [c for c in self.captures if c.urlkey == key]
        if not of_url:
            return text_response("not in archive", status=404)
        exact = [c for c in of_url if c.timestamp == timestamp]
        if not exact:
            nearest = min(of_url, key=lambda c: abs(int(c.timestamp) - int(timestamp)))
            return Response(302, b"", TEXT, headers=(("Location", f"https://{WAYBACK_HOST}/web/{nearest.timestamp}id_/{nearest.url}"),))
        capture = exact[0]
        headers = [("Memento-Datetime", capture.moment.strftime("%a, %d %b %Y %H:%M:%S GMT"))]
        headers += [(f"X-Archive-Orig-{name}", value) for name, value in capture.http_headers() if name != "Location"]
        if capture.location:
            headers.append(("Location", f"https://{WAYBACK_HOST}/web/{capture.timestamp}id_/{capture.location}"))
        return Response(capture.status, capture.body, capture.content_type, headers=tuple(headers))


def _in_scope(capture: Capture, url: str) -> bool:
    """`host/*`: every URL of the host (www. or not); otherwise the one URL."""
    if url.endswith("/*"):
        return capture.urlkey.startswith(surt("http://" + url[:-2]).split(")")[0] + ")")
    return capture.urlkey == surt(url if "://" in url else "http://" + url)


def _in_dates(capture: Capture, query: dict[str, str]) -> bool:
    """from/to: timestamp prefixes (YYYY, YYYYMM, … YYYYMMDDhhmmss), both included."""
    start, end = query.get("from", ""), query.get("to", "")
    return (not start or capture.timestamp >= start) and (not end or capture.timestamp[:len(end)] <= end)


def _cdx_row(capture: Capture) -> dict[str, str]:
    return {"urlkey": capture.urlkey, "timestamp": capture.timestamp, "original": capture.url,
            "mimetype": capture.content_type.split(";")[0], "statuscode": str(capture.status),
            "digest": capture.digest, "length": str(len(capture.body))}


def _passes(row: dict[str, str], rule: str) -> bool:
    """A CDX filter, `[!]field:regex`."""
    negate = rule.startswith("!")
    field, _, pattern = rule.lstrip("!").partition(":")
    matched = bool(re.fullmatch(pattern, row.get(field, "")))
    return matched != negate


def _collapsed(rows: list[Capture], field: str) -> list[Capture]:
    """Adjacent rows with the same value of `field` (urlkey, digest) are one."""
    kept: list[Capture] = []
    for capture in rows:
        if kept and _cdx_row(kept[-1])[field] == _cdx_row(capture)[field] and (
                field == "urlkey" or kept[-1].urlkey == capture.urlkey):
            continue
        kept.append(capture)
    return kept


# --- Common Crawl ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexLine:
    capture: Capture
    filename: str
    offset: int
    length: int

    def json(self) -> dict[str, str]:
        return {"urlkey": self.capture.urlkey, "timestamp": self.capture.timestamp, "url": self.capture.url,
                "mime": self.capture.content_type.split(";")[0], "mime-detected": "text/html",
                "status": str(self.capture.status), "digest": self.capture.digest, "length": str(self.length),
                "offset": str(self.offset), "filename": self.filename, "languages": "vie", "encoding": "UTF-8"}


class CommonCrawl:
    """collinfo.json and one CDX index per collection (index host); WARC files by range (data host)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.indexes: dict[str, list[IndexLine]] = {}
        by_collection: dict[str, list[Capture]] = {}
        for capture in captures_of(COMMONCRAWL):
            by_collection.setdefault(capture.collection, []).append(capture)
        for collection, captures in sorted(by_collection.items()):
            filename = f"crawl-data/{collection}/segments/1700000000000.{len(self.files):02d}/warc/{collection}-00000.warc.gz"
            data, lines = _warc_file(filename, captures)
            self.files[filename] = data
            self.indexes[collection] = lines

    def respond_index(self, request: Request) -> Response:
        if request.path == "/collinfo.json":
            return Response(200, json.dumps(self.collinfo()).encode("utf-8"), JSON)
        if match := re.fullmatch(r"/(CC-MAIN-\d{4}-\d{2})-index", request.path):
            return self.index(match.group(1), {k: v[-1] for k, v in parse_qs(request.query_string).items()})
        return text_response("not found", status=404)

    def collinfo(self) -> list[dict[str, str]]:
        """Newest first, as the real file lists them."""
        info = []
        for collection, lines in sorted(self.indexes.items(), reverse=True):
            moments = [line.capture.moment for line in lines]
            info.append({"id": collection, "name": f"{collection[8:12]} week {collection[13:]} crawl archive",
                         "timegate": f"https://{CC_INDEX_HOST}/{collection}/",
                         "cdx-api": f"https://{CC_INDEX_HOST}/{collection}-index",
                         "from": min(moments).strftime("%Y-%m-%dT%H:%M:%S"), "to": max(moments).strftime("%Y-%m-%dT%H:%M:%S")})
        return info

    def index(self, collection: str, query: dict[str, str]) -> Response:
        lines = [line for line in self.indexes.get(collection, [])
                 if _in_scope(line.capture, query.get("url", "")) and _in_dates(line.capture, query)]
        pages = max(1, ceil(len(lines) / CC_PAGE_SIZE))
        if query.get("showNumPages") == "true":
            return Response(200, json.dumps({"pages": pages, "pageSize": CC_PAGE_SIZE, "blocks": pages}).encode(), JSON)
        if not lines:
            return text_response(f"No Captures found for: {query.get('url', '')}", status=404)
        page = int(query.get("page") or 0)
        chosen = lines[page * CC_PAGE_SIZE:(page + 1) * CC_PAGE_SIZE]
        text = "".join(json.dumps(line.json()) + "\n" for line in chosen)
        return Response(200, text.encode("utf-8"), "text/x-ndjson")

    def respond_data(self, request: Request) -> Response:
        data = self.files.get(request.path.lstrip("/"))
        if data is None:
            return text_response("NoSuchKey", status=404)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", request.range.strip())
        if not match:
            return Response(200, data, "application/octet-stream")
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else len(data) - 1, len(data) - 1)
        if start > end:
            return Response(416, b"", TEXT, headers=(("Content-Range", f"bytes */{len(data)}"),))
        return Response(206, data[start:end + 1], "application/octet-stream",
                        headers=(("Content-Range", f"bytes {start}-{end}/{len(data)}"), ("Accept-Ranges", "bytes")))


def _warc_file(filename: str, captures: list[Capture]) -> tuple[bytes, list[IndexLine]]:
    """A WARC file of response records, one gzip member each, and where each record is."""
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True, warc_version="1.0")
    lines = []
    for capture in captures:
        headers = capture.http_headers() + [("Content-Length", str(len(capture.body)))]
        warc_headers = {"WARC-Date": capture.moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if capture.truncated:
            warc_headers["WARC-Truncated"] = "length"
        record = writer.create_warc_record(
            capture.url, "response", payload=io.BytesIO(capture.body), length=len(capture.body),
            http_headers=StatusAndHeaders(f"{capture.status} {'OK' if capture.status == 200 else 'Moved'}", headers,
                                          protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers)
        offset = stream.tell()
        writer.write_record(record)
        lines.append(IndexLine(capture, filename, offset, stream.tell() - offset))
    return stream.getvalue(), lines


# --- routing -----------------------------------------------------------------------------------


class Archives:
    """Both archives, answering for their hostnames; built on first use."""

    def __init__(self):
        self._lock = threading.Lock()
        self._wayback: Wayback | None = None
        self._commoncrawl: CommonCrawl | None = None

    def respond(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return text_response("User-agent: *\nDisallow:\n")
        with self._lock:
            if self._wayback is None:
                self._wayback, self._commoncrawl = Wayback(), CommonCrawl()
        if request.host == WAYBACK_HOST:
            return self._wayback.respond(request)
        if request.host == CC_INDEX_HOST:
            return self._commoncrawl.respond_index(request)
        return self._commoncrawl.respond_data(request)
