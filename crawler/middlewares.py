"""Downloader middlewares: every response becomes a WARC record before anything reads it, and
what a hostile or broken server does is refused, counted, or stops its portal's crawl."""

from __future__ import annotations

import codecs
import logging
from collections import defaultdict
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured, ResponseDataLossError
from scrapy.http import HtmlResponse
from scrapy.http.cookies import CookieJar
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding
from w3lib.html import get_base_url, get_meta_refresh

from crawler import clock
from crawler.pagechecks import LOGIN_WALL_CHECKED, login_wall
from crawler.refusals import count_refusal, portal_of, refuse
from crawler.runs import CIRCUIT_OPEN, stopping_when_disk_full
from crawler.tls import certificate_issues
from crawler.warc import acquire_writer, in_warc_thread, release_writer, run_location

logger = logging.getLogger(__name__)

# request.meta key under which the response's record pointer travels to the spider.
WARC_RECORD = "warc_record"


class WarcCaptureMiddleware:
    """Writes each response (as Scrapy has decoded it) with its request to the run's WARC file.

    Placed after HttpCompressionMiddleware (bodies decoded) and before RetryMiddleware, so that
    what is recorded is what the spider sees, once per answer that is kept."""

    def __init__(self, crawler):
        settings = crawler.settings
        if settings.getbool("PROBE"):
            raise NotConfigured("a probe writes nothing")
        self.directory, self.name = run_location(settings)
        self.writer = None
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response, spider=None):
        with stopping_when_disk_full(self.crawler):
            if self.writer is None:
                self.writer = acquire_writer(self.directory, self.name)
            request.meta[WARC_RECORD] = await in_warc_thread(
                self.writer.write_response,
                url=response.url, status=response.status, headers=_pairs(response.headers), body=response.body,
                fetched_at=clock.now(), request_method=request.method, request_headers=_pairs(request.headers),
                request_body=request.body,
            )
            return response
        raise IgnoreRequest(f"not kept (disk full): {response.url}")

    def spider_closed(self, spider):
        if self.writer is not None:
            with stopping_when_disk_full(self.crawler):
                release_writer(self.writer)
            self.writer = None


