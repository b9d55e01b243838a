"""Liferay portals (thainguyen, bacgiang, quangngai, Hà Nội departments): `asset_publisher` and
`view_content` articles, listings paged with `_101_cur=N`."""

from spiders.base import PortalSpider


class LiferaySpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "liferay"
