"""One Site class per platform family, and the replica's sites built from the corpus."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from .base_site import Site
from .corpus import CorpusArticle
from .portals import PORTALS, PORTALS_BY_ID
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


__all__ = ["PLATFORMS", "Site", "build_sites", "site_class"]
