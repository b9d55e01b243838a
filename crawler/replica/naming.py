"""Slugs, ids and opaque tokens of the replica, all derived from article keys.

Nothing here is random: every id is a function of the text it names, so two replicas
built from the same corpus serve the same URLs and the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from functools import lru_cache

# Runs of anything that is not an ASCII letter or digit separate slug words.
NON_WORD = re.compile(r"[^A-Za-z0-9]+")
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def key_hash(*parts: str) -> int:
    """A stable integer from text (sha256), the one source of every derived id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest, "big")


def hex_token(*parts: str, length: int) -> str:
    """`length` lowercase hex digits derived from text."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


def base36_token(*parts: str, length: int) -> str:
    """`length` lowercase letters and digits derived from text (SharePoint Tân Dân URL suffixes)."""
    number, letters = key_hash(*parts), []
    for _ in range(length):
        number, digit = divmod(number, 36)
        letters.append(BASE36[digit])
    return "".join(letters)


def id_in_range(*parts: str, low: int, high: int) -> int:
    """A stable integer id with low <= id < high."""
    return low + key_hash(*parts) % (high - low)


def base64_junk(*parts: str, size: int) -> str:
    """Deterministic base64 text of about `size` bytes, shaped like an ASP.NET __VIEWSTATE."""
    chunks, counter = [b"\xff\x01\x0f\x0f\x05\x0a"], 0
    while sum(map(len, chunks)) < size:
        chunks.append(hashlib.sha256(f"{counter}\x1f".encode() + "\x1f".join(parts).encode("utf-8")).digest())
        counter += 1
    return base64.b64encode(b"".join(chunks)[:size]).decode("ascii")


# Titles are slugged again for every page that links to them (listings, related lists): fold each once.
@lru_cache(maxsize=65536)
def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics, case kept: `Tọa đàm` -> `Toa dam`, `Đảng` -> `Dang`."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug_words(text: str, *, max_words: int | None = None) -> list[str]:
    """The ASCII words of `text`, case kept, punctuation dropped."""
    words = [word for word in NON_WORD.split(ascii_fold(text)) if word]
    return words[:max_words] if max_words else words


def lower_slug(text: str, *, max_words: int | None = None) -> str:
    """`Thành phố Hà Nội: Không ngừng…` -> `thanh-pho-ha-noi-khong-ngung…`."""
    return "-".join(slug_words(text, max_words=max_words)).lower()
