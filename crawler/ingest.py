"""`vnarchive ingest --redis redis://…`: the one writer of a distributed crawl.

SQLite keeps one writer, so the workers of `vnarchive crawl --workers-redis` (crawler/distributed.py)
send what they extract through Redis, and this process stores it: it holds the archive's run lock
like a crawl, opens the run's `crawl_runs` row, stores items in batches (a transaction per portal,
as StorePipeline does), and when the run is over writes each portal's `portal_runs` row from the
workers' reports and its own storing counts.

The run is over when at least one worker has joined, every worker that joined has left (finished,
or its heartbeat expired: killed), nothing is left to store, and no new worker has joined for
`until_idle` seconds. Then the run's frontier in Redis is cleared, so the next run starts afresh.
A batch is removed from Redis only after it is committed: a killed ingest loses nothing,
and the next one stores the rest (an article stored twice is `unchanged` the second time).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import redis

from crawler import clock
from crawler.distributed import (
    FINISHED_KEY, FRONTIER, ITEMS_KEY, PORTALS_KEY, REPORTS_KEY, WORKERS_KEY, heartbeat_key, item_from_message,
    portal_key, worker_portals_key,
)
from crawler.registry import load_registry
from crawler.runs import CLEAN_FINISH, PORTAL_COUNTERS, is_disk_full, portal_outcome, run_totals
from crawler.store import Archive, archived_keys

logger = logging.getLogger(__name__)

# Items stored per transaction, and how long to wait for more before storing what came.
BATCH_SIZE = 50
POLL_SECONDS = 1.0
# What storing tells about a portal (Archive.save_articles), beside what its crawl counted.
STORING_COUNTERS = ("new", "changed", "unchanged", "not_modified", "gone")


@dataclass
class RunState:
    """What this ingest has learned of the run so far."""

    stored: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # portal → storing counts
    reports: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # portal → workers' reports
    opened: set[str] = field(default_factory=set)  # portals with a `running` row
    disk_full: bool = False


class Ingest:
    def __init__(self, archive: Archive, run_id: int, server: redis.Redis):
        self.archive, self.run_id, self.redis = archive, run_id, server
        self.portals = {p.id: p for p in load_registry().portals}
        self.state = RunState()

    # --- the loop -------------------------------------------------------------------

    def run(self, wait_seconds: float, until_idle: float) -> RunState:
        """Store until the run is over (see the module's docstring)."""
        self.clear_stale_frontier()
        started = time.monotonic()
        quiet_since: float | None = None
        while not self.state.disk_full:
            busy = self.store_batch() + self.take_reports()
            self.open_portal_rows()
            joined, live = self.workers()
            if not joined:
                if time.monotonic() - started >= wait_seconds:
                    logger.error("no worker joined in %g s", wait_seconds)
                    break
            elif live or busy:
                quiet_since = None
            else:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= until_idle:
                    break
            if not busy:
                time.sleep(POLL_SECONDS)
        return self.state

    def workers(self, client: redis.Redis | None = None) -> tuple[set[str], set[str]]:
        """(workers that joined, those still at work: not finished and their heartbeat alive)."""
        client = client or self.redis
        joined = client.smembers(WORKERS_KEY)
        at_work = joined - client.smembers(FINISHED_KEY)
        return joined, {worker for worker in at_work if client.exists(heartbeat_key(worker))}

    def lost_workers(self) -> set[str]:
        """Workers that joined and never said they finished: killed, or cut off from Redis."""
        return self.redis.smembers(WORKERS_KEY) - self.redis.smembers(FINISHED_KEY)

    def clear_stale_frontier(self) -> None:
        """A frontier no live worker holds was left by a run that died: start afresh. The workers'
        set is watched: a worker that joins while this looks (alive as it joins: join_run) makes
        Redis refuse the delete, and the look is taken again, so its place in the run is kept."""
        def clear_if_stale(transaction) -> None:
            if self.workers(transaction)[1]:
                return
            keys = frontier_keys(transaction)
            transaction.multi()
            if keys:
                transaction.delete(*keys)

        self.redis.transaction(clear_if_stale, WORKERS_KEY)

    def clear_frontier(self) -> None:
        if keys := frontier_keys(self.redis):
            self.redis.delete(*keys)

    # --- items and reports ------------------------------------------------------------

    def store_batch(self) -> int:
        """Store the oldest items; they leave Redis once committed (a batch stored again after a
        crash is counted `unchanged`, never duplicated: rows are keyed on the URL key)."""
        messages = self.redis.lrange(ITEMS_KEY, 0, BATCH_SIZE - 1)
        if not messages:
            return 0
        by_portal: dict[str, list] = defaultdict(list)
        for message in messages:
            item = item_from_message(message)
            by_portal[item.portal or ""].append(item)
        try:
            for portal, items in by_portal.items():  # a transaction per portal, as a crawl writes them
                self.state.stored[portal].update(self.archive.save_articles(items, self.portals))
        except Exception as error:
            if not is_disk_full(error):
                raise
            logger.critical("disk full, stopping: %s", error)
            self.state.disk_full = True
            return 0
        self.redis.ltrim(ITEMS_KEY, len(messages), -1)
        return len(messages)

    def take_reports(self) -> int:
        taken = 0
        while (message := self.redis.lpop(REPORTS_KEY)) is not None:
            report = json.loads(message)
            self.state.reports[report["row"]["portal"]].append(report)
            taken += 1
        return taken

    def open_portal_rows(self) -> None:
        """A `running` row for each portal as soon as its crawl starts: a killed run says so, and
        the next run crawls those portals deep (crawler/incremental.py)."""
        for portal in sorted(self.redis.smembers(PORTALS_KEY) - self.state.opened):
            mode = self.redis.get(portal_key(portal, "seeded"))
            if mode is None:
                continue  # not seeded yet: its mode is not decided
            self.archive.save_portal_run({"run_id": self.run_id, "portal": portal, "started_at": clock.now_iso(),
                                          "outcome": "running", "mode": mode})
            self.state.opened.add(portal)

    # --- the end ----------------------------------------------------------------------

    def finish(self) -> dict:
        """Each portal's row, its settled validators and the run's totals; then the frontier is
        cleared. Returns the run's summary: totals, rows, expected portals, lost workers."""
        from spiders.base import settled_validators

        lost = sorted(self.lost_workers())
        # Requests a lost worker had taken from the queue died with it: those portals may have holes.
        cut_short = set().union(*(self.redis.smembers(worker_portals_key(worker)) for worker in lost))
        rows = []
        for portal, reports in sorted(self.state.reports.items()):
            row = merged_row(self.run_id, reports, self.state.stored[portal], killed=portal in cut_short)
            if row["finish_reason"] == "finished":
                archived_now = archived_keys(self.archive.db, portal)
                self.archive.save_validators([
                    validator for report in reports for validator in settled_validators(
                        portal, {url: tuple(pair) for url, pair in report["validators"].items()},
                        {url: set(keys) for url, keys in report["page_links"].items()}, archived_now)])
            self.archive.save_portal_run(row)
            rows.append(row)
        all_reports = [report for reports in self.state.reports.values() for report in reports]
        stats = {"downloader/request_count": sum(row["requests"] for row in rows),
                 "downloader/response_count": sum(report["responses"] for report in all_reports)}
        totals = run_totals(rows, stats) if rows else {"finished_at": clock.now_iso(), "outcome": "failed"}
        if self.state.disk_full:
            totals["outcome"] = "disk_full"
        portals = sorted(self.redis.smembers(PORTALS_KEY))
        self.archive.update_run(self.run_id, **totals, portals=json.dumps(portals),
                                warc_file=" ".join(sorted({report["warc_file"] for report in all_reports} - {""})))
        self.clear_frontier()
        return {"run_id": self.run_id, **totals, "rows": rows, "expected": len(portals), "lost": lost}


def frontier_keys(client: redis.Redis) -> list[str]:
    """Every key of the run in progress (FRONTIER)."""
    return list(client.scan_iter(match=FRONTIER + "*", count=1000))


def merged_row(run_id: int, reports: list[dict], stored: Counter, killed: bool = False) -> dict:
    """One portal's `portal_runs` row from every worker's part of it and what storing counted;
    `killed` when a worker of it was lost (the next run crawls it deep, as after a killed crawl)."""
    parts = [report["row"] for report in reports]
    counts = {name: sum(part[name] or 0 for part in parts) for name in PORTAL_COUNTERS}
    for name in STORING_COUNTERS:
        counts[name] = stored.get(name, 0)
    errors, refused, tls = Counter(), Counter(), Counter()
    for part in parts:
        errors.update(json.loads(part["errors_by_kind"] or "{}"))
        refused.update(json.loads(part["refused_by_kind"] or "{}"))
        tls.update(json.loads(part["tls_issues"] or "{}"))
    # A portal is done only when every worker's part finished; else the first reason that did not.
    reason = "killed" if killed else next(
        (part["finish_reason"] for part in parts if part["finish_reason"] not in CLEAN_FINISH), parts[0]["finish_reason"])
    return {
        "run_id": run_id, "portal": parts[0]["portal"], "started_at": min(part["started_at"] for part in parts),
        "finished_at": max(part["finished_at"] for part in parts), "outcome": portal_outcome(counts, errors, reason),
        "mode": parts[0]["mode"], "requests": sum(part["requests"] for part in parts), **counts,
        "errors": sum(errors.values()), "errors_by_kind": json.dumps(errors), "finish_reason": reason,
        "refused": sum(refused.values()), "refused_by_kind": json.dumps(refused), "tls_issues": json.dumps(tls),
    }
