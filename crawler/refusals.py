"""What a crawl refuses on purpose, by kind: counted per portal and logged with the reason.

A refusal is not a portal's error: it is the crawler declining a request or a page (an
address it must not reach, a body too large, a login page where an article was expected).
Each refusal is a `vnarchive/<portal>/refused/<kind>` stat, which the run recorder turns into
`portal_runs.refused` and `refused_by_kind`.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

# The one list of kinds, with what each means (README and metadata.yml say the same).
REFUSAL_KINDS: dict[str, str] = {
    "private_address": "a loopback, private, link-local, shared or unique-local address the host map does not name",
    "outside_hostmap": "a host not in the host map of an offline run (--replica)",
    "scheme": "a redirect to a scheme other than http or https (file:, data:, ftp:, …)",
    "robots_disallowed": "robots.txt disallows the URL",
    "robots_unreachable": "robots.txt answered 5xx or could not be fetched: the host is off limits for the run (RFC 9309)",
    "too_large": "the body (after decompression) is over DOWNLOAD_MAXSIZE",
    "truncated": "the body ended before its announced length, or the connection was cut mid-page",
    "soft_404": "a page answering 200 that says it does not exist, or a redirect of an article to the home page",
    "login_wall": "a redirect to a login page, or a login form where an article was expected",
    "not_html": "an article link that answered something other than a web page",
    "links_capped": "links beyond MAX_LINKS_PER_PAGE on one listing or feed page",
    "listing_repeats": "a listing page showing only links earlier pages of the same section showed (endless pagers, calendars)",
    "listing_limit": "paging stopped at the run's listing page limit",
    "page_limit": "the portal's crawl stopped at CLOSESPIDER_PAGECOUNT responses",
    "url_too_long": "a URL longer than URLLENGTH_LIMIT",
    "offsite": "a link or redirect to a host outside the portal's domains",
    "redirect": "a web archive's capture of an article that is a redirect (3xx), not the article",
    "http_error": "a web archive's capture that is an HTTP error (4xx, 5xx), or a copy the archive does not have",
}


class Refused(IgnoreRequest):
    """A request or page declined on purpose; `kind` is one of REFUSAL_KINDS."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"refused ({kind}): {detail}")
        self.kind = kind
        self.detail = detail


def count_refusal(crawler, kind: str, detail: str, count: int = 1) -> None:
    """Count and log one refusal of the portal `crawler` crawls."""
    assert kind in REFUSAL_KINDS, kind
    crawler.stats.inc_value(f"vnarchive/{portal_of(crawler)}/refused/{kind}", count)
    logger.warning("%s: refused (%s): %s", portal_of(crawler), kind, detail)


def refuse(crawler, kind: str, detail: str) -> Refused:
    """Count a refusal and return the exception that drops the request."""
    count_refusal(crawler, kind, detail)
    return Refused(kind, detail)


def portal_of(crawler) -> str:
    portal = getattr(getattr(crawler, "spider", None), "portal", None)
    return portal.id if portal is not None else "unknown"
