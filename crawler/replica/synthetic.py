"""Generated articles: realistic local-government news for portals nobody wrote articles for.

Each article is built from the phrase bank (phrases.yml) with its portal's province, and is
a function of (portal, index) and the replica's `today` only: `random.Random` seeded with the
portal id and the index, so every run gives the same text. Titles are unique: each names its
portal's province or city in a shape only that kind of portal uses (provincial portals never
use a colon, danvan writes "Kon Tum: …", tuyengiaodanvan "… ở Kon Tum"), and within a
portal a title already taken by an earlier article is drawn again.

Dates follow the portals' history (PORTALS.md, "The 2025 reform"): portals of provinces merged
away publish nothing after 2025-06-30, hue.gov.vn starts on 2025-01-01, tuyengiaodanvan.vn on
2025-02-01, danvan.vn stops on 2025-02-28, the others run from 2016 to `today`.

Articles on mass mobilization (topic "dan-van") use the keywords of crawler/topics.yml; articles
on the other topics contain none of them, so a topic filter has true negatives to reject.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from crawler.registry import load_registry

from .corpus import VIETNAM_TZ, Attachment, CorpusArticle, Image
from .naming import key_hash
from .portals import PORTALS, Portal

PHRASES_PATH = Path(__file__).with_name("phrases.yml")
DAN_VAN = "dan-van"
EARLIEST = date(2016, 1, 1)
MERGER_EVE = date(2025, 6, 30)  # Resolution 202/2025/QH15 merged provinces on 2025-07-01
REORGANIZATION = date(2025, 3, 1)  # departments and party commissions merged (Sở Xây dựng, Ban Tuyên giáo và Dân vận)
# Portals whose history differs from their status's: (first day, last day), None = the status's.
WINDOWS: dict[str, tuple[date | None, date | None]] = {
    "hue": (date(2025, 1, 1), None),  # the city's portal since Huế became a centrally-run city
    "tuyengiaodanvan": (date(2025, 2, 1), None),  # successor of danvan.vn
    "danvan": (None, date(2025, 2, 28)),
}
# The press each province's articles are taken from, where it is not "Báo <province>".
PRESS = {"hanoi": "Báo Hànộimới", "hochiminhcity": "Báo Sài Gòn Giải Phóng"}
# Title shapes. Provincial portals name their own province; the central sites name the article's.
PROVINCIAL_TITLES = ("{Loc} {h}", "{unit} {h}", "{H} trên địa bàn {loc}", "{H} tại {commune}, {loc}")
CENTRAL_TITLES = {"danvan": "{short}: {H}", "tuyengiaodanvan": "{H} ở {short}"}
TITLE_DRAWS = 30  # draws before a title taken by an earlier article gets a series number
OFFICE_HOURS = (7, 8, 8, 9, 9, 10, 10, 11, 14, 14, 15, 15, 16)  # when a later edition's articles of the day appear
SLOT = re.compile(r"\{([^{}]+)\}")
NUMBER_RANGE = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True)
class Place:
    """The province or city an article is about."""

    portal_id: str
    host: str
    locality: str  # tỉnh Kon Tum, thành phố Cần Thơ, Thành phố Hồ Chí Minh
    short: str  # Kon Tum, Cần Thơ, TP. Hồ Chí Minh
    is_city: bool

    @property
    def press(self) -> str:
        return PRESS.get(self.portal_id, f"Báo {self.short}")


@dataclass(frozen=True)
class Headline:
    pattern: str
    details: tuple[str, ...]
    more: tuple[str, ...]
    since: int


@dataclass(frozen=True)
class Topic:
    """One subject of news: its category, who writes and acts, and its sentences (since-year, text)."""

    id: str
    category: str
    image: str
    office_short: tuple[str, str]  # before and from REORGANIZATION
    office: tuple[str, str]
    offices: tuple[str, ...]
    actors: tuple[str, ...]
    headlines: tuple[Headline, ...]
    purposes: tuple[str, ...]
    context: tuple[tuple[int, str], ...]
    facts: tuple[tuple[int, str], ...]
    closing: tuple[str, ...]
    captions: tuple[str, ...]


@dataclass(frozen=True)
class Phrases:
    family: tuple[str, ...]
    middle: tuple[str, ...]
    given: tuple[str, ...]
    leader_titles: tuple[str, ...]
    crops: tuple[str, ...]
    communes: tuple[str, ...]
    lead_openings: tuple[str, ...]
    general: tuple[tuple[int, str], ...]
    speeches: tuple[str, ...]
    topics: dict[str, Topic]


# --- the phrase bank ---------------------------------------------------------------------------------


@cache
def phrases(path: Path = PHRASES_PATH) -> Phrases:
    """phrases.yml, typed."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    names = data["names"]
    return Phrases(
        family=tuple(names["family"]), middle=tuple(names["middle"]), given=tuple(names["given"]),
        leader_titles=tuple(data["leader_titles"]), crops=_items(data["crops"]), communes=_items(data["communes"]),
        lead_openings=tuple(data["lead_openings"]), general=_sentences(data["general"]),
        speeches=tuple(data["speeches"]),
        topics={topic_id: _topic(topic_id, entry) for topic_id, entry in data["topics"].items()},
    )


