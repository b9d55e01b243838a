"""The crawl process's garbage collector, set for a heap that is mostly long-lived.

A crawl keeps a large heap that lives for the whole run (Scrapy, Twisted, the registry, the
queued requests of every portal) and makes small objects by the million that die young. With
CPython's default thresholds (700, 10, 10) the collector walked that heap again and again: in a
benchmark crawl of 5,000 articles it took 11 of the reactor thread's 55 CPU seconds, 6 of them
in 18 full collections of up to 0.8 s each, while fetching stood still. Objects that exist when
the engine starts are frozen out of its sight (they live until exit), the young generations are
collected less often (most of what they hold is freed by reference counting in between), and a
full collection comes 10 times more rarely. Higher young thresholds saved a little more time but
let cyclic garbage (a parsed listing page and its selector refer to each other) hold ~100 MB more.
"""

from __future__ import annotations

import gc

from scrapy import signals

_tuned = False


class LongLivedHeap:
    """Extension: tunes the collector once per process, when the first engine starts."""

    def __init__(self, thresholds: list[int]):
        self.thresholds = thresholds

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler.settings.getlist("GC_THRESHOLDS"))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        global _tuned
        if _tuned:
            return
        _tuned = True
        gc.collect()
        gc.freeze()
        gc.set_threshold(*(int(value) for value in self.thresholds))
