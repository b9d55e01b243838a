"""Route requests for some hosts to another address, keeping the real URL everywhere else.

Mapping happens in the download handler, below every middleware: redirects, the offsite
filter, the dupefilter and the archive only ever see https://hanam.gov.vn/..., while the
bytes come from, say, the offline replica on 127.0.0.1. (A middleware that rewrites the
Request would send the rewritten URL back through the offsite check, which drops it.)

Every other host is resolved first and refused when it lands on an address the crawl must not
reach (crawler/guard.py): the host map is the only way to a loopback or private address.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.exceptions import DownloadCancelledError
from twisted.internet.defer import CancelledError
from twisted.internet.error import DNSLookupError

from crawler.guard import AddressPolicy, BlockedAddress
from crawler.refusals import refuse

logger = logging.getLogger(__name__)


class HostMapError(ValueError):
    """A host map entry that cannot be used."""


def parse_hostmap(entries: list[str]) -> dict[str, str]:
    """["hanam.gov.vn=http://127.0.0.1:8001", "x.gov.vn=127.0.0.1:9000"] -> {host: base URL}."""
    hostmap: dict[str, str] = {}
    for entry in entries:
        host, sep, address = entry.partition("=")
        if not sep or not host.strip() or not address.strip():
            raise HostMapError(f"host map entry {entry!r} is not HOST=ADDRESS (e.g. hanam.gov.vn=127.0.0.1:8001)")
        address = address.strip()
        base = address if "://" in address else f"http://{address}"
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HostMapError(f"host map entry {entry!r}: {address!r} is not an address like 127.0.0.1:8001")
        hostmap[host.strip().lower()] = f"{parts.scheme}://{parts.netloc}"
    return hostmap


def mapped_url(url: str, base: str) -> str:
    """The URL to fetch: the path and query of `url` on the mapped address."""
    parts, target = urlsplit(url), urlsplit(base)
    return urlunsplit((target.scheme, target.netloc, parts.path or "/", parts.query, ""))


class HostMapDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, with the HOSTMAP and HOSTMAP_STRICT settings and the address guard applied."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawler = crawler
        self.hostmap = parse_hostmap(crawler.settings.getlist("HOSTMAP"))
        self.strict = crawler.settings.getbool("HOSTMAP_STRICT")
        self.policy = AddressPolicy.from_hostmap(self.hostmap.values())

    async def download_request(self, request: Request) -> Response:
        host = (urlparse_cached(request).hostname or "").lower()
        base = self.hostmap.get(host)
        if base is None:
            if self.strict:
                raise refuse(self.crawler, "outside_hostmap", f"{host!r} (HOSTMAP_STRICT): {request.url}")
            await self.check_address(request, host)
            return await self.fetch(request)
        netloc = urlparse_cached(request).netloc
        routed = request.replace(url=mapped_url(request.url, base))
        routed.headers["Host"] = netloc
        response = await self.fetch(routed)
        return response.replace(url=request.url)

    async def fetch(self, request: Request) -> Response:
        try:
            return await super().download_request(request)
        except (CancelledError, DownloadCancelledError) as error:
            # A body that passes DOWNLOAD_MAXSIZE midway (no Content-Length) is cancelled without
            # a word; say it as Scrapy says it for a Content-Length over the cap.
            raise DownloadCancelledError(str(error) or f"{request.url}: cancelled past the download max size") from None

    async def close(self) -> None:
        """Scrapy's close, without its race: its 1 s timeout fires the pool's Deferred without asking
        whether the pool has fired it, and a busy reactor runs both in one turn (AlreadyCalledError)."""
        from twisted.internet import reactor

        closed = self._pool.closeCachedConnections()
        timeout = reactor.callLater(self._disconnect_timeout, lambda: closed.called or closed.callback(()))
        try:
            await maybe_deferred_to_future(closed)
        finally:
            if timeout.active():
                timeout.cancel()

    async def check_address(self, request: Request, host: str) -> None:
        """Refuse a request whose host resolves to an address the crawl must not reach."""
        from twisted.internet import reactor

        parts = urlparse_cached(request)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            address = await maybe_deferred_to_future(reactor.resolve(host))
        except BlockedAddress as blocked:
            raise refuse(self.crawler, "private_address", f"{request.url}: {blocked}") from None
        except DNSLookupError:
            return  # the download itself fails and reports it as any unresolvable host
        if reason := self.policy.refusal(address, port):
            raise refuse(self.crawler, "private_address", f"{request.url}: {host} → {reason}")
