"""The run's page budget: bytes of pages held between the start of their download and the end of
their extraction, shared by every crawler of the process (PAGE_MEMORY_BUDGET).

Scrapy's own limit (SCRAPER_SLOT_MAX_ACTIVE_SIZE) is one crawler's, and counts a page only once
it has landed: a crawler under it starts as many downloads as its CONCURRENT_REQUESTS allow, all
at once. A run crawls every portal at once, one crawler each, so the pages already on their way
were what filled memory: in a benchmark crawl of 5,000 replica articles (63 crawlers at 64
requests each), 2,300 pages (about 140 MB) waited for the extraction workers, in one first-come
queue that made every portal's next listing page wait behind them.

Here a request is sent only when the pages the run holds (landed: Scrapy's count per crawler)
plus the requests already sent (each at the size of the latest pages) leave room for one more
page. The middleware sits last, right before the downloader: a request waits only when it is
about to leave (robots.txt, which the robots middleware fetches through this same gate, never
waits behind a request that waits for it), and a sent request needs nothing from the budget to
land, so the budget always drains. One page is always let through when the run holds nothing,
however large.
"""

from __future__ import annotations

import asyncio
from collections import deque

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

# The size a page is taken to have before any has landed (the portals' article pages are 40-80 KB).
FIRST_PAGE_BYTES_GUESS = 64_000
# A sent request is counted at the size of the page that holds the typical byte of the latest
# pages (their sizes' mean weighted by size: Σs²/Σs, as moving averages that forget at this
# rate): a plain mean, dragged down by robots.txt files and short listings, let three times the
# budget of article pages in at once.
PAGE_SIZE_MEMORY = 1 / 64
# However large the latest pages, this many requests may be on their way at once: one 10 MB page
# (a robots.txt, a decree printed as HTML) made every request count as 10 MB, and a run of 63
# portals sent one request at a time, each waiting behind whichever server was slowest to answer.
# Pages that land are still counted at their real size.
MIN_REQUESTS_IN_FLIGHT = 4
# How often waiting requests are looked at again while the budget is full (a page of extraction
# takes ~5 ms).
RECHECK_SECONDS = 0.01


class PageBudget:
    """One process's budget, and the requests waiting for room in it (first come, first sent)."""

    def __init__(self, limit: int):
        self.limit = limit
        # Each crawler's requests sent and not yet out of its downloader (Scrapy's `active`):
        # until then a page is on its way or in the middlewares (the WARC thread, decompression),
        # not yet in Scrapy's count of the pages its crawler holds.
        self.sent: dict[object, set] = {}
        self.waiting: deque[tuple[object, object, asyncio.Future]] = deque()
        self.mean_size = float(FIRST_PAGE_BYTES_GUESS)
        self.mean_square = float(FIRST_PAGE_BYTES_GUESS) ** 2
        self._sender: asyncio.Task | None = None

    def add(self, crawler) -> None:
        self.sent[crawler] = set()

    def remove(self, crawler) -> None:
        """A closed crawl: its waiting requests are dropped, its pages no longer count."""
        self.sent.pop(crawler, None)
        for entry in [entry for entry in self.waiting if entry[0] is crawler]:
            self.waiting.remove(entry)
            if not entry[2].done():
                entry[2].set_exception(IgnoreRequest("the crawl closed while the request waited for memory"))

    def page_landed(self, body_bytes: int) -> None:
        self.mean_size += PAGE_SIZE_MEMORY * (body_bytes - self.mean_size)
        self.mean_square += PAGE_SIZE_MEMORY * (body_bytes ** 2 - self.mean_square)

    def page_bytes(self) -> float:
        """What a request sent is counted at (PAGE_SIZE_MEMORY, MIN_REQUESTS_IN_FLIGHT)."""
        ceiling = max(self.limit / MIN_REQUESTS_IN_FLIGHT, FIRST_PAGE_BYTES_GUESS)  # a tiny budget: a page at a time
        return min(self.mean_square / max(self.mean_size, 1.0), ceiling)

    def held_bytes(self) -> float:
        """Pages landed and not yet through their crawler's callbacks and pipelines (Scrapy's count),
        and requests sent (at `page_bytes`; some may have left the downloader since the last look)."""
        landed = sending = 0
        for crawler, requests in self.sent.items():
            slot = crawler.engine.scraper.slot if crawler.engine else None
            landed += slot.active_size if slot else 0
            sending += len(requests)
        return landed + sending * self.page_bytes()

    async def admit(self, crawler, request) -> None:
        """Returns when `request` may be sent; raises IgnoreRequest if its crawl closes first.
        Requests are let through in batches, on the loop's next turn: the engine starts up to
        CONCURRENT_REQUESTS of them at once, and one look at the run's held pages serves them all."""
        waited = asyncio.get_running_loop().create_future()
        self.waiting.append((crawler, request, waited))
        if self._sender is None:
            self._sender = asyncio.ensure_future(self._send_while_waiting())
        await waited

    async def _send_while_waiting(self) -> None:
        try:
            while True:
                self._send_what_fits()
                if not self.waiting:
                    return
                await asyncio.sleep(RECHECK_SECONDS)
        finally:
            self._sender = None

    def _send_what_fits(self) -> None:
        held, page = self._held_after_a_closer_look(), self.page_bytes()
        while self.waiting and (held == 0 or held + page <= self.limit):
            crawler, request, waited = self.waiting.popleft()
            if not waited.done():  # else cancelled with its crawl
                self.sent[crawler].add(request)
                waited.set_result(None)
                held += page

    def _held_after_a_closer_look(self) -> float:
        """held_bytes, without the requests that have left their downloader when the budget looks full."""
        held = self.held_bytes()
        if held + self.page_bytes() > self.limit:
            for crawler, requests in self.sent.items():
                if crawler.engine:
                    requests.intersection_update(crawler.engine.downloader.active)
            held = self.held_bytes()
        return held


_budget: PageBudget | None = None


def run_budget(limit: int) -> PageBudget:
    """The process's budget (a run's crawlers share one process); a new run's limit replaces the last."""
    global _budget
    if _budget is None:
        _budget = PageBudget(limit)
    _budget.limit = limit
    return _budget


class PageBudgetMiddleware:
    """Downloader middleware, the last before the downloader: a request leaves only when the run's
    page budget has room for it."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.budget = run_budget(crawler.settings.getint("PAGE_MEMORY_BUDGET"))
        self.budget.add(crawler)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        await self.budget.admit(self.crawler, request)

    def process_response(self, request, response, spider=None):
        self.budget.page_landed(len(response.body))
        return response

    def spider_closed(self, spider):
        self.budget.remove(self.crawler)
