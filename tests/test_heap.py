"""The crawl process's garbage collector: tuned once, when the first engine starts."""

from __future__ import annotations

import gc

import pytest
from scrapy.utils.test import get_crawler

from crawler import heap
from crawler.settings import GC_THRESHOLDS


@pytest.fixture
def collector(monkeypatch):
    """The test process's collector, put back as it was."""
    monkeypatch.setattr(heap, "_tuned", False)
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_first_engine_freezes_the_heap_and_sets_the_thresholds_once(collector):
    first = heap.LongLivedHeap.from_crawler(get_crawler(settings_dict={"GC_THRESHOLDS": GC_THRESHOLDS}))
    later = heap.LongLivedHeap.from_crawler(get_crawler(settings_dict={"GC_THRESHOLDS": [123, 4, 5]}))
    first.engine_started()
    assert gc.get_threshold() == tuple(GC_THRESHOLDS) and gc.get_freeze_count() > 0
    later.engine_started()
    assert gc.get_threshold() == tuple(GC_THRESHOLDS)  # once per process: the second crawler changes nothing
