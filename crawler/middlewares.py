"""Downloader middlewares: every response becomes a WARC record before anything reads it."""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler import clock
from crawler.runs import stopping_when_disk_full
from crawler.warc import acquire_writer, release_writer, run_location

# request.meta key under which the response's record pointer travels to the spider.
WARC_RECORD = "warc_record"


class WarcCaptureMiddleware:
    """Writes each response (as Scrapy has decoded it) with its request to the run's WARC file.

    Placed after HttpCompressionMiddleware (bodies decoded) and before RetryMiddleware, so that
    what is recorded is what the spider sees, once per answer that is kept."""

    def __init__(self, crawler):
        settings = crawler.settings
        if settings.getbool("PROBE"):
            raise NotConfigured("a probe writes nothing")
        self.directory, self.name = run_location(settings)
        self.writer = None
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        with stopping_when_disk_full(self.crawler):
            if self.writer is None:
                self.writer = acquire_writer(self.directory, self.name)
            request.meta[WARC_RECORD] = self.writer.write_response(
                url=response.url, status=response.status, headers=_pairs(response.headers), body=response.body,
                fetched_at=clock.now(), request_method=request.method, request_headers=_pairs(request.headers),
                request_body=request.body,
            )
            return response
        raise IgnoreRequest(f"not kept (disk full): {response.url}")

    def spider_closed(self, spider):
        if self.writer is not None:
            with stopping_when_disk_full(self.crawler):
                release_writer(self.writer)
            self.writer = None


def _pairs(headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]
