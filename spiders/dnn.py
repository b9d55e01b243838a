"""DotNetNuke portals (vinhlong, huecity): `Default.aspx?tabid=…&ID=…` articles,
listings paged with `&Page=N`, selectors from platforms.yml."""

from spiders.base import PortalSpider


class DnnSpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "dnn"
