"""Bytes to text, and Vietnamese typed in legacy fonts back to Unicode.

Old IIS sites send an HTTP charset and a `<meta charset>` that disagree; text pasted from
Word brings windows-1258 (decomposed tone marks), TCVN3 (`.VnTime`: `Céng hoµ x· héi`) and
VNI (`Coäng hoøa xaõ hoäi`) into otherwise Unicode pages (../shared/VIETNAMESE.md).
Python has no TCVN3 or VNI codec; viparse (MIT, no dependencies) detects and converts them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from functools import cached_property

import viparse
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# Letters only Unicode Vietnamese has: outside Latin-1, so legacy fonts read as Latin-1 never
# produce them (â, ê, ô do not count: TCVN3 puts other letters at those code points).
UNICODE_VIETNAMESE = re.compile(r"[ăđơưĩũạ-ỹ]", re.IGNORECASE)
# How much text the legacy detector needs to judge (it refuses short fragments).
LEGACY_SAMPLE_CHARS = 2000
# TCVN3 and VNI put their marked letters on Latin-1 code points (`Céng hoµ`, `Coäng hoøa`):
# text with fewer of them than a short line of Vietnamese carries is not worth the detector,
# which costs more than the rest of an article's extraction.
LATIN1_MARKS = re.compile(r"[\u00a1-\u00ff]")
LEGACY_MIN_MARKS = 3
# Of those, the ones Unicode Vietnamese never writes (ä ø û µ · Ö …): a Unicode line such as
# `Thông báo` or `Góp ý` carries Latin-1 marks and no Vietnamese-only letter, a line in a legacy
# font carries these.
VIETNAMESE_LATIN1_LETTERS = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ"
FOREIGN_MARKS = re.compile("[" + "".join(ch for ch in map(chr, range(0xA1, 0x100)) if ch not in VIETNAMESE_LATIN1_LETTERS) + "]")
# TCVN3 and VNI fonts are drawn over windows-1252 code points: a page typed in them is read as
# cp1252, then converted (cp1258 would turn some of their letters into combining tones).
LEGACY_FONT_CODEPAGE = "cp1252"
MARKUP = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


@dataclass
class Decoded:
    """A page's bytes (without a byte order mark) and the encoding they decode with."""
    body: bytes
    encoding: str
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        return self.body.decode(self.encoding, errors="replace")


def decode_page(body: bytes, content_type: str = "") -> Decoded:
    """Decode by BOM; else valid UTF-8; else the declared charset that decodes cleanly; else detection.

    UTF-8 is tried before the declarations because bytes that decode as UTF-8 and hold
    non-ASCII almost never are anything else, while cp1258 or latin-1 decode anything.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        return Decoded(body[len(bom):], _name(bom_encoding))
    declared = [_name(e) for e in (http_content_type_encoding(content_type or None),
                                   html_body_declared_encoding(body)) if e]
    chosen = _clean_decoding(body, declared)
    warnings = []
    if len(set(declared)) > 1:
        warnings.append(f"charsets disagree (HTTP/meta: {', '.join(declared)}); decoded as {chosen}")
    elif declared and declared[0] != chosen and not (declared[0] == "ascii" and chosen == "utf-8"):
        warnings.append(f"page declares {declared[0]} but decodes as {chosen}")
    return Decoded(body, chosen, warnings)


def _clean_decoding(body: bytes, declared: list[str]) -> str:
    if _decodes(body, "utf-8") and not body.isascii():
        return "utf-8"
    for encoding in declared:
        if encoding != "utf-8" and _decodes(body, encoding):
            return encoding
    if body.isascii():
        return "utf-8"
    if _typed_in_legacy_font(body):
        return LEGACY_FONT_CODEPAGE
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return _name(best.encoding) if best else "cp1258"


def _typed_in_legacy_font(body: bytes) -> bool:
    """A whole page in TCVN3 or VNI bytes (old .VnTime sites), whatever its header says."""
    text = MARKUP.sub(b" ", body).decode(LEGACY_FONT_CODEPAGE, errors="replace")
    sample = " ".join(text.split())[:LEGACY_SAMPLE_CHARS]
    return bool(sample) and viparse.detect_text_encoding(sample) is not None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name.replace("_", "-")
    except LookupError:
        return encoding.lower()


def repair_legacy_lines(lines: list[str]) -> tuple[list[str], str | None]:
    """Convert the lines typed in a legacy font (TCVN3, VNI, …); Unicode lines are left alone.

    The font is detected on the lines together (a single line is too short to judge), then
    each line without Unicode Vietnamese letters is converted with it.
    """
    legacy = legacy_font_of(lines)
    if legacy is None:
        return lines, None
    return [_from_legacy(line, legacy) for line in lines], legacy


def legacy_font_of(lines: list[str]) -> str | None:
    """The legacy font the lines without Unicode Vietnamese letters were typed in, or None."""
    # Their foreign marks first, on the non-ASCII lines only (a page's text nodes are mostly ASCII
    # spaces and words): a Unicode page has too few and is done without building the detector's sample.
    unmarked = (line for line in lines if not line.isascii() and not UNICODE_VIETNAMESE.search(line))
    if not _may_be_legacy(" ".join(unmarked), FOREIGN_MARKS):
        return None
    sample = " ".join(line for line in lines if not UNICODE_VIETNAMESE.search(line))[:LEGACY_SAMPLE_CHARS]
    return viparse.detect_text_encoding(sample) if _may_be_legacy(sample) else None


def _from_legacy(line: str, legacy: str) -> str:
    return line if UNICODE_VIETNAMESE.search(line) else viparse.fix(line, encoding=legacy)


def _may_be_legacy(sample: str, marks_pattern: re.Pattern = LATIN1_MARKS) -> bool:
    marks = marks_pattern.finditer(sample)
    return sum(1 for _ in zip(range(LEGACY_MIN_MARKS), marks)) == LEGACY_MIN_MARKS


# Not `descendant-or-self::*/text()`, the same nodes: libxml2 walks that one element by element, at
# twice the cost.
TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)


def repair_legacy_text(root: etree._Element) -> str | None:
    """Convert, in place, the text nodes of a parsed page that were typed in a legacy font.

    Done on the raw tree, before any NFC or tone normalization: those read the legacy
    letters (`ù`, `ø`, `µ`) as Vietnamese marks and would move them. Returns the font, or None.
    """
    # The text is read by libxml2 in one call: most pages are Unicode, and their nodes are never walked here.
    legacy = legacy_font_of(TEXT_NODES(root))
    if legacy is None:
        return None
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("text", "tail"):
            if value := getattr(element, attribute):
                setattr(element, attribute, _from_legacy(value, legacy))
    return legacy
