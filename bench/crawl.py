"""Time one full crawl of the offline replica into a fresh archive and print the figures.

    .venv/bin/python bench/crawl.py [--runs 3]

Prints requests, articles, seconds and articles/s for a first (cold) crawl and for a second,
incremental crawl of the unchanged replica. A figure, not a test: nothing here fails on speed.
The crawl keeps its polite settings (download delay, AutoThrottle), so on the default 210-article replica
the time is mostly politeness, not work.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawler.replica import ReplicaServer

ROOT = Path(__file__).resolve().parent.parent


def crawl(db: Path, replica_url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--replica", replica_url,
                    "--log-level", "WARNING"], cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    connection = sqlite3.connect(db)
    run = connection.execute("SELECT requests, new, unchanged FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    connection.close()
    return seconds, {"requests": run[0], "new": run[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'run':<12} {'requests':>8} {'new':>5} {'seconds':>8} {'articles/s':>10}")
    with ReplicaServer(0) as replica:
        for index in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                db = Path(folder) / "archive.db"
                for label in ("cold", "incremental"):
                    seconds, run = crawl(db, replica.base_url)
                    rate = run["new"] / seconds if run["new"] else 0
                    print(f"{label + '#' + str(index + 1):<12} {run['requests']:>8} {run['new']:>5} {seconds:>8.2f} {rate:>10.1f}")


if __name__ == "__main__":
    main()
