"""Feeds, sitemaps, robots.txt and ASP.NET postback links, read from bodies as portals send them."""

import gzip

import pytest
from parsel import Selector

from crawler import discovery

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Tin tức</title>
<item><title>Hội nghị dân vận</title><link>http://vinhlong.gov.vn/Default.aspx?tabid=22641&amp;ID=30001</link>
<pubDate>Thu, 29 Dec 2016 15:13:27 +0700</pubDate></item>
<item><title>Không có link</title><guid isPermaLink="true">https://vinhlong.gov.vn/Default.aspx?tabid=22641&amp;ID=30002</guid>
<dc:date>2016-12-28T08:00:00+07:00</dc:date></item>
</channel></rss>""".encode()

ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<entry><title>a</title><link rel="alternate" href="https://hue.gov.vn/?gd=1&amp;cn=129&amp;tc=5"/>
<link rel="edit" href="https://hue.gov.vn/edit/5"/><published>2022-06-03T16:38:52+07:00</published></entry></feed>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://daklak.gov.vn/sitemap-2024.xml</loc></sitemap><sitemap><loc>https://daklak.gov.vn/sitemap-2025.xml.gz</loc></sitemap>
</sitemapindex>"""

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc> https://www.daklak.gov.vn/tin-tuc/hoi-nghi-123.html </loc><lastmod>2025-01-02</lastmod></url>
<url><loc>https://daklak.gov.vn/gioi-thieu</loc></url></urlset>"""


def test_rss_items_give_their_links_and_vietnam_time_dates():
    links = discovery.feed_links(RSS)
    assert [link.url for link in links] == [
        "http://vinhlong.gov.vn/Default.aspx?tabid=22641&ID=30001",
        "https://vinhlong.gov.vn/Default.aspx?tabid=22641&ID=30002",
    ]
    assert links[0].date_text == "29/12/2016 15:13:27"
    assert links[1].date_text == "2016-12-28T08:00:00+07:00"


def test_rfc822_dates_in_other_zones_become_vietnam_time():
    assert discovery.feed_date("Thu, 29 Dec 2016 08:13:27 GMT") == "29/12/2016 15:13:27"
    assert discovery.feed_date("hôm qua") == "hôm qua"
    assert discovery.feed_date("Fri, 20 Jul 2018 00:00:00 +0700") == "20/07/2018"  # a date-only item


def test_atom_entries_give_their_alternate_link():
    [link] = discovery.feed_links(ATOM)
    assert link.url == "https://hue.gov.vn/?gd=1&cn=129&tc=5"
    assert link.date_text == "2022-06-03T16:38:52+07:00"


def test_pages_announce_their_feeds():
    page = Selector(text='<head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
                         '<link rel="alternate" hreflang="en" href="/en/"><link rel="stylesheet" href="a.css"></head>')
    assert discovery.announced_feeds(page) == ["/rss.xml"]


def test_robots_txt_sitemap_lines():
    robots = b"User-agent: *\nDisallow: /admin/\nSitemap: https://daklak.gov.vn/sitemap.xml\nsitemap: /news.xml\n"
    assert discovery.robots_sitemaps(robots, "https://daklak.gov.vn/robots.txt") == [
        "https://daklak.gov.vn/sitemap.xml", "https://daklak.gov.vn/news.xml"]


def test_sitemap_index_and_urlset():
    kind, links = discovery.read_sitemap(INDEX)
    assert kind == "sitemapindex" and len(links) == 2
    kind, links = discovery.read_sitemap(gzip.compress(URLSET))
    assert kind == "urlset"
    assert [link.url for link in links] == ["https://www.daklak.gov.vn/tin-tuc/hoi-nghi-123.html", "https://daklak.gov.vn/gioi-thieu"]


@pytest.mark.parametrize("body", [b"<html><body>404</body></html>", b"\x1f\x8bnot gzip", b""])
def test_what_is_no_sitemap_reads_as_none(body):
    assert discovery.read_sitemap(body) == ("", [])


def test_postback_links_with_escaped_quotes_and_their_page_numbers():
    page = Selector(text="""<form id="aspnetForm"><input type="hidden" name="__VIEWSTATE" value="x"></form>
      <a href="javascript:__doPostBack(&#39;ctl00$m$g_1$pager&#39;,&#39;Page$2&#39;)">2</a>
      <a href="javascript:__doPostBack('ctl00$m$g_1$pager','Page$Next')">Tiếp</a>
      <a href="/Pages/x.aspx">x</a>""")
    links = discovery.postback_links(page)
    assert [(link.target, link.argument, link.page) for link in links] == [
        ("ctl00$m$g_1$pager", "Page$2", 2), ("ctl00$m$g_1$pager", "Page$Next", None)]
    assert links[1].text == "Tiếp"
