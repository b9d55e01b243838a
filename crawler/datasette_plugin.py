"""Datasette plugin: `?_search=` on articles goes through crawler/search.py.

Datasette builds table search as `articles_fts MATCH escape_fts(:search)`; this plugin
registers its own `escape_fts` after Datasette's (trylast), so plain Datasette URLs search
exactly or folded by what was typed. `vn_search(q)` is the same function under its own name
for stored queries.
"""

from __future__ import annotations

from datasette import hookimpl

from crawler.search import fts_query


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("vn_search", 1, fts_query, deterministic=True)
