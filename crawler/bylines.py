"""Authors and sources: the lines portals put around an article's text.

Patterns seen on the portals (../shared/PORTALS.md, seeds): an author alone on the last
line (`N.H`, `Duy Khánh`, `Văn phòng Thành ủy Huế`), `Tin, ảnh: X`, a closing
`Nguồn: hanam.gov.vn, 1/8/2018`, and a house-style source prefix on the lead
`(Vinhlong.gov.vn) – Ngày 26/12/2016, …`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCE_LINE = re.compile(
    r"^\(?\s*(?:Nguồn(?:\s+tin)?|Theo)\s*[:：]?\s*(?P<source>[^,()]{2,80}?)\s*(?:[,–-]\s*(?P<date>\d{1,2}/\d{1,2}/\d{2,4}))?\s*\)?\.?$",
    re.IGNORECASE,
)
SOURCE_PREFIX = re.compile(r"^\s*\((?P<source>[^()]{3,60})\)\s*[-–—]\s*")
CREDIT_LINE = re.compile(r"^(?:Tin|Bài|Ảnh|Tin và ảnh|Tin, ảnh|Bài, ảnh|Bài và ảnh|Tác giả)\s*[:：]\s*(?P<author>.{2,80})$", re.IGNORECASE)
INITIALS = re.compile(r"^[A-ZĐ](?:\.\s?[A-ZĐ]){0,3}\.?$|^[A-ZĐ]{2,4}$")
OFFICE_WORDS = re.compile(
    r"^(?:Văn phòng|Ban|Sở|Phòng|UBND|HĐND|Trung tâm|Báo|Cổng|Đài|Tạp chí|Nhóm|Thông tấn|Ủy ban|Hội|Cục|Bộ)\b"
)
MAX_AUTHOR_WORDS = 10


@dataclass(frozen=True)
class Source:
    name: str
    date_text: str = ""


def source_line(line: str) -> Source | None:
    """`Nguồn: hanam.gov.vn, 1/8/2018` → Source('hanam.gov.vn', '1/8/2018')."""
    match = SOURCE_LINE.match(line.strip())
    if not match or len(line) > 120:
        return None
    return Source(match["source"].strip(" .:"), match["date"] or "")


def split_source_prefix(text: str) -> tuple[str, str]:
    """'(Vinhlong.gov.vn) – Ngày …' → ('Vinhlong.gov.vn', 'Ngày …'); ('', text) when there is none."""
    match = SOURCE_PREFIX.match(text)
    if not match or not _looks_like_publisher(match["source"]):
        return "", text
    return match["source"].strip(), text[match.end():]


def author_line(line: str) -> str | None:
    """The author named by a line that holds nothing else, or None."""
    line = line.strip().strip("()")
    credit = CREDIT_LINE.match(line)
    if credit:
        return credit["author"].strip(" .")
    words = line.split()
    if not words or len(words) > MAX_AUTHOR_WORDS or len(line) > 80:
        return None
    if INITIALS.match(line):
        return line
    if OFFICE_WORDS.match(line) and not line.endswith((".", ":", ";")):
        return line
    # A name: two to five capitalized words (one word is a button or a heading far more often).
    if 2 <= len(words) <= 5 and all(_capitalized(word) for word in words) and not line.endswith((".", ":")):
        return line
    return None


def _capitalized(word: str) -> bool:
    first = word[0]
    return first.isupper() and not word.isdigit()


PUBLISHER_ABBREVIATION = re.compile(r"^[A-ZĐ]{2,8}$")  # TTXVN, VOV, ĐBP, QNP


def _looks_like_publisher(text: str) -> bool:
    """A site, paper or agency name, not a parenthetical remark."""
    lowered = text.lower()
    return ("." in lowered or bool(PUBLISHER_ABBREVIATION.match(text.strip()))
            or lowered.startswith(("báo", "cổng", "đài", "ttđt", "tttt", "trang")))
