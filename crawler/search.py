"""Search that understands Vietnamese: one FTS5 index, queried exactly or folded by what was typed.

The index (`articles_fts`, unicode61 with remove_diacritics 0) holds title, lead and body as
written, and `search_text`, their folded copy (lowercase, no diacritics, đ→d). A query typed
with any diacritic searches the written columns, so `đảng` does not find `đang` or `đăng`; a
query typed without them searches the folded copy, so `dang` finds all three and `hdnd` finds
`HĐND`. Queries are brought to the stored form first (NFC, canonical tone placement), so an NFD
query or `hoà` for `hòa` behaves like the stored text. Words are ANDed; "double quotes" make a
phrase. Every term is quoted, so FTS5 operators typed by a user are words, never syntax.
"""

from __future__ import annotations

import re

from crawler.text import fold, to_nfc

EXACT_COLUMNS = ("title", "lead", "body")
FOLDED_COLUMN = "search_text"
FTS_COLUMNS = [*EXACT_COLUMNS, FOLDED_COLUMN]
FTS_TOKENIZER = "unicode61 remove_diacritics 0"
# A quoted phrase, or a run of anything else.
QUERY_PART = re.compile(r'"([^"]*)"|([^"]+)')
WORD = re.compile(r"\w+")
MATCHES_NOTHING = '""'


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def fts_query(typed: str) -> str:
    """The FTS5 MATCH expression for what a researcher typed."""
    query = to_nfc(typed or "")
    exact = has_diacritics(query)
    units = []
    for phrase, words in QUERY_PART.findall(query):
        if phrase:
            terms = _terms(phrase, exact)
            if terms:
                units.append('"' + " ".join(terms) + '"')
        else:
            units += [f'"{term}"' for term in _terms(words, exact)]
    if not units:
        return MATCHES_NOTHING
    columns = " ".join(EXACT_COLUMNS) if exact else FOLDED_COLUMN
    return "{" + columns + "} : (" + " ".join(units) + ")"


def _terms(text: str, exact: bool) -> list[str]:
    return [word.lower() if exact else fold(word) for word in WORD.findall(text)]
