"""Datasette plugin: Vietnamese search, highlighted matches, and an article page with its citation.

- `?_search=` on articles goes through crawler/search.py: Datasette builds table search as
  `articles_fts MATCH escape_fts(:search)`, and this plugin registers its own `escape_fts` after
  Datasette's (trylast), so plain Datasette URLs search exactly or folded by what was typed.
  `vn_search(q)` is the same function under its own name for stored queries; `vn_snippet(text, q)`
  cuts the passage around the first match; `vn_url_key(url)` is the archive's key of a URL.
- HTML pages mark what a search matched: in title, lead and body (shown as the passage around the
  match) on the articles table, and in the stored queries' `title` and `snippet` columns. Text is
  escaped first, and only the `<mark>` tags are ours. JSON and CSV stay plain text.
- The row page of an article (templates/row-archive-articles.html) shows it as a reader sees it,
  with its provenance and a citation line.
"""

from __future__ import annotations

import json
import re
import unicodedata
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from datasette import hookimpl
from datasette.utils import tilde_encode, urlsafe_components
from markupsafe import Markup, escape

from crawler.search import QUERY_PART, WORD, fts_query, has_diacritics
from crawler.store import first_rowid_from, rowid_after
from crawler.text import fold, to_nfc

TEMPLATES = Path(__file__).resolve().parent / "templates"
# What `vnarchive serve` sets. Facet suggestions scan every column of a large table on each page; cells
# are cut at 300 characters in tables (an article's own page shows it whole; exports are never cut).
SERVE_SETTINGS = {"suggest_facets": False, "truncate_cells_html": 300}
# What `vnarchive serve --public` sets (tests/test_datasette_ui.py checks it through Datasette's client): no
# arbitrary SQL (stored queries still run), a time limit that lets a stored query over a million articles
# finish, no download of the whole file. Robots are turned away by datasette-block-robots (metadata.yml).
PUBLIC_SETTINGS = {
    **SERVE_SETTINGS,
    "default_allow_sql": False,
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 1000,
    "allow_download": False,
}
SNIPPET_CHARS = 240
SNIPPET_LEAD_IN = 60  # characters of context kept before the first match
HIGHLIGHTED_COLUMNS = {"title", "lead", "snippet"}
# The search typed on the page being rendered: render_cell in Datasette 0.65 is not given the request.
TYPED_SEARCH: ContextVar[str] = ContextVar("vnarchive_typed_search", default="")
COMBINING_MARK = re.compile(r"[\u0300-\u036f]")


# --- SQL functions ------------------------------------------------------------------------------

@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("vn_search", 1, fts_query, deterministic=True)
    conn.create_function("vn_rowid_from", 1, first_rowid_from, deterministic=True)
    conn.create_function("vn_rowid_after", 1, rowid_after, deterministic=True)
    conn.create_function("vn_snippet", 2, snippet, deterministic=True)
    conn.create_function("vn_url_key", 1, archive_key, deterministic=True)


def archive_key(url: str | None) -> str:
    """The url_key the archive files `url` under (IIS portals' paths are case-folded)."""
    from crawler.registry import load_registry
    from crawler.urls import url_key

    if not url or "/" not in url:
        return url or ""
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").removeprefix("www.")
    portal = load_registry().for_host(host)
    return url_key(url, portal.platform if portal else None)


# --- matching and snippets ----------------------------------------------------------------------

def search_terms(typed: str) -> tuple[set[str], bool]:
    """The words a query searches for, and whether it searches exactly (it has a diacritic)."""
    query = to_nfc(typed or "")
    exact = has_diacritics(query)
    words = [word for phrase, rest in QUERY_PART.findall(query) for word in WORD.findall(phrase or rest)]
    return {word.lower() if exact else fold(word) for word in words}, exact


def match_spans(text: str, typed: str) -> list[tuple[int, int]]:
    """Where the words of a query occur in `text` as whole words, as FTS5 matched them."""
    terms, exact = search_terms(typed)
    if not text or not terms:
        return []
    comparable = _comparable(text, exact)
    if len(comparable) == len(text):  # one character for one: positions carry over
        pattern = r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(terms, key=len, reverse=True))) + r")(?!\w)"
        return [m.span() for m in re.finditer(pattern, comparable)]
    return [m.span() for m in WORD.finditer(text) if _comparable(m.group(), exact) in terms]


