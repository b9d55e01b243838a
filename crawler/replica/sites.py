"""One Site class per platform family, and the replica's sites built from the corpus."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache
from typing import Sequence

from .base_site import Site
from .corpus import CorpusArticle
from .portals import PORTALS, PORTALS_BY_ID, Portal
from .dnn import DotNetNuke
from .generic import GenericCms, PostdateCms
from .hanoi_cms import HanoiCms
from .hue_portal import HuePortal
from .liferay import Liferay
from .react_api import ReactApi
from .sharepoint_ministry import SharePointMinistry
from .sharepoint_tandan import SharePointTanDan

PLATFORMS: dict[str, type[Site]] = {
    site.platform: site
    for site in (SharePointTanDan, SharePointMinistry, DotNetNuke, HuePortal, HanoiCms, GenericCms, ReactApi, Liferay, PostdateCms)
}


def site_class(portal_id: str) -> type[Site]:
    """The Site class that serves a portal."""
    return PLATFORMS[PORTALS_BY_ID[portal_id].platform]


def build_sites(articles: Sequence[CorpusArticle], *, today: date, page_size: int | None = None) -> dict[str, Site]:
    """Every portal's site over `articles` (newest first), by portal id."""
    return {
        portal.id: PLATFORMS[portal.platform](portal, articles, today=today, page_size=page_size)
        for portal in PORTALS
    }


@cache
def bare_site(portal_id: str) -> Site:
    """The portal's site with no articles: what it makes of an article (URL, date precision) without serving it."""
    portal = PORTALS_BY_ID[portal_id]
    return PLATFORMS[portal.platform](portal, (), today=date(2000, 1, 1))


def settled(portal: Portal, articles: Sequence[CorpusArticle], existing: Sequence[CorpusArticle]) -> list[CorpusArticle]:
    """Generated articles as the portal's pages show them, each on a URL of its own.

    The seconds of the publication time are kept only where the page shows seconds, and an
    article whose URL would clash with one of `existing` (or an earlier one of `articles`) on
    the same portal (ids are hashes of the key folded into a range) gets the next key.
    """
    site = bare_site(portal.id)
    taken = {site.lookup_key(article) for article in existing if article.portal == portal.id}
    result = []
    for article in articles:
        shows_seconds = site.precision_for(article) == "second"
        article = replace(
            article,
            published=article.published if shows_seconds else article.published.replace(second=0),
            published_has_seconds=shows_seconds,
        )
        key, retry = article.key, 1
        while site.lookup_key(article) in taken:
            article = replace(article, key=f"{key}-r{retry}")
            retry += 1
        taken.add(site.lookup_key(article))
        result.append(article)
    return result


__all__ = ["PLATFORMS", "Site", "bare_site", "build_sites", "settled", "site_class"]
