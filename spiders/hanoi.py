"""hanoi.gov.vn: the section page shows the first items; "Xem thêm" loads the rest as HTML
fragments from a POST to /api/NewsZone/NewsZone with the page number, the zone's opaque
parameters (read from the page's data-* attributes) and the ids already shown."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import ListingEntry, PortalSpider

MORE_ITEMS_PATH = "/api/NewsZone/NewsZone"
# data-* attribute on the stream container → form field of the POST.
ZONE_FIELDS = {"catname": "Catname", "pagesize": "PageSize", "languageid": "LanguageId", "site": "Site"}


class HanoiSpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "hanoi_cms"

    def parse_listing(self, response: Response, page: int = 1, **state: Any):
        if page == 1:
            state["zone"] = self._zone(response)
        yield from super().parse_listing(response, page, **state)

    def next_listing_request(self, response: Response, page: int, entries: list[ListingEntry], **state: Any):
        zone = state.get("zone")
        if not zone:
            return None
        shown = [*state.get("shown", ()), *self._item_ids(response)]
        formdata = {**zone, "PageIndex": str(page + 1), "DataIds[]": shown}
        return scrapy.FormRequest(
            response.urljoin(MORE_ITEMS_PATH), formdata=formdata, callback=self.parse_listing,
            cb_kwargs={"page": page + 1, "zone": zone, "shown": shown, "known_pages": state.get("known_pages", 0)},
            dont_filter=True,
        )

    def _zone(self, response: Response) -> dict[str, str]:
        container = response.css("[data-catname]")
        if not container:
            return {}
        attributes = container[0].attrib
        return {field: attributes.get(f"data-{name}", "") for name, field in ZONE_FIELDS.items()}

    def _item_ids(self, response: Response) -> list[str]:
        return response.css("[data-id]::attr(data-id)").getall()
