"""Scrapy settings for vnarchive: polite to old government servers, safe to run unattended.

`vnarchive crawl` overrides a few of these per run (the archive path, the host map);
everything else is here and only here.
"""

from crawler import __version__

BOT_NAME = "vnarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = f"vnarchive/{__version__} (+archive of Vietnamese provincial news for research)"
ROBOTSTXT_OBEY = True

# Politeness: these are small government servers, often shared with other services.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
COOKIES_ENABLED = True

# Only the web: no file:, data:, ftp: or s3: fetches from a link on a portal page.
DOWNLOAD_HANDLERS = {
    "http": "crawler.hostmap.HostMapDownloadHandler",
    "https": "crawler.hostmap.HostMapDownloadHandler",
    "file": None,
    "data": None,
    "ftp": None,
    "s3": None,
}
# HOSTMAP: list of "host=http://addr:port"; HOSTMAP_STRICT: refuse every host not in it,
# so an offline run can never reach the internet.
HOSTMAP: list[str] = []
HOSTMAP_STRICT = False

# No consoles an attacker on the same machine could reach.
TELNETCONSOLE_ENABLED = False

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 300,
    "crawler.pipelines.StorePipeline": 800,
}
EXTENSIONS = {
    "crawler.runs.RunRecorder": 500,
}

# The archive this crawl writes; one batch = one transaction.
ARCHIVE_PATH = "archive.db"
ARCHIVE_BATCH_SIZE = 50
# Listing pages followed per section in one run (a guard against endless pagination).
MAX_LISTING_PAGES = 50
# Keep only articles of this topic (an id from crawler/topics.yml); empty keeps everything.
TOPIC = ""
# `vnarchive probe`: one listing page and one article per portal, nothing stored.
PROBE = False
# Re-fetch articles already in the archive (off: a daily run only fetches new ones).
RECHECK_KNOWN = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
