"""The whole pipeline against its parts, on the replica with N articles; prints figures side by side.

    .venv/bin/python bench/pipeline.py --articles 5000

1. fetch only: `vnarchive crawl` with no item pipelines and no WARC (pages/s);
2. plain trafilatura: `trafilatura.extract(with_metadata=True)` in one process over the same
   article pages, fetched beforehand (pages/s);
3. full: `vnarchive crawl` into a fresh archive, extraction in worker processes, WARC, store,
   FTS (pages/s and articles/s), with the peak memory of the crawl and all its processes, and CPU use;
4. incremental: a second full crawl of the unchanged replica (requests, seconds).

full / fetch only compares the same crawl of the same replica (the same requests, listings
included): pages/s over pages/s, which is the fetch-only run's time over the full run's.
Crawls 1 and 3 run in turn, --rounds times (3 by default): on a shared virtual machine one
crawl's time varied by up to a fifth from one minute to the next. Each figure is the median
round's, the ratio is the median of the rounds' own ratios (each printed), and peak memory is
the highest of the rounds.

Politeness (download delay, AutoThrottle, 4 connections a host) is for real portals; the
replica is local, so every crawl here runs with the same unthrottled settings (--set).
The replica answers from its page cache (a page renders once, crawler/replica/server.py): a
warm-up fetch-only crawl, not counted, renders every page first, so that both measured crawls
find the replica as warm.
A figure, not a test: nothing here fails on speed.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.replica import ReplicaServer, article_url, replica_articles  # noqa: E402

UNTHROTTLED = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "CONCURRENT_REQUESTS=64",
               "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
FETCH_ONLY = ['ITEM_PIPELINES={}', 'DOWNLOADER_MIDDLEWARES={}']
FROZEN_NOW = "2026-11-23T10:00:00+07:00"


def crawl(db: Path, replica_url: str, extra: list[str]) -> dict:
    """One `vnarchive crawl`; seconds, peak memory (MiB, the process tree) and CPU seconds."""
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--replica", replica_url,
               "--log-level", "WARNING", *[arg for pair in UNTHROTTLED + extra for arg in ("--set", pair)]]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "VNARCHIVE_NOW": FROZEN_NOW},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    own_before = os.times()
    peak, cpu_seen = 0, {}
    while process.poll() is None:
        rss, cpu_seen_now = tree_usage(process.pid)
        peak = max(peak, rss)
        cpu_seen.update(cpu_seen_now)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 4):
        raise SystemExit(f"crawl failed ({process.returncode}): {process.stderr.read().decode()[-2000:]}")
    cpu = os.times()
    main_cpu = cpu_seen.get(process.pid, 0.0)
    return {"seconds": seconds, "peak_mib": peak / 2**20, "cpu": cpu.children_user + cpu.children_system,
            "main_cpu": main_cpu, "other_cpu": sum(cpu_seen.values()) - main_cpu,
            "replica_cpu": cpu.user + cpu.system - own_before.user - own_before.system}


def cpu_split(run: dict, others: str) -> str:
    """The cores a crawl kept busy, by process, of its wall time."""
    seconds = run["seconds"]
    return (f"CPU: crawl process {run['main_cpu'] / seconds:.2f}, {others} {run['other_cpu'] / seconds:.2f}, "
            f"replica {run['replica_cpu'] / seconds:.2f}")


def tree_usage(pid: int) -> tuple[int, dict[int, float]]:
    """Resident memory of a process and all its descendants, and each one's CPU seconds so far, from /proc."""
    total, cpu, pending = 0, {}, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
                cpu[current] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total, cpu


def last_run(db: Path) -> dict:
    connection = sqlite3.connect(db)
    requests, responses, new = connection.execute(
        "SELECT requests, responses, new FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    connection.close()
    return {"requests": requests, "responses": responses, "new": new}


def fetch_pages(replica: ReplicaServer, urls: list[str]) -> list[str]:
    pages = []
    for url in urls:
        parts = urlsplit(url)
        request = urllib.request.Request(replica.base_url + parts.path + (f"?{parts.query}" if parts.query else ""),
                                         headers={"Host": parts.netloc})
        with urllib.request.urlopen(request) as response:
            pages.append(response.read().decode("utf-8", "replace"))
    return pages


def plain_trafilatura(pages: list[str]) -> float:
    import trafilatura

    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page, with_metadata=True)
    return len(pages) / (time.perf_counter() - started)


