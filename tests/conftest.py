"""Shared fixtures: the replica on a free port, and one crawl of it into a temporary archive.

The clock is frozen for the crawler (VNARCHIVE_NOW) and for the replica's header date, so
every date assertion is exact.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from crawler.replica import ReplicaServer

TODAY = date(2026, 11, 23)
FROZEN_NOW = "2026-11-23T10:00:00+07:00"
ROOT = Path(__file__).resolve().parent.parent


def rows(db, sql="SELECT * FROM articles", params=()) -> list[dict]:
    """Query an archive file: a list of dicts."""
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


@pytest.fixture(scope="session")
def replica():
    with ReplicaServer(0, today=TODAY) as server:
        yield server


def run_vnarchive(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """The real command in a child process (Twisted's reactor starts once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "VNARCHIVE_NOW": FROZEN_NOW, **(env or {})},
    )


@pytest.fixture(scope="session")
def crawled_archive(replica, tmp_path_factory):
    """An archive made by one `vnarchive crawl` of the whole replica."""
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    result = run_vnarchive("crawl", "--db", str(db), "--replica", replica.base_url)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    return db, result
