"""The run's page budget (crawler/budget.py): pages held from download to the end of extraction."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from scrapy.exceptions import IgnoreRequest

from crawler import budget
from crawler.settings import EXTENSIONS
from tests.conftest import rows, run_vnarchive

PAGE = budget.FIRST_PAGE_BYTES_GUESS


def test_a_run_holds_no_more_pages_than_its_budget_and_still_stores_every_article(replica, crawled_archive, tmp_path):
    """63 crawlers that may each send 64 requests at once, against a budget of a few pages."""
    limit = 6 * PAGE
    db, held = tmp_path / "archive.db", tmp_path / "held-pages"
    probe = {**EXTENSIONS, "tests.held_pages.HeldPagesProbe": 900}
    result = run_vnarchive(
        "crawl", "--db", str(db), "--replica", replica.base_url,
        *_settings(PAGE_MEMORY_BUDGET=limit, CONCURRENT_REQUESTS=64, CONCURRENT_REQUESTS_PER_DOMAIN=16,
                   DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False, EXTENSIONS=probe),
        env={"HELD_PAGES_FILE": str(held)},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert _urls(db) == _urls(crawled_archive[0])
    # A request is sent counted at the size of the latest pages; the page that lands may be larger.
    # (Before the run-wide budget, the same crawl held 5.7 MB.)
    assert 0 < int(held.read_text()) <= 1.5 * limit


def test_requests_beyond_the_budget_wait_and_leave_in_the_order_they_came():
    async def scenario():
        run, crawler = budget.PageBudget(3 * PAGE), _Crawler()
        run.add(crawler)
        sent = []

        async def send(name):
            crawler.engine.downloader.active.add(name)  # Scrapy's downloader holds it from here
            await run.admit(crawler, name)
            sent.append(name)

        tasks = [asyncio.ensure_future(send(name)) for name in "abcdef"]
        await _a_few_rechecks()
        assert sent == ["a", "b", "c"]
        _land(run, crawler, "b")  # b's page waits for extraction: still held
        await _a_few_rechecks()
        assert sent == ["a", "b", "c"]
        crawler.engine.scraper.slot.active_size -= PAGE  # extracted and stored
        await _a_few_rechecks()
        assert sent == ["a", "b", "c", "d"]
        crawler.engine.downloader.active -= {"a", "c", "d"}  # failed: no page to hold
        await asyncio.gather(*tasks)
        assert sent == list("abcdef")

    asyncio.run(scenario())


def test_one_page_is_let_through_when_nothing_is_held_however_small_the_budget():
    async def scenario():
        run, crawler = budget.PageBudget(1), _Crawler()
        run.add(crawler)
        crawler.engine.downloader.active |= {"first", "second"}
        await asyncio.wait_for(run.admit(crawler, "first"), timeout=30)
        second = asyncio.ensure_future(run.admit(crawler, "second"))
        await _a_few_rechecks()
        assert not second.done()
        _land(run, crawler, "first", size=10 * PAGE)
        crawler.engine.scraper.slot.active_size = 0
        await asyncio.wait_for(second, timeout=1)

    asyncio.run(scenario())


def test_one_huge_page_does_not_leave_the_whole_run_one_request_at_a_time():
    """A 10 MB robots.txt landed: each request is not taken for 10 MB of a 16 MB budget."""
    async def scenario():
        run, crawler = budget.PageBudget(16_000_000), _Crawler()
        run.add(crawler)
        run.page_landed(10_000_000)
        requests = [f"article-{n}" for n in range(budget.MIN_REQUESTS_IN_FLIGHT)]
        crawler.engine.downloader.active |= set(requests)
        admitted = [asyncio.ensure_future(run.admit(crawler, request)) for request in requests]
        await _a_few_rechecks()
        return sum(future.done() for future in admitted)

    assert asyncio.run(scenario()) == budget.MIN_REQUESTS_IN_FLIGHT


def test_requests_still_waiting_when_their_crawl_closes_are_dropped_and_the_others_go_on():
    async def scenario():
        run, closing, other = budget.PageBudget(PAGE), _Crawler(), _Crawler()
        run.add(closing)
        run.add(other)
        closing.engine.downloader.active.add("dropped")
        other.engine.downloader.active |= {"holding", "kept"}
        await run.admit(other, "holding")
        dropped = asyncio.ensure_future(run.admit(closing, "dropped"))
        kept = asyncio.ensure_future(run.admit(other, "kept"))
        await _a_few_rechecks()
        run.remove(closing)
        with pytest.raises(IgnoreRequest):
            await dropped
        other.engine.downloader.active.discard("holding")
        await asyncio.wait_for(kept, timeout=1)

    asyncio.run(scenario())


class _Crawler:
    """What the budget reads of a Scrapy crawler: its scraper's count of pages held, its downloader's requests."""

    def __init__(self):
        self.engine = SimpleNamespace(scraper=SimpleNamespace(slot=SimpleNamespace(active_size=0)),
                                      downloader=SimpleNamespace(active=set()))


def _land(run, crawler, request, size=PAGE):
    """As Scrapy does: the response leaves the downloader and its crawler holds it until its item is stored."""
    run.page_landed(size)
    crawler.engine.downloader.active.discard(request)
    crawler.engine.scraper.slot.active_size += size


@pytest.fixture(autouse=True)
def recheck_on_every_turn_of_the_loop(monkeypatch):
    """The budget looks again on each turn of the event loop, not after a wall-clock delay: the tests
    below count turns, so a loaded machine cannot merge two looks into one."""
    monkeypatch.setattr(budget, "RECHECK_SECONDS", 0)


async def _a_few_rechecks():
    for _ in range(20):
        await asyncio.sleep(0)


def _settings(**values) -> list[str]:
    return [argument for name, value in values.items() for argument in ("--set", f"{name}={json.dumps(value)}")]


def _urls(db) -> set[str]:
    return {row["url"] for row in rows(db, "SELECT url FROM articles")}
