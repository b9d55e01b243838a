"""Write tests/pages/: page 1 of one section per platform family and layout, as the replica serves it,
with what a reader sees on it: the article links (in the replica's listing order) and whether it
has a page 2 (a home page, where portals of unknown make start, has none).

    .venv/bin/python tests/pages/make_pages.py

tests/test_platforms.py feeds each saved page to the portal's spider. Run again only when the
replica changes.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from crawler.registry import load_registry
from crawler.replica import ReplicaServer, article_url
from crawler.replica.base_site import LATEST_COUNT

OUT = Path(__file__).parent
TODAY = date(2026, 11, 23)
# One portal per platform family, and per quirk or layout that changes how a listing reads.
PORTALS = ("hanam", "dienbien", "backan", "vinhlong", "thainguyen", "hue", "hanoi", "tuyengiaodanvan", "danvan",
           "caobang", "kontum", "hungyen")
API_LISTING = "/api/blogs?categoryId={category}&page=1&size={size}"


def fetch(replica: ReplicaServer, url: str) -> bytes:
    parts = urlsplit(url)
    request = urllib.request.Request(f"{replica.base_url}{parts.path}{'?' + parts.query if parts.query else ''}",
                                     headers={"Host": parts.hostname})
    with urllib.request.urlopen(request) as response:
        return response.read()


def section_page(portal_id: str) -> str:
    """What the spider fetches first: the section URL, or for the JSON site its API listing."""
    section = load_registry().get(portal_id).sections[0].url
    if load_registry().get(portal_id).platform != "react_api":
        return section
    query = dict(part.split("=") for part in urlsplit(section).query.split("&"))
    return f"https://{urlsplit(section).hostname}{API_LISTING.format(category=query['categoryId'], size=query['size'])}"


def is_home(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def first_page_articles(replica: ReplicaServer, portal_id: str, url: str) -> list[str]:
    site = replica.replica.sites[portal_id]
    if is_home(url):
        shown = site.articles[:LATEST_COUNT]
    elif load_registry().get(portal_id).platform == "react_api":
        shown = site.articles[:int(parse_qs(urlsplit(url).query)["size"][0])]
    else:
        shown = site.page_items(1)
    return [article_url(article) for article in shown]


def main() -> None:
    with ReplicaServer(0, today=TODAY) as replica:
        for portal_id in PORTALS:
            url = section_page(portal_id)
            site = replica.replica.sites[portal_id]
            suffix = ".json" if load_registry().get(portal_id).platform == "react_api" else ".html"
            (OUT / f"{portal_id}-listing{suffix}").write_bytes(fetch(replica, url))
            links = first_page_articles(replica, portal_id, url)
            expected = {"url": url, "links": links, "has_page_2": not is_home(url) and len(site.articles) > len(links)}
            (OUT / f"{portal_id}-listing.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
                                                                  encoding="utf-8")
    print(f"wrote {len(PORTALS)} listing pages to {OUT}")


if __name__ == "__main__":
    main()
