"""A portal of unknown make: the default selectors, the portal's own overrides from the
registry, and link-shape heuristics when no listing item matches."""

from spiders.base import PortalSpider


class GenericSpider(PortalSpider):
    """Subclasses set `name` and `portal_id` (made from the registry)."""

    platform = "generic"
