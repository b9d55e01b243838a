"""SharePoint portals (../shared/PORTALS.md).

Tân Dân flavour (dienbien, namdinh, hanam): articles under `/Pages/<Y-M-D>/<slug>.aspx`, the
date in the path; listings paged with `?PageIndex=N` where it works. Ministry template
(backan and ministries): `chi-tiet-tin.aspx?ItemID=…`, listings `news.aspx?CatId=…&page=N`.
Both take their selectors from platforms.yml; nothing here but the family's name.
"""

from spiders.base import PortalSpider


class SharePointTanDanSpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "sharepoint_tandan"


class SharePointMinistrySpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "sharepoint_ministry"
