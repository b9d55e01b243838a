"""The replica's HTTP server: one ThreadingHTTPServer on 127.0.0.1 answering for every portal's hostnames.

The crawler connects to 127.0.0.1:PORT and sends the real `Host` (e.g. `hanam.gov.vn`);
the server picks the portal's site by that header. Responses are HTTP/1.1 with
Content-Length (Scrapy keeps connections alive) and depend only on the articles, `today` and the
edition (1: the portals on `today`; 2: the same portals a day later, see editions.py).
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections import OrderedDict
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Sequence
from urllib.parse import unquote, urlsplit

from . import datefmt
from .archives import ARCHIVE_HOSTS, Archives
from .corpus import CorpusArticle
from .editions import articles_in_edition, edition_today
from .portals import HOSTS
from .served import DEFAULT_SYNTHETIC_PER_PORTAL, replica_articles
from .sites import Site, build_sites
from .web import Request, Response, text_response

TODAY_ENV = "VNARCHIVE_REPLICA_TODAY"
LOG_ENV = "VNARCHIVE_REPLICA_LOG"
LISTEN_ADDRESS = "127.0.0.1"
MAX_BODY_BYTES = 1 << 20  # forms and API posts are small; refuse anything larger
IDLE_TIMEOUT_SECONDS = 60  # close kept-alive connections nobody uses
# Rendered pages kept for the next request of the same URL (least recently used out first).
PAGE_CACHE_BYTES = 512 << 20


def resolve_today(today: date | None = None) -> date:
    """Edition 1's day, the date its page headers show: the argument, else $VNARCHIVE_REPLICA_TODAY (YYYY-MM-DD),
    else the real today. Edition 2 shows the next day."""
    if today is not None:
        return today
    configured = os.environ.get(TODAY_ENV, "").strip()
    return date.fromisoformat(configured) if configured else date.today()


class Replica:
    """Every portal's site over one list of articles, and dispatch by hostname.

    `articles` given: those are edition 1 (edition 2 is made from them). Otherwise the hand-written
    corpus plus generated articles (`synthetic_per_portal` for each portal without a hand-written
    one, or round-robin up to `total_articles` in all): see served.replica_articles. `today` is
    edition 1's day; edition 2's pages show the next.
    """

    def __init__(
        self,
        *,
        today: date,
        edition: int = 1,
        page_size: int | None = None,
        articles: Sequence[CorpusArticle] | None = None,
        synthetic_per_portal: int = DEFAULT_SYNTHETIC_PER_PORTAL,
        total_articles: int | None = None,
    ):
        self.today = today
        self.edition = edition
        if articles is None:
            articles = replica_articles(today, synthetic_per_portal, total_articles, edition=edition, page_size=page_size)
        else:
            articles = articles_in_edition(articles, today, edition, page_size=page_size)
        self.articles: Sequence[CorpusArticle] = articles
        self.sites: dict[str, Site] = build_sites(articles, today=edition_today(today, edition), page_size=page_size)
        self.archives = Archives()
        self.page_cache = PageCache(PAGE_CACHE_BYTES)

    def respond(self, request: Request) -> Response:
        """The response for a request; unknown hosts (and defunct portals) get a plain 404. The web
        archives' hosts answer with their captures of the defunct portals (archives.py). A portal page
        asked before comes from the page cache."""
        if request.host in ARCHIVE_HOSTS:  # they keep state (rate limits), so nothing of theirs is cached
            return self.archives.respond(request)
        portal_id = HOSTS.get(request.host)
        if portal_id is None:
            return text_response("unknown host", status=404)
        if not PageCache.takes(request):
            return self._portal_response(portal_id, request)
        key = (request.host, request.path, request.query_string)
        return self.page_cache.get(key) or self.page_cache.put(key, self._portal_response(portal_id, request))

    def _portal_response(self, portal_id: str, request: Request) -> Response:
        site = self.sites[portal_id]
        response = site.respond(request)
        return replace(response, headers=site.response_headers + response.headers)


class PageCache:
    """Responses by (host, path, query), up to a number of body bytes, least recently used out first.

    The portals' sites are deterministic, so a page asked again would render the same; a real
    portal's page cache answers the same way. Here the replica shares the crawler's cores, and
    rendering a page again would be counted against the crawl in benchmarks."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._responses: OrderedDict[tuple[str, str, str], Response] = OrderedDict()
        self._lock = threading.Lock()  # the server answers each connection in its own thread

    @staticmethod
    def takes(request: Request) -> bool:
        """Only a request whose answer depends on the URL alone: no conditional or partial GET, no POST."""
        return (request.method in ("GET", "HEAD") and not request.body and not request.range
                and not request.if_none_match and not request.if_modified_since)

    def get(self, key: tuple[str, str, str]) -> Response | None:
        with self._lock:
            response = self._responses.get(key)
            if response is not None:
                self._responses.move_to_end(key)
            return response

    def put(self, key: tuple[str, str, str], response: Response) -> Response:
        if len(response.body) > self.max_bytes:
            return response
        _ = response.etag  # computed here, once, not on every send of the page
        with self._lock:
            if key not in self._responses:
                self._responses[key] = response
                self.size += len(response.body)
            while self.size > self.max_bytes:
                _, dropped = self._responses.popitem(last=False)
                self.size -= len(dropped.body)
        return response


