"""Export at scale: `vnarchive export` of a synthetic archive in every format, time and peak memory.

    .venv/bin/python bench/export.py [--articles 200000] [--db bench-export.db] [--search "dan van"]

Builds the archive once with bench/search.py's builder (reused when the file already holds
enough articles), adding the provenance a crawl fills (province, capture time, WARC file, raw
digest, extractor version) so that rows have their real width. Then runs the real command once
per format, each in its own child process, and prints rows, seconds, output size and the
child's peak resident memory (RUSAGE_CHILDREN, taken by a bare Python that runs only that
child, so that neither earlier children nor this bench's own memory count). The target is a
peak under 200 MB whatever the number of rows. A figure, not a test.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import search as search_bench  # noqa: E402  (the synthetic archive builder)
from crawler.export import FORMATS, manifest_path  # noqa: E402
from crawler.registry import load_registry  # noqa: E402

PEAK_TARGET_MB = 200
CAPTURED_AT = "2026-11-23T10:00:00+07:00"


def with_provenance(rows):
    """The columns a crawl fills and the search bench leaves empty."""
    from crawler.extract import EXTRACTOR_VERSION

    portals = {portal.id: portal for portal in load_registry().portals}
    for row in rows:
        portal = portals[row["portal"]]
        digest = base64.b32encode(hashlib.sha1(row["body"].encode()).digest()).decode()
        yield {**row, "province": portal.province, "province_2025": portal.province_2025,
               "date_source": "selector:dmy", "word_count": len(row["body"].split()), "topics": "[]",
               "first_seen": CAPTURED_AT, "captured_at": CAPTURED_AT, "raw_digest": f"sha1:{digest}",
               "warc_file": "vnarchive-run000001-20261123T030000Z-1.warc.gz", "extractor_version": EXTRACTOR_VERSION}


def build(path: Path, count: int) -> None:
    """bench/search.py's build, with its rows given their provenance."""
    import sqlite3

    if path.exists():
        connection = sqlite3.connect(path)
        held = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        connection.close()
        if held >= count:
            print(f"reusing {path} ({held:,} articles)", file=sys.stderr)
            return
    plain_rows = search_bench.synthetic_rows
    search_bench.synthetic_rows = lambda count, start: with_provenance(plain_rows(count, start))
    try:
        search_bench.build(path, count)
    finally:
        search_bench.synthetic_rows = plain_rows


def command() -> list[str]:
    """`vnarchive export`, through the main command once it is registered there."""
    from crawler.cli import main

    if "export" in main.commands:
        return [sys.executable, "-m", "crawler.cli", "export"]
    return [sys.executable, "-c", "from crawler.export import export; export(prog_name='vnarchive export')"]


# A bare Python between the bench and the export: a child's ru_maxrss starts from what it
# inherited at fork, so measured from this bench (which built the archive) it would be the bench's.
PEAK_OF_CHILD = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
                 "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def run_once(db: Path, fmt: str, folder: Path, extra: list[str]) -> dict:
    """One export in a child process; its rows, seconds, bytes and peak RSS."""
    out = folder / f"export.{fmt}"
    started = time.perf_counter()
    measured = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, *command(), "--db", str(db), "--format", fmt,
                               "-o", str(out), *extra], cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    code, peak_kib = map(int, measured.stdout.split()[-2:])
    if code:
        raise SystemExit(f"{fmt}: exit {code}\n{measured.stderr}")
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    result = {"format": fmt, "rows": manifest["rows"], "seconds": seconds, "bytes": out.stat().st_size,
              "peak_mb": peak_kib * 1024 / 1e6}  # Linux reports KiB
    out.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench-export.db")
    parser.add_argument("--search", help="Export only what this search finds (default: everything).")
    args = parser.parse_args()
    build(args.db, args.articles)
    extra = ["--search", args.search] if args.search else []
    print(f"{args.db} ({args.db.stat().st_size / 2**30:.2f} GiB)" + (f", --search {args.search!r}" if extra else ""))
    print(f"{'format':<8} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'output MiB':>11} {'peak RSS MB':>12}")
    results = []
    with tempfile.TemporaryDirectory(dir=args.db.parent) as folder:
        for fmt in FORMATS:
            result = run_once(args.db, fmt, Path(folder), extra)
            results.append(result)
            print(f"{fmt:<8} {result['rows']:>9,} {result['seconds']:>8.1f} {result['rows'] / result['seconds']:>8,.0f} "
                  f"{result['bytes'] / 2**20:>11.1f} {result['peak_mb']:>12.1f}", flush=True)
    peak = max(result["peak_mb"] for result in results)
    print(f"largest peak {peak:.1f} MB: {'under' if peak < PEAK_TARGET_MB else 'OVER'} the {PEAK_TARGET_MB} MB target")


if __name__ == "__main__":
    main()