def measured_rounds(replica_url: str, folder: Path, rounds: int) -> list[tuple[dict, dict]]:
    """A fetch-only and a full crawl in turn, each into a fresh archive, `rounds` times: a shared
    machine's drift from one minute to the next touches both crawls of a round alike."""
    measured = []
    for number in range(rounds):
        fetch_db, full_db = folder / f"fetch-{number}.db", folder / f"full-{number}.db"
        fetch = crawl(fetch_db, replica_url, FETCH_ONLY)
        fetch["page_rate"] = last_run(fetch_db)["responses"] / fetch["seconds"]
        cpu_before = os.times()
        full = crawl(full_db, replica_url, [])
        full["busy_cpu"] = full["cpu"] - (cpu_before.children_user + cpu_before.children_system)
        full["run"], full["db"] = last_run(full_db), full_db
        full["page_rate"] = full["run"]["responses"] / full["seconds"]
        measured.append((fetch, full))
    return measured


def median_run(runs: list[dict]) -> dict:
    """The run of the median rate (the lower middle one of an even number)."""
    return sorted(runs, key=lambda run: run["page_rate"])[(len(runs) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="fetch-only and full crawls, in turn (medians are shown)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    articles = replica_articles(ReplicaServer(0).today, total_articles=args.articles)
    with ReplicaServer(0, total_articles=args.articles) as replica, tempfile.TemporaryDirectory() as folder:
        html_urls = [article_url(a) for a in articles if a.portal != "tuyengiaodanvan"]  # its pages are a JS shell
        pages = fetch_pages(replica, html_urls)
        kib = sum(len(p.encode()) for p in pages) / len(pages) / 1024
        trafilatura_rate = plain_trafilatura(pages)

        crawl(Path(folder) / "warm-up.db", replica.base_url, FETCH_ONLY)
        rounds = measured_rounds(replica.base_url, Path(folder), args.rounds)
        fetch = median_run([fetch_round for fetch_round, _ in rounds])
        full = median_run([full_round for _, full_round in rounds])
        ratios = sorted(full_round["page_rate"] / fetch_round["page_rate"] for fetch_round, full_round in rounds)
        full_run = full["run"]
        again = crawl(full["db"], replica.base_url, [])
        again_run = last_run(full["db"])

    print(f"replica: {len(articles)} articles, {os.cpu_count()} cores; article pages average {kib:.1f} KiB; "
          f"crawls: median of {args.rounds} rounds")
    print(f"{'fetch only (pages/s)':<44} {fetch['page_rate']:>10.1f}   ({fetch['seconds']:.1f} s; {cpu_split(fetch, 'other processes')})")
    print(f"{'plain trafilatura, 1 process (pages/s)':<44} {trafilatura_rate:>10.1f}")
    print(f"{'full crawl (pages/s)':<44} {full['page_rate']:>10.1f}   ({full_run['responses']} pages, "
          f"{full['seconds']:.1f} s; {cpu_split(full, 'extraction workers')})")
    full_rate = full_run["new"] / full["seconds"]
    print(f"{'full crawl (articles/s)':<44} {full_rate:>10.1f}   ({full_run['new']} articles stored)")
    peak_mib = max(full_round["peak_mib"] for _, full_round in rounds)
    print(f"{'  peak memory, all processes (MiB)':<44} {peak_mib:>10.0f}   (highest of the rounds)")
    print(f"{'  CPU busy (cores, of the wall time)':<44} {full['busy_cpu'] / full['seconds']:>10.2f}   "
          f"(+ {full['replica_cpu'] / full['seconds']:.2f} for the replica serving it)")
    print(f"{'full / fetch only (pages/s, the same crawl)':<44} {ratios[(len(ratios) - 1) // 2]:>10.3f}   "
          f"(rounds: {', '.join(f'{ratio:.3f}' for ratio in ratios)})")
    print(f"{'full / plain trafilatura':<44} {full_rate / trafilatura_rate:>10.2f}")
    print(f"{'incremental run: requests (% of full)':<44} {again_run['requests']:>10} "
          f"({100 * again_run['requests'] / full_run['requests']:.1f}%), {again['seconds']:.1f} s")


if __name__ == "__main__":
    main()
