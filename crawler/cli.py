"""The `vnarchive` command.

Exit codes of `vnarchive crawl` (for cron):
  0  the run finished and every portal it visited was read; also when another run holds the
     archive's lock (the second run says so and writes nothing)
  1  the run failed: no portal could be crawled
  2  bad input: an unknown portal, a broken registry, a bad option
  3  could not start: the archive or its warc/ folder cannot be opened or written
  4  partial: some portals broke (no listing links, no dates, aborted, paused by the circuit
     breaker) while others were crawled
  5  disk full: the run stopped; what was committed before is intact
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from crawler import __version__, clock
from crawler.backfill import backfill
from crawler.export import export
from crawler.registry import RegistryError, get_topic, load_registry

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANNOT_START, EXIT_PARTIAL, EXIT_DISK_FULL = 0, 1, 2, 3, 4, 5
PROJECT_ROOT = Path(__file__).resolve().parent.parent
METADATA_FILE = PROJECT_ROOT / "metadata.yml"


def db_option(command):
    return click.option("--db", "db_path", default="archive.db", show_default=True,
                        type=click.Path(dir_okay=False), help="The archive file.")(command)


@click.group()
@click.version_option(__version__)
def main() -> None:
    """An archive of Vietnamese provincial government news."""


main.add_command(export)  # defined beside what it writes (crawler/export.py)
main.add_command(backfill)  # crawler/backfill.py


# --- crawl -------------------------------------------------------------------

@main.command()
@db_option
@click.option("--portal", "portal_ids", multiple=True, help="Crawl only this portal (repeatable). Default: every portal not defunct.")
@click.option("--portals-file", type=click.Path(exists=True, dir_okay=False),
              help="A YAML list of more portal entries (id, name, province, domain, sections; platform generic "
                   "by default) added to the registry for this run. Without --portal, only these are crawled.")
@click.option("--replica", "replica_url", help="Send every registry host to this replica, e.g. http://127.0.0.1:8001. Nothing else is fetched.")
@click.option("--hostmap", "hostmap", multiple=True, help="HOST=ADDRESS: fetch HOST from ADDRESS, keep the real URL (repeatable).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Backfill: page through listings down to this date (YYYY-MM-DD).")
@click.option("--deep", is_flag=True, help="Read every listing page, feed and sitemap, not only what is new.")
@click.option("--recheck", is_flag=True, help="Re-check every archived article now (changes become revisions).")
@click.option("--topic", help="Keep only articles on this topic (a keyword set in crawler/topics.yml, e.g. dan-van).")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write the log here instead of stderr.")
@click.option("--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting of crawler/settings.py for this run (VALUE read as JSON when it parses).")
@click.option("--workers-redis", metavar="redis://HOST:PORT/DB",
              help="Be one of several workers sharing a frontier in this Redis; `vnarchive ingest` stores what they find "
                   "(the archive is only read). See crawler/distributed.py.")
def crawl(db_path, portal_ids, portals_file, replica_url, hostmap, since, deep, recheck, topic, log_file, log_level,
          overrides, workers_redis) -> None:
    """Crawl the portals into the archive (the cron job). One run at a time per archive."""
    extra_ids = _extra_portal_ids(portals_file)
    portals = _chosen_portals(portal_ids or extra_ids)
    _check_topic(topic)
    options = {"since": since.date().isoformat() if since else "", "deep": deep, "recheck": recheck, "topic": topic,
               "overrides": _setting_overrides(overrides)}
    if workers_redis:  # no lock: workers share the run, and the writer (ingest) holds the lock
        _crawl_as_worker(workers_redis, db_path, [p.id for p in portals], hostmap=_hostmap(replica_url, hostmap),
                         strict=bool(replica_url), log_file=log_file, log_level=log_level, **options)
    with _run_lock(db_path):
        summary = run_crawl(db_path, [p.id for p in portals], hostmap=_hostmap(replica_url, hostmap),
                            strict=bool(replica_url), log_file=log_file, log_level=log_level, **options)
    click.echo(_summary_line(summary))
    sys.exit(summary["exit_code"])


def run_crawl(db_path: str, portal_ids: list[str], *, hostmap: list[str], strict: bool, since: str = "",
              deep: bool = False, recheck: bool = False, topic: str | None = None, log_file: str | None = None,
              log_level: str = "INFO", overrides: dict | None = None) -> dict:
    """One crawl run of several portals in one process; returns the run's summary."""
    from scrapy.crawler import CrawlerProcess

    from crawler.runs import DISK_FULL_STAT, is_disk_full, run_totals
    from spiders.portals import PORTAL_SPIDERS

    archive, run_id, warc_file = _open_run(db_path, portal_ids)
    settings = _settings(db_path, run_id, warc_file, hostmap, strict, log_file, log_level,
                         SINCE=since, DEEP=deep, RECHECK_KNOWN=recheck, TOPIC=topic or "", **(overrides or {}))
    let_each_crawler_use_the_page_budget(settings)
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
        disk_full = bool(stats.get(DISK_FULL_STAT))
        if disk_full:
            totals["outcome"] = "disk_full"
        try:
            archive.update_run(run_id, **totals)
            archive.checkpoint()
        except Exception as error:
            if not is_disk_full(error):
                raise
            disk_full = True
        archive.close()
    if disk_full:
        click.echo(f"disk full: the run stopped; what was committed before is intact ({db_path})", err=True)
    return {"run_id": run_id, **totals, "portals": {row["portal"]: row["outcome"] for row in rows},
            "exit_code": EXIT_DISK_FULL if disk_full else _exit_code(rows, len(portal_ids))}


