"""Canonical URLs and the dedup key of an article.

The key, not the URL, decides whether two fetches are the same article: portals link one
article as http and https, with and without `www.`, with tracking or session parameters,
and IIS serves `/Pages/X.aspx` and `/pages/x.aspx` alike.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Parameters that never select content: trackers, sessions, cache busters.
NOISE_PARAMS = frozenset({
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "fbclid", "gclid",
    "zarsrc", "zalo_source", "mc_cid", "mc_eid", "_ga", "jsessionid", "phpsessid", "aspsessionid",
    "sessionid", "sid", "_", "ts",
})
# ASP.NET cookieless sessions put the session in the path: /(S(a1b2c3))/Pages/x.aspx.
PATH_SESSION = re.compile(r"/\((?:[A-Z]\([^)]*\))+\)(?=/)", re.IGNORECASE)
# Characters a path keeps unescaped (RFC 3986 pchar and "/"), so that `%C3%A1`, `%c3%a1` and a
# raw `á` give one key.
PATH_SAFE = "/:@!$&'()*+,;=-._~"
# IIS (SharePoint, DotNetNuke) paths are case-insensitive; elsewhere case matters.
CASE_INSENSITIVE_PLATFORMS = frozenset({"sharepoint_tandan", "sharepoint_ministry", "dnn"})


def canonical_url(url: str) -> str:
    """The URL as the archive cites it: https kept as given, fragment and noise parameters dropped."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in NOISE_PARAMS]
    path = PATH_SESSION.sub("", parts.path.split(";jsessionid=")[0]) or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def url_key(url: str, platform: str | None = None) -> str:
    """The dedup key: scheme and `www.` dropped, parameters sorted, IIS paths case-folded."""
    parts = urlsplit(canonical_url(url))
    host = parts.hostname or ""
    host = host[4:] if host.startswith("www.") else host
    path = quote(unquote(parts.path), safe=PATH_SAFE)
    path = path.lower() if platform in CASE_INSENSITIVE_PLATFORMS else path
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    if platform in CASE_INSENSITIVE_PLATFORMS:
        query = sorted((k.lower(), v) for k, v in query)
    return urlunsplit(("", host, path, urlencode(query), "")).lstrip("/")
