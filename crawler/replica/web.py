"""Requests and responses as the replica's sites see them, free of http.server details."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"  # sitemaps
JAVASCRIPT = "application/javascript; charset=utf-8"
JPEG = "image/jpeg"

# Enough of a JPEG (start- and end-of-image markers around an empty APP0 segment) for a
# client that checks the type; the replica's pictures are not meant to be looked at.
PLACEHOLDER_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def parse_params(text: str, *, lower_keys: bool = False) -> dict[str, list[str]]:
    """A query string or form body -> {name: [values]}; IIS sites compare names case-insensitively."""
    params = parse_qs(text, keep_blank_values=True)
    if not lower_keys:
        return params
    lowered: dict[str, list[str]] = {}
    for name, values in params.items():
        lowered.setdefault(name.lower(), []).extend(values)
    return lowered


@dataclass(frozen=True)
class Request:
    """One request: method, Host without port, path (percent-decoded), raw query and body, and the
    conditional headers as sent (empty when absent)."""

    method: str
    host: str
    path: str
    query_string: str = ""
    body: bytes = b""
    if_none_match: str = ""
    if_modified_since: str = ""
    range: str = ""  # the Range header (the archives' WARC files are read by byte range)

    def query(self, *, lower_keys: bool = False) -> dict[str, list[str]]:
        """The query parameters."""
        return parse_params(self.query_string, lower_keys=lower_keys)

    def form(self, *, lower_keys: bool = False) -> dict[str, list[str]]:
        """The form-encoded body parameters."""
        return parse_params(self.body.decode("utf-8", "replace"), lower_keys=lower_keys)


@dataclass(frozen=True)
class Response:
    """What the server sends back; ETag and Content-Length are computed from `body`.

    A 304 keeps the body of the 200 it stands for, so that its ETag is that body's; the server
    sends no body with it.
    """

    status: int
    body: bytes
    content_type: str = HTML
    last_modified: datetime | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())
    validators: bool = True  # send ETag and Last-Modified with a 200 or 304 (False: a page of a site that sends none)

    @cached_property
    def etag(self) -> str:
        """A strong validator that depends on the bytes only."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:24] + '"'


def without_validators(response: Response) -> Response:
    """The response as a dynamic page of a site that sends no validators: no ETag, no Last-Modified."""
    return replace(response, last_modified=None, validators=False)


def answer_conditionally(request: Request, response: Response) -> Response:
    """304 Not Modified when a GET or HEAD shows the client already has this 200 response, else the response.

    If-None-Match wins when sent (a list, `*`, weak `W/` tags compared as strong ones, as GET allows);
    otherwise If-Modified-Since not older than Last-Modified.
    """
    if request.method not in ("GET", "HEAD") or response.status != 200 or not response.validators:
        return response
    if request.if_none_match:
        current = _etag_matches(request.if_none_match, response.etag)
    else:
        current = _not_modified_since(request.if_modified_since, response.last_modified)
    return replace(response, status=304) if current else response


def _etag_matches(if_none_match: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _not_modified_since(if_modified_since: str, last_modified: datetime | None) -> bool:
    if not if_modified_since or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as servers do
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return last_modified <= since


def html_response(text: str, *, status: int = 200, last_modified: datetime | None = None) -> Response:
    """An HTML page."""
    return Response(status, text.encode("utf-8"), HTML, last_modified)


def json_response(data: Any, *, status: int = 200, last_modified: datetime | None = None) -> Response:
    """A JSON document, UTF-8 as the real API sends it (no \\u escapes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(status, text.encode("utf-8"), JSON, last_modified)


def text_response(text: str, *, status: int = 200, content_type: str = TEXT) -> Response:
    """Plain text (robots.txt, error notes)."""
    return Response(status, text.encode("utf-8"), content_type)


def redirect(location: str, *, status: int = 302) -> Response:
    """A redirect with a short HTML body, as IIS sends."""
    body = f'<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="{html.escape(location)}">here</a>.</h2></body></html>'
    return Response(status, body.encode("utf-8"), HTML, headers=(("Location", location),))


def method_not_allowed(allowed: str) -> Response:
    """405 with the Allow header."""
    return Response(405, b"Method Not Allowed", TEXT, headers=(("Allow", allowed),))
