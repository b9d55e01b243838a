"""Find a page's fields: the registry's CSS selectors first, class-name markers on unknown layouts.

CSS's own comma means "all of these, in document order"; a registry entry such as
`#txtTitle, h1.News_Detail_Title` means "this, else that", so the alternatives are split
here once per portal (parsel caches each one's XPath). When a field's selectors find
nothing, the field's markers from platforms.yml (`date`, `ngay`, `tomtat`, …) are looked for
in class and id names, outside the regions that hold a page's "today" date, menus and
related lists.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import accumulate

from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import css2xpath

from crawler.registry import Selectors, load_platforms

# A comma outside [...] and (...): the boundary between two alternatives.
TOP_LEVEL_COMMA = re.compile(r",(?![^\[]*\])(?![^(]*\))")
CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
OTHER_REGION_TAGS = frozenset({"header", "footer", "nav", "aside"})
# The content node is the deepest candidate still holding this share of the largest one's text.
CONTENT_SHARE = 0.7
MIN_LEAD_CHARS = 30
NOT_CSS = ("prune", "article_url")


def _marker_pattern(words: list[str]) -> re.Pattern:
    """Any of the words at the start of a class or id segment."""
    return re.compile(r"(?:^|[-_\s])(?:" + "|".join(re.escape(word) for word in words) + ")")


MARKERS: dict[str, re.Pattern] = {field: _marker_pattern(words) for field, words in load_platforms()["markers"].items()}
OTHER_REGION = MARKERS["elsewhere"]
OWN_REGION = MARKERS["own"]
WIDGET = MARKERS["widgets"]


# A selector of one test on one attribute (`.title`, `div.content`, `#txtTitle`, `[itemprop=author]`,
# `[id$=_lblNoiDung]`): most of the registry's. cssselect writes them as `*[@id = 'x']`, a test
# libxml2 runs on every element of the page; written as the attribute first (`*/@id[. = 'x']/..`)
# it runs on the attributes that exist, about 5 times faster on a portal's page. Anything else
# (combinators, several tests, pseudo-elements) is cssselect's, through parsel.
ONE_ATTRIBUTE_TEST = re.compile(
    r"(?P<tag>[a-zA-Z][\w-]*)?(?:\.(?P<class_name>[\w-]+)|#(?P<id>[\w-]+)"
    r"|\[(?P<attribute>[a-zA-Z][\w-]*)(?:(?P<operator>[*^$]?=)(?P<quote>[\"']?)(?P<value>[^\]\"'\\]*)(?P=quote))?\])")
VALUE_TESTS = {
    "=": ". = {value}",
    "*=": "contains(., {value})",
    "^=": "starts-with(., {value})",
    "$=": "substring(., string-length(.) - {length_less_one}) = {value}",
}


def css_elements(root: etree._Element, css: str) -> list[etree._Element]:
    """The elements `css` selects in `root` (itself included), in document order."""
    return _compiled_css(css)(root)


@lru_cache(maxsize=4096)
def _compiled_css(css: str) -> etree.XPath:
    return etree.XPath(_attribute_first_xpath(css) or css2xpath(css))


def _attribute_first_xpath(css: str) -> str | None:
    match = ONE_ATTRIBUTE_TEST.fullmatch(css.strip())
    if match is None or (match["operator"] not in (None, "=") and not match["value"]):
        return None  # `[a*=""]` selects nothing in CSS: cssselect says so
    element = (match["tag"] or "*").lower()
    if match["class_name"]:
        attribute, test = "class", f"contains(concat(' ', normalize-space(.), ' '), ' {match['class_name']} ')"
    elif match["id"]:
        attribute, test = "id", f". = '{match['id']}'"
    elif match["operator"]:
        attribute = match["attribute"].lower()
        test = VALUE_TESTS[match["operator"]].format(value=f"'{match['value']}'", length_less_one=len(match["value"]) - 1)
    else:
        attribute, test = match["attribute"].lower(), "true()"
    return f"descendant-or-self::{element}/@{attribute}[{test}]/.."


def split_alternatives(css: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in TOP_LEVEL_COMMA.split(css) if part.strip())


def marker_names(element: etree._Element) -> str:
    """Class and id as lowercase segments: `divDetail_DateCreate` → `div_detail_date_create`."""
    return _segments(f"{element.get('class', '')} {element.get('id', '')}")


# A layout repeats the same few hundred class names on every page and on every element of a kind.
@lru_cache(maxsize=16384)
def _segments(names: str) -> str:
    return _segmented(names)


def _segmented(text: str) -> str:
    return CAMEL_HUMP.sub("_", text).lower()


# A page's class and id values, in document order (as ONE_ATTRIBUTE_TEST's selectors, the
# attributes first). Smart strings: each knows its element.
CLASS_AND_ID = etree.XPath("descendant-or-self::*/@class | descendant-or-self::*/@id")
# Between two values in MarkerIndex.names: NUL is in no attribute value, and the space lets a
# marker at the start of a value match as it does after a space inside one.
VALUE_SEPARATOR = "\x00 "


class MarkerIndex:
    """A page's class and id values as marker names in one string, so that a field's marker
    pattern runs over the page in one regex pass, not once per element."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.values = CLASS_AND_ID(root)
        self.names = _segmented(VALUE_SEPARATOR.join(self.values))
        self.starts = list(accumulate((len(part) + 1 for part in self.names.split(VALUE_SEPARATOR[0])), initial=0))

    def marked(self, pattern: re.Pattern) -> list[etree._Element]:
        """The elements with a class or id segment `pattern` matches, in document order, once each."""
        found: dict[etree._Element, None] = {}
        for match in pattern.finditer(self.names):
            value = self.values[bisect_right(self.starts, match.end() - 1) - 1]
            found.setdefault(value.getparent(), None)
        return list(found)


