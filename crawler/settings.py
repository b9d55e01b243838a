"""Scrapy settings for vnarchive: polite to old government servers, safe to run unattended.

`vnarchive crawl` overrides a few of these per run (the archive path, the host map);
everything else is here and only here.
"""

from crawler import __version__

BOT_NAME = "vnarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = f"vnarchive/{__version__} (+archive of Vietnamese provincial news for research)"

# Politeness: these are small government servers, often shared with other services.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy starts this many tasks for the output of every response; ours yield one capture or a
# page of links, and the captures wait on the extraction workers, not on each other.
CONCURRENT_ITEMS = 8
# Bytes of pages the whole run holds from the start of their download to the end of their
# extraction (crawler/budget.py): a request waits before it is sent until the run has room for
# one more page. 16 MB is about 250 article pages, two seconds of the workers' work. Each crawler
# may use all of it (SCRAPER_SLOT_MAX_ACTIVE_SIZE, set by `vnarchive crawl`): the last portals of a
# run are not held to a share sized for all of them.
PAGE_MEMORY_BUDGET = 16_000_000
# Scrapy's check that a callback generator returns no value re-reads the callback's source
# (inspect + ast) for most responses: its cache is weakly keyed by the bound method, which dies
# with each request. Our callbacks are tested; the check cost 4% of the reactor thread.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
COOKIES_ENABLED = True

# robots.txt as RFC 9309 reads it (crawler/robots.py, in place of Scrapy's middleware):
# 5xx or no answer disallows the host for the run; Crawl-delay is honoured up to MAX_CRAWL_DELAY.
ROBOTSTXT_OBEY = True
ROBOTSTXT_TIMEOUT = 10.0
MAX_CRAWL_DELAY = 30.0

# Limits against hostile or broken servers. DOWNLOAD_MAXSIZE also caps a body after
# decompression (gzip, deflate, br, zstd bombs stop there), robots.txt and sitemaps included.
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True  # a body shorter than its Content-Length is an error, never a page
REDIRECT_MAX_TIMES = 5
URLLENGTH_LIMIT = 2083
# Links read from one listing or feed page (a real one shows 10-50; a link flood is cut here).
MAX_LINKS_PER_PAGE = 500
# Responses per portal and run; the portal's crawl stops there (a trap that escaped the other caps).
CLOSESPIDER_PAGECOUNT = 50_000

# Connections go only to public addresses, and to those the host map names (crawler/guard.py).
TWISTED_DNS_RESOLVER = "crawler.guard.GuardedResolver"
# Many portals have expired certificates or broken chains: not verified, but faults are recorded
# per portal run (portal_runs.tls_issues). TLS_VERIFY = True refuses them (`vnarchive crawl` applies it).
TLS_VERIFY = False
VERIFYING_CONTEXT_FACTORY = "scrapy.core.downloader.contextfactory.BrowserLikeContextFactory"
# A portal whose requests fail this many times in a row (each attempt) is paused for the run.
CIRCUIT_BREAKER_FAILURES = 10

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

# No consoles an attacker on the same machine could reach: Scrapy's telnet console, and its remote
# control (on by default since 2.19): an HTTP server per crawler that runs the Python it is sent, its
# token in a job file under ~/.local/state/scrapy/ that a killed run leaves behind.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Every response is kept as a WARC record: after decompression (590), before retries (550),
# so what is recorded is what the spider reads.
# Refusals and faults are accounted just after that (540: the final answer of each request); the
# circuit breaker counts failed attempts in a row before retries hide them (555).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsPolicyMiddleware": 100,
    "crawler.middlewares.CrossHostHeadersMiddleware": 450,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.HostOnlyCookiesMiddleware": 700,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadMetaRefreshMiddleware": 580,
    "crawler.middlewares.CountedDecompressionMiddleware": 590,
    "crawler.middlewares.WarcCaptureMiddleware": 545,
    "crawler.middlewares.FaultAccountingMiddleware": 540,
    "crawler.middlewares.CircuitBreakerMiddleware": 555,
    "crawler.budget.PageBudgetMiddleware": 990,
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
    "crawler.heap.LongLivedHeap": 0,
}
# The garbage collector's thresholds for a crawl process (crawler/heap.py; CPython's are 700, 10, 10).
GC_THRESHOLDS = [10_000, 10, 100]

