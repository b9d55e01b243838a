"""The replica's editions: the same portals a day later, to test incremental crawling against.

Edition 1 is what the replica serves on `today` (D). Edition 2 is the same portals on D+1, made
from edition 1's article list: regenerating with D+1 would move every generated article's date.
What changes overnight:

- new articles, published on D in office hours: a listing page's worth on each of SHIFTED_PORTALS,
  so that its listing moves by exactly one page (edition 1's page N is edition 2's page N+1), and
  a few on other portals that still publish, one platform family after another;
- edited articles, among those published D-3..D-1: a paragraph reworded and/or one added, for a
  couple the title corrected; URL and publication date stay, the edit (on D) is their Last-Modified;
- removed articles, among the same days, on other portals where possible: their URL answers the
  platform's 404, and no listing, feed, sitemap or API names them any more.

The shifted portals are never edited nor pruned, so that their shift stays exactly one page.
Every choice is a function of edition 1's articles and D (ranked by key_hash, no random state):
the same arguments give the same edition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from .corpus import VIETNAM_TZ, CorpusArticle, newest_first
from .naming import key_hash
from .portals import PORTALS, PORTALS_BY_ID, Portal
from .sites import settled, site_class
from .synthetic import generate_article_on, publishing_window

EDITIONS = (1, 2)
# A generic-layout portal (listing by ?page=N) and a SharePoint Tân Dân one (?PageIndex=N): both still
# publish, and have several listing pages in the default replica (3 articles, 2 a page) and with
# total_articles=1000 (15 articles).
SHIFTED_PORTALS = ("haiphong", "thanhhoa")
RECENT_DAYS = 3  # edits and removals touch articles published in the 3 days before D
EDITED_COUNT = 7
RETITLED_COUNT = 2  # of the edited, those whose title is corrected too
REMOVED_COUNT = 5
# New articles outside the shifted portals: a base, one more per hundred articles served, a ceiling
# that keeps the whole edition (with the shifted portals' pages) under about 40.
NEW_ARTICLES_BASE = 16
NEW_ARTICLES_MAX = 32
EDIT_HOURS = range(8, 18)

# What editors append to a paragraph when they reword it; free of the dân vận keywords, so that
# an article's topic does not change.
REWORDINGS = (
    "Số liệu nêu trên đã được cập nhật theo báo cáo mới nhất của cơ quan chuyên môn.",
    "Nội dung này đã được điều chỉnh cho phù hợp với kết luận của cơ quan chủ trì.",
    "Thời gian, địa điểm cụ thể sẽ được các cơ quan liên quan thông báo sau.",
)
ADDED_PARAGRAPHS = (
    "Thông tin bổ sung: các cơ quan, đơn vị liên quan được giao tiếp tục theo dõi, đôn đốc và báo cáo kết quả"
    " trước ngày 15 của tháng tiếp theo.",
    "Được biết, kết quả thực hiện sẽ được tổng hợp, đánh giá tại hội nghị sơ kết vào cuối năm.",
    "Cũng tại buổi làm việc, các đại biểu đã thống nhất một số giải pháp nhằm tháo gỡ khó khăn trong thời gian tới.",
)
# Corrections of a title, (wrong, right): the first that applies is made, once. One applies when the
# title has `wrong` and not yet the first word of `right` (no "tại … tại …").
TITLE_CORRECTIONS = (
    ("UBND ", "Ủy ban nhân dân "),
    (" trên địa bàn tỉnh ", " tại tỉnh "),
    (" trên địa bàn thành phố ", " tại thành phố "),
    (" tại xã ", " trên địa bàn xã "),
    (" ở ", " tại "),
)

T = TypeVar("T")


@dataclass(frozen=True)
class EditionChanges:
    """What edition 2 changes in edition 1's articles. Lists are newest first; do not mutate them."""

    new: list[CorpusArticle]
    edited: list[tuple[CorpusArticle, CorpusArticle]]  # (before, after)
    removed: list[CorpusArticle]
    shifted_portals: list[str]

    def applied_to(self, articles: Sequence[CorpusArticle]) -> list[CorpusArticle]:
        """Edition 2's articles from edition 1's, newest first."""
        after = {before.key: edited for before, edited in self.edited}
        gone = {article.key for article in self.removed}
        kept = [after.get(article.key, article) for article in articles if article.key not in gone]
        return sorted(kept + self.new, key=newest_first)


def check_edition(edition: int) -> None:
    """ValueError unless the replica has that edition."""
    if edition not in EDITIONS:
        raise ValueError(f"the replica has editions {', '.join(map(str, EDITIONS))}, not {edition!r}")


def edition_today(today: date, edition: int) -> date:
    """The day edition `edition` shows as today, when edition 1 shows `today`."""
    check_edition(edition)
    return today + timedelta(days=edition - 1)


def articles_in_edition(
    first: Sequence[CorpusArticle], today: date, edition: int, *, page_size: int | None = None
) -> list[CorpusArticle]:
    """Edition `edition` of the articles `first` that edition 1 serves on `today`."""
    check_edition(edition)
    return list(first) if edition == 1 else second_edition(first, today, page_size=page_size).applied_to(first)


def second_edition(first: Sequence[CorpusArticle], today: date, *, page_size: int | None = None) -> EditionChanges:
    """What changes overnight in `first`, the articles edition 1 serves on `today`.

    `page_size` is the listing's, as the server is started with (None: each platform's own): the
    shifted portals get exactly that many new articles.
    """
    recent = [
        article for article in first
        if today - timedelta(days=RECENT_DAYS) <= article.published.date() < today and article.portal not in SHIFTED_PORTALS
    ]
    edited = _edits(recent, today)
    edited_keys = {before.key for before, _ in edited}
    removed = _removals([article for article in recent if article.key not in edited_keys], {before.portal for before, _ in edited})
    return EditionChanges(
        new=sorted(_new_articles(first, today, page_size), key=newest_first),
        edited=sorted(edited, key=lambda pair: newest_first(pair[0])),
        removed=sorted(removed, key=newest_first),
        shifted_portals=list(SHIFTED_PORTALS),
    )


