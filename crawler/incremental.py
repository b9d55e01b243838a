"""What one portal's run knows from the archive before it starts, and how deep it goes.

A run of a portal is one of:
- deep: every listing page (up to MAX_LISTING_PAGES), the feeds, robots.txt and the sitemaps.
  The first run of a portal, a run after one that did not finish (killed, aborted: its
  listing walk may have left holes behind pages that are already archived), and one run
  every DEEP_EVERY_DAYS;
- since: like deep, down to the --since date (listing dates), MAX_LISTING_PAGES_SINCE deep;
- incremental: the daily run. Listings until a page brings nothing new, conditional requests
  for pages that sent validators, and a re-check of recent articles that are due.

Re-checks follow the age of the article: editors correct a story in its first days, rarely
after a month. An article younger than RECHECK_DAYS is due when the time since its last check
is at least RECHECK_AGE_FRACTION of its age, and never more often than RECHECK_MIN_HOURS.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from crawler.dates import VIETNAM_TZ
from crawler.store import archived_keys

DEEP, INCREMENTAL, SINCE = "deep", "incremental", "since"


@dataclass(frozen=True)
class Recheck:
    url: str
    url_key: str
    etag: str
    last_modified: str
    listing_date: str


@dataclass
class PortalState:
    archived_keys: set[str] = field(default_factory=set)
    validators: dict[str, tuple[str, str]] = field(default_factory=dict)  # url → (ETag, Last-Modified)
    recent: list[dict] = field(default_factory=list)  # archived articles young enough to re-check
    last_run: dict | None = None        # the portal's latest portal_runs row
    last_deep_at: str | None = None     # when its latest clean deep run started


@dataclass(frozen=True)
class RecheckPolicy:
    window_days: float = 30
    min_hours: float = 20
    age_fraction: float = 0.2

    @classmethod
    def from_settings(cls, settings) -> "RecheckPolicy":
        return cls(settings.getfloat("RECHECK_DAYS"), settings.getfloat("RECHECK_MIN_HOURS"),
                   settings.getfloat("RECHECK_AGE_FRACTION"))

    def is_due(self, published: datetime, last_checked: datetime, now: datetime) -> bool:
        age = now - published
        if age > timedelta(days=self.window_days):
            return False
        interval = max(timedelta(hours=self.min_hours), age * self.age_fraction)
        return now - last_checked >= interval


def read_state(path: str | Path, portal_id: str, now: datetime, window_days: float) -> PortalState:
    """Read-only: the archive is not created or locked by looking."""
    if not Path(path).exists():
        return PortalState()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return _read(connection, portal_id, now, window_days)
    except sqlite3.OperationalError:  # an archive created before any run wrote these tables
        return PortalState()
    finally:
        connection.close()


def _read(connection: sqlite3.Connection, portal_id: str, now: datetime, window_days: float) -> PortalState:
    state = PortalState()
    state.archived_keys = archived_keys(connection, portal_id)
    oldest = (now - timedelta(days=window_days)).isoformat()
    state.recent = [dict(row) for row in connection.execute(
        "SELECT url, url_key, etag, last_modified, listing_date, coalesce(published_at, first_seen) AS published,"
        " coalesce(last_checked, last_seen) AS last_checked FROM articles"
        " WHERE portal = ? AND gone_at IS NULL AND coalesce(published_at, first_seen) >= ?", [portal_id, oldest[:10]])]
    state.validators = {url: (etag or "", modified or "") for url, etag, modified in connection.execute(
        "SELECT url, etag, last_modified FROM page_validators WHERE portal = ?", [portal_id])}
    runs = connection.execute(
        "SELECT * FROM portal_runs WHERE portal = ? ORDER BY run_id DESC LIMIT 1", [portal_id]).fetchall()
    state.last_run = dict(runs[0]) if runs else None
    state.last_deep_at = connection.execute(
        "SELECT max(started_at) FROM portal_runs WHERE portal = ? AND mode IN (?, ?) AND finish_reason = 'finished'",
        [portal_id, DEEP, SINCE]).fetchone()[0]
    return state


def choose_mode(state: PortalState, now: datetime, *, since: str, force_deep: bool, deep_every_days: float) -> tuple[str, str]:
    """(mode, why)."""
    if since:
        return SINCE, f"--since {since}"
    if force_deep:
        return DEEP, "asked for"
    if not state.archived_keys:
        return DEEP, "first run"
    if state.last_run is None or state.last_run.get("finish_reason") != "finished":
        return DEEP, "the previous run did not finish"
    if state.last_deep_at is None or now - _parse(state.last_deep_at) >= timedelta(days=deep_every_days):
        return DEEP, f"no deep run in {deep_every_days:g} days"
    return INCREMENTAL, "daily"


def due_rechecks(state: PortalState, now: datetime, policy: RecheckPolicy) -> list[Recheck]:
    due = []
    for row in state.recent:
        published, checked = _parse(row["published"]), _parse(row["last_checked"])
        if policy.is_due(published, checked, now):
            due.append(Recheck(row["url"], row["url_key"], row["etag"] or "", row["last_modified"] or "",
                               row["listing_date"] or ""))
    return due


def _parse(value: str) -> datetime:
    """ISO 8601 as the archive stores it; a bare date is midnight Vietnam time."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM_TZ)
