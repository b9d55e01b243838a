"""The portal registry (portals.yml) and the platform selectors (platforms.yml), validated on load.

A bad entry stops the program with a message that names the entry and the field, because
a registry typo found at 3 a.m. by cron is worse than one found when the file is saved.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import yaml

from crawler.text import fold, to_nfc

HERE = Path(__file__).parent
REGISTRY_FILE = HERE / "portals.yml"
PLATFORMS_FILE = HERE / "platforms.yml"
TOPICS_FILE = HERE / "topics.yml"
# A YAML file of more portal entries, added to the registry in this process and the ones it
# starts (`vnarchive crawl --portals-file` sets it, so the extraction workers see them too).
EXTRA_PORTALS_ENV = "VNARCHIVE_PORTALS_FILE"
# What an entry of such a file may leave out.
EXTRA_ENTRY_DEFAULTS = {"status": "live", "platform": "generic"}

STATUSES = ("live", "moved", "defunct")
NOT_PLATFORMS = ("defaults", "markers")  # the other entries of platforms.yml
SELECTOR_KEYS = (
    "listing_item", "listing_link", "listing_date", "next_page",
    "title", "lead", "date", "content", "author", "source", "prune", "article_url",
)
PORTAL_ID = re.compile(r"^[a-z][a-z0-9_]*$")
NOT_WORD = re.compile(r"[\W_]+")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


class RegistryError(ValueError):
    """The registry or platform file is wrong; the message says where."""


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for one portal: its platform's, with the portal's overrides."""

    listing_item: str
    listing_link: str
    listing_date: str
    next_page: str
    title: str
    lead: str
    date: str
    content: str
    author: str
    source: str
    prune: tuple[str, ...]
    article_url: str  # a regular expression, not CSS


@dataclass(frozen=True)
class Section:
    """Page 1 of a news section; `topic` names the theme a section is given to, if any."""

    url: str
    topic: str | None = None


@dataclass(frozen=True)
class Topic:
    """A named keyword set (topics.yml), matched as whole words on folded text.

    Folding lets "dan van" (typed without tone marks) find "dân vận", but it also makes
    "hướng dẫn văn bản" contain "dan van". So a folded match counts only where the text at
    that place is spelled as the keyword, or carries no diacritics at all.
    """

    id: str
    name: str
    spellings: dict[str, str]  # folded keyword → keyword as written (lowercase NFC)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        words = sorted(self.spellings, key=len, reverse=True)
        return re.compile(r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words) + r")\b")

    def matches(self, text: str | TopicText) -> bool:
        """`text` as the archive stores it: NFC with canonical tone placement (crawler.text.clean_line)."""
        prepared = text if isinstance(text, TopicText) else TopicText.of(text)
        for match in self.pattern.finditer(prepared.folded):
            span = " ".join(prepared.written[match.start():match.end()].split())
            if span == self.spellings[" ".join(match.group(0).split())] or span == fold(span):
                return True
        return False


class TopicText(NamedTuple):
    """A text as topics look for their keywords in it, prepared once for all of them: lowercase
    with punctuation as spaces, and the same folded letter for letter (so spans line up)."""

    written: str
    folded: str

    @classmethod
    def of(cls, text: str) -> "TopicText":
        written = words_only(text.lower())
        return cls(written, written.translate(_SAME_LENGTH_FOLD))


def words_only(text: str) -> str:
    """Punctuation turned into spaces, one for one, so that keywords match across commas."""
    return text.translate(_PUNCTUATION_AS_SPACE)


class _PunctuationAsSpace(dict):
    """str.translate table, filled as characters are met: what NOT_WORD matches becomes a space.
    (A substitution called back into Python for every run of spaces and commas, three times the time.)"""

    def __missing__(self, code: int) -> str:
        character = chr(code)
        self[code] = replacement = " " if NOT_WORD.fullmatch(character) else character
        return replacement


_PUNCTUATION_AS_SPACE = _PunctuationAsSpace()


class _SameLengthFold(dict):
    """str.translate table, filled as letters are met: a letter folds to one letter, or stays."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        self[code] = letter = folded if len(folded) == 1 else chr(code)
        return letter


_SAME_LENGTH_FOLD = _SameLengthFold()


@dataclass(frozen=True)
class Portal:
    id: str
    name: str
    province: str
    province_2025: str
    domains: tuple[str, ...]
    platform: str
    status: str
    sections: tuple[Section, ...]
    selectors: Selectors
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    successor: str | None = None
    verified: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def domain(self) -> str:
        return self.domains[0]

    def row(self) -> dict[str, Any]:
        """The portal as a row of the archive's `portals` table."""
        return {
            "id": self.id, "name": self.name, "province": self.province,
            "province_2025": self.province_2025, "domain": self.domain,
            "domains": list(self.domains), "platform": self.platform, "status": self.status,
            "successor": self.successor, "verified": self.verified,
        }


