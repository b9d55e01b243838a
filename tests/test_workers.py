"""Extraction in worker processes gives the records extraction in the crawler gives."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from crawler import workers
from crawler.extract import extract_capture
from crawler.items import PageCapture
from crawler.registry import load_registry

PAGE = """<html><head><title>Hội nghị dân vận</title></head><body><h1>Hội nghị dân vận chính quyền năm 2026</h1>
<div class="date">Thứ hai, 23/11/2026 08:30</div>
<div class="content"><p>Sáng 23/11, UBND tỉnh tổ chức hội nghị tổng kết công tác dân vận chính quyền năm 2026.</p>
<p>Hội nghị đánh giá kết quả thực hiện quy chế dân chủ ở cơ sở và đề ra nhiệm vụ năm tới.</p></div></body></html>"""


def capture() -> PageCapture:
    return PageCapture(portal="hue", url="https://hue.gov.vn/Tin-tuc/a-123.html", status=200, body=PAGE.encode(),
                       headers={"Content-Type": "text/html; charset=utf-8"}, fetched_at="2026-11-23T10:00:00+07:00")


@pytest.fixture
def fresh_pool():
    workers._pool = None
    yield
    if workers._pool is not None:
        workers._pool.shutdown(cancel_futures=True)
        workers._pool = None


def test_a_worker_gives_the_same_record_as_the_crawler(fresh_pool):
    inline = extract_capture(capture(), load_registry().get("hue"))
    elsewhere = asyncio.run(workers.extract_elsewhere(capture(), 2))
    assert elsewhere == inline and elsewhere.published_at == "2026-11-23T08:30:00+07:00"


def test_a_dead_worker_costs_one_page_and_the_pool_is_replaced(fresh_pool):
    asyncio.run(workers.extract_elsewhere(capture(), 1))
    for process in workers._pool._processes.values():
        os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(workers.BrokenProcessPool):
        asyncio.run(workers.extract_elsewhere(capture(), 1))
    assert asyncio.run(workers.extract_elsewhere(capture(), 1)).title


def test_worker_count_follows_the_cores():
    assert workers.worker_count(-1) == (os.cpu_count() or 1)
    assert workers.worker_count(0) == 0 and workers.worker_count(3) == 3


def test_workers_run_below_the_crawls_priority(fresh_pool):
    asyncio.run(workers.extract_elsewhere(capture(), 1, niceness=5))
    crawl_niceness = os.nice(0)
    assert workers._pool.submit(os.nice, 0).result() == min(crawl_niceness + 5, 19)
