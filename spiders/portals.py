"""One spider per registry entry, so `scrapy list` shows every portal and `scrapy crawl hanam` works.

The classes are made here from crawler/portals.yml: a portal of a known platform is one
registry entry and no code.
"""

from __future__ import annotations

from crawler.registry import load_registry
from spiders.base import PortalSpider
from spiders.dnn import DnnSpider
from spiders.generic import GenericSpider
from spiders.hanoi import HanoiSpider
from spiders.hue import HuePortalSpider
from spiders.liferay import LiferaySpider
from spiders.react_api import ReactApiSpider
from spiders.sharepoint import SharePointMinistrySpider, SharePointTanDanSpider

PLATFORM_SPIDERS: dict[str, type[PortalSpider]] = {
    spider.platform: spider
    for spider in (SharePointTanDanSpider, SharePointMinistrySpider, DnnSpider, HuePortalSpider,
                   HanoiSpider, LiferaySpider, ReactApiSpider, GenericSpider)
}


def spider_class(portal_id: str) -> type[PortalSpider]:
    portal = load_registry().get(portal_id)
    # A platform that only differs in selectors (platforms.yml) needs no spider of its own.
    base = PLATFORM_SPIDERS.get(portal.platform, GenericSpider)
    class_name = "".join(part.capitalize() for part in portal.id.split("_")) + "Spider"
    return type(class_name, (base,), {"name": portal.id, "portal_id": portal.id, "__module__": __name__,
                                      "__doc__": f"{portal.name} ({portal.domain}, {portal.platform})."})


PORTAL_SPIDERS: dict[str, type[PortalSpider]] = {p.id: spider_class(p.id) for p in load_registry().portals}
# Scrapy finds spiders among a module's globals.
globals().update({f"{portal_id}_spider": spider for portal_id, spider in PORTAL_SPIDERS.items()})
