"""Where a crawl may connect: public addresses, and the addresses the host map names.

The crawler runs on servers beside other services, and a portal page (or any redirect hop)
can point at http://127.0.0.1:6379/ or at a name that resolves to 10.0.0.5. Two layers keep
such requests from leaving:

- the download handler (crawler/hostmap.py) resolves each request's host before fetching and
  refuses, with the reason, a forbidden address or an address the host map names on another
  port; that is where refusals are counted per portal;
- this module's resolver, installed on the reactor, fails every lookup that yields a forbidden
  address the host map does not name, so the connection Twisted makes (which resolves again)
  cannot be steered elsewhere by a DNS answer that changed in between.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's `is_global` leaves out, named for the log; checked in this order.
NAMED_RANGES: tuple[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network], ...] = (
    ("loopback", ipaddress.ip_network("127.0.0.0/8")),
    ("loopback", ipaddress.ip_network("::1/128")),
    ("link-local", ipaddress.ip_network("169.254.0.0/16")),
    ("link-local", ipaddress.ip_network("fe80::/10")),
    ("carrier-grade NAT", ipaddress.ip_network("100.64.0.0/10")),
    ("unique-local", ipaddress.ip_network("fc00::/7")),
    ("private", ipaddress.ip_network("10.0.0.0/8")),
    ("private", ipaddress.ip_network("172.16.0.0/12")),
    ("private", ipaddress.ip_network("192.168.0.0/16")),
    ("unspecified", ipaddress.ip_network("0.0.0.0/8")),
    ("multicast", ipaddress.ip_network("224.0.0.0/4")),
)


class BlockedAddress(DNSLookupError):
    """A name resolved to an address the crawl must not reach."""


def forbidden_reason(address: str) -> str | None:
    """Why a crawl must not connect to `address`, or None for a public address."""
    try:
        ip: IPAddress = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        inner = forbidden_reason(str(ip.ipv4_mapped))
        return f"IPv4-mapped ({inner})" if inner else "IPv4-mapped"
    for name, network in NAMED_RANGES:
        if ip.version == network.version and ip in network:
            return name
    return None if ip.is_global else "reserved"


@dataclass(frozen=True)
class AddressPolicy:
    """Forbidden addresses, less the (address, port) pairs the host map names."""

    named: frozenset[tuple[str, int]]

    @classmethod
    def from_hostmap(cls, bases: Iterable[str]) -> AddressPolicy:
        named = set()
        for base in bases:
            parts = urlsplit(base)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            for address in _addresses(parts.hostname or ""):
                named.add((address, port))
        return cls(frozenset(named))

    @property
    def named_addresses(self) -> frozenset[str]:
        return frozenset(address for address, _ in self.named)

    def refusal(self, address: str, port: int) -> str | None:
        """Why this crawl must not connect to address:port, or None."""
        if (address, port) in self.named:
            return None
        reason = forbidden_reason(address)
        return f"{address}:{port} is {reason}" if reason else None


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that fails lookups yielding forbidden addresses (TWISTED_DNS_RESOLVER)."""

    policy = AddressPolicy(frozenset())

    @classmethod
    def from_crawler(cls, crawler, reactor):
        from crawler.hostmap import parse_hostmap

        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy.from_hostmap(parse_hostmap(crawler.settings.getlist("HOSTMAP")).values())
        return resolver

    def getHostByName(self, name, timeout=()):
        return super().getHostByName(name, timeout).addCallback(self._checked, name)

    def _checked(self, address: str, name: str) -> str:
        reason = forbidden_reason(address)
        if reason and address not in self.policy.named_addresses:
            raise BlockedAddress(f"{name} resolves to {address} ({reason})")
        return address


def _addresses(host: str) -> set[str]:
    """The IPv4 addresses of a host map target (an address, or a local name such as localhost)."""
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        pass
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None, socket.AF_INET)}
    except OSError:
        return set()
