"""Extraction in worker processes gives the records extraction in the crawler gives."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler import workers
from crawler.extract import extract_capture
from crawler.pipelines import ExtractPipeline
from crawler.items import PageCapture
from crawler.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent

PAGE = """<html><head><title>Hội nghị dân vận</title></head><body><h1>Hội nghị dân vận chính quyền năm 2026</h1>
<div class="date">Thứ hai, 23/11/2026 08:30</div>
<div class="content"><p>Sáng 23/11, UBND tỉnh tổ chức hội nghị tổng kết công tác dân vận chính quyền năm 2026.</p>
<p>Hội nghị đánh giá kết quả thực hiện quy chế dân chủ ở cơ sở và đề ra nhiệm vụ năm tới.</p></div></body></html>"""


def capture(**fields) -> PageCapture:
    return PageCapture(**{"portal": "hue", "url": "https://hue.gov.vn/Tin-tuc/a-123.html", "status": 200,
                          "body": PAGE.encode(), "headers": {"Content-Type": "text/html; charset=utf-8"},
                          "fetched_at": "2026-11-23T10:00:00+07:00", **fields})


@pytest.fixture
def fresh_pool():
    workers.close_shared_pool()
    yield
    workers.close_shared_pool()


def test_a_worker_gives_the_same_record_as_the_crawler(fresh_pool):
    inline = extract_capture(capture(), load_registry().get("hue"))
    elsewhere = asyncio.run(workers.extract_elsewhere(capture(), 2))
    assert elsewhere == inline and elsewhere.published_at == "2026-11-23T08:30:00+07:00"


def test_many_pages_at_once_each_get_their_own_record(fresh_pool):
    pages = [capture(url=f"https://hue.gov.vn/Tin-tuc/a-{n}.html") for n in range(40)]

    async def extract_all():
        return await asyncio.gather(*(workers.extract_elsewhere(page, 2) for page in pages))

    records = asyncio.run(extract_all())
    assert [record.url for record in records] == [page.url for page in pages]


def test_an_extraction_error_reaches_the_crawl_with_the_workers_traceback(fresh_pool):
    broken = capture(kind="json", body=b"{not json")
    with pytest.raises(ValueError) as raised:
        asyncio.run(workers.extract_elsewhere(broken, 1))
    assert isinstance(raised.value.__cause__, workers.RemoteTraceback)
    assert "extract_capture" in str(raised.value.__cause__)


def test_a_dead_worker_costs_its_page_only_and_is_replaced(fresh_pool):
    async def kill_while_busy():
        first = await workers.extract_elsewhere(capture(), 1)  # the worker is up
        pool = workers.shared_pool(1, 0)
        worker = pool.workers[0].process.pid
        os.kill(worker, signal.SIGSTOP)  # it answers nothing more: the pages below stay in its hands
        pages = [asyncio.ensure_future(workers.extract_elsewhere(capture(url=f"https://hue.gov.vn/Tin-tuc/b-{n}.html"), 1))
                 for n in range(4)]
        await asyncio.sleep(0)  # handed out: the first is the page it is on, the others wait in its pipe
        assert len(pool.workers[0].unanswered) == 4
        os.kill(worker, signal.SIGKILL)
        results = await asyncio.gather(*pages, return_exceptions=True)
        return first, results

    first, results = asyncio.run(kill_while_busy())
    assert first.title
    assert isinstance(results[0], workers.WorkerDied) and "signal 9" in str(results[0])
    assert [result.url for result in results[1:]] == [f"https://hue.gov.vn/Tin-tuc/b-{n}.html" for n in (1, 2, 3)]


def test_pages_handed_in_during_one_busy_pass_of_the_loop_keep_the_workers_fed(fresh_pool):
    """A busy event loop gets round to the workers' pipes once per pass; every page handed in
    meanwhile serves them, so answers are read and more pages go out before the pass ends."""
    async def one_long_pass():
        pool = workers.shared_pool(1, 0)
        await pool.submit(capture())  # the worker is up
        records = []
        for n in range(3 * workers.PAGES_AHEAD):  # no await: the loop runs nothing else meanwhile
            records.append(pool.submit(capture(url=f"https://hue.gov.vn/Tin-tuc/c-{n}.html")))
            # Busy elsewhere until the worker has answered: only the next page handed in can read it.
            select.select([pool.workers[0].stdout], [], [], 30)
        answered_within_the_pass = sum(record.done() for record in records)
        await asyncio.gather(*records)
        return answered_within_the_pass

    assert asyncio.run(one_long_pass()) > workers.PAGES_AHEAD


def test_a_killed_crawl_takes_its_workers_along(tmp_path):
    script = tmp_path / "crawl.py"
    script.write_text(
        "import asyncio, sys\n"
        "from crawler import workers\n"
        "from tests.test_workers import capture\n"
        "async def main():\n"
        "    await workers.extract_elsewhere(capture(), 2)\n"
        "    print(' '.join(str(w.process.pid) for w in workers.shared_pool(2, 0).workers), flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n")
    crawl = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    worker_pids = [int(pid) for pid in crawl.stdout.readline().split()]
    crawl.kill()
    crawl.wait()
    assert len(worker_pids) == 2
    for pid in worker_pids:
        assert _gone_within(pid, seconds=10)


def test_worker_count_follows_the_cores():
    assert workers.worker_count(-1) == (os.cpu_count() or 1)
    assert workers.worker_count(0) == 0 and workers.worker_count(3) == 3


def test_workers_run_below_the_crawls_priority(fresh_pool):
    asyncio.run(workers.extract_elsewhere(capture(), 1, niceness=5))
    crawl_niceness = os.nice(0)
    worker = workers._pool.workers[0].process.pid
    assert os.getpriority(os.PRIO_PROCESS, worker) == min(crawl_niceness + 5, 19)


def test_the_workers_start_when_the_spider_opens_before_its_first_page(fresh_pool):
    pipeline = ExtractPipeline.from_crawler(get_crawler(settings_dict={"EXTRACT_WORKERS": 2}))
    asyncio.run(pipeline.open_spider())
    started = [worker.process for worker in workers._pool.workers]
    assert len(started) == 2 and all(process.poll() is None for process in started)
    assert not workers._pool.waiting


def test_a_worker_loads_dateparsers_vietnamese_data_before_its_first_page():
    check = ("import sys; from crawler.workers import warm_up; "
             "assert 'dateparser' not in sys.modules; warm_up(); "
             "from dateparser.languages.loader import default_loader; "
             "print(sorted(default_loader._loaded_locales))")
    shown = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["['vi']"]


def _gone_within(pid: int, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True  # exited; only its reaper is gone too
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False
