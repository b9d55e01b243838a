"""Vietnamese text normalization: one canonical form to store, one folded form to search.

Stored text is NFC with canonical tone placement, so that `hoà` and `hòa`, or an NFD
copy pasted from macOS, compare equal. The canonical placement is the one the portals
themselves mostly print (`hòa`, `thủy`, `khỏe`: the tone on the first vowel of an open
`oa`/`oe`/`uy`), named here by position, not "old"/"new", because sources use those
words in opposite senses.

Written here rather than imported: underthesea re-spaces punctuation and pulls ~70 MB,
pyvi ~300 MB, and vi-fix gets `quý` wrong (see ../shared/VIETNAMESE.md).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
PLAIN_VOWELS = frozenset("aeiouy")
WORD = re.compile(r"\w+")
# Characters no stored text holds: C0 controls (XML 1.0 refuses them, and one U+0001 in a title made
# every Atom feed listing the article answer 500), lone surrogates (not encodable as UTF-8: SQLite's
# write fails) and U+FFFE/U+FFFF (not characters). Tab, newline and carriage return are text.
NOT_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
NOT_TEXT_CHARACTERS = re.compile(f"[{NOT_TEXT}]+")
# A line's spaces, exotic ones, line breaks and the characters above: each run becomes one space, in
# the one pass over the line that folding spaces takes anyway.
WHITESPACE_RUN = re.compile(rf"[ \t\n\r\u00a0\u2000-\u200b\u202f\u205f\u3000{NOT_TEXT}]+")


def to_nfc(text: str) -> str:
    """NFC with canonical tone placement in every word."""
    nfc = unicodedata.normalize("NFC", text)
    words = set(WORD.findall(nfc))
    if words <= _CANONICAL_WORDS or not _misplaced_among(words):
        return nfc  # nearly every line: its words were all met before, as stored, and set operations say so
    return WORD.sub(_canonical_match, nfc)


# The words met so far, by whether their tone needs moving: a line is passed on without a call
# back into Python for each of its words (a fifth of a page's clean-up). Capped, as numbers and
# names never stop coming.
_CANONICAL_WORDS: set[str] = set()
_MISPLACED: set[str] = set()
MAX_WORDS_REMEMBERED = 200_000


def _misplaced_among(words: set[str]) -> bool:
    if len(_CANONICAL_WORDS) + len(_MISPLACED) > MAX_WORDS_REMEMBERED:
        _CANONICAL_WORDS.clear()
        _MISPLACED.clear()
    for word in words - _CANONICAL_WORDS - _MISPLACED:
        (_CANONICAL_WORDS if word.isascii() or _canonical_word(word) == word else _MISPLACED).add(word)
    return not words.isdisjoint(_MISPLACED)


class _FoldedLetters(dict):
    """str.translate table, filled as letters are met: each letter's NFD without its marks."""

    def __missing__(self, code: int) -> str:
        letter = chr(code)
        folded = "".join(ch for ch in unicodedata.normalize("NFD", letter) if not unicodedata.combining(ch))
        self[code] = folded = "d" if folded == "đ" else folded
        return folded


_FOLDED_LETTERS = _FoldedLetters()


def fold(text: str) -> str:
    """Lowercase, no diacritics, đ→d: what a query typed without tone marks matches."""
    return text.lower().translate(_FOLDED_LETTERS)


def clean_line(text: str) -> str:
    """One line of page text: canonical NFC, exotic spaces, line breaks and control characters
    folded into single spaces, ends trimmed."""
    return WHITESPACE_RUN.sub(" ", to_nfc(text)).strip()


def without_control_characters(text: str) -> str:
    """`text` without the characters no stored text holds (NOT_TEXT); its line breaks and tabs kept.
    The last line before the archive, for text that did not come through clean_line."""
    return NOT_TEXT_CHARACTERS.sub("", text) if NOT_TEXT_CHARACTERS.search(text) else text


def _canonical_match(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word.isascii() else _canonical_word(word)


# Vietnamese has some thousands of syllables, and every page repeats them: each is placed once.
@lru_cache(maxsize=65536)
def _canonical_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    if len(tones) != 1:  # untoned, or malformed (two tones): leave as typed
        return word
    letters = list(unicodedata.normalize("NFC", decomposed.replace(tones[0], "")))
    position = _tone_position(letters)
    if position is None:
        return word
    letters[position] = unicodedata.normalize("NFC", letters[position] + tones[0])
    return "".join(letters)


def _base(letter: str) -> str:
    return unicodedata.normalize("NFD", letter)[0].lower()


def _tone_position(letters: list[str]) -> int | None:
    """Index of the vowel that carries the tone in one syllable, or None if not a syllable."""
    vowels = [i for i, ch in enumerate(letters) if _base(ch) in PLAIN_VOWELS]
    if not vowels:
        return None
    # `qu` and `gi` + vowel: the u/i belongs to the initial consonant.
    head = "".join(_base(ch) for ch in letters[:2])
    if head in ("qu", "gi") and len(vowels) > 1 and vowels[0] == 1:
        vowels = vowels[1:]
    if vowels[-1] - vowels[0] != len(vowels) - 1:  # not one vowel cluster: not Vietnamese (café)
        return None
    marked = [i for i in vowels if letters[i].lower() not in PLAIN_VOWELS]
    if marked:  # â ă ê ô ơ ư carry the tone; in ươ the later one (người, được)
        return marked[-1]
    closed = vowels[-1] < len(letters) - 1
    if closed or len(vowels) == 1:
        return vowels[-1]
    if len(vowels) == 3:  # oai, oay, uya, uyu, oeo: the middle vowel
        return vowels[1]
    return vowels[0]  # open two-vowel cluster: hòa, thủy, khỏe, mùa, hài
