"""Write tests/gold/replica/: every replica article page as served, and its expected record.

    .venv/bin/python tests/gold/make_replica_gold.py

Every hand-written article (crawler/replica/articles.yml), and the newest generated article of
each platform and layout the hand-written ones leave out (Liferay, the shared PostDate CMS,
each generic layout from PORTALS.md's per-portal table, SharePoint without ?PageIndex).
The expected record is what the page shows, taken from the article the page was rendered
from, in the archive's conventions: NFC with canonical tone
placement, captions once in the body, the DNN portal's "(Vinhlong.gov.vn) –" house prefix as
its source, dates as precise as the page shows them. Run again only when the replica changes.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from crawler.replica import ReplicaServer, article_url, expected_published_at, load_corpus, replica_articles
from crawler.replica.generic import layout_for
from crawler.replica.portals import PORTALS_BY_ID
from crawler.replica.served import bare_site
from crawler.replica.sharepoint_tandan import POSTBACK_ONLY_PORTALS
from crawler.text import clean_line

OUT = Path(__file__).parent / "replica"
TODAY = date(2026, 11, 23)
HOUSE_SOURCE = {"vinhlong": "Vinhlong.gov.vn"}
# The DNN house style prints only the source name, without its date.
SOURCE_DATE_SHOWN = {"vinhlong": False}
API_ARTICLE = "/api/blogs/{id}"


def fetch(replica: ReplicaServer, url: str) -> bytes:
    parts = urlsplit(url)
    request = urllib.request.Request(f"{replica.base_url}{parts.path}{'?' + parts.query if parts.query else ''}",
                                     headers={"Host": parts.hostname})
    with urllib.request.urlopen(request) as response:
        return response.read()


def expected(article) -> dict:
    has_source = bool(article.source)
    return {
        "url": article_url(article), "portal": article.portal, "title": clean_line(article.title),
        "lead": clean_line(article.lead), "body": [clean_line(b if isinstance(b, str) else b.caption) for b in article.body],
        "author": clean_line(article.author), "source": article.source or HOUSE_SOURCE.get(article.portal, ""),
        "source_date": article.source_date if has_source and SOURCE_DATE_SHOWN.get(article.portal, True) else "",
        "published_at": expected_published_at(article), "notes": f"replica page of {article.key}",
        # A page without a date line is dated by its listing in a crawl; the scorer passes this on.
        **({} if article.date_line else {"listing_date": bare_site(article.portal).list_date(article)}),
    }


def layout_key(portal_id: str) -> str:
    """What decides how a portal's pages look: its platform, and its layout or quirk."""
    platform = PORTALS_BY_ID[portal_id].platform
    if platform in ("generic", "postdate_cms"):
        return f"{platform}/{layout_for(portal_id).name}"
    return f"{platform}/postback-only" if portal_id in POSTBACK_ONLY_PORTALS else platform


def gold_articles() -> list:
    chosen = list(load_corpus())
    covered = {layout_key(article.portal) for article in chosen}
    for article in replica_articles(TODAY):
        if layout_key(article.portal) not in covered:
            covered.add(layout_key(article.portal))
            chosen.append(article)
    return chosen


def main() -> None:
    OUT.mkdir(exist_ok=True)
    articles = gold_articles()
    with ReplicaServer(0, today=TODAY) as replica:
        for article in articles:
            url = article_url(article)
            if article.portal == "tuyengiaodanvan":
                page, suffix = fetch(replica, urlsplit(url).scheme + "://" + urlsplit(url).hostname
                                     + API_ARTICLE.format(id=url.rsplit("-", 1)[1])), ".api.json"
            else:
                page, suffix = fetch(replica, url), ".html"
            (OUT / f"{article.key}{suffix}").write_bytes(page)
            (OUT / f"{article.key}.json").write_text(json.dumps(expected(article), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(articles)} pages to {OUT}")


if __name__ == "__main__":
    main()
