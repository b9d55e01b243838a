"""robots.txt read as RFC 9309 says, with its Crawl-delay honoured.

Scrapy's RobotsTxtMiddleware allows everything when robots.txt answers 5xx or cannot be
fetched, and ignores Crawl-delay. RFC 9309 (section 2.3.1) sorts the answers instead:

- 2xx: the rules, of which the first ROBOTS_PARSE_LIMIT bytes are read (section 2.5 asks for at least 500 KiB);
- more than five redirects, or 4xx ("unavailable"): no rules, everything allowed;
- 5xx, 429 or no answer at all ("unreachable"): everything disallowed, here for the rest of the run.

Crawl-delay is not in the RFC but many portals set it for their small servers. Requests to
such a host go through a download slot of their own: one at a time, Crawl-delay apart, no
jitter, and AutoThrottle leaves that slot's delay alone.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from protego import Protego
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

from crawler.refusals import portal_of, refuse
from crawler.runs import NOT_ERRORS_STAT

logger = logging.getLogger(__name__)

ROBOTS_PARSE_LIMIT = 500 * 1024
# Answers that make robots.txt "unreachable" (429: the server is overloaded, as 5xx).
UNREACHABLE_STATUSES = range(500, 600)
TOO_MANY_REQUESTS = 429


@dataclass(frozen=True)
class HostRules:
    """What robots.txt says about one host for this run."""

    parser: Protego | None  # None: no rules (unavailable) or none apply (unreachable)
    unreachable: bool
    detail: str
    crawl_delay: float = 0.0

    def allows(self, url: str, user_agent: str) -> bool:
        return not self.unreachable and (self.parser is None or self.parser.can_fetch(url, user_agent))


class RobotsPolicyMiddleware:
    """Downloader middleware in place of Scrapy's RobotsTxtMiddleware (ROBOTSTXT_OBEY)."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.timeout = settings.getfloat("ROBOTSTXT_TIMEOUT")
        self.max_crawl_delay = settings.getfloat("MAX_CRAWL_DELAY")
        self.hosts: dict[str, asyncio.Task] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None) -> None:
        if request.meta.get("dont_obey_robotstxt") or urlparse_cached(request).scheme not in ("http", "https"):
            return
        rules = await self.rules_for(request)
        if rules.unreachable:
            raise refuse(self.crawler, "robots_unreachable", f"{request.url}: {rules.detail}")
        if not rules.allows(request.url, self.user_agent):
            raise refuse(self.crawler, "robots_disallowed", request.url)
        if rules.crawl_delay:
            self.take_delay_slot(request, rules.crawl_delay)

    async def rules_for(self, request: Request) -> HostRules:
        parts = urlparse_cached(request)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.hosts:  # the first request fetches; the others wait for the same answer
            self.hosts[origin] = asyncio.ensure_future(self.fetch_rules(origin))
        return await asyncio.shield(self.hosts[origin])

    async def fetch_rules(self, origin: str) -> HostRules:
        request = Request(f"{origin}/robots.txt", priority=1000, callback=NO_CALLBACK, meta={
            "dont_obey_robotstxt": True, "download_timeout": self.timeout})
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as error:  # refused or too many redirects: as unavailable
            rules = HostRules(None, False, f"robots.txt not fetched ({error}); no rules")
        except Exception as error:  # timeout, refused connection, cut body
            rules = HostRules(None, True, f"robots.txt unreachable ({type(error).__name__}: {error})")
        else:
            rules = self.read_answer(response.status, response.body)
            if response.status >= 400:  # an answer about robots.txt, not a failure of the portal
                self.crawler.stats.inc_value(f"vnarchive/{portal_of(self.crawler)}/{NOT_ERRORS_STAT}/http_{response.status}")
        logger.info("%s/robots.txt: %s", origin, rules.detail)
        return rules

    def read_answer(self, status: int, body: bytes) -> HostRules:
        if status in UNREACHABLE_STATUSES or status == TOO_MANY_REQUESTS:
            return HostRules(None, True, f"robots.txt answered {status}: unreachable, nothing allowed")
        if not 200 <= status < 300:
            return HostRules(None, False, f"robots.txt answered {status}: unavailable, everything allowed")
        parser = Protego.parse(_first_lines(body, ROBOTS_PARSE_LIMIT))
        delay = min(parser.crawl_delay(self.user_agent) or 0.0, self.max_crawl_delay)
        return HostRules(parser, False, f"rules read ({len(body)} bytes), Crawl-delay {delay:g} s", delay)

    def take_delay_slot(self, request: Request, delay: float) -> None:
        """Send the request through the host's Crawl-delay slot (DOWNLOAD_SLOTS semantics)."""
        key = f"{urlparse_cached(request).hostname} crawl-delay"
        slots = self.crawler.engine.downloader.per_slot_settings
        slots.setdefault(key, {"concurrency": 1, "delay": delay, "jitter": 0})
        request.meta["download_slot"] = key
        request.meta["autothrottle_dont_adjust_delay"] = True


def _first_lines(body: bytes, limit: int) -> str:
    """The whole lines within the first `limit` bytes."""
    head = body[:limit]
    if len(body) > limit:
        head = head[: head.rfind(b"\n") + 1]
    return head.decode("utf-8", errors="replace")