def _crawl_as_worker(redis_url: str, db_path: str, portal_ids: list[str], *, hostmap: list[str], strict: bool,
                     since: str, deep: bool, recheck: bool, topic: str | None, log_file: str | None, log_level: str,
                     overrides: dict) -> None:
    """One worker of a distributed crawl: exits 0 when done, 3 when Redis or the WARC folder cannot
    be reached, 5 on a full disk. The run's outcome is `vnarchive ingest`'s exit code."""
    import redis

    from crawler.distributed import run_worker, worker_warc_file
    from crawler.warc import warc_dir

    settings = _settings(db_path, 0, worker_warc_file(), hostmap, strict, log_file, log_level,
                         SINCE=since, DEEP=deep, RECHECK_KNOWN=recheck, TOPIC=topic or "", **overrides)
    let_each_crawler_use_the_page_budget(settings)
    try:
        (Path(settings.get("WARC_DIR") or warc_dir(db_path))).mkdir(parents=True, exist_ok=True)
        summary = run_worker(settings, redis_url, portal_ids)
    except (redis.RedisError, OSError) as error:
        click.echo(f"cannot start: {error}", err=True)
        sys.exit(EXIT_CANNOT_START)
    click.echo(f"worker {summary['worker']}: {summary['portals']} portals, {summary['requests']} requests, "
               f"{summary['items']} items sent to {redis_url}; raw pages in {summary['warc_file']}")
    sys.exit(EXIT_DISK_FULL if summary["disk_full"] else EXIT_OK)


def _open_run(db_path: str, portal_ids: list[str]):
    """Open the archive, tidy what a killed run left, and start the run's row. Exits 3 (or 5 on a
    full disk) when the archive or its WARC folder cannot be written."""
    from crawler.runs import is_disk_full
    from crawler.store import Archive
    from crawler.warc import repair_open_files, run_file_name, warc_dir

    try:
        archive = Archive(db_path)
        archive.sync_portals(load_registry().portals)
        for tail in repair_open_files(warc_dir(db_path)):
            click.echo(f"a killed run left a partial record; set aside in {tail}", err=True)
        if killed := archive.mark_dead_runs(clock.now_iso()):
            click.echo(f"run(s) {', '.join(map(str, killed))} did not finish; their portals are crawled deep", err=True)
        started = clock.now()
        run_id = archive.start_run(started_at=started.isoformat(timespec="seconds"), portals=portal_ids,
                                   command=" ".join(sys.argv), version=__version__, pid=os.getpid())
        warc_file = run_file_name(started, run_id)
        archive.update_run(run_id, warc_file=warc_file)
        _warn_old_extractor(archive)
    except Exception as error:  # sqlite3 and OS errors alike: nothing was crawled
        click.echo(f"cannot start: {db_path}: {error}", err=True)
        sys.exit(EXIT_DISK_FULL if is_disk_full(error) else EXIT_CANNOT_START)
    return archive, run_id, warc_file


def _warn_old_extractor(archive) -> None:
    """Rows read by an older extractor would make re-fetches look like edits: say what to run."""
    from crawler.extract import EXTRACTOR_VERSION

    older = archive.db.execute("SELECT count(*) FROM articles WHERE extractor_version != ?", [EXTRACTOR_VERSION]).fetchone()[0]
    if older:
        click.echo(f"{older} articles were read by an older extractor; `vnarchive reextract` brings them to "
                   f"{EXTRACTOR_VERSION}", err=True)


