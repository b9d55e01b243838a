"""`vnarchive probe`: is each portal where the registry says, and does its platform still read?

For operators checking the registry on a machine with internet: per portal, DNS, TLS (the
certificate's validity and expiry), one listing page and one article through the real spider
and extractor. Nothing is written to the archive. With `--replica` the network checks are
skipped (every host is mapped to the replica) and the listing and article checks run.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from crawler.registry import Portal

NETWORK_TIMEOUT_SECONDS = 10
SKIPPED = "skipped"


@dataclass
class ProbeResult:
    portal: str
    domain: str
    dns: str = SKIPPED        # "ok 203.0.113.5", or the resolver's error
    tls: str = SKIPPED        # "ok, expires in 120 days", or the handshake's error
    listing: str = ""         # "ok 200, 12 article links", or what went wrong
    article: str = ""         # "ok: <title> (2024-04-26)", or what went wrong

    @property
    def ok(self) -> bool:
        checks = (self.dns, self.tls, self.listing, self.article)
        return all(check == SKIPPED or check.startswith("ok") for check in checks)

    def row(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def check_dns(host: str) -> str:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)}
    except socket.gaierror as error:
        return f"failed: {error.strerror or error}"
    return "ok " + ", ".join(sorted(addresses))


def check_tls(host: str, port: int = 443, *, address: str | None = None,
              context: ssl.SSLContext | None = None, now: datetime | None = None) -> str:
    """Handshake with certificate and hostname verification; the days left before it expires."""
    context = context or ssl.create_default_context()
    try:
        with socket.create_connection((address or host, port), timeout=NETWORK_TIMEOUT_SECONDS) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                certificate = tls.getpeercert()
    except ssl.SSLCertVerificationError as error:
        return f"failed: certificate: {error.verify_message or error.reason}"
    except (OSError, ssl.SSLError) as error:
        return f"failed: {error}"
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(certificate["notAfter"]), timezone.utc)
    days = (expires - (now or datetime.now(timezone.utc))).days
    return f"ok, expires in {days} days"


def network_checks(portal: Portal) -> ProbeResult:
    """DNS and, for https sections, TLS of the portal's first section host."""
    section = portal.sections[0].url if portal.sections else f"https://{portal.domain}/"
    parts = urlsplit(section)
    result = ProbeResult(portal.id, parts.hostname or portal.domain)
    result.dns = check_dns(result.domain)
    if parts.scheme == "https" and result.dns.startswith("ok"):
        result.tls = check_tls(result.domain, parts.port or 443)
    return result


def crawl_checks(result: ProbeResult, stats: dict, findings: dict) -> None:
    """What the probe crawl saw of one portal: the listing's status and links, the article's record."""
    prefix = f"vnarchive/{result.portal}/"
    links = stats.get(prefix + "links_found", 0)
    status = findings.get("listing_status")
    if status is None:
        result.listing = "failed: " + (findings.get("listing_error") or "no response")
    elif status >= 400 or not links:
        result.listing = f"failed: HTTP {status}, {links} article links"
    else:
        result.listing = f"ok {status}, {links} article links"
    record = findings.get("record")
    if record is not None:
        # Some pages print no date (a crawl dates them from the listing or feed): worth seeing, not broken.
        result.article = f"ok: {record.title[:60]} ({record.published_at or 'no date on the page'})"
    elif links:
        result.article = "failed: " + (findings.get("article_error") or "no article record")
    else:
        result.article = SKIPPED


class ProbeCollector:
    """Item pipeline of a probe crawl: keeps each portal's first article record, stores nothing."""

    findings: dict[str, dict] = {}

    def process_item(self, item):
        ProbeCollector.findings.setdefault(item.portal, {}).setdefault("record", item)
        return item


def run_probe(portals: list[Portal], *, hostmap: list[str], strict: bool, network: bool) -> list[ProbeResult]:
    """Network checks (unless `network` is False), then one Scrapy process probing every portal."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from spiders.portals import PORTAL_SPIDERS

    results = [network_checks(p) if network else ProbeResult(p.id, p.domain) for p in portals]
    ProbeCollector.findings = {p.id: {} for p in portals}
    process = CrawlerProcess(_probe_settings(hostmap, strict))
    crawlers = []
    for portal in portals:
        crawler = process.create_crawler(PORTAL_SPIDERS[portal.id])
        crawler.signals.connect(_listing_seen, signal=signals.response_received)
        crawler.signals.connect(_item_dropped, signal=signals.item_dropped)
        process.crawl(crawler)
        crawlers.append(crawler)
    process.start()
    for result, crawler in zip(results, crawlers):
        stats = crawler.stats.get_stats()
        findings = ProbeCollector.findings[result.portal]
        findings.setdefault("listing_error", _download_error(stats))
        crawl_checks(result, stats, findings)
    return results


def _probe_settings(hostmap: list[str], strict: bool):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({
        "PROBE": True, "HOSTMAP": hostmap, "HOSTMAP_STRICT": strict, "RECHECK_KNOWN": True,
        "ITEM_PIPELINES": {"crawler.pipelines.ExtractPipeline": 300, "crawler.probe.ProbeCollector": 800},
        "EXTENSIONS": {"crawler.runs.RunRecorder": None}, "LOG_LEVEL": "WARNING", "RETRY_TIMES": 1,
        "DOWNLOAD_TIMEOUT": NETWORK_TIMEOUT_SECONDS * 2,
    }, priority="cmdline")
    return settings


def _listing_seen(response, request, spider) -> None:
    if request.meta.get("probe_listing") and not 300 <= response.status < 400:
        ProbeCollector.findings[spider.portal.id].setdefault("listing_status", response.status)


def _item_dropped(item, response, exception, spider) -> None:
    ProbeCollector.findings[spider.portal.id].setdefault("article_error", str(exception))


def _download_error(stats: dict) -> str:
    errors = [key.rsplit(".", 1)[-1] for key in stats if key.startswith("downloader/exception_type_count/")]
    return ", ".join(errors)


def render_report(results: list[ProbeResult]) -> str:
    lines = []
    for result in results:
        lines.append(f"{'ok    ' if result.ok else 'BROKEN'} {result.portal} ({result.domain})")
        for check in ("dns", "tls", "listing", "article"):
            lines.append(f"         {check:<8}{getattr(result, check)}")
    working = sum(result.ok for result in results)
    lines.append(f"{working} of {len(results)} portals work")
    return "\n".join(lines)
