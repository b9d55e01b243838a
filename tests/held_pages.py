"""A Scrapy extension for tests: the most bytes of pages a run's crawlers held at once, by Scrapy's
own count (each crawler's scraper slot: responses landed and not yet through the callback and the
item pipelines), sampled every few milliseconds and written to $HELD_PAGES_FILE when the last
crawler of the process stops."""

from __future__ import annotations

import asyncio
import os

from scrapy import signals

SAMPLE_SECONDS = 0.002

_running: list = []
_peak = 0
_sampler: asyncio.Task | None = None


class HeldPagesProbe:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_started(self) -> None:
        global _sampler
        _running.append(self.crawler)
        if _sampler is None:
            _sampler = asyncio.ensure_future(_sample())

    def engine_stopped(self) -> None:
        _running.remove(self.crawler)
        if not _running:
            _sampler.cancel()
            with open(os.environ["HELD_PAGES_FILE"], "w") as out:
                out.write(str(_peak))


async def _sample() -> None:
    global _peak
    while True:
        held = sum(crawler.engine.scraper.slot.active_size for crawler in _running
                   if crawler.engine and crawler.engine.scraper.slot)
        _peak = max(_peak, held)
        await asyncio.sleep(SAMPLE_SECONDS)