def _items(value: str | list[str]) -> tuple[str, ...]:
    """A list, or the same written "a | b | c"."""
    return tuple(value) if isinstance(value, list) else tuple(part.strip() for part in value.split(" | "))


def _sentences(values: list[Any]) -> tuple[tuple[int, str], ...]:
    return tuple((value["since"], value["text"]) if isinstance(value, dict) else (0, value) for value in values)


def _topic(topic_id: str, entry: dict[str, Any]) -> Topic:
    return Topic(
        id=topic_id, category=entry["category"], image=entry["image"],
        office_short=tuple(entry["office_short"]), office=tuple(entry["office"]),
        offices=tuple(entry["offices"]), actors=tuple(entry["actors"]),
        headlines=tuple(
            Headline(h["pattern"], _items(h["details"]), _items(h.get("more") or ""), int(h.get("since", 0)))
            for h in entry["headlines"]
        ),
        purposes=tuple(entry["purposes"]), context=_sentences(entry["context"]), facts=_sentences(entry["facts"]),
        closing=tuple(entry["closing"]), captions=tuple(entry["captions"]),
    )


def topic_of(article: CorpusArticle) -> str | None:
    """The topic id of a generated article (by its category), None for other categories."""
    return next((topic.id for topic in phrases().topics.values() if topic.category == article.category), None)


# --- where and when ------------------------------------------------------------------------------------


def publishing_window(portal: Portal, today: date) -> tuple[date, date]:
    """First and last day the portal publishes, as of `today`; first > last when it has not started yet.
    The last is yesterday: a crawl at any hour of `today` must never see an article from its future."""
    first, last = EARLIEST, today - timedelta(days=1)
    if portal.status == "moved":
        last = min(last, MERGER_EVE)
    own_first, own_last = WINDOWS.get(portal.id, (None, None))
    return max(first, own_first or first), min(last, own_last or last)


def can_publish(portal: Portal, today: date) -> bool:
    first, last = publishing_window(portal, today)
    return first <= last


def place_of(portal: Portal) -> Place:
    short = re.sub(r"^(tỉnh|thành phố) ", "", portal.locality, flags=re.IGNORECASE)
    return Place(
        portal_id=portal.id, host=portal.host, locality=portal.locality,
        short="TP. Hồ Chí Minh" if short == "Hồ Chí Minh" else short,
        is_city=portal.locality.lower().startswith("thành phố"),
    )


@cache
def provincial_places(live_only: bool) -> tuple[Place, ...]:
    """The provinces and cities a central site may write about (after the merger, only the surviving ones)."""
    return tuple(place_of(p) for p in PORTALS if p.locality and (p.status == "live" or not live_only))


def _published(portal: Portal, index: int, first: date, last: date, rng: random.Random) -> datetime:
    """Newest first by index: article i is about i × the portal's rhythm (2-7 days) before `last`."""
    rhythm = 2 + key_hash("rhythm", portal.id) % 6
    span = (last - first).days + 1
    days_back = (index * rhythm + rng.randrange(rhythm)) % span
    day = last - timedelta(days=days_back)
    clock = time(rng.choice((7, 8, 8, 9, 9, 10, 10, 11, 14, 14, 15, 15, 16, 17, 19, 20, 21)), rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, clock, tzinfo=VIETNAM_TZ)