@dataclass(frozen=True)
class Registry:
    portals: tuple[Portal, ...]

    def get(self, portal_id: str) -> Portal:
        for portal in self.portals:
            if portal.id == portal_id:
                return portal
        known = ", ".join(p.id for p in self.portals)
        raise RegistryError(f"no portal {portal_id!r} in the registry (known: {known})")

    def for_host(self, host: str) -> Portal | None:
        host = host.lower()
        for portal in self.portals:
            if host in portal.domains:
                return portal
        return None

    def hosts(self) -> list[str]:
        return [host for portal in self.portals for host in portal.domains]

    def ids(self) -> list[str]:
        return [portal.id for portal in self.portals]

    def crawlable(self) -> list[Portal]:
        """What a plain `vnarchive crawl` visits: every portal that still answers."""
        return [p for p in self.portals if p.status != "defunct"]


def load_registry(path: Path = REGISTRY_FILE, platforms_path: Path = PLATFORMS_FILE) -> Registry:
    """The registry, with the entries of the file named by VNARCHIVE_PORTALS_FILE, if any."""
    return _load_registry(path, platforms_path, os.environ.get(EXTRA_PORTALS_ENV, ""))


@cache
def _load_registry(path: Path, platforms_path: Path, extra_path: str) -> Registry:
    platforms = load_platforms(platforms_path)
    portals = _read_portals(path, platforms)
    if extra_path:
        portals += _read_portals(Path(extra_path), platforms, defaults=True)
    _check_unique(portals, Path(extra_path or path))
    return Registry(portals)


def extra_portals() -> tuple[Portal, ...]:
    """The portals VNARCHIVE_PORTALS_FILE adds to the registry (none without it)."""
    base = {portal.id for portal in _load_registry(REGISTRY_FILE, PLATFORMS_FILE, "").portals}
    return tuple(portal for portal in load_registry().portals if portal.id not in base)


def _read_portals(path: Path, platforms: dict[str, dict], defaults: bool = False) -> tuple[Portal, ...]:
    entries = _read_yaml(path)
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a list of portal entries")
    if defaults:
        entries = [_with_defaults(entry) for entry in entries]
    return tuple(_portal(entry, index, platforms, path) for index, entry in enumerate(entries))


def _with_defaults(entry: Any) -> Any:
    """An entry of a portals file: `domain` for a one-domain list, live generic by default, and
    the province after 2025 the same as before unless given."""
    if not isinstance(entry, dict):
        return entry
    entry = {**EXTRA_ENTRY_DEFAULTS, **entry}
    if "domain" in entry and "domains" not in entry:
        entry["domains"] = [entry.pop("domain")]
    entry.setdefault("province_2025", entry.get("province"))
    return entry


@cache
def load_topics(path: Path = TOPICS_FILE) -> dict[str, Topic]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: expected a mapping of topic name to its keywords")
    topics = {}
    for topic_id, entry in data.items():
        keywords = entry.get("keywords") if isinstance(entry, dict) else None
        if not keywords or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise RegistryError(f"{path.name}: topic {topic_id!r}: field 'keywords' must be a list of words")
        written = [" ".join(words_only(to_nfc(k).lower()).split()) for k in keywords]
        topics[topic_id] = Topic(topic_id, str(entry.get("name") or topic_id), {fold(w): w for w in written})
    return topics


def get_topic(topic_id: str) -> Topic:
    topics = load_topics()
    if topic_id not in topics:
        raise RegistryError(f"no topic {topic_id!r} in {TOPICS_FILE.name} (known: {', '.join(topics)})")
    return topics[topic_id]


@cache
def load_platforms(path: Path = PLATFORMS_FILE) -> dict[str, dict[str, Any]]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or "defaults" not in data:
        raise RegistryError(f"{path}: expected a mapping with a 'defaults' entry")
    for name, values in data.items():
        if name == "markers":
            continue
        unknown = set(values or {}) - set(SELECTOR_KEYS)
        if unknown:
            raise RegistryError(f"{path}: platform {name!r}: unknown field(s) {sorted(unknown)}")
    return data


def selectors_for(platform: str, overrides: dict[str, Any], platforms: dict[str, dict]) -> Selectors:
    defaults, own = platforms["defaults"], platforms.get(platform) or {}
    merged = {**defaults, **own, **overrides}
    prune = tuple(defaults.get("prune", ())) + tuple(own.get("prune", ())) + tuple(overrides.get("prune", ()))
    merged["prune"] = tuple(dict.fromkeys(prune))
    try:
        re.compile(merged.get("article_url") or "")
    except re.error as error:
        raise RegistryError(f"platform {platform!r}: article_url {merged.get('article_url')!r} is not a regular expression: {error}") from None
    return Selectors(**{key: merged.get(key) or "" for key in SELECTOR_KEYS} | {"prune": merged["prune"]})


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise RegistryError(f"{path}: not valid YAML: {error}") from None


