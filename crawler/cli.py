"""The `vnarchive` command.

Exit codes (for cron):
  0  the run finished and every portal it visited yielded its listings
  1  the run failed: no portal could be crawled, or an unexpected error
  2  bad input: an unknown portal, a broken registry, a bad option
  3  another run holds the archive's lock; nothing was done
  4  partial: some portals broke (no listing links, or aborted) while others were crawled
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from crawler import __version__, clock
from crawler.registry import RegistryError, get_topic, load_registry

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_PARTIAL = 0, 1, 2, 3, 4
PROJECT_ROOT = Path(__file__).resolve().parent.parent
METADATA_FILE = PROJECT_ROOT / "metadata.yml"


def db_option(command):
    return click.option("--db", "db_path", default="archive.db", show_default=True,
                        type=click.Path(dir_okay=False), help="The archive file.")(command)


@click.group()
@click.version_option(__version__)
def main() -> None:
    """An archive of Vietnamese provincial government news."""


# --- crawl -------------------------------------------------------------------

@main.command()
@db_option
@click.option("--portal", "portal_ids", multiple=True, help="Crawl only this portal (repeatable). Default: every portal not defunct.")
@click.option("--replica", "replica_url", help="Send every registry host to this replica, e.g. http://127.0.0.1:8001. Nothing else is fetched.")
@click.option("--hostmap", "hostmap", multiple=True, help="HOST=ADDRESS: fetch HOST from ADDRESS, keep the real URL (repeatable).")
@click.option("--recheck", is_flag=True, help="Fetch articles already archived again (changes become revisions).")
@click.option("--topic", help="Keep only articles on this topic (a keyword set in crawler/topics.yml, e.g. dan-van).")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write the log here instead of stderr.")
@click.option("--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def crawl(db_path, portal_ids, replica_url, hostmap, recheck, topic, log_file, log_level) -> None:
    """Crawl the portals into the archive (the cron job). One run at a time per archive."""
    portals = _chosen_portals(portal_ids)
    _check_topic(topic)
    with _run_lock(db_path):
        summary = run_crawl(db_path, [p.id for p in portals], hostmap=_hostmap(replica_url, hostmap),
                            strict=bool(replica_url), recheck=recheck, topic=topic, log_file=log_file,
                            log_level=log_level)
    click.echo(_summary_line(summary))
    sys.exit(summary["exit_code"])


def run_crawl(db_path: str, portal_ids: list[str], *, hostmap: list[str], strict: bool,
              recheck: bool = False, topic: str | None = None, log_file: str | None = None,
              log_level: str = "INFO") -> dict:
    """One crawl run of several portals in one process; returns the run's summary."""
    from scrapy.crawler import CrawlerProcess

    from crawler.runs import run_totals
    from crawler.store import Archive
    from spiders.portals import PORTAL_SPIDERS

    archive = Archive(db_path)
    archive.sync_portals(load_registry().portals)
    run_id = archive.start_run(started_at=clock.now_iso(), portals=portal_ids, command=" ".join(sys.argv),
                               version=__version__, pid=os.getpid())
    settings = _settings(db_path, run_id, hostmap, strict, recheck, topic, log_file, log_level)
    process = CrawlerProcess(settings)
    crawlers = [process.create_crawler(PORTAL_SPIDERS[portal_id]) for portal_id in portal_ids]
    for crawler in crawlers:
        process.crawl(crawler)
    try:
        process.start()
    finally:
        rows = [dict(row) for row in archive.db["portal_runs"].rows_where("run_id = ?", [run_id])]
        stats = _summed_stats(crawler.stats.get_stats() for crawler in crawlers)
        totals = run_totals(rows, stats) if rows else {"finished_at": clock.now_iso(), "outcome": "failed"}
        archive.finish_run(run_id, **totals)
        archive.close()
    return {"run_id": run_id, **totals, "portals": {row["portal"]: row["outcome"] for row in rows},
            "exit_code": _exit_code(rows, len(portal_ids))}


