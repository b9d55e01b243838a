"""The offline replica of the Vietnamese portals: real HTTP on 127.0.0.1 for the real hostnames.

No machine the project is built on reaches the real portals, so tests, the demo and the
benchmarks crawl this replica instead: each portal's platform is copied (markup, URL
patterns, pagination, feeds, APIs, traps such as the header's "today" date) and its articles
come from `articles.yml`. Everything is deterministic: the same corpus and `today` give the
same bytes at every start.

    with ReplicaServer(today=date(2026, 11, 23)) as replica:
        # GET http://127.0.0.1:{replica.port}/Pages/Tin-tuc-su-kien.aspx  with  Host: hanam.gov.vn
        ...
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from .corpus import Attachment, CorpusArticle, CorpusError, Image, load_corpus
from .portals import HOSTS, PORTALS_BY_ID
from .server import ReplicaServer, serve_forever
from .sites import Site, build_sites, site_class

__all__ = [
    "HOSTS",
    "Attachment",
    "CorpusArticle",
    "CorpusError",
    "Image",
    "ReplicaServer",
    "article_url",
    "expected_published_at",
    "listing_urls",
    "load_corpus",
    "serve_forever",
]


def article_url(article: CorpusArticle) -> str:
    """The real https URL of the article's page, e.g. https://hanam.gov.vn/Pages/2018-8-1/Toa-dam-…-k3x9qa.aspx."""
    return f"https://{PORTALS_BY_ID[article.portal].host}{site_class(article.portal).article_path(article)}"


def listing_urls(portal_id: str, page_size: int | None = None) -> list[str]:
    """The real https URLs of every listing page of the portal's section, page 1 first.

    hanoi has only its section URL: further items come from POSTs to /api/NewsZone/NewsZone,
    which have no URL of their own.
    """
    return _sites(page_size)[portal_id].listing_urls()


def expected_published_at(article: CorpusArticle) -> str | None:
    """What a perfect extractor can know of the publication time from the replica's pages.

    "2022-06-03T16:38:52+07:00" (seconds always written, :00 when the page shows none) when
    the article page shows a time; "2024-04-26" when it shows a date only, or no date at all
    (the listing still shows the date, and the lead may say "Sáng 20/7").
    """
    precision = site_class(article.portal).date_precision
    if not article.date_line or precision == "date":
        return article.published.date().isoformat()
    shown = article.published.replace(second=0) if precision == "minute" else article.published
    return shown.isoformat(timespec="seconds")


@lru_cache(maxsize=None)
def _sites(page_size: int | None) -> dict[str, Site]:
    # URLs do not depend on the header date; any `today` will do.
    return build_sites(load_corpus(), today=date.today(), page_size=page_size)