# --- text ------------------------------------------------------------------------------------------------


def fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    """Slots replaced; `{a-b}` becomes a fresh number from a to b."""
    def one(match: re.Match[str]) -> str:
        name = match[1]
        if name in slots:
            return slots[name]
        numbers = NUMBER_RANGE.match(name)
        if not numbers:
            raise KeyError(f"phrases.yml: unknown slot {{{name}}} in {template!r}")
        return str(rng.randint(int(numbers[1]), int(numbers[2])))
    return SLOT.sub(one, template)


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def person(bank: Phrases, rng: random.Random) -> str:
    return f"{rng.choice(bank.family)} {rng.choice(bank.middle)} {rng.choice(bank.given)}"


def _slots(place: Place, topic: Topic, published: datetime, event: date, bank: Phrases, rng: random.Random) -> dict[str, str]:
    """Everything a sentence of this article may name."""
    year, after = published.year, published.date() >= REORGANIZATION
    kind = "thành phố" if place.is_city else "tỉnh"
    commune_name, commune2_name = rng.sample(bank.communes, 2)
    plan_day = event - timedelta(days=rng.randint(10, 120))
    slots = {
        "loc": place.locality, "Loc": capitalized(place.locality), "short": place.short,
        "unit": f"UBND {place.locality}", "unit_short": f"UBND {kind}",
        "party": "Thành ủy" if place.is_city else "Tỉnh ủy",
        "ban": "Ban Tuyên giáo và Dân vận" if after else "Ban Dân vận",
        "commune_name": commune_name, "commune2_name": commune2_name,
        "commune": f"xã {commune_name}", "commune2": f"xã {commune2_name}",
        "crop": rng.choice(bank.crops),
        "year": str(year), "prev_year": str(year - 1), "next_year": str(year + 1),
        "event_dm": f"{event.day}/{event.month}", "month": str(event.month),
        # Year-end reviews run from November to the next spring; school years start in September.
        "review_year": str(year if event.month >= 11 else year - 1),
        "school_year": f"{year} - {year + 1}" if event.month >= 8 else f"{year - 1} - {year}",
        "plan": f"Kế hoạch số {rng.randint(12, 480)}/KH-UBND ngày {plan_day.day}/{plan_day.month}/{plan_day.year} của UBND {kind}",
    }
    slots["party_full"] = f"{slots['party']} {place.short}"
    slots["office_short"] = fill(topic.office_short[after], slots, rng)
    slots["office"] = fill(topic.office[after], slots, rng)
    for name in ("leader", "leader2"):
        slots[name] = f"đồng chí {person(bank, rng)}, {fill(rng.choice(bank.leader_titles), slots, rng)}"
    slots["leader_cap"] = capitalized(slots["leader"])
    return slots


def _headline(topic: Topic, year: int, slots: dict[str, str], rng: random.Random) -> tuple[str, bool]:
    """A verb phrase ("khởi công cầu Tân Lập …") and whether it already says where ("… tại xã Tân Lập")."""
    headline = rng.choice([h for h in topic.headlines if h.since <= year])
    text = headline.pattern.replace("{x}", rng.choice(headline.details))
    if headline.more:
        text = text.replace("{y}", rng.choice(headline.more))
    return fill(text, slots, rng), "{commune" in text or " tại " in text