def _settings(db_path, run_id, hostmap, strict, recheck, topic, log_file, log_level):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({
        "ARCHIVE_PATH": str(db_path), "VNARCHIVE_RUN_ID": run_id, "HOSTMAP": list(hostmap),
        "HOSTMAP_STRICT": strict, "RECHECK_KNOWN": recheck, "TOPIC": topic or "", "LOG_LEVEL": log_level,
        **({"LOG_FILE": log_file} if log_file else {}),
    }, priority="cmdline")
    return settings


def _exit_code(rows: list[dict], expected: int) -> int:
    outcomes = [row["outcome"] for row in rows]
    failed = [o for o in outcomes if o in ("broken", "aborted")] + ["missing"] * (expected - len(rows))
    if not failed:
        return EXIT_OK
    return EXIT_FAILED if len(failed) == expected else EXIT_PARTIAL


def _summed_stats(all_stats) -> dict:
    total: dict = {}
    for stats in all_stats:
        for key, value in stats.items():
            if isinstance(value, (int, float)):
                total[key] = total.get(key, 0) + value
    return total


def _summary_line(summary: dict) -> str:
    by_outcome: dict[str, list[str]] = {}
    for portal_id, outcome in summary["portals"].items():
        by_outcome.setdefault(outcome, []).append(portal_id)
    # With dozens of portals, list by name only those that need a look.
    portals = "; ".join(f"{len(ids)} {outcome}" if outcome == "ok" else f"{outcome}: {', '.join(ids)}"
                        for outcome, ids in sorted(by_outcome.items()))
    return (f"run {summary['run_id']}: {summary['outcome']}; new {summary.get('new', 0)}, "
            f"changed {summary.get('changed', 0)}, unchanged {summary.get('unchanged', 0)}, "
            f"errors {summary.get('errors', 0)}; portals: {portals}")


def _chosen_portals(portal_ids: tuple[str, ...]):
    try:
        registry = load_registry()
        return [registry.get(pid) for pid in portal_ids] if portal_ids else registry.crawlable()
    except RegistryError as error:
        raise click.UsageError(str(error)) from None


def _check_topic(topic: str | None) -> None:
    if topic:
        try:
            get_topic(topic)
        except RegistryError as error:
            raise click.BadParameter(str(error), param_hint="--topic") from None


def _hostmap(replica_url: str | None, entries: tuple[str, ...]) -> list[str]:
    from crawler.hostmap import HostMapError, parse_hostmap

    mapped = [f"{host}={replica_url}" for host in load_registry().hosts()] if replica_url else []
    try:
        parse_hostmap(mapped + list(entries))
    except HostMapError as error:
        raise click.BadParameter(str(error), param_hint="--hostmap/--replica") from None
    return mapped + list(entries)


@contextmanager
def _run_lock(db_path: str) -> Iterator[None]:
    """One run at a time per archive: a second cron run exits 3 instead of piling up."""
    lock_path = f"{db_path}.lock"
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            click.echo(f"another run holds {lock_path} (pid {holder}); not starting", err=True)
            sys.exit(EXIT_LOCKED)
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(str(os.getpid()))
        lock_file.flush()
        yield
        lock_file.truncate(0)


# --- extract -------------------------------------------------------------------

@main.command()
@click.argument("page", type=click.File("rb"))
@click.option("--url", help="The page's URL (default: its canonical link, og:url, or file://PAGE).")
@click.option("--portal", "portal_id", help="Registry id of the portal (default: detected from the URL's host).")
@click.option("--fetched-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
              help="When the page was fetched (dates after it are rejected; default: now).")
def extract(page, url, portal_id, fetched_at) -> None:
    """One saved page (HTML, or a JSON API answer) → its article record as JSON. PAGE '-' reads stdin."""
    from crawler.extract import extract_file

    try:
        portal = load_registry().get(portal_id) if portal_id else None
    except RegistryError as error:
        raise click.UsageError(str(error)) from None
    when = fetched_at or clock.now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=clock.now().tzinfo)
    record = extract_file(page.read(), url=url, portal=portal, fetched_at=when, name=getattr(page, "name", "-"))
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


# --- portals, probe ----------------------------------------------------------

@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def portals(db_path: str, as_json: bool) -> None:
    """Every portal of the registry: province before and after 2025, platform, status, and what the archive holds."""
    from crawler.portal_table import portal_rows, render_table

    rows = portal_rows(load_registry(), db_path)
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else render_table(rows))