def _settings(db_path, run_id, warc_file, hostmap, strict, log_file, log_level, **run_options):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({
        "ARCHIVE_PATH": str(db_path), "VNARCHIVE_RUN_ID": run_id, "WARC_FILE": warc_file, "HOSTMAP": list(hostmap),
        "HOSTMAP_STRICT": strict, "LOG_LEVEL": log_level, **run_options,
        **({"LOG_FILE": log_file} if log_file else {}),
    }, priority="cmdline")
    if settings.getbool("TLS_VERIFY"):
        settings.set("DOWNLOADER_CLIENTCONTEXTFACTORY", settings.get("VERIFYING_CONTEXT_FACTORY"), priority="cmdline")
    return settings


def let_each_crawler_use_the_page_budget(settings) -> None:
    """Scrapy's per-crawler limit on pages held (5 MB by default) raised to the run's whole
    PAGE_MEMORY_BUDGET, which crawler/budget.py shares out (unless SCRAPER_SLOT_MAX_ACTIVE_SIZE was --set)."""
    from scrapy.settings import SETTINGS_PRIORITIES

    if settings.getpriority("SCRAPER_SLOT_MAX_ACTIVE_SIZE") >= SETTINGS_PRIORITIES["cmdline"]:
        return
    settings.set("SCRAPER_SLOT_MAX_ACTIVE_SIZE", settings.getint("PAGE_MEMORY_BUDGET"), priority="cmdline")


def _setting_overrides(pairs: tuple[str, ...]) -> dict:
    overrides = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE with a Scrapy setting name", param_hint="--set")
        try:
            overrides[name] = json.loads(value)
        except json.JSONDecodeError:
            overrides[name] = value
    return overrides


def _exit_code(rows: list[dict], expected: int) -> int:
    from crawler.runs import FAILED_OUTCOMES

    outcomes = [row["outcome"] for row in rows]
    failed = [o for o in outcomes if o in FAILED_OUTCOMES] + ["missing"] * (expected - len(rows))
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


def _extra_portal_ids(portals_file: str | None) -> tuple[str, ...]:
    """Add a portals file's entries to the registry of this process and its workers; their ids."""
    from crawler.registry import EXTRA_PORTALS_ENV, extra_portals

    if not portals_file:
        return ()
    os.environ[EXTRA_PORTALS_ENV] = str(Path(portals_file).resolve())
    try:
        return tuple(portal.id for portal in extra_portals())
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
    """One run at a time per archive: a second cron run says so and exits 0 without writing
    (a run still going is not an error). The kernel releases the lock when a run dies, even by kill -9."""
    lock_path = f"{db_path}.lock"
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            click.echo(f"another run holds {lock_path} (pid {holder}); not starting", err=True)
            sys.exit(EXIT_OK)
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(str(os.getpid()))
        lock_file.flush()
        yield
        lock_file.truncate(0)


# --- ingest (the writer of a distributed crawl) ----------------------------------------

@main.command()
@db_option
@click.option("--redis", "redis_url", required=True, metavar="redis://HOST:PORT/DB",
              help="The Redis the `crawl --workers-redis` workers send to.")
