"""Extraction off the reactor thread: a pool of worker processes shared by a run's crawlers.

Scrapy runs one reactor thread; extraction (lxml, trafilatura, dates) is CPU-bound and would
hold it, so that fetching waits on parsing and one core does all the work. Captures go to
EXTRACT_WORKERS processes (default: one per core) and the reactor awaits the result.
Workers are spawned, not forked: forking a process that runs a reactor and threads copies
their locks in whatever state they are. A worker leaves when its crawl does, even one killed
with kill -9 (nothing else would tell it).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.extract import extract_capture
from crawler.items import ArticleRecord, PageCapture
from crawler.registry import load_registry

_pool: ProcessPoolExecutor | None = None
# How often a worker looks whether its crawl is still there.
PARENT_CHECK_SECONDS = 2.0


def worker_count(setting: int) -> int:
    """EXTRACT_WORKERS: 0 extracts in the reactor thread; -1 (default) one worker per core."""
    return (os.cpu_count() or 1) if setting < 0 else setting


def shared_pool(workers: int, niceness: int) -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=start_worker, initargs=(os.getpid(), niceness))
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


async def extract_elsewhere(capture: PageCapture, workers: int, niceness: int = 0) -> ArticleRecord:
    """The capture's record, from a worker. A worker that dies (a page that crashes lxml) costs
    that page only: the pool is replaced for the pages after it."""
    global _pool
    pool = shared_pool(workers, niceness)
    try:
        return await asyncio.wrap_future(pool.submit(extract_by_portal_id, capture))
    except BrokenProcessPool:
        if _pool is pool:
            _pool = None
            pool.shutdown(wait=False, cancel_futures=True)
        raise


def extract_by_portal_id(capture: PageCapture) -> ArticleRecord:
    """In a worker: the registry is loaded once per process (cached), not sent with every page."""
    return extract_capture(capture, load_registry().get(capture.portal) if capture.portal else None,
                           refuse_error_pages=True)


def start_worker(parent_pid: int, niceness: int) -> None:
    """In a worker, first: lower its priority (EXTRACT_WORKER_NICENESS), and leave with the crawl."""
    os.nice(niceness)
    leave_with_parent(parent_pid)


def leave_with_parent(parent_pid: int) -> None:
    """In a worker: exit when the crawl that started it is gone (reparented to init)."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
