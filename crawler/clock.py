"""The one clock of the crawler, in Vietnam time, so tests can freeze it in one place."""

from __future__ import annotations

import os
from datetime import datetime

from crawler.dates import VIETNAM_TZ

FROZEN_NOW_ENV = "VNARCHIVE_NOW"


def now() -> datetime:
    """The current time (+07:00), or VNARCHIVE_NOW (ISO 8601) when set, for tests and replays."""
    frozen = os.environ.get(FROZEN_NOW_ENV)
    if frozen:
        value = datetime.fromisoformat(frozen)
        return value if value.tzinfo else value.replace(tzinfo=VIETNAM_TZ)
    return datetime.now(VIETNAM_TZ)


def now_iso() -> str:
    return now().isoformat(timespec="seconds")
