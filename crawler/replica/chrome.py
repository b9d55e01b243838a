"""The heavy chrome of every replica page: mega menu, agency footer, web links, inline assets, ad zones.

Real portal pages weigh 40-80 KB, most of it chrome a content extractor must ignore; the replica
prints the same kind of chrome (templates: macros.html `mega_menu`, `footer`, `side_lists`;
base.html's inline style and script) from chrome.yml, all of it inside regions the extractor
treats as elsewhere (nav, aside, footer, script, style). No dates anywhere in it.

The last piece is an inline ad-zone script sized so that each page reaches a weight chosen
from its URL (`weigh`): article pages 46-77 KiB, listing pages 34-50 KiB, different from page to
page and the same at every start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .naming import ascii_fold, key_hash, lower_slug

CHROME_PATH = Path(__file__).with_name("chrome.yml")
# What base.html prints where the ad-zone script goes; weigh() replaces it.
FILLER_MARK = "<!--replica:ad-zones-->"
KIB = 1024
ARTICLE_WEIGHT = (46 * KIB, 77 * KIB)
LISTING_WEIGHT = (34 * KIB, 50 * KIB)
SIDEBAR_COUNT = 10  # links in each of the article page's sidebar lists
ZONE_SIZES = ((300, 250), (300, 600), (728, 90), (970, 90), (250, 250), (336, 280), (160, 600))


@dataclass(frozen=True)
class MenuPage:
    label: str
    slug: str


@dataclass(frozen=True)
class MenuSection:
    label: str
    slug: str
    pages: tuple[MenuPage, ...]


@dataclass(frozen=True)
class Chrome:
    sections: tuple[MenuSection, ...]
    agencies: tuple[str, ...]
    organizations: tuple[str, ...]


@cache
def chrome(path: Path = CHROME_PATH) -> Chrome:
    """chrome.yml, typed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = tuple(
        MenuSection(section["label"], lower_slug(section["label"]),
                    tuple(MenuPage(label, lower_slug(label)) for label in section["pages"]))
        for section in data["sections"]
    )
    return Chrome(sections, tuple(data["agencies"]), tuple(data["organizations"]))


def initials(name: str) -> str:
    """`Sở Tài chính` -> `stc`: the subdomain an agency's own portal usually has."""
    return "".join(word[0] for word in ascii_fold(name).lower().replace(",", " ").split() if word[0].isalnum())


def target_weight(seed: str, low: int, high: int) -> int:
    """The page's weight in bytes, chosen from `seed` (its portal and URL) between low and high."""
    return low + key_hash("page-weight", seed) % (high - low)


def weigh(text: str, seed: str, weight: tuple[int, int] | None) -> str:
    """The page with its ad-zone script, sized to the target weight (none when `weight` is None)."""
    if FILLER_MARK not in text:
        return text
    if weight is None:
        return text.replace(FILLER_MARK, "")
    budget = target_weight(seed, *weight) - len(text.encode("utf-8")) + len(FILLER_MARK)
    return text.replace(FILLER_MARK, ad_zones(seed, budget))


def ad_zones(seed: str, budget: int) -> str:
    """An ad-rotator config script of about `budget` bytes ('' when there is no room)."""
    head = '<script type="text/javascript">\nvar adZones = [\n'
    tail = "];\nif (window.AdRotator) { AdRotator.init(adZones, {rotate: 15000, lazy: true}); }\n</script>\n"
    room = budget - len(head) - len(tail)
    if room < 200:
        return ""
    lines, used, number = [], 0, 0
    while True:
        width, height = ZONE_SIZES[key_hash("zone-size", seed, str(number)) % len(ZONE_SIZES)]
        zone = number % 12 + 1
        entry = json.dumps({
            "zone": f"zone-{zone}", "slot": number, "width": width, "height": height,
            "image": f"/uploads/banners/zone-{zone}/banner-{width}x{height}-{number}.jpg",
            "link": f"/qc/click?zone={zone}&slot={number}", "target": "_blank",
            "weight": key_hash("zone-weight", seed, str(number)) % 10 + 1,
        }, ensure_ascii=False) + ",\n"
        if used + len(entry) > room:
            break
        lines.append(entry)
        used += len(entry)
        number += 1
    return head + "".join(lines) + tail
