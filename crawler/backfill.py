"""`vnarchive backfill`: bring back a portal that went dark from the web archives.

The command and its run are here; the spider, its pipeline and middleware in crawler/backfill_spider.py.

A Scrapy spider, so that an archive is fetched the way a portal is: through the address guard
and host map, size caps, retries, the circuit breaker, robots.txt, and the WARC middleware
(every index page and capture the run fetched is a WARC record of the run's own file). Two
sources:

- wayback: the Internet Archive's CDX server API (`/cdx/search/cdx`, paged with
  showResumeKey/resumeKey and `limit`), then each chosen capture in its `id_` form
  (`/web/<timestamp>id_/<original>`: the bytes the portal sent, no banner);
- commoncrawl: `collinfo.json`, each collection's CDX index over the date range (paged with
  showNumPages/page), then each chosen record by HTTP Range from its WARC file, read with warcio.

Captures of URLs the portal's platform recognises as articles (platforms.yml `article_url`)
are candidates; captures of the portal's other pages are read as possible listings with the
platform spider's own `listing_entries`, for the date shown beside each link (evidence when an
article's page has none) and for articles no index page listed as such, which are looked up by
their exact URL. Per article the latest capture is tried first (`--capture earliest`:
the earliest), and the next one when a capture is refused: a redirect, a soft 404 or login
page (crawler/pagechecks.py), something not HTML, or a capture cut short (WARC-Truncated, or no
</html>). A capture kept becomes a WARC response record of its own (the original URL, at the
archive's capture time) and a PageCapture that goes through the same extraction and storage
as a live crawl (crawler/pipelines.py → Archive.save_articles): one row per url_key, a
revision when the text differs from what is stored, provenance columns saying where it came
from. Once a capture is kept, the article's older captures are fetched too: other text is a
revision placed behind the current version (Archive.insert_older_revision).

Resumable: every article-shaped capture an index lists is a row of `backfill_captures`, with
the outcome once fetched, and so is every page read as a possible listing; a later run skips
captures refused before, listings read before, and captures from within the times a stored
version of their article was seen, so a run killed halfway continues where it stopped and a
second run fetches only the index.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

import click

from crawler import clock
from crawler.registry import RegistryError, load_registry

SOURCES = ("wayback", "commoncrawl")
# The settings naming where the archives are (crawler/settings.py); `--replica` routes their hosts.
ARCHIVE_SETTINGS = ("WAYBACK_URL", "COMMONCRAWL_INDEX_URL", "COMMONCRAWL_DATA_URL")


# --- the run -----------------------------------------------------------------------------------


def archive_hostmap(replica_url: str | None, bases: dict[str, str]) -> list[str]:
    """Host map entries that route the archives to a replica (`--replica`), or that let a base URL
    on a loopback or private address through the guard (`--wayback-url http://127.0.0.1:8080`)."""
    entries = []
    for base in bases.values():
        parts = urlsplit(base)
        if replica_url:
            entries.append(f"{parts.hostname}={replica_url}")
        elif parts.hostname and _is_address(parts.hostname):
            entries.append(f"{parts.hostname}={parts.scheme}://{parts.netloc}")
    return entries


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True


def run_backfill(db_path: str, portal_id: str, source: str, *, hostmap: list[str], strict: bool,
                 options: dict[str, Any], log_file: str | None, log_level: str) -> dict:
    """One backfill run: a crawl_runs row, a portal_runs row (mode wayback or commoncrawl), a WARC file."""
    from scrapy.crawler import CrawlerProcess

    from crawler.backfill_spider import BackfillSpider
    from crawler.cli import _exit_code, _open_run, _settings
    from crawler.runs import run_totals

    archive, run_id, warc_file = _open_run(db_path, [portal_id])
    settings = _settings(db_path, run_id, warc_file, hostmap, strict, log_file, log_level,
                         BACKFILL_PORTAL=portal_id, BACKFILL_SOURCE=source, **options)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BackfillSpider)
    process.crawl(crawler)
    try:
        process.start()
    finally:
        rows = [dict(row) for row in archive.db["portal_runs"].rows_where("run_id = ?", [run_id])]
        totals = run_totals(rows, crawler.stats.get_stats()) if rows else {"finished_at": clock.now_iso(), "outcome": "failed"}
        archive.update_run(run_id, **totals)
        archive.checkpoint()
        archive.close()
    return {"run_id": run_id, **totals, "portals": {row["portal"]: row["outcome"] for row in rows},
            "exit_code": _exit_code(rows, 1), "refused": crawler.stats.get_stats()}


@click.command()
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False), help="The archive file.")
@click.option("--source", required=True, type=click.Choice(SOURCES), help="The web archive to read.")
@click.option("--portal", "portal_id", required=True, help="Registry id of the portal (usually one that is defunct).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only captures from this day on (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Only captures up to this day, included.")
@click.option("--capture", type=click.Choice(["latest", "earliest"]), default="latest", show_default=True,
              help="Which capture of an article to keep (the next one is tried when it is refused).")
@click.option("--replica", "replica_url", help="Send the archives' hosts to this replica (`vnarchive replica`).")
@click.option("--wayback-url", help="Base URL of the Wayback Machine (default: the WAYBACK_URL setting).")
@click.option("--commoncrawl-index-url", help="Base URL of the Common Crawl index server (default: COMMONCRAWL_INDEX_URL).")
@click.option("--commoncrawl-data-url", help="Base URL of the Common Crawl WARC files (default: COMMONCRAWL_DATA_URL).")
@click.option("--hostmap", "hostmap", multiple=True, help="HOST=ADDRESS: fetch HOST from ADDRESS, keep the real URL (repeatable).")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write the log here instead of stderr.")
@click.option("--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a setting of crawler/settings.py for this run (e.g. BACKFILL_DELAY=2).")
def backfill(db_path, source, portal_id, since, until, capture, replica_url, wayback_url, commoncrawl_index_url,
             commoncrawl_data_url, hostmap, log_file, log_level, overrides) -> None:
    """Bring back a portal that went dark from a web archive (Wayback Machine or Common Crawl).
    One run at a time per archive; a run killed halfway continues where it stopped."""
    from crawler import settings as defaults
    from crawler.cli import _run_lock, _setting_overrides
    from crawler.hostmap import HostMapError, parse_hostmap

    try:
        load_registry().get(portal_id)
    except RegistryError as error:
        raise click.UsageError(str(error)) from None
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since/--until")
    given = {"WAYBACK_URL": wayback_url, "COMMONCRAWL_INDEX_URL": commoncrawl_index_url,
             "COMMONCRAWL_DATA_URL": commoncrawl_data_url}
    bases = {name: (value or getattr(defaults, name)).rstrip("/") for name, value in given.items()}
    routes = archive_hostmap(replica_url, bases) + list(hostmap)
    try:
        parse_hostmap(routes)
    except HostMapError as error:
        raise click.BadParameter(str(error), param_hint="--hostmap/--replica") from None
    options = {**bases, "BACKFILL_SINCE": since.date().isoformat() if since else "",
               "BACKFILL_UNTIL": until.date().isoformat() if until else "", "BACKFILL_CAPTURE": capture,
               **_setting_overrides(overrides)}
    with _run_lock(db_path):
        summary = run_backfill(db_path, portal_id, source, hostmap=routes, strict=bool(replica_url), options=options,
                               log_file=log_file, log_level=log_level)
    click.echo(_summary_line(summary, portal_id))
    sys.exit(summary["exit_code"])


def _summary_line(summary: dict, portal_id: str) -> str:
    stats = summary.pop("refused")
    prefix = f"vnarchive/{portal_id}/refused/"
    refused = ", ".join(f"{key[len(prefix):]} {value}" for key, value in sorted(stats.items()) if key.startswith(prefix))
    return (f"run {summary['run_id']}: {summary['outcome']}; new {summary.get('new', 0)}, "
            f"changed {summary.get('changed', 0)}, unchanged {summary.get('unchanged', 0)}, "
            f"older versions {stats.get(f'vnarchive/{portal_id}/older_revision', 0)}, "
            f"errors {summary.get('errors', 0)}; refused captures: {refused or 'none'}")
