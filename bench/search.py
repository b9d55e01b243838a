"""Search latency at scale: folded, exact and phrase queries over a synthetic archive, through Datasette.

    .venv/bin/python bench/search.py [--articles 1000000] [--db bench-search.db]

Builds the archive once (reused when the file already holds enough articles) with the
project's own schema and FTS index (crawler/store.py), from paragraphs of the replica's
corpus recombined deterministically, then asks Datasette's client for
`/bench-search/articles.json?_search=…` and prints median and p95 latency per kind of query,
and the database size per article. A figure, not a test.

Datasette runs as `vnarchive serve` runs it: facet suggestions off (on a large table they scan
every column for each page). Two figures per query kind: the first page of results
(`_nocount=1`), and the same page with Datasette's count of all matches, which grows with
the number of matches and is cut by Datasette's time limit (1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.registry import load_registry  # noqa: E402
from crawler.replica import load_corpus  # noqa: E402
from crawler.store import Archive  # noqa: E402
from crawler.text import fold  # noqa: E402

QUERIES = {
    "folded": ["dan van", "dang bo", "hdnd tinh", "cai cach hanh chinh", "chinh quyen"],
    "exact": ["dân vận", "đảng bộ", "HĐND tỉnh", "cải cách hành chính", "chính quyền"],
    "phrase": ['"dân vận chính quyền"', '"cải cách hành chính"', '"dan van"', '"tiếp công dân"', '"hội nghị"'],
}
ROUNDS = 10
BATCH = 5000


def paragraphs() -> list[str]:
    found = [block for article in load_corpus() for block in article.body if isinstance(block, str)]
    return [p for p in found if len(p) > 80]


def synthetic_rows(count: int, start: int):
    """Deterministic articles: 3–8 paragraphs of the corpus each, dates over 2010–2026."""
    pool, portals = paragraphs(), [p.id for p in load_registry().portals]
    rng = random.Random(start)
    for index in range(start, count):
        body = "\n\n".join(rng.sample(pool, rng.randint(3, 8)))
        title = pool[rng.randrange(len(pool))][:90]
        year, month, day = rng.randint(2010, 2026), rng.randint(1, 12), rng.randint(1, 28)
        yield {
            "url_key": f"bench/{index}", "url": f"https://bench.gov.vn/a/{index}", "portal": portals[index % len(portals)],
            "title": title, "lead": "", "body": body, "published_at": f"{year}-{month:02d}-{day:02d}", "year": year,
            "search_text": fold(f"{title}\n{body}"),
        }


def build(path: Path, count: int) -> None:
    archive = Archive(path)
    archive.db.execute("PRAGMA synchronous = OFF")
    held = archive.db["articles"].count
    started = time.perf_counter()
    rows = synthetic_rows(count, held)
    while True:
        batch = [row for _, row in zip(range(BATCH), rows)]
        if not batch:
            break
        with archive.db.conn:
            archive.db["articles"].insert_all(batch, batch_size=BATCH)
        held += len(batch)
        print(f"\r  {held:,} articles, {held / (time.perf_counter() - started):,.0f}/s", end="", file=sys.stderr)
    print(file=sys.stderr)
    archive.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
    archive.checkpoint()
    archive.close()


async def latencies(path: Path) -> dict[str, list[float]]:
    from datasette.app import Datasette

    datasette = Datasette(immutables=[str(path)], settings={"suggest_facets": False})
    await datasette.invoke_startup()
    name = path.stem
    timings: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for kind, queries in QUERIES.items():
            for query in queries:
                for label, extra in (("page", {"_nocount": 1}), ("page+count", {})):
                    started = time.perf_counter()
                    response = await datasette.client.get(f"/{name}/articles.json",
                                                          params={"_search": query, "_size": 20, **extra})
                    timings.setdefault(f"{kind} {label}", []).append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text[:300]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench-search.db")
    args = parser.parse_args()
    build(args.db, args.articles)
    timings = asyncio.run(latencies(args.db))
    count = Archive(args.db).db["articles"].count
    print(f"{count:,} articles; {args.db.stat().st_size / count / 1024:.2f} KiB per article "
          f"({args.db.stat().st_size / 2**30:.2f} GiB)")
    print(f"{'search':<20} {'median ms':>10} {'p95 ms':>8}")
    for kind, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"{kind:<20} {statistics.median(values) * 1000:>10.1f} {p95 * 1000:>8.1f}")


if __name__ == "__main__":
    main()