def _edits(recent: Sequence[CorpusArticle], today: date) -> list[tuple[CorpusArticle, CorpusArticle]]:
    """(before, after) for EDITED_COUNT of the recent articles, spread over portals and platforms."""
    chosen = _spread(sorted(recent, key=lambda a: key_hash("edited", a.key)), EDITED_COUNT, lambda a: a.portal)
    retitled = [article.key for article in chosen if corrected_title(article.title)][:RETITLED_COUNT]
    return [(article, _edited(article, position, today, retitle=article.key in retitled)) for position, article in enumerate(chosen)]


def _removals(candidates: Sequence[CorpusArticle], edited_portals: Collection[str]) -> list[CorpusArticle]:
    """REMOVED_COUNT of the candidates, on portals nothing was edited on where possible."""
    ranked = sorted(candidates, key=lambda a: key_hash("removed", a.key))
    return _spread(ranked, REMOVED_COUNT, lambda a: a.portal, avoid=edited_portals)


# --- new articles ------------------------------------------------------------------------------------


def _new_articles(first: Sequence[CorpusArticle], today: date, page_size: int | None) -> list[CorpusArticle]:
    """Articles published on `today` (edition 1's D): the shifted portals' pages, then the spread."""
    counts = Counter({portal_id: page_size or site_class(portal_id).default_page_size for portal_id in SHIFTED_PORTALS})
    publishing = sorted(
        (portal for portal in PORTALS if portal.id not in SHIFTED_PORTALS and _publishes_on(portal, today)),
        key=lambda portal: key_hash("new", portal.id),
    )
    wanted = min(NEW_ARTICLES_MAX, NEW_ARTICLES_BASE + len(first) // 100)
    counts.update(portal.id for portal in _spread(publishing, wanted, lambda p: p.id, repeat=True))
    return [article for portal_id, count in counts.items() for article in _published_on(PORTALS_BY_ID[portal_id], today, count, first)]


def _publishes_on(portal: Portal, day: date) -> bool:
    """Whether the portal still publishes on `day` (merged-away provinces stopped in 2025)."""
    first, last = publishing_window(portal, day + timedelta(days=1))
    return first <= day <= last


def _published_on(portal: Portal, day: date, count: int, first: Sequence[CorpusArticle]) -> list[CorpusArticle]:
    """`count` new articles of the portal on `day`, with titles and URLs none of its edition-1 articles has."""
    titles = {article.title for article in first if article.portal == portal.id}
    fresh = []
    for number in range(count):
        article = generate_article_on(portal, day, number, taken_titles=titles)
        titles.add(article.title)
        fresh.append(article)
    return settled(portal, fresh, first)


# --- edits ------------------------------------------------------------------------------------------------


def corrected_title(title: str) -> str | None:
    """The title with the first of TITLE_CORRECTIONS made, or None when none applies."""
    for wrong, right in TITLE_CORRECTIONS:
        if wrong in title and f" {right.split()[0]} " not in f" {title} ":
            return title.replace(wrong, right, 1)
    return None


def _edited(article: CorpusArticle, position: int, today: date, *, retitle: bool) -> CorpusArticle:
    """The article after its edit on `today`: by `position` among the edited, a paragraph reworded (0), one
    added (1) or both (2); the title corrected when `retitle`. URL and publication date stay."""
    body = list(article.body)
    paragraphs = [index for index, block in enumerate(body) if isinstance(block, str)]
    choice = key_hash("edit", article.key)
    if position % 3 in (0, 2):
        index = paragraphs[choice % len(paragraphs)]
        body[index] = f"{body[index]} {REWORDINGS[choice % len(REWORDINGS)]}"
    if position % 3 in (1, 2):
        body.insert(paragraphs[-1], ADDED_PARAGRAPHS[choice % len(ADDED_PARAGRAPHS)])  # before the closing paragraph
    edited_at = datetime.combine(today, time(EDIT_HOURS[choice % len(EDIT_HOURS)], choice // 7 % 60), tzinfo=VIETNAM_TZ)
    title = corrected_title(article.title) if retitle else None
    return replace(
        article,
        body=tuple(body),
        edited=edited_at,
        title=title or article.title,
        first_title=article.title if title else article.first_title,
    )


# --- choosing ---------------------------------------------------------------------------------------------


def _spread(
    pool: Sequence[T], count: int, portal_of: Callable[[T], str], *, repeat: bool = False, avoid: Collection[str] = ()
) -> list[T]:
    """`count` picks from `pool`, each from the portal picked least so far (portals in `avoid` count as
    picked), then from the platform family picked least; ties go to pool order. `repeat`: an item may be
    picked again (portals that get several new articles)."""
    left = list(pool)
    portal_picks = Counter({portal_id: 1 for portal_id in avoid})
    family_picks: Counter[str] = Counter()
    picks = []
    while left and len(picks) < count:
        item = min(left, key=lambda i: (portal_picks[portal_of(i)], family_picks[PORTALS_BY_ID[portal_of(i)].platform]))
        picks.append(item)
        portal_picks[portal_of(item)] += 1
        family_picks[PORTALS_BY_ID[portal_of(item)].platform] += 1
        if not repeat:
            left.remove(item)
    return picks