def _title(portal: Portal, topic: Topic, year: int, slots: dict[str, str], rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """(title, headline), the title not among `taken`: drawn again, else numbered as a series ("– Bài 2")."""
    for _ in range(TITLE_DRAWS):
        h, says_where = _headline(topic, year, slots, rng)
        shapes = [CENTRAL_TITLES[portal.id]] if portal.id in CENTRAL_TITLES else [
            shape for shape in PROVINCIAL_TITLES if not (says_where and "{commune}" in shape)
        ]
        title = fill(rng.choice(shapes), {**slots, "h": h, "H": capitalized(h)}, rng)
        if title not in taken:
            return title, h
    number = 2
    while f"{title} – Bài {number}" in taken:
        number += 1
    return f"{title} – Bài {number}", h


def _lead(topic: Topic, h: str, published: datetime, event: date, slots: dict[str, str], bank: Phrases, rng: random.Random) -> str:
    """One or two sentences; many open with the day of the event and no year ("Sáng 20/7, …")."""
    actor = fill(rng.choice(topic.actors), slots, rng)
    purpose = fill(rng.choice(topic.purposes), slots, rng)
    roll = rng.random()
    if roll < 0.45:
        opening = f"{_part_of_day(published, event, rng)} {event.day}/{event.month}, {actor} {h}"
    elif roll < 0.65:
        opening = f"Ngày {event.day}/{event.month}/{event.year}, {actor} {h}"
    else:
        opening = fill(rng.choice(bank.lead_openings), {**slots, "actor": actor, "Actor": capitalized(actor), "h": h}, rng)
    lead = f"{opening}{purpose}."
    if rng.random() < 0.5:
        lead += " " + rng.choice((
            f"Tham dự có {slots['leader2']}.",
            "Cùng dự có đại diện lãnh đạo các sở, ngành, địa phương.",
        ))
    return lead


def _part_of_day(published: datetime, event: date, rng: random.Random) -> str:
    """Sáng, Chiều or Tối: only a part of the day that was over when the article appeared."""
    if event < published.date():
        return rng.choice(("Sáng", "Sáng", "Chiều", "Chiều", "Tối"))
    return "Chiều" if published.hour >= 17 else "Sáng"


def _body(topic: Topic, year: int, slots: dict[str, str], bank: Phrases, rng: random.Random) -> list[str]:
    """5-10 paragraphs: context, facts (with the general sentences), maybe a speech, a closing."""
    def usable(sentences: tuple[tuple[int, str], ...]) -> list[str]:
        return [text for since, text in sentences if since <= year]

    context = usable(topic.context)
    rng.shuffle(context)
    pool = usable(topic.facts) + usable(bank.general) + context[2:]
    rng.shuffle(pool)
    count = rng.randint(5, 10)
    paragraphs = [" ".join(context[:2])]
    speech = rng.random() < 0.6
    for _ in range(count - 2 - speech):
        take = 1 if len(pool) < 4 else rng.randint(1, 2)
        paragraphs.append(" ".join(pool.pop() for _ in range(take)))
    closing = rng.sample(topic.closing, 2)
    if speech:
        paragraphs.append(f"{rng.choice(bank.speeches)} {closing.pop()}")
    paragraphs.append(closing.pop())
    return [fill(paragraph, slots, rng) for paragraph in paragraphs]


def _author(topic: Topic, slots: dict[str, str], bank: Phrases, rng: random.Random) -> str:
    """A pen name ("Minh Hằng"), a full name, initials ("N.H"), an office, or no byline."""
    roll = rng.random()
    if roll < 0.25:
        return f"{rng.choice(bank.middle)} {rng.choice(bank.given)}"
    if roll < 0.4:
        return person(bank, rng)
    if roll < 0.6:
        return f"{rng.choice(bank.family)[0]}.{rng.choice(bank.given)[0]}"
    if roll < 0.85:
        return fill(rng.choice(topic.offices), slots, rng)
    return ""


def _source(portal: Portal, place: Place, published: datetime, rng: random.Random) -> tuple[str, str]:
    """(source, source_date): most articles are the portal's own; some come from the press, and the
    central sites republish provincial portals' articles with the original's date."""
    roll = rng.random()
    if portal.id in CENTRAL_TITLES and roll < 0.3:
        return place.host, (published.date() - timedelta(days=rng.randint(0, 30))).isoformat()
    if roll < 0.8:
        return "", ""
    source = place.press if roll < 0.92 else f"Đài PT-TH {place.short}"
    dated = rng.random() < 0.4
    return source, (published.date() - timedelta(days=rng.randint(0, 1))).isoformat() if dated else ""


# --- articles --------------------------------------------------------------------------------------------


def article_key(portal_id: str, index: int) -> str:
    """`gen-baria-vungtau-12`: lowercase ascii words joined by "-", never a hand-written key."""
    return f"gen-{portal_id.replace('_', '-')}-{index}"


def dated_article_key(portal_id: str, day: date, number: int) -> str:
    """`gen-hungyen-20261123-0`: the key of a later edition's article published on `day`. Its day
    and number can never read as one index of article_key, nor as a settled `-r1` retry."""
    return f"gen-{portal_id.replace('_', '-')}-{day:%Y%m%d}-{number}"


def generate_article(portal: Portal, index: int, *, today: date, taken_titles: set[str] | None = None) -> CorpusArticle | None:
    """Article number `index` (0 = newest) of the portal as of `today`; None when the portal has not started publishing.

    The seconds of `published` are drawn; the caller sets them to what the page shows.
    """
    first, last = publishing_window(portal, today)
    if first > last:
        return None
    rng = random.Random(f"vnarchive-replica\x1f{portal.id}\x1f{index}")
    published = _published(portal, index, first, last, rng)
    return _written(portal, article_key(portal.id, index), str(index), published, rng, taken_titles)


def generate_article_on(portal: Portal, day: date, number: int, *, taken_titles: set[str] | None = None) -> CorpusArticle:
    """Article `number` of those the portal publishes on `day`, in office hours: what a later edition
    of the replica adds. Seeded by the day, so it does not depend on the articles before it."""
    rng = random.Random(f"vnarchive-replica\x1f{portal.id}\x1f{day.isoformat()}\x1f{number}")
    published = datetime.combine(day, time(rng.choice(OFFICE_HOURS), rng.randrange(60), rng.randrange(60)), tzinfo=VIETNAM_TZ)
    return _written(portal, dated_article_key(portal.id, day, number), str(number), published, rng, taken_titles)


def _written(
    portal: Portal, key: str, picture_number: str, published: datetime, rng: random.Random, taken_titles: set[str] | None
) -> CorpusArticle:
    """The article published at `published`, its text drawn from `rng`; `picture_number` tells its picture from
    others of the same topic and day."""
    bank = phrases()
    event = published.date() - timedelta(days=rng.choice((0, 0, 1, 1, 2)))
    place = place_of(portal) if portal.locality else rng.choice(provincial_places(published.date() > MERGER_EVE))
    topic = bank.topics[DAN_VAN] if _dan_van_only(portal) or rng.random() < 0.35 else \
        bank.topics[rng.choice([t for t in bank.topics if t != DAN_VAN])]
    slots = _slots(place, topic, published, event, bank, rng)
    title, h = _title(portal, topic, published.year, slots, rng, taken_titles if taken_titles is not None else set())
    lead = _lead(topic, h, published, event, slots, bank, rng)
    body: list[str | Image] = list(_body(topic, published.year, slots, bank, rng))
    if rng.random() < 0.55:
        caption = fill(rng.choice(topic.captions), slots, rng)
        body.insert(rng.choice((0, 1)), Image(file=f"{topic.image}-{published:%Y%m%d}-{picture_number}.jpg", caption=caption))
    source, source_date = _source(portal, place, published, rng)
    attachments = ()
    if rng.random() < 0.1:
        number = rng.randint(12, 480)
        attachments = (Attachment(name=f"Kế hoạch số {number}/KH-UBND", file=f"ke-hoach-{number}-kh-ubnd.pdf"),)
    return CorpusArticle(
        key=key,
        portal=portal.id,
        category=topic.category,
        title=title,
        lead=lead,
        published=published,
        published_has_seconds=True,
        author=_author(topic, slots, bank, rng),
        source=source,
        source_date=source_date,
        date_line=rng.random() >= 1 / 15,
        body=tuple(body),
        attachments=attachments,
    )


def generate_articles(portal: Portal, count: int, *, today: date) -> list[CorpusArticle]:
    """Articles 0 … count-1 of the portal (fewer only when it has not started publishing by `today`)."""
    taken: set[str] = set()
    articles = []
    for index in range(count):
        article = generate_article(portal, index, today=today, taken_titles=taken)
        if article is None:
            break
        taken.add(article.title)
        articles.append(article)
    return articles


@cache
def _dan_van_only(portal: Portal) -> bool:
    """The central mass-mobilization sites, and portals whose news section the registry gives to dân vận (hue)."""
    sections = load_registry().get(portal.id).sections
    return portal.id in CENTRAL_TITLES or bool(sections and sections[0].topic == DAN_VAN)
