"""The offline replica of the Vietnamese portals: real HTTP on 127.0.0.1 for the real hostnames.

No machine the project is built on reaches the real portals, so tests, the demo and the
benchmarks crawl this replica instead: each portal's platform is copied (markup, URL
patterns, pagination, feeds, APIs, traps such as the header's "today" date). Its articles are the
hand-written ones of `articles.yml` plus generated ones (synthetic.py) for every portal that
has none, or as many as a benchmark asks for (`total_articles`). Everything is deterministic:
the same corpus, parameters and `today` give the same bytes at every start.

Edition 2 is the same portals a day later (new, edited and removed articles, see editions.py), for
testing incremental crawls; `today` always names edition 1's day.

    with ReplicaServer(today=date(2026, 11, 23)) as replica:
        # GET http://127.0.0.1:{replica.port}/Pages/Tin-tuc-su-kien.aspx  with  Host: hanam.gov.vn
        ...
"""

from __future__ import annotations

from datetime import date
from functools import cache

from .corpus import Attachment, CorpusArticle, CorpusError, Image, load_corpus
from .editions import EditionChanges, edition_today
from .portals import HOSTS, PORTALS_BY_ID
from .served import DEFAULT_SYNTHETIC_PER_PORTAL, edition_changes, replica_articles
from .server import ReplicaServer, resolve_today, serve_forever
from .sites import PLATFORMS, Site, bare_site

__all__ = [
    "HOSTS",
    "Attachment",
    "CorpusArticle",
    "CorpusError",
    "EditionChanges",
    "Image",
    "ReplicaServer",
    "article_url",
    "edition_changes",
    "expected_published_at",
    "listing_urls",
    "load_corpus",
    "replica_articles",
    "serve_forever",
]


def article_url(article: CorpusArticle) -> str:
    """The real https URL of the article's page, e.g. https://hanam.gov.vn/Pages/2018-8-1/Toa-dam-…-k3x9qa.aspx.
    The same in every edition: an edited article keeps its URL."""
    return f"https://{PORTALS_BY_ID[article.portal].host}{bare_site(article.portal).article_path(article)}"


def listing_urls(
    portal_id: str,
    page_size: int | None = None,
    *,
    today: date | None = None,
    synthetic_per_portal: int = DEFAULT_SYNTHETIC_PER_PORTAL,
    total_articles: int | None = None,
    edition: int = 1,
) -> list[str]:
    """The real https URLs of every listing page of the portal's section, page 1 first, for a replica
    started with the same arguments (`today` as ReplicaServer resolves it: edition 1's day).

    hanoi has only its section URL: further items come from POSTs to /api/NewsZone/NewsZone,
    which have no URL of their own.
    """
    return _site(portal_id, page_size, resolve_today(today), synthetic_per_portal, total_articles, edition).listing_urls()


def expected_published_at(article: CorpusArticle) -> str | None:
    """What a perfect extractor can know of the publication time from the replica's pages.

    "2022-06-03T16:38:52+07:00" (seconds always written, :00 when the page shows none) when
    the article page shows a time; "2024-04-26" when it shows a date only, or no date at all
    (the listing still shows the date, and the lead may say "Sáng 20/7").
    """
    precision = bare_site(article.portal).precision_for(article)
    if not article.date_line or precision == "date":
        return article.published.date().isoformat()
    shown = article.published.replace(second=0) if precision == "minute" else article.published
    return shown.isoformat(timespec="seconds")


@cache
def _site(
    portal_id: str, page_size: int | None, today: date, synthetic_per_portal: int, total_articles: int | None, edition: int
) -> Site:
    portal = PORTALS_BY_ID[portal_id]
    articles = replica_articles(today, synthetic_per_portal, total_articles, edition=edition, page_size=page_size)
    return PLATFORMS[portal.platform](portal, articles, today=edition_today(today, edition), page_size=page_size)