def _pairs(headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


class CountedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression (gzip, deflate, br, zstd; capped at DOWNLOAD_MAXSIZE after
    decompression, so a bomb stops early), with a body over the cap counted as a refusal."""

    def __init__(self, crawler):
        super().__init__(crawler=crawler)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:
            raise refuse(self.crawler, "too_large", f"{response.url}: {error}") from None


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta refresh redirect, read from the page's first bytes as Scrapy reads it, but
    without decoding the whole page first: Scrapy's `response.text[:4096]` leaves a decoded copy of
    every page on its response (twice the page in memory) for as long as it waits for extraction."""

    def process_response(self, request, response, spider=None):
        if (request.meta.get("dont_redirect", False) or request.method == "HEAD"
                or not isinstance(response, HtmlResponse) or urlparse_cached(request).scheme not in {"http", "https"}):
            return response
        interval, url = meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if interval < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response


META_REFRESH_BYTES = 4096  # as far as Scrapy looks for the tag
REFRESH = b"refresh"  # in the tag's http-equiv, in any case


def meta_refresh(response, ignore_tags) -> tuple[float | None, str | None]:
    """(seconds, absolute URL) of the page's <meta http-equiv=refresh>, or (None, None)."""
    head = response.body[:META_REFRESH_BYTES]
    content_type = response.headers.get("Content-Type", b"").decode("latin-1")
    encoding = http_content_type_encoding(content_type) or html_body_declared_encoding(head) or "utf-8"
    try:
        spelled_in_ascii = REFRESH.decode("ascii").encode(encoding) == REFRESH
    except LookupError:
        encoding, spelled_in_ascii = "utf-8", True
    if spelled_in_ascii and REFRESH not in head.lower():
        return None, None  # nearly every page: nothing to decode and search
    text = head.decode(encoding, errors="replace")
    links_encoding = url_encoding(encoding)
    base = get_base_url(text, response.url, links_encoding)
    return get_meta_refresh(text, base, links_encoding, ignore_tags=ignore_tags)


def url_encoding(page_encoding: str) -> str:
    """The encoding a page's links write their query in: the page's own, but UTF-8 for a UTF-16 or
    UTF-32 page (as the WHATWG URL standard says; w3lib would put the byte order mark of a
    wide encoding into every link, `/moi.html?%FF%FE`)."""
    name = codecs.lookup(page_encoding).name
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else page_encoding


class FaultAccountingMiddleware:
    """Sees each request's final answer (after redirects and retries) and says what went wrong:
    a redirect to another scheme or to a login page is refused; a body over the size cap or cut
    short is counted as a refusal; TLS certificate faults are recorded."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.tls_hosts_logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if 300 <= response.status < 400 and (location := response.headers.get("Location")):
            target = location.decode("latin-1")
            if urlsplit(target).scheme.lower() not in ("", "http", "https"):
                raise refuse(self.crawler, "scheme", f"{response.url} redirects to {target[:200]}")
        if reason := login_wall(response, request.meta.get("redirect_urls") or []):
            raise refuse(self.crawler, "login_wall", reason)
        request.meta[LOGIN_WALL_CHECKED] = True
        if response.certificate is not None:
            self.record_tls(response)
        return response

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            count_refusal(self.crawler, "too_large", f"{request.url}: {exception}")
        elif isinstance(exception, ResponseDataLossError):
            count_refusal(self.crawler, "truncated", f"{request.url}: the body ended before its Content-Length")

    def record_tls(self, response) -> None:
        host = urlsplit(response.url).hostname or ""
        issues = certificate_issues(response.certificate, host)
        for issue in issues:
            self.crawler.stats.inc_value(f"vnarchive/{portal_of(self.crawler)}/tls/{issue}")
        if issues and host not in self.tls_hosts_logged:
            self.tls_hosts_logged.add(host)
            logger.warning("%s: TLS certificate of %s: %s (not verified; TLS_VERIFY checks it)",
                           portal_of(self.crawler), host, ", ".join(issues))


class CircuitBreakerMiddleware:
    """Pauses a portal for the rest of the run when CIRCUIT_BREAKER_FAILURES attempts in a row
    failed (5xx, 429, timeouts, refused connections), so that a portal answering 503 to everything
    costs minutes, not hours, while the other portals finish. Attempts, not requests: Scrapy
    schedules retries after every new request, so counting given-up requests would let a whole
    listing's worth of first attempts through before the first one counted."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.threshold = crawler.settings.getint("CIRCUIT_BREAKER_FAILURES")
        if self.threshold <= 0:
            raise NotConfigured
        self.failures_in_a_row = 0
        self.open = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if self.open:  # what was queued before the portal was paused is not sent
            raise IgnoreRequest(f"portal paused: {request.url}")

    def process_response(self, request, response, spider=None):
        if response.status >= 500 or response.status == 429:
            self.failed(f"{response.status} from {response.url}")
        else:
            self.failures_in_a_row = 0
        return response

    def process_exception(self, request, exception, spider=None):
        # A refusal, or a body over the size cap, is the crawler's decision, not the server failing.
        if not isinstance(exception, (IgnoreRequest, DownloadCancelledError)):
            self.failed(f"{type(exception).__name__} on {request.url}")

    def failed(self, what: str) -> None:
        self.failures_in_a_row += 1
        if self.failures_in_a_row == self.threshold:
            self.open = True
            portal = portal_of(self.crawler)
            logger.error("%s: %d failures in a row (last: %s); portal paused for this run", portal,
                         self.failures_in_a_row, what)
            self.crawler.stats.set_value(f"vnarchive/{portal}/circuit_open", 1)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=CIRCUIT_OPEN))


class HostOnlyCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie handling, with a cookie set without a Domain kept to the host that set it.

    Python's cookie jar by default also sends such a cookie to every host whose name ends with
    the setter's (`x.gov.vn`'s session to `cdn.x.gov.vn`, even to `evil-x.gov.vn`)."""

    def __init__(self, debug: bool = False):
        super().__init__(debug)
        self.jars = defaultdict(lambda: CookieJar(policy=DefaultCookiePolicy(
            strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)))


class CrossHostHeadersMiddleware:
    """A redirect to another host carries no Authorization or Cookie header from the first one.

    Scrapy's redirect drops them, but DEFAULT_REQUEST_HEADERS are added again to every hop;
    this runs after that (and before the cookie jar, which adds the new host's own cookies)."""

    def process_request(self, request, spider=None):
        first = (request.meta.get("redirect_urls") or [None])[0]
        if first and urlsplit(first).hostname != urlsplit(request.url).hostname:
            for header in ("Authorization", "Proxy-Authorization", "Cookie"):
                request.headers.pop(header, None)