@main.command()
@click.option("--portal", "portal_ids", multiple=True, help="Probe only this portal (repeatable). Default: every portal not defunct.")
@click.option("--replica", "replica_url", help="Probe the replica at this address instead of the network (DNS and TLS skipped).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a report.")
def probe(portal_ids, replica_url, as_json) -> None:
    """Check each portal: DNS, TLS, one listing page and one article. Writes nothing."""
    from crawler.probe import render_report, run_probe

    portals = _chosen_portals(portal_ids)
    results = run_probe(portals, hostmap=_hostmap(replica_url, ()), strict=bool(replica_url), network=not replica_url)
    click.echo(json.dumps([r.row() for r in results], ensure_ascii=False, indent=2) if as_json else render_report(results))
    working = sum(r.ok for r in results)
    sys.exit(EXIT_OK if working == len(results) else EXIT_FAILED if working == 0 else EXIT_PARTIAL)


# --- replica, serve, demo ------------------------------------------------------

@main.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="The date page headers show (default: today).")
@click.option("--articles", "total_articles", type=click.IntRange(min=1),
              help="Serve this many articles in all: the hand-written ones and generated ones spread over the portals "
                   "(default: 3 generated for each portal without hand-written ones).")
def replica(port: int, today, total_articles) -> None:
    """Serve the offline replica of the portals on 127.0.0.1 (foreground)."""
    from crawler.replica import serve_forever

    try:
        serve_forever(port, today.date() if today else None, total_articles=total_articles)
    except ValueError as error:  # fewer articles than the hand-written corpus
        raise click.BadParameter(str(error), param_hint="--articles") from None


@main.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db_path: str, port: int, host: str) -> None:
    """Serve the archive with Datasette (search, facets, CSV/JSON export)."""
    if not Path(db_path).exists():
        raise click.UsageError(f"{db_path} does not exist yet: run `vnarchive crawl` (or `vnarchive demo`) first")
    _exec_datasette(db_path, host, port)


def _exec_datasette(db_path: str, host: str, port: int) -> None:
    args = [sys.executable, "-m", "datasette", "serve", db_path, "--host", host, "--port", str(port)]
    if METADATA_FILE.exists():
        args += ["--metadata", str(METADATA_FILE)]
    click.echo(f"Datasette on http://{host}:{port}/ (Ctrl-C stops it)")
    sys.stdout.flush()
    os.execv(sys.executable, args)


@main.command()
@db_option
@click.option("--serve/--no-serve", default=True, help="Serve Datasette after the crawl (default) or stop with a summary.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Datasette's port.")
def demo(db_path: str, serve: bool, port: int) -> None:
    """Start the replica, crawl every portal from it into the archive, then serve it."""
    from crawler.replica import ReplicaServer

    with ReplicaServer(0) as server, _run_lock(db_path):
        click.echo(f"replica on {server.base_url}; crawling into {db_path}")
        portal_ids = [p.id for p in load_registry().crawlable()]
        summary = run_crawl(db_path, portal_ids, hostmap=_hostmap(server.base_url, ()), strict=True,
                            log_level="WARNING")
    click.echo(_summary_line(summary))
    click.echo(archive_summary(db_path))
    if summary["exit_code"] != EXIT_OK:
        sys.exit(summary["exit_code"])
    if serve:
        _exec_datasette(db_path, "127.0.0.1", port)


def archive_summary(db_path: str) -> str:
    """Articles per portal, with their date range: what a newcomer checks after the demo."""
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    rows = db.execute(
        "SELECT portal, count(*), min(substr(published_at, 1, 10)), max(substr(published_at, 1, 10)),"
        " sum(published_at IS NULL) FROM articles GROUP BY portal ORDER BY portal"
    ).fetchall()
    lines = [f"{'portal':<16} {'articles':>8}  {'oldest':<10}  {'newest':<10}  undated"]
    lines += [f"{p:<16} {n:>8}  {lo or '':<10}  {hi or '':<10}  {u}" for p, n, lo, hi, u in rows]
    lines.append(f"{'total':<16} {sum(r[1] for r in rows):>8}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