_last_index: MarkerIndex | None = None


def marker_index(root: etree._Element) -> MarkerIndex:
    """Kept for the last root asked: a page's fields are looked up one after another on the same
    tree (holding the root also keeps `is` a safe test of "the same tree")."""
    global _last_index
    if _last_index is None or _last_index.root is not root:
        _last_index = MarkerIndex(root)
    return _last_index


def is_other_region(element: etree._Element) -> bool:
    """A region holding other articles or dates: header, menus, related lists, comments."""
    names = marker_names(element)
    if OWN_REGION.search(names):
        return False
    return element.tag in OTHER_REGION_TAGS or bool(OTHER_REGION.search(names))


def is_not_text(element: etree._Element) -> bool:
    """A region whose words are never article text: other regions and widgets."""
    return is_other_region(element) or bool(WIDGET.search(marker_names(element)))


def in_other_region(element: etree._Element) -> bool:
    return any(is_other_region(node) for node in (element, *element.iterancestors()))


@dataclass(frozen=True)
class CompiledSelectors:
    alternatives: dict[str, tuple[str, ...]]
    prune: tuple[str, ...]
    markers: dict[str, re.Pattern]
    article_url: re.Pattern

    @classmethod
    def of(cls, selectors: Selectors) -> "CompiledSelectors":
        alternatives = {
            f.name: split_alternatives(getattr(selectors, f.name))
            for f in fields(selectors) if f.name not in NOT_CSS
        }
        return cls(alternatives, tuple(selectors.prune), MARKERS, re.compile(selectors.article_url, re.IGNORECASE))

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_url.search(url))

    def select(self, node: Selector, key: str) -> SelectorList:
        """Everything the first matching alternative of `key` finds under `node` (a Selector or a
        Scrapy response)."""
        page = node if isinstance(node, Selector) else node.selector
        for css in self.alternatives.get(key, ()):
            if found := css_elements(page.root, css):
                return SelectorList(page.__class__(root=element, _expr=css) for element in found)
        return SelectorList([])

    def first(self, node: Selector, key: str) -> Selector | None:
        found = self.select(node, key)
        return found[0] if found else None

    def candidates(self, page: Selector, key: str) -> list[Selector]:
        """The field's selector matches, else its marker matches; never in headers, menus or related lists."""
        found = [s for s in self.select(page, key) if not in_other_region(s.root)]
        if found:
            return found
        return [Selector(root=element) for element in self.marked(page, key) if not in_other_region(element)]

    def marked(self, page: Selector, key: str) -> list[etree._Element]:
        """Elements whose class or id carries one of the field's marker words, in document order."""
        pattern = self.markers.get(key)
        if pattern is None:
            return []
        return marker_index(page.root).marked(pattern)

    def content_node(self, page: Selector) -> Selector | None:
        """The article's container: of the candidates, the deepest that holds most of the text."""
        found = self.candidates(page, "content")
        if not found:
            return None
        sizes = [(len(" ".join(s.root.itertext())), sum(1 for _ in s.root.iterancestors()), s) for s in found]
        largest = max(size for size, _, _ in sizes)
        if largest == 0:
            return None
        held = [(depth, size, s) for size, depth, s in sizes if size >= CONTENT_SHARE * largest]
        return max(held, key=lambda item: (item[0], item[1]))[2]

    def lead_node(self, page: Selector, content: Selector | None) -> Selector | None:
        """The summary: the first candidate with some text that is not the content node or around it."""
        around = set(content.root.iterancestors()) | {content.root} if content is not None else set()
        for candidate in self.candidates(page, "lead"):
            text = " ".join(candidate.root.itertext()).strip()
            if candidate.root not in around and len(text) >= MIN_LEAD_CHARS:
                return candidate
        return None