@click.option("--wait", "wait_seconds", default=600.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait for the first worker; none joining is a failed run (exit 1).")
@click.option("--until-idle", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Once every worker has left and everything is stored, wait this long for late workers, then end.")
def ingest(db_path: str, redis_url: str, wait_seconds: float, until_idle: float) -> None:
    """Store what distributed crawl workers send through Redis: the archive's one writer. Exit codes as crawl's."""
    import redis

    from crawler.distributed import connect
    from crawler.ingest import Ingest

    try:
        server = connect(redis_url)
    except redis.RedisError as error:
        click.echo(f"cannot start: {redis_url}: {error}", err=True)
        sys.exit(EXIT_CANNOT_START)
    with _run_lock(db_path):
        archive, run_id, _ = _open_run(db_path, [])
        writer = Ingest(archive, run_id, server)
        try:
            writer.run(wait_seconds, until_idle)
        finally:
            result = writer.finish()
            archive.checkpoint()
            archive.close()
    if result["lost"]:
        click.echo(f"worker(s) {', '.join(result['lost'])} left without finishing; their portals may be incomplete",
                   err=True)
    rows = result["rows"]
    if result["outcome"] == "disk_full":
        exit_code = EXIT_DISK_FULL
    elif rows and result["lost"]:  # the lost worker's portals are `aborted`, the rest was stored
        exit_code = EXIT_PARTIAL
    else:
        exit_code = _exit_code(rows, result["expected"]) if rows else EXIT_FAILED
    click.echo(_summary_line({**result, "portals": {row["portal"]: row["outcome"] for row in rows}}))
    sys.exit(exit_code)


# --- reextract, snapshot ------------------------------------------------------------

@main.command()
@db_option
@click.option("--portal", "portal_ids", multiple=True, help="Only this portal's articles (repeatable).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def reextract(db_path: str, portal_ids: tuple[str, ...], dry_run: bool) -> None:
    """Rebuild article rows from their raw WARC records with the current extractor (no network)."""
    from crawler.reextract import reextract as rebuild
    from crawler.store import Archive
    from crawler.warc import warc_dir

    _existing_archive(db_path)
    _chosen_portals(portal_ids)
    with _run_lock(db_path):
        archive = Archive(db_path)
        report = rebuild(archive, warc_dir(db_path), list(portal_ids), dry_run=dry_run)
        archive.checkpoint()
        archive.close()
    click.echo("\n".join(report.lines()) + (" (dry run: nothing written)" if dry_run else ""))
    sys.exit(EXIT_PARTIAL if report.failed else EXIT_OK)


@main.command()
@db_option
@click.argument("out", type=click.Path(dir_okay=False))
def snapshot(db_path: str, out: str) -> None:
    """A consistent copy of the archive for publishing, with a Datasette inspect file beside it
    (`vnarchive serve --db OUT --public` serves it immutable; name it archive.db)."""
    import subprocess

    from crawler.store import Archive

    _existing_archive(db_path)
    if Path(out).exists():
        raise click.UsageError(f"{out} exists; snapshot writes a new file")
    archive = Archive(db_path)
    archive.snapshot(out)
    archive.close()
    inspect_file = f"{out}.inspect.json"
    subprocess.run([sys.executable, "-m", "datasette", "inspect", out, "--inspect-file", inspect_file], check=True)
    click.echo(f"{out} ({Path(out).stat().st_size // 1024} KiB) and {inspect_file}; serve with:\n"
               f"  vnarchive serve --db {out} --public")


def _existing_archive(db_path: str) -> None:
    if not Path(db_path).exists():
        raise click.UsageError(f"{db_path} does not exist yet: run `vnarchive crawl` (or `vnarchive demo`) first")


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
@click.option("--edition", type=click.IntRange(1, 2), default=1, show_default=True,
              help="2: the same portals a day later (new, edited and removed articles; listings shifted).")
def replica(port: int, today, total_articles, edition: int) -> None:
    """Serve the offline replica of the portals on 127.0.0.1 (foreground)."""
    from crawler.replica import serve_forever

    try:
        serve_forever(port, today.date() if today else None, total_articles=total_articles, edition=edition)
    except ValueError as error:  # fewer articles than the hand-written corpus
        raise click.BadParameter(str(error), param_hint="--articles") from None


@main.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--public", is_flag=True,
              help="For a public deployment: no arbitrary SQL (stored queries still run), time and row limits, "
                   "no database download; robots are turned away. Serves OUT.db immutable when `vnarchive "
                   "snapshot` left OUT.db.inspect.json beside it.")
def serve(db_path: str, port: int, host: str, public: bool) -> None:
    """Serve the archive with Datasette (search, facets, stored queries, article pages, CSV/JSON export)."""
    _existing_archive(db_path)
    _exec_datasette(db_path, host, port, public=public)


def _exec_datasette(db_path: str, host: str, port: int, public: bool = False) -> None:
    from crawler.datasette_plugin import PUBLIC_SETTINGS, SERVE_SETTINGS

    inspect_file = Path(f"{db_path}.inspect.json")
    immutable = public and inspect_file.exists()  # a snapshot: nobody writes it, its counts are precomputed
    args = [sys.executable, "-m", "datasette", "serve", *(["-i"] if immutable else []), db_path,
            "--host", host, "--port", str(port)]
    if immutable:
        args += ["--inspect-file", str(inspect_file)]
    for name, value in (PUBLIC_SETTINGS if public else SERVE_SETTINGS).items():
        args += ["--setting", name, "on" if value is True else "off" if value is False else str(value)]
    if METADATA_FILE.exists():
        args += ["--metadata", str(METADATA_FILE)]
    if Path(db_path).stem != "archive":  # Datasette names a database after its file
        click.echo(f"warning: metadata.yml (descriptions, stored queries, article pages) is written for a database "
                   f"named archive; {db_path} is served as {Path(db_path).stem}: name it archive.db", err=True)
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