def _portal(entry: Any, index: int, platforms: dict[str, dict], path: Path) -> Portal:
    where = f"{path.name}: entry {index + 1}"
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a mapping, got {type(entry).__name__}")
    where = f"{path.name}: portal {entry.get('id', f'#{index + 1}')!r}"

    def need(name: str, kind: type = str) -> Any:
        value = entry.get(name)
        if value in (None, "", []):
            raise RegistryError(f"{where}: field '{name}' is required")
        if not isinstance(value, kind):
            raise RegistryError(f"{where}: field '{name}' must be a {kind.__name__}, got {value!r}")
        return value

    unknown = set(entry) - {*Portal.__dataclass_fields__, "domains"} - {"extra"}
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {sorted(unknown)}")
    portal_id = need("id")
    if not PORTAL_ID.match(portal_id):
        raise RegistryError(f"{where}: field 'id' must be lowercase letters, digits and _, got {portal_id!r}")
    platform = need("platform")
    if platform not in platforms or platform in NOT_PLATFORMS:
        known = ", ".join(name for name in platforms if name not in NOT_PLATFORMS)
        raise RegistryError(f"{where}: field 'platform' is {platform!r}, not one of: {known}")
    status = need("status")
    if status not in STATUSES:
        raise RegistryError(f"{where}: field 'status' is {status!r}, not one of: {', '.join(STATUSES)}")
    successor = entry.get("successor")
    if successor is not None and not (isinstance(successor, str) and PORTAL_ID.match(successor)):
        raise RegistryError(f"{where}: field 'successor' must be a portal id, got {successor!r}")
    domains = tuple(_domain(d, where) for d in need("domains", list))
    overrides = entry.get("selectors") or {}
    if not isinstance(overrides, dict) or set(overrides) - set(SELECTOR_KEYS):
        bad = sorted(set(overrides) - set(SELECTOR_KEYS)) if isinstance(overrides, dict) else overrides
        raise RegistryError(f"{where}: field 'selectors' has unknown key(s) {bad}; known: {', '.join(SELECTOR_KEYS)}")
    return Portal(
        id=portal_id, name=need("name"), province=need("province"),
        province_2025=need("province_2025"), domains=domains, platform=platform, status=status,
        sections=_sections(entry, where, domains, required=status != "defunct"),
        feeds=_urls(entry, "feeds", where, domains), sitemaps=_urls(entry, "sitemaps", where, domains),
        selectors=selectors_for(platform, overrides, platforms),
        successor=successor, verified=bool(entry.get("verified", False)),
    )


def _domain(value: Any, where: str) -> str:
    if not isinstance(value, str) or not HOSTNAME.match(value.lower()):
        raise RegistryError(f"{where}: field 'domains' has {value!r}, which is not a hostname")
    return value.lower()


def _urls(entry: dict, name: str, where: str, domains: tuple[str, ...], *, required: bool = False) -> tuple[str, ...]:
    values = entry.get(name) or []
    if required and not values:
        raise RegistryError(f"{where}: field '{name}' needs at least one URL")
    if not isinstance(values, list):
        raise RegistryError(f"{where}: field '{name}' must be a list of URLs")
    for url in values:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(f"{where}: field '{name}' has {url!r}, which is not an http(s) URL")
        if parts.hostname.lower() not in domains:
            raise RegistryError(f"{where}: field '{name}' has {url!r}, whose host is not in 'domains'")
    return tuple(values)


def _sections(entry: dict, where: str, domains: tuple[str, ...], *, required: bool) -> tuple[Section, ...]:
    values = entry.get("sections") or []
    if not isinstance(values, list):
        raise RegistryError(f"{where}: field 'sections' must be a list of URLs")
    sections = []
    for value in values:
        if isinstance(value, dict):
            unknown = set(value) - {"url", "topic"}
            if unknown or "url" not in value:
                raise RegistryError(f"{where}: field 'sections' has {value!r}; a section is a URL or {{url: …, topic: …}}")
            topic = value.get("topic")
            if topic is not None and topic not in load_topics():
                raise RegistryError(f"{where}: field 'sections' names topic {topic!r}, not one of: {', '.join(load_topics())}")
            sections.append(Section(value["url"], topic))
        else:
            sections.append(Section(value))
    _urls({"sections": [s.url for s in sections]}, "sections", where, domains, required=required)
    return tuple(sections)


def _check_unique(portals: tuple[Portal, ...], path: Path) -> None:
    seen_ids: set[str] = set()
    seen_hosts: dict[str, str] = {}
    for portal in portals:
        if portal.id in seen_ids:
            raise RegistryError(f"{path.name}: portal {portal.id!r} appears twice")
        seen_ids.add(portal.id)
        for host in portal.domains:
            if host in seen_hosts:
                raise RegistryError(f"{path.name}: domain {host!r} is in both {seen_hosts[host]!r} and {portal.id!r}")
            seen_hosts[host] = portal.id
