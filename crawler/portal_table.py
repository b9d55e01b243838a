"""`vnarchive portals`: every registry portal beside what the archive holds from it.

An operator reads it to see which portal has gone quiet or broke in its last run (listings
without links, articles without dates: crawler/runs.py); a researcher to see which provinces
the archive covers, before and after the 2025 merger.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from crawler.registry import Registry
from crawler.runs import FAILED_OUTCOMES, PORTAL_COUNTERS, health_problems

COLUMNS = (
    ("id", "portal"), ("province", "province"), ("province_2025", "after 2025"), ("platform", "platform"),
    ("status", "status"), ("verified", "verified"), ("articles", "articles"), ("newest", "newest"),
    ("last_ok_run", "last ok run"), ("last_run", "last run"), ("health", "health"),
)
NUMERIC = frozenset({"articles"})


def portal_rows(registry: Registry, db_path: str | Path | None) -> list[dict[str, Any]]:
    """One row per portal, registry order; archive columns empty when there is no archive yet."""
    held = _archive_figures(Path(db_path)) if db_path and Path(db_path).exists() else {}
    return [
        {
            "id": p.id, "name": p.name, "domain": p.domain, "province": p.province,
            "province_2025": p.province_2025, "platform": p.platform, "status": p.status,
            "successor": p.successor, "verified": p.verified,
            "articles": held.get(p.id, {}).get("articles", 0),
            "newest": held.get(p.id, {}).get("newest"),
            "last_ok_run": held.get(p.id, {}).get("last_ok_run"),
            "last_run": held.get(p.id, {}).get("last_run"),
            "broken": held.get(p.id, {}).get("last_run") in FAILED_OUTCOMES,
            "health": held.get(p.id, {}).get("health", ""),
        }
        for p in registry.portals
    ]


def render_table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns, one portal a line; `verified` reads "no" where nobody confirmed the entry."""
    cells = [[_cell(key, row) for key, _ in COLUMNS] for row in rows]
    headers = [title for _, title in COLUMNS]
    widths = [max(len(text) for text in column) for column in zip(headers, *cells)]
    lines = [_line(headers, widths, COLUMNS)]
    lines += [_line(row, widths, COLUMNS) for row in cells]
    unverified = sum(not row["verified"] for row in rows)
    lines.append(f"{len(rows)} portals; {unverified} not verified against the live site")
    return "\n".join(lines)


def _cell(key: str, row: dict[str, Any]) -> str:
    value = row[key]
    if key == "status" and row["successor"]:
        return f"{value} → {row['successor']}"
    if key == "verified":
        return "yes" if value else "no"

    if key in ("newest", "last_ok_run"):
        return (value or "")[:16].replace("T", " ")
    return "" if value is None else str(value)


def _line(values: list[str], widths: list[int], columns) -> str:
    return "  ".join(
        value.rjust(width) if key in NUMERIC else value.ljust(width)
        for value, width, (key, _) in zip(values, widths, columns)
    ).rstrip()


def _health(run: sqlite3.Row) -> str:
    """What went wrong in a portal's last run, in a few words."""
    if run["outcome"] == "broken":
        return "; ".join(health_problems({name: run[name] or 0 for name in PORTAL_COUNTERS}))
    if run["outcome"] == "paused":
        errors = json.loads(run["errors_by_kind"] or "{}")
        common = ", ".join(f"{kind} ×{count}" for kind, count in sorted(errors.items(), key=lambda kv: -kv[1])[:3])
        return f"paused: failures in a row ({common})"
    return ""


def _archive_figures(path: Path) -> dict[str, dict[str, Any]]:
    """Articles, newest publication date and last successful run per portal, read-only."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    figures: dict[str, dict[str, Any]] = {}
    try:
        for portal, count, newest in connection.execute(
                "SELECT portal, count(*), max(published_at) FROM articles GROUP BY portal"):
            figures.setdefault(portal, {}).update(articles=count, newest=newest)
        for portal, finished in connection.execute(
                "SELECT portal, max(finished_at) FROM portal_runs WHERE outcome = 'ok' GROUP BY portal"):
            figures.setdefault(portal, {})["last_ok_run"] = finished
        connection.row_factory = sqlite3.Row
        for row in connection.execute(
                "SELECT * FROM portal_runs WHERE rowid IN (SELECT max(rowid) FROM portal_runs GROUP BY portal)"):
            figures.setdefault(row["portal"], {}).update(last_run=row["outcome"], health=_health(row))
    except sqlite3.OperationalError:  # an archive without these tables yet
        pass
    finally:
        connection.close()
    return figures