def first_match(text: str, typed: str) -> int | None:
    """Where the first word of the query occurs in `text`, or None. A stored search shows a passage
    for each of up to 1,000 articles: the lowercased text is searched as it is, for any spelling
    that folds to the query (`dan` as [dđ][aàáảãạăằắẳẵặâầấẩẫậ][n]), instead of folding every body."""
    pattern = _spelling_pattern(typed)
    lowered = text.lower()
    if pattern is None or len(lowered) != len(text):
        spans = match_spans(text, typed)
        return spans[0][0] if spans else None
    found = pattern.search(lowered)
    return found.start() if found else None


@lru_cache(maxsize=256)
def _spelling_pattern(typed: str) -> re.Pattern | None:
    terms, exact = search_terms(typed)
    if not terms:
        return None
    spelled = [re.escape(term) if exact else "".join(_SPELLINGS.get(ch, re.escape(ch)) for ch in term)
               for term in sorted(terms, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(spelled) + r")(?!\w)")


def _spellings() -> dict[str, str]:
    """Each folded letter and the character class of the lowercase letters that fold to it."""
    letters: dict[str, set[str]] = {}
    for code in range(0x00C0, 0x1EFA):
        letter = chr(code).lower()
        if len(letter) == 1 and len(folded := fold(letter)) == 1 and folded != letter and folded.isascii():
            letters.setdefault(folded, {folded}).add(letter)
    return {folded: "[" + "".join(sorted(variants)) + "]" for folded, variants in letters.items()}


_SPELLINGS = _spellings()


def _comparable(text: str, exact: bool) -> str:
    """`text` as the index compares it: lowercased, and folded for a query without tone marks.
    (crawler.text.fold, with the marks removed by one regex: this runs on every body shown.)"""
    if exact:
        return text.lower()
    return COMBINING_MARK.sub("", unicodedata.normalize("NFD", text.lower())).replace("đ", "d")


def snippet(text: str | None, typed: str | None, chars: int = SNIPPET_CHARS) -> str:
    """The passage of `text` around the first match of the query (its start when nothing matches),
    cut at word boundaries, with … where text was left out."""
    text = " ".join((text or "").split())
    first = first_match(text, typed or "")
    start = 0
    if first is not None and first > SNIPPET_LEAD_IN:
        cut = first - SNIPPET_LEAD_IN
        space = text.find(" ", cut, first)
        start = space + 1 if space != -1 else cut
    end = min(len(text), start + chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlighted(text: str, typed: str) -> Markup:
    """`text` escaped, with each match of the query in <mark>."""
    parts, last = [], 0
    for start, end in match_spans(text, typed):
        parts += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


# --- Atom feeds ---------------------------------------------------------------------------------

@hookimpl(trylast=True)  # registered after datasette-atom's own .atom renderer, so this one is used
def register_output_renderer(datasette):
    try:
        from datasette_atom import can_render_atom
    except ImportError:
        return None
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}


def render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
    """datasette-atom's feed; an empty feed, not its error 500, for a saved search that matches nothing yet."""
    import datasette_atom
    from datasette.utils.asgi import Response
    from feedgen.feed import FeedGenerator

    if rows:
        return datasette_atom.render_atom(datasette, request, sql, columns, rows, database, table, query_name,
                                          view_name, data)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.title(((datasette.metadata(database=database) or {}).get("queries") or {}).get(query_name, {}).get("title")
               or query_name or table or "vnarchive")
    feed.updated(datetime.now(UTC))
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8")


# --- HTML cells -------------------------------------------------------------------------------

@hookimpl
def asgi_wrapper(datasette):
    """Remember what the current page searches for (`_search` on a table, `q` in a stored query)."""
    def wrap(app):
        async def with_typed_search(scope, receive, send):
            args = parse_qs((scope.get("query_string") or b"").decode("utf-8", "replace"))
            token = TYPED_SEARCH.set((args.get("_search") or args.get("q") or [""])[0])
            try:
                await app(scope, receive, send)
            finally:
                TYPED_SEARCH.reset(token)
        return with_typed_search
    return wrap


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Titles link to the article page; matches of the page's search are marked."""
    if table not in (None, "articles") or not isinstance(value, str):
        return None
    typed = TYPED_SEARCH.get()
    if column == "search_text":  # a machine copy for the index; its start says what it is
        return value[:60] + "…" if len(value) > 60 else None
    if column == "body" and table == "articles" and typed:
        return highlighted(snippet(value, typed), typed)
    if column not in HIGHLIGHTED_COLUMNS or not (typed or column == "title"):
        return None
    marked = highlighted(value, typed)
    url_key = dict(zip(row.keys(), row)).get("url_key")  # a sqlite3.Row: `in` would look at its values
    if column == "title" and url_key:
        link = datasette.urls.row(database, "articles", tilde_encode(str(url_key)))
        return Markup('<a href="{}">{}</a>').format(link, marked)
    return marked


# The articles table describes 41 columns above its search box: fold the list (a click opens it).
FOLD_COLUMN_DESCRIPTIONS = """
document.querySelectorAll('dl.column-descriptions').forEach(function (list) {
  var details = document.createElement('details'), summary = document.createElement('summary');
  summary.textContent = 'What each column means';
  list.parentNode.insertBefore(details, list);
  details.appendChild(summary);
  details.appendChild(list);
});
"""


@hookimpl
def extra_body_script(view_name):
    return FOLD_COLUMN_DESCRIPTIONS if view_name == "table" else None


# --- the article page -----------------------------------------------------------------------------

@hookimpl
def prepare_jinja2_environment(env, datasette):
    # Datasette 0.65 looks for a plugin's templates only beside a package's __init__.py
    # (importlib.resources.files() refuses a module); this plugin is a module, so it adds its
    # folder itself: after --template-dir, before Datasette's defaults.
    searchpath = env.loader.loaders[0].searchpath
    if str(TEMPLATES) not in searchpath:
        searchpath.insert(len(searchpath) - 1, str(TEMPLATES))


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "row" or table != "articles" or request is None:
        return None

    async def article_vars():
        keys = urlsafe_components(request.url_vars["pks"])
        sql = ("SELECT a.*, p.name AS portal_name, p.domain AS portal_domain,"
               " (SELECT count(*) FROM revisions r WHERE r.url_key = a.url_key) AS revision_count"
               " FROM articles a LEFT JOIN portals p ON p.id = a.portal WHERE a.url_key = ?")
        rows = (await datasette.get_database(database).execute(sql, keys[:1])).rows
        return {"article": article_page(dict(rows[0]))} if rows else {}
    return article_vars


def article_page(row: dict) -> dict:
    """What the article page shows, from an articles row joined with its portal's name and domain."""
    return {
        **row,
        "published": display_time(row.get("published_at")) or "undated",
        "captured": display_time(row.get("captured_at")),
        "paragraphs": [" ".join(p.split()) for p in re.split(r"\n\s*\n", row.get("body") or "") if p.strip()],
        "images": _json_list(row.get("images")),
        "attachments": _json_list(row.get("attachments")),
        "topic_list": _json_list(row.get("topics")),
        "warning_list": _json_list(row.get("warnings")),
        "citation": citation(row),
    }


def citation(row: dict) -> str:
    """`Title. Portal (domain), published 2026-11-20. URL. Captured 2026-11-23 10:00 +07:00, record
    sha1:…, vnarchive archive.`: what a reader pastes to cite the article and this capture of it."""
    title = (row.get("title") or "").strip()
    title += "" if title.endswith((".", "?", "!", "…")) else "."
    portal = row.get("portal_name") or row.get("portal") or ""
    if row.get("portal_domain"):
        portal += f" ({row['portal_domain']})"
    published = row.get("published_at") or ""
    dated = f"published {published[:10]}" if published else "undated"
    record = f", record {row['raw_digest']}" if row.get("raw_digest") else ""
    return (f"{title} {portal}, {dated}. {row.get('url') or ''}. "
            f"Captured {display_time(row.get('captured_at') or row.get('first_seen'))}{record}, vnarchive archive.")


def display_time(iso: str | None) -> str:
    """`2026-11-23T10:00:00+07:00` → `2026-11-23 10:00 +07:00`; a bare date stays as it is."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?([+-]\d\d:\d\d|Z)?)?", iso or "")
    if not match:
        return iso or ""
    day, clock, zone = match.groups()
    return " ".join(part for part in (day, clock, zone) if part)


def _json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []
