"""What is wrong with a portal's TLS certificate, recorded rather than refused.

Many provincial portals serve expired certificates or incomplete chains, so the crawl does not
verify certificates by default (Scrapy's context factory; TLS_VERIFY = True turns verification
on). What a browser would have complained about is still worth knowing, per portal and run:
the peer certificate is checked here for the faults visible without its chain.
"""

from __future__ import annotations

from datetime import timezone

from cryptography import x509
from cryptography.x509.oid import NameOID

from crawler import clock


def certificate_issues(certificate, hostname: str) -> list[str]:
    """Issues of a Twisted certificate (Response.certificate) for `hostname`: self_signed,
    expired, not_yet_valid, name_mismatch."""
    cert = certificate.original.to_cryptography()
    now = clock.now().astimezone(timezone.utc)
    issues = []
    if cert.issuer == cert.subject:
        issues.append("self_signed")
    if cert.not_valid_after_utc < now:
        issues.append("expired")
    if cert.not_valid_before_utc > now:
        issues.append("not_yet_valid")
    if not any(_matches(hostname.lower(), name.lower()) for name in _names(cert)):
        issues.append("name_mismatch")
    return issues


def _names(cert: x509.Certificate) -> list[str]:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        return [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def _matches(hostname: str, name: str) -> bool:
    """RFC 6125 matching: a wildcard stands for exactly one leftmost label."""
    if name.startswith("*."):
        label, _, rest = hostname.partition(".")
        return bool(label) and rest == name[2:]
    return hostname == name
