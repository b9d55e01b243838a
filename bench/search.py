"""Search latency at scale: folded, exact and phrase queries over a synthetic archive, through Datasette.

    .venv/bin/python bench/search.py [--articles 1000000] [--db bench-search.db]

Builds the archive once (reused when the file already holds enough articles) with the
project's own schema, rowids and FTS index (crawler/store.py), from paragraphs of the replica's
corpus recombined deterministically, then asks Datasette's client, set up as `vnarchive serve`
sets it up (metadata.yml, the plugin), for the stored `search` (newest 1,000 matches with their
passages; also restricted to one year) and prints median and p95 latency per kind of query, and
the database size per article. The articles table's `?_search=` is timed once per query for
comparison: Datasette sorts every match by published_at there. A figure, not a test.

The corpus recombines a few hundred paragraphs, so common words match most articles: the case
that sorting every match makes slow, and that the index's own newest-first order makes fast.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.registry import load_registry  # noqa: E402
from crawler.replica import load_corpus  # noqa: E402
from crawler.search import FTS_COLUMNS, FTS_TOKENIZER  # noqa: E402
from crawler.store import ROWIDS_PER_SECOND, Archive, chronological_rowid  # noqa: E402
from crawler.text import fold  # noqa: E402

VIETNAM = timezone(timedelta(hours=7))
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
    """Deterministic articles: 3–8 paragraphs of the corpus each, dates over 2010–2026, in rowid
    (publication) order as the store numbers them, so the table is written front to back."""
    pool, portals = paragraphs(), [p.id for p in load_registry().portals]
    days = random.Random(0)
    dated = sorted((chronological_rowid(f"{days.randint(2010, 2026)}-{days.randint(1, 12):02d}-{days.randint(1, 28):02d}")
                    + index, index) for index in range(count))
    for rowid, index in dated[start:]:
        rng = random.Random(index)
        body = "\n\n".join(rng.sample(pool, rng.randint(3, 8)))
        title = pool[rng.randrange(len(pool))][:90]
        published_at = datetime.fromtimestamp(rowid // ROWIDS_PER_SECOND, VIETNAM).date().isoformat()
        yield {
            "rowid": rowid, "url_key": f"bench/{index}", "url": f"https://bench.gov.vn/a/{index}",
            "portal": portals[index % len(portals)], "title": title, "lead": "", "body": body,
            "published_at": published_at, "year": int(published_at[:4]), "search_text": fold(f"{title}\n{body}"),
        }


def build(path: Path, count: int) -> None:
    """The rows first, then the FTS index in one pass ('rebuild'): several times faster than its
    triggers row by row. An interrupted build goes on from the rows it holds."""
    archive = Archive(path)
    db = archive.db
    db.execute("PRAGMA synchronous = OFF")
    held = db["articles"].count
    triggers = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles'")]
    # The triggers come back in the index's own transaction, so they mark a finished build (counting
    # articles_fts would not: an external-content table counts its content table's rows).
    if held >= count and triggers:
        archive.close()
        return
    for name in triggers:
        db.execute(f"DROP TRIGGER [{name}]")
    started = time.perf_counter()
    rows = synthetic_rows(count, held)
    while True:
        batch = [row for _, row in zip(range(BATCH), rows)]
        if not batch:
            break
        with db.conn:
            db["articles"].insert_all(batch, batch_size=BATCH)
        held += len(batch)
        print(f"\r  {held:,} articles, {held / (time.perf_counter() - started):,.0f}/s", end="", file=sys.stderr)
    print("\n  indexing…", file=sys.stderr)
    with db.conn:
        db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        for schema in fts_triggers(db):
            db.execute(schema)
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
    archive.checkpoint()
    archive.close()
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def fts_triggers(db: sqlite_utils.Database) -> list[str]:
    """The FTS triggers as the store makes them, from a scratch copy of the table (a build
    interrupted after dropping them has none left to copy)."""
    scratch = sqlite_utils.Database(memory=True)
    scratch.execute(db["articles"].schema)
    scratch["articles"].enable_fts(FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZER)
    return [sql for (sql,) in scratch.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]


async def latencies(path: Path) -> dict[str, list[float]]:
    """Each query through the stored `search` (what the archive's home page sends a researcher to)
    ROUNDS times; the articles table's ?_search= once, for comparison."""
    import yaml
    from datasette.app import Datasette

    from crawler.datasette_plugin import SERVE_SETTINGS

    name = path.stem
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    metadata["databases"] = {name: metadata["databases"]["archive"]}  # written for archive.db
    datasette = Datasette(immutables=[str(path)], metadata=metadata,
                          settings={**SERVE_SETTINGS, "sql_time_limit_ms": 60_000})
    await datasette.invoke_startup()
    timings: dict[str, list[float]] = {}
    for round_number in range(ROUNDS):
        for kind, queries in QUERIES.items():
            for query in queries:
                pages = [("stored search", f"/{name}/search.json",
                          {"q": query, "province": "", "since": "", "until": ""}),
                         ("stored search 2015", f"/{name}/search.json",
                          {"q": query, "province": "", "since": "2015-01-01", "until": "2015-12-31"})]
                if round_number == 0:
                    pages.append(("table ?_search=", f"/{name}/articles.json", {"_search": query, "_size": 20, "_nocount": 1}))
                for label, url, params in pages:
                    started = time.perf_counter()
                    response = await datasette.client.get(url, params=params)
                    timings.setdefault(f"{kind}: {label}", []).append(time.perf_counter() - started)
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
    print(f"{'search':<38} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for kind, values in timings.items():
        values.sort()
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(f"{kind:<38} {len(values):>7} {statistics.median(values) * 1000:>10.1f} {p95 * 1000:>8.1f}")


if __name__ == "__main__":
    main()
