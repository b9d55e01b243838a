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

# Every response is kept as a WARC record: after decompression (590), before retries (550),
# so what is recorded is what the spider reads.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.WarcCaptureMiddleware": 545,
}
# WARC_DIR: default warc/ beside ARCHIVE_PATH; WARC_FILE: set per run by `vnarchive crawl`.
WARC_DIR = ""
WARC_FILE = ""

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 300,
    "crawler.pipelines.StorePipeline": 800,
}
EXTENSIONS = {
    "crawler.runs.RunRecorder": 500,
}

# Extraction in worker processes: -1 one per core, 0 in the reactor thread (crawler/workers.py).
EXTRACT_WORKERS = -1

# The archive this crawl writes; one batch = one transaction, written when it is full or old.
ARCHIVE_PATH = "archive.db"
ARCHIVE_BATCH_SIZE = 50
ARCHIVE_FLUSH_SECONDS = 5.0

# How deep a run goes (crawler/incremental.py). Listing pages followed per section in a deep run
# (a guard against endless pagination), and in a --since backfill.
MAX_LISTING_PAGES = 50
MAX_LISTING_PAGES_SINCE = 2000
# A daily run stops paging after this many listing pages in a row brought nothing new.
STOP_AFTER_KNOWN_PAGES = 1
# Every portal gets a deep run (all listing pages, feeds, sitemaps) at least this often.
DEEP_EVERY_DAYS = 7.0
DEEP = False
# --since YYYY-MM-DD: backfill down to this date.
SINCE = ""
# Re-check archived articles younger than RECHECK_DAYS when the time since their last check is
# RECHECK_AGE_FRACTION of their age, at most every RECHECK_MIN_HOURS.
RECHECK_DAYS = 30.0
RECHECK_AGE_FRACTION = 0.2
RECHECK_MIN_HOURS = 20.0
# Re-check every archived article now (`vnarchive crawl --recheck`).
RECHECK_KNOWN = False

# Keep only articles of this topic (an id from crawler/topics.yml); empty keeps everything.
TOPIC = ""
# `vnarchive probe`: one listing page and one article per portal, nothing stored.
PROBE = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
