"""The Thừa Thiên Huế in-house framework (thuathienhue.gov.vn, hue.gov.vn): `?gd=1&cn=<section>`
listings paged with `&pg=N`, articles `?gd=1&cn=<section>&tc=<id>`."""

from spiders.base import PortalSpider


class HuePortalSpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "hue_portal"