# Extraction in worker processes: -1 one per core, 0 in the reactor thread (crawler/workers.py).
EXTRACT_WORKERS = -1
# The workers' priority below the crawl's (os.nice). Every page passes through the crawl process
# first, and the workers are fed only as fast as it runs: at the same priority its reactor thread
# waited for a core a third of the time (13.1 s of a 43.7 s crawl; 5.3 s of 40.6 s at 10). On two
# cores, full crawls of 5,000 replica articles ran 3-4% faster at 10 than at 0 (three alternating
# pairs; 7% in five earlier ones). The crawl process then downloads further ahead of the workers,
# which PAGE_MEMORY_BUDGET bounds; 0 gives the workers the same share of the cores.
EXTRACT_WORKER_NICENESS = 10

# The archive this crawl writes; one batch = one transaction, written when it is full or old.
ARCHIVE_PATH = "archive.db"
ARCHIVE_BATCH_SIZE = 50
ARCHIVE_FLUSH_SECONDS = 5.0

# How deep a run goes (crawler/incremental.py). Listing pages followed per section in a deep run
# (a guard against endless pagination), and in a --since backfill.
MAX_LISTING_PAGES = 50
MAX_LISTING_PAGES_SINCE = 2000
# Every listing page is one level deeper than the one before: a backstop above those limits.
DEPTH_LIMIT = MAX_LISTING_PAGES_SINCE + 10
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

# `vnarchive crawl --workers-redis` (crawler/distributed.py): a worker's crawl of a portal ends when
# the shared frontier has been empty this long, since another worker may still be adding to it.
FRONTIER_IDLE_SECONDS = 30.0

# `vnarchive backfill` (crawler/backfill.py): where the web archives are (the replica serves the same
# hosts), how far apart its requests go (the real archives ask for a polite rate; tests set 0), how many
# rows a Wayback CDX page holds, and how long a 429/503 Retry-After is obeyed.
WAYBACK_URL = "https://web.archive.org"
COMMONCRAWL_INDEX_URL = "https://index.commoncrawl.org"
COMMONCRAWL_DATA_URL = "https://data.commoncrawl.org"
BACKFILL_DELAY = 1.0
BACKFILL_INDEX_LIMIT = 1000
BACKFILL_MAX_LISTINGS = 2000  # captures of pages that may be listings read per run, sections first
# An archive's index is trusted for its rows, not for its sizes: a Common Crawl index claiming 20 million
# pages, or a CDX server sending a new resume key forever, meets these (each refusal counted and logged).
# Index pages read per domain (per collection in Common Crawl): 200 CDX pages of BACKFILL_INDEX_LIMIT rows
# are 200,000 captures of one portal; a Common Crawl page holds about 15,000 (5 blocks of 3,000 lines), and
# one crawl holds a few thousand of a portal.
BACKFILL_MAX_INDEX_PAGES = 200
# Rows read from one index page: a Wayback page holds the BACKFILL_INDEX_LIMIT we ask for, a Common Crawl
# page about 15,000; an archive may send any number.
BACKFILL_MAX_INDEX_ROWS = 20_000
BACKFILL_MAX_COLLECTIONS = 300  # Common Crawl collections read per run, the newest first (about 120 exist)
# Captures a run holds (article candidates and pages that may be listings, a few hundred bytes each):
# the run's memory whatever the archive answers. A portal of 50,000 articles captured a few times each fits.
BACKFILL_MAX_CAPTURES = 500_000
# Articles a run looks up by their exact URL because an archived listing linked them (one index request
# each, per collection in Common Crawl).
BACKFILL_MAX_LOOKUPS = 10_000
RETRY_AFTER_MAX = 300.0
RETRY_AFTER_TIMES = 3
RETRY_AFTER_DEFAULT = 10.0  # a 429/503 without Retry-After
BACKFILL_PORTAL = ""
BACKFILL_SOURCE = ""
BACKFILL_SINCE = ""
BACKFILL_UNTIL = ""
BACKFILL_CAPTURE = "latest"

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