class ReplicaRequestHandler(BaseHTTPRequestHandler):
    """Turns http.server calls into Request -> Response through the server's Replica."""

    protocol_version = "HTTP/1.1"
    server_version = "replica"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    # Headers and body leave in one write, without Nagle's delay: otherwise every kept-alive
    # request waits ~40 ms for the client's delayed ACK.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: "_ReplicaHTTPServer"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._answer(send_body=True)

    def _answer(self, *, send_body: bool) -> None:
        try:
            request = self._request()
        except ValueError as error:
            self._send(text_response(str(error), status=413), send_body=send_body)
            return
        try:
            response = self.server.replica.respond(request)
        except Exception:  # a bug in a site must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            response = text_response("internal server error", status=500)
        self._send(response, send_body=send_body)

    def _request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ValueError("request body too large")
        body = self.rfile.read(length) if length else b""
        host = (self.headers.get("Host") or "").strip().lower().split(":")[0].rstrip(".")
        target = urlsplit(self.path)
        return Request(
            self.command, host, unquote(target.path) or "/", target.query, body,
            if_none_match=self.headers.get("If-None-Match", ""), if_modified_since=self.headers.get("If-Modified-Since", ""),
            range=self.headers.get("Range", ""),
        )

    def _send(self, response: Response, *, send_body: bool) -> None:
        """Status, headers and body; a 304 has no body, so no Content-Type or Content-Length either."""
        headers = dict(response.headers)
        self._server_software = headers.pop("Server", self.server_version)
        not_modified = response.status == 304
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if not not_modified:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        if response.validators and response.status in (200, 304):
            self.send_header("ETag", response.etag)
            if response.last_modified is not None:
                self.send_header("Last-Modified", datefmt.http_date(response.last_modified))
        self.end_headers()
        if send_body and not not_modified:
            self.wfile.write(response.body)

    def version_string(self) -> str:
        """The Server header: the software the portal runs (IIS, nginx), as the site says."""
        return getattr(self, "_server_software", self.server_version)

    def log_message(self, format: str, *args: object) -> None:
        """One line per request only when $VNARCHIVE_REPLICA_LOG=1: tests and crawls stay quiet."""
        if os.environ.get(LOG_ENV) == "1":
            super().log_message(format, *args)


class _ReplicaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # A crawl opens a connection per portal at once (65 robots.txt); socketserver's default backlog
    # of 5 drops the rest, whose SYN retries then outlast the crawler's 30 s download timeout.
    request_queue_size = 1024
    replica: Replica

    def handle_error(self, request, client_address) -> None:
        """A crawler that hangs up (or is killed) mid-request is normal, not worth a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class ReplicaServer:
    """The replica on 127.0.0.1; port 0 picks a free port. Use as a context manager or start()/stop().

    `today` is edition 1's day (resolve_today); `edition=2` serves the same portals a day later.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        today: date | None = None,
        edition: int = 1,
        page_size: int | None = None,
        articles: Sequence[CorpusArticle] | None = None,
        synthetic_per_portal: int = DEFAULT_SYNTHETIC_PER_PORTAL,
        total_articles: int | None = None,
    ):
        self.today = resolve_today(today)
        self.edition = edition
        self.replica = Replica(
            today=self.today, edition=edition, page_size=page_size, articles=articles,
            synthetic_per_portal=synthetic_per_portal, total_articles=total_articles,
        )
        self._httpd = _ReplicaHTTPServer((LISTEN_ADDRESS, port), ReplicaRequestHandler)
        self._httpd.replica = self.replica
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://{LISTEN_ADDRESS}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> "ReplicaServer":
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"replica-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_forever(
    port: int, today: date | None = None, *, page_size: int | None = None, total_articles: int | None = None, edition: int = 1
) -> None:
    """Serve in the foreground (`vnarchive replica`, `python -m crawler.replica`) until Ctrl-C.

    `total_articles` N serves N articles in all (benchmarks); None the default replica.
    `edition` 2 serves the portals a day after `today` (editions.py).
    """
    server = ReplicaServer(port, today=today, edition=edition, page_size=page_size, total_articles=total_articles)
    print(f"replica serving {len(server.replica.sites)} portals on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
