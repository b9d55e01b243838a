"""Where a portal says which articles it has, besides its listing pages: feeds, sitemaps, robots.txt,
and the ASP.NET postback links its pagers are made of.

Pure functions over response bodies, so that each can be tested on a saved page. The spiders
(spiders/base.py) turn what they return into requests.
"""

from __future__ import annotations

import gzip
import html
import io
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from parsel import Selector
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.dates import VIETNAM_TZ

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# `javascript:__doPostBack('ctl00$…$pager','Page$3')`, quotes possibly HTML-escaped.
POSTBACK_CALL = re.compile(r"__doPostBack\(\s*['\"]([^'\"]*)['\"]\s*,\s*['\"]([^'\"]*)['\"]\s*\)")
TRAILING_NUMBER = re.compile(r"(\d+)\s*$")
GZIP_MAGIC = b"\x1f\x8b"
SITEMAP_TYPES = ("sitemapindex", "urlset")
PLAIN_LOC = re.compile(rb"<loc>\s*([^<>\s]+)\s*</loc>")
# A sitemap is at most 50 MB uncompressed (sitemaps.org); refuse to inflate more than that.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Link:
    """An article link found in a feed or sitemap: its URL and the date given beside it, if any."""

    url: str
    date_text: str = ""


@dataclass(frozen=True)
class Postback:
    """One postback link: the control that posts and its argument (`Page$3`, `Page$Next`)."""

    target: str
    argument: str
    text: str

    @property
    def page(self) -> int | None:
        match = TRAILING_NUMBER.search(self.argument)
        return int(match.group(1)) if match else None


# --- feeds ----------------------------------------------------------------------------------

def feed_links(body: bytes) -> list[Link]:
    """The item links of an RSS 2.0, RSS 1.0 or Atom feed, with their publication dates."""
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    links = [_rss_item(item) for item in selector.xpath("//item")]
    links += [_atom_entry(entry) for entry in selector.xpath("//entry")]
    return [link for link in links if link.url]


def _rss_item(item: Selector) -> Link:
    url = (item.xpath("link/text()").get() or "").strip()
    guid = item.xpath("guid[not(@isPermaLink='false')]/text()").get()
    date = item.xpath("pubDate/text()").get() or item.xpath("date/text()").get() or ""
    return Link(url or (guid or "").strip(), feed_date(date))


def _atom_entry(entry: Selector) -> Link:
    url = entry.xpath("link[@rel='alternate' or not(@rel)]/@href").get() or ""
    date = entry.xpath("published/text()").get() or entry.xpath("updated/text()").get() or ""
    return Link(url.strip(), date.strip())


def feed_date(text: str) -> str:
    """An RFC 822 date (`Thu, 29 Dec 2016 15:13:27 +0700`) as Vietnam time `29/12/2016 15:13:27`,
    the form the date parser reads; other forms (ISO 8601, dc:date) are passed on unchanged."""
    text = text.strip()
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(VIETNAM_TZ)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%d/%m/%Y")  # feeds write a date-only item as midnight
    return moment.strftime("%d/%m/%Y %H:%M:%S")


def announced_feeds(page: Selector) -> list[str]:
    """Feed URLs a page announces in its <head> (`<link rel="alternate" type="application/rss+xml">`)."""
    return [
        link.attrib["href"] for link in page.css("link[rel~=alternate][href]")
        if link.attrib.get("type", "").split(";")[0].strip().lower() in FEED_TYPES
    ]


def is_feed(content_type: str, body: bytes) -> bool:
    start = body[:512].lstrip().lower()
    return "xml" in content_type.lower() or start.startswith(b"<?xml") or b"<rss" in start or b"<feed" in start


# --- sitemaps -------------------------------------------------------------------------------

def robots_sitemaps(robots_txt: bytes, base_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt."""
    return list(sitemap_urls_from_robots(robots_txt, base_url=base_url))


def sitemap_body(body: bytes) -> bytes:
    """The XML of a sitemap, inflated when it came gzipped (`sitemap.xml.gz`)."""
    if not body.startswith(GZIP_MAGIC):
        return body
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as inflated:
        data = inflated.read(MAX_SITEMAP_BYTES + 1)
    if len(data) > MAX_SITEMAP_BYTES:
        raise ValueError(f"sitemap larger than {MAX_SITEMAP_BYTES} bytes uncompressed")
    return data


def read_sitemap(body: bytes) -> tuple[str, list[Link]]:
    """("sitemapindex", sitemaps) or ("urlset", pages); ("", []) when the body is no sitemap.
    No dates: <lastmod> says when a page changed, not when it was published.

    Entities are never expanded (no XXE, no billion laughs). A sitemap the XML parser refuses
    (a hostile DTD, or a hand-made file that is not well-formed) is read for its plain <loc>s."""
    try:
        xml = sitemap_body(body)
        sitemap = Sitemap(xml)
    except (ValueError, OSError, SyntaxError):
        return "", []
    if sitemap.type in SITEMAP_TYPES:
        links = [Link(entry["loc"].strip()) for entry in sitemap if (entry.get("loc") or "").strip()]
        if links:
            return sitemap.type, links
    return _plain_locs(xml)


def _plain_locs(xml: bytes) -> tuple[str, list[Link]]:
    """The literal URLs in <loc> elements, found without an XML parser."""
    head = xml[:4096]
    kind = next((name for name in SITEMAP_TYPES if f"<{name}".encode() in head), "")
    if not kind:
        return "", []
    urls = (html.unescape(match.decode("utf-8", errors="replace")) for match in PLAIN_LOC.findall(xml))
    return kind, [Link(url) for url in urls if url.startswith(("http://", "https://"))]


# --- ASP.NET postbacks ------------------------------------------------------------------------

def postback_links(page: Selector) -> list[Postback]:
    """Every `__doPostBack(target, argument)` link on a page, in document order."""
    found = []
    for link in page.css("a[href*=__doPostBack], a[onclick*=__doPostBack]"):
        code = html.unescape(link.attrib.get("href", "") + " " + link.attrib.get("onclick", ""))
        match = POSTBACK_CALL.search(code)
        if match:
            text = " ".join(link.css("::text").getall()).strip()
            found.append(Postback(match.group(1), match.group(2), text))
    return found

